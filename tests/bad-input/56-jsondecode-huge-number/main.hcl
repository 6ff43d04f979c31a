output "x" {
  value = jsondecode("1e99999999")
}
