variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = var.secret[5]
  sensitive = true
}
