locals {
  a = local.a
}

provider "fake" {
  latency_ms = local.a
}

resource "fake_resource" "r" {
  name = "r"
}
