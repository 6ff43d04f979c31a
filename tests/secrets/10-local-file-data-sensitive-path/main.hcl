variable "secret" {
  type      = string
  sensitive = true
}

data "local_file" "d" {
  filename = "missing-${var.secret}.txt"
}
