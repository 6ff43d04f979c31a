# The configuration the CI examples plan, apply and check for drift:
# local files and fake servers (no cloud account needed), state in S3.

terraform {
  backend "s3" {
    bucket   = var.state_bucket
    key      = "contin/ci-example/contin.state.json"
    region   = var.aws_region
    endpoint = var.s3_endpoint
  }
}

resource "local_file" "motd" {
  filename = "out/motd.txt"
  content  = "deployed by ${var.deployer}\n"
}

resource "fake_resource" "server" {
  count = var.replicas

  name            = "ci-server-${count.index}"
  sensitive_value = var.api_token
}
