variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value = upper(var.secret)
}
