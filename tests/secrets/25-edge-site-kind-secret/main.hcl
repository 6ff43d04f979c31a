variable "secret" {
  type      = string
  sensitive = true
}

edge_site "eu" {
  kind = var.secret
}
