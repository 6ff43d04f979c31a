output "x" {
  value = length(range(1e9))
}
