output "x" {
  value = indent(1e9, "x\ny")
}
