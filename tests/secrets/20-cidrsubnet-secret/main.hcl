variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = cidrsubnet(var.secret, 8, 1)
  sensitive = true
}
