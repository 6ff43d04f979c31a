output "x" {
  value = pow(10, 1e9)
}
