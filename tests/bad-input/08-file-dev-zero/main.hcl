output "x" {
  value = file("/dev/zero")
}
