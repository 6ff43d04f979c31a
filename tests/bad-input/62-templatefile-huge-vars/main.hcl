output "x" {
  value = templatefile("t.tpl", { n = 100000000 })
}
