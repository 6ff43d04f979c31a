output "x" {
  value = regex(join("", [for i in range(100000) : "(a|b)*"]), "aaaa")
}
