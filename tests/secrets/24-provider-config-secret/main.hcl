variable "secret" {
  type      = string
  sensitive = true
}

provider "fake" {
  latency_ms = var.secret
}

resource "fake_resource" "a" {
  name = "a"
}
