resource "null_resource" "a" {
  count = -1
}

resource "null_resource" "b" {
  count = 1.5
}
