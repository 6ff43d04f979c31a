output "x" {
  value = upper([1, 2])
}
output "y" {
  value = length(5)
}
