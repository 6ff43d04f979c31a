variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = tonumber(var.secret)
  sensitive = true
}
