variable "v" {
  default = var.v
}

output "x" {
  value = var.v
}
