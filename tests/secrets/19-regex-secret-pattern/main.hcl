variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = regex("(${var.secret}", "x")
  sensitive = true
}
