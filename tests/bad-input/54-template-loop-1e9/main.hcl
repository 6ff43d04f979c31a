output "x" {
  value = "%{ for i in range(1e9) }x%{ endfor }"
}
