variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = jsondecode(var.secret)
  sensitive = true
}
