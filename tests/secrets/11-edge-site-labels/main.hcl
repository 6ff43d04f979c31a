variable "secret" {
  type      = string
  sensitive = true
}

edge_site "eu" {
  labels = { token = var.secret }
}
