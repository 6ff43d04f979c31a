variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = format("%d", var.secret)
  sensitive = true
}
