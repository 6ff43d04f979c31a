variable "secret" {
  type      = string
  sensitive = true
}

resource "local_file" "a" {
  filename        = "x.txt"
  content         = "x"
  file_permission = var.secret
}
