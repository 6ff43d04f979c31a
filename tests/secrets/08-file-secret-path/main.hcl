variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = file("${var.secret}")
  sensitive = true
}
