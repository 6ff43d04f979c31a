variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = var.secret + 1
  sensitive = true
}
