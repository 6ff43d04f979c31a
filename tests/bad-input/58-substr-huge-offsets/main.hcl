output "x" {
  value = substr("abc", 1e18, -1e18)
}
output "y" {
  value = var.nope
}
