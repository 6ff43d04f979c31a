# An edge fleet: one region, two factory sites, machines reached over SSH,
# a K3s cluster on site A (first machine = server, the rest join as agents)
# and a single-node MicroK8s on site B.
#
# Machines come from var.hosts (see README.md): adding an entry for site "a"
# and re-applying joins just that machine to the K3s cluster.

variable "hosts" {
  description = "Machines of the fleet by name: SSH endpoint, pinned host key and site (\"a\" or \"b\")."
  type = map(object({
    address  = string
    port     = optional(number, 22)
    user     = optional(string, "root")
    host_key = string
    site     = string
  }))
}

variable "ssh_private_key_file" {
  description = "Private key accepted by every machine (the public half is in their authorized_keys)."
  type        = string
}

variable "artifacts_dir" {
  description = "Local directory with the installers (k3s/, microk8s/): machines may be offline, nothing is downloaded at apply."
  type        = string
  default     = "artifacts"
}

variable "k3s_server" {
  description = "Which site-A machine runs the K3s server."
  type        = string
  default     = "a1"
}

edge_site "eu" {
  kind       = "region"
  latency_ms = 15
}

edge_site "site_a" {
  parent        = edge_site.eu
  latency_ms    = 3
  labels        = { line = "assembly" }
  cost_per_hour = 0.35
  capacity {
    cpu    = 24
    memory = "96Gi"
    gpu    = 1
  }
  power {
    watts_idle = 80
    watts_max  = 450
  }
}

edge_site "site_b" {
  parent     = edge_site.eu
  latency_ms = 6
  labels     = { line = "packaging" }
  capacity {
    cpu    = 8
    memory = "32Gi"
  }
}

host "m" {
  for_each    = var.hosts
  site        = each.value.site == "a" ? edge_site.site_a : edge_site.site_b
  address     = each.value.address
  port        = each.value.port
  user        = each.value.user
  private_key = file(var.ssh_private_key_file)
  host_key    = each.value.host_key
}

locals {
  site_a = [for name, h in var.hosts : name if h.site == "a"]
  site_b = [for name, h in var.hosts : name if h.site == "b"]
}

cluster "assembly" {
  site          = edge_site.site_a
  flavor        = "k3s"
  servers       = [host.m[var.k3s_server]]
  agents        = [for name in local.site_a : host.m[name] if name != var.k3s_server]
  artifacts_dir = var.artifacts_dir
}

cluster "packaging" {
  site          = edge_site.site_b
  flavor        = "microk8s"
  servers       = [host.m[local.site_b[0]]]
  artifacts_dir = var.artifacts_dir
}

output "assembly_api" {
  value = cluster.assembly.api_endpoint
}

output "assembly_nodes" {
  value = cluster.assembly.node_count
}

output "packaging_api" {
  value = cluster.packaging.api_endpoint
}
