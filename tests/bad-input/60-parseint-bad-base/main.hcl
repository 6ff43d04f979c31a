output "x" {
  value = parseint("1", 99)
}
