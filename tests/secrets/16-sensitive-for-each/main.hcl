variable "secret" {
  type      = string
  sensitive = true
}

resource "null_resource" "a" {
  for_each = toset([var.secret])
}
