output "x" {
  value = regex("(", "x")
}
