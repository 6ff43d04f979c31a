output "x" {
  value = element([1], 1e300)
}
