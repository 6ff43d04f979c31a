output "x" {
  value = length([for a in range(1e6) : [for b in range(1e6) : b]])
}
