locals {
  a = <<EOT
never closed
}
