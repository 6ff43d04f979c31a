# The quickstart: real files under ./out (local provider) and in-memory
# servers (fake provider). `contin apply -auto-approve`, then `contin plan`
# shows no changes; edit out/README.txt and `contin plan` shows the drift.

locals {
  out_dir = "out"
  labels = {
    project    = var.project
    managed_by = "contin"
  }
  banner = upper(format("%s deployment", var.project))
}

provider "fake" {
  latency_ms = 50
}

resource "local_file" "readme" {
  filename        = "${local.out_dir}/README.txt"
  content         = "${local.banner}\nenvironments: ${join(", ", var.environments)}\n"
  file_permission = "0644"
}

# One JSON file per environment (for_each over a set).
resource "local_file" "env" {
  for_each = toset(var.environments)

  filename = "${local.out_dir}/${each.key}.json"
  content  = jsonencode({ environment = each.key, labels = local.labels })
}

# Fake servers (count); the token is sensitive and never printed.
resource "fake_resource" "server" {
  count = var.replicas

  name            = format("%s-server-%d", var.project, count.index)
  tags            = merge(local.labels, { index = "${count.index}" })
  sensitive_value = var.api_token
}

# Replaced whenever a server or the README changes.
resource "null_resource" "deploy" {
  triggers = {
    servers = join(",", fake_resource.server[*].id)
    readme  = local_file.readme.id
  }
}

resource "local_exec" "announce" {
  command         = "echo 'deployed ${var.project}' > ${local.out_dir}/announce.txt"
  destroy_command = "rm -f ${local.out_dir}/announce.txt"

  depends_on = [null_resource.deploy]
}
