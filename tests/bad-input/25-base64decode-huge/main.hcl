output "x" {
  value = length(base64decode(file("big.b64")))
}
