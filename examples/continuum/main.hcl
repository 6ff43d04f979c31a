# The edge–cloud continuum on one machine: a region with two factory sites,
# a cell (sub-site) inside factory A, and process workloads that the edge
# agents run. State and the agents' mailbox are local (contin.state.json and
# .contin/mailbox/ next to this file). Walk-through: README.md.

edge_site "eu" {
  kind       = "region"
  latency_ms = 20
}

edge_site "factory_a" {
  parent     = edge_site.eu
  latency_ms = 5
  labels     = { line = "A" }
}

edge_site "factory_b" {
  parent     = edge_site.eu
  latency_ms = 8
}

# A cell inside factory A: its agent can sync through factory A's agent
# (`--serve` / `--upstream`) while factory A's uplink is down.
edge_site "cell_a1" {
  parent     = edge_site.factory_a
  latency_ms = 1
}

variable "reading_interval" {
  description = "Seconds between two sensor readings."
  type        = number
  default     = 5
}

# One sensor reader on each factory (a workload placed on two sites runs on both).
workload "sensor" {
  command = ["/bin/sh", "-c", "while true; do echo \"reading from $SITE_LINE\"; sleep ${var.reading_interval}; done"]
  env     = { SITE_LINE = "factory" }
  placement {
    sites = [edge_site.factory_a, edge_site.factory_b]
  }
  autonomy {
    tolerate_disconnection = "24h"
  }
  restart {
    backoff_max = "30s"
  }
}

# Two replicas of an inference worker in cell A1, health-checked.
workload "vision" {
  command  = ["/bin/sleep", "86400"]
  replicas = 2
  requires {
    cpu    = "250m"
    memory = "64Mi"
  }
  placement {
    sites = [edge_site.cell_a1]
  }
  health {
    exec     = ["/bin/true"]
    interval = "10s"
  }
}

# A gateway on factory B, one per listed port.
workload "gateway" {
  for_each = toset(["8081", "8082"])
  command  = ["/bin/sleep", "86400"]
  env      = { PORT = each.key }
  placement {
    sites = [edge_site.factory_b]
  }
  autonomy {
    tolerate_disconnection = "1h"
  }
}
