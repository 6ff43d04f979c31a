locals {
  row = range(10000)
}

output "x" {
  value = length(flatten([for i in range(10000) : local.row]))
}
