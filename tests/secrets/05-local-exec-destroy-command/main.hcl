variable "secret" {
  type      = string
  sensitive = true
}

resource "local_exec" "a" {
  command         = "true"
  destroy_command = "echo ${var.secret}; exit 1"
}
