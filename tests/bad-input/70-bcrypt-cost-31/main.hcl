output "x" {
  value = bcrypt("password", 31)
}
