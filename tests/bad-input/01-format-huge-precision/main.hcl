output "x" {
  value = format("%.999999999f", 1.5)
}
