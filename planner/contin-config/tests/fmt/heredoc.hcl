resource "local_file" "f" {
  content = <<EOT
line one
    indented ${var.x}
  EOT
  other  = <<-EOF
      keep ${ var.y } spacing
  EOF
  after = 1
}
