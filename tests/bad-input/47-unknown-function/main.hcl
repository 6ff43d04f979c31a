output "x" {
  value = frobnicate(1)
}
