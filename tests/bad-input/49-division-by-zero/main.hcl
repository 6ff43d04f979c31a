output "x" {
  value = 1 / 0
}
output "y" {
  value = 5 % 0
}
