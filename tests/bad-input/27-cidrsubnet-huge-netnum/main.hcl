output "x" {
  value = cidrsubnet("10.0.0.0/8", 1e9, 1e18)
}
