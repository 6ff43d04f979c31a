output "x" {
  value = range(1e6)[1e6]
}
