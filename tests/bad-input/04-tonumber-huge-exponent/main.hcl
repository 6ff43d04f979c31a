output "x" {
  value = tonumber("1e99999999999")
}
