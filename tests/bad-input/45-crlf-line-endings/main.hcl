locals {
  a = 1
  b = var.nope
}
