output "x" {
  value = templatefile("self.tpl", {})
}
