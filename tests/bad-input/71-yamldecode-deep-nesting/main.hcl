output "x" {
  value = yamldecode(file("deep.yaml"))
}
