variable "secret" {
  type      = string
  sensitive = true
}

resource "local_exec" "a" {
  command = "echo ${var.secret}; echo ${var.secret} >&2; exit 1"
}
