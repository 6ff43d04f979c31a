variable "secret" {
  type      = string
  sensitive = true
}

provider "fake" {
  store = "cloud.json"
}

resource "fake_resource" "a" {
  name            = var.secret
  sensitive_value = var.secret
}
