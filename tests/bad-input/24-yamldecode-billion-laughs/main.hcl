output "x" {
  value = yamldecode(file("laughs.yaml"))
}
