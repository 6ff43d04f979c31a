variable "secret" {
  type      = string
  sensitive = true
}

resource "local_file" "a" {
  filename = "out/secret.txt"
  content  = var.secret
}
