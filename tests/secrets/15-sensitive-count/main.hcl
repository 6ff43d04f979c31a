variable "secret" {
  type      = string
  sensitive = true
}

resource "null_resource" "a" {
  count = length(var.secret)
}
