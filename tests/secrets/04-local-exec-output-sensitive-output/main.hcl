variable "secret" {
  type      = string
  sensitive = true
}

resource "local_exec" "a" {
  command = "echo ${var.secret}"
}

output "o" {
  value     = local_exec.a.output
  sensitive = true
}
