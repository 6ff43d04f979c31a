variable "secret" {
  type      = string
  sensitive = true
}

output "o" {
  value     = templatefile("t.tpl", { s = var.secret })
  sensitive = true
}
