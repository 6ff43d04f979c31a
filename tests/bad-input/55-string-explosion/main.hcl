locals {
  a = join("", [for i in range(100000) : "aaaaaaaaaa"])
  b = join("", [for i in range(10000) : local.a])
}

output "x" {
  value = length(local.b)
}
