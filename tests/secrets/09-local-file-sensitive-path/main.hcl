variable "secret" {
  type      = string
  sensitive = true
}

resource "local_file" "a" {
  filename = "blocker/${var.secret}/x.txt"
  content  = "x"
}
