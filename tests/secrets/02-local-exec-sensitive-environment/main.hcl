variable "secret" {
  type      = string
  sensitive = true
}

resource "local_exec" "a" {
  command     = "echo \"$TOKEN\"; exit 1"
  environment = { TOKEN = var.secret }
}
