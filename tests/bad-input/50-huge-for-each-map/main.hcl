resource "null_resource" "a" {
  for_each = { for i in range(1e7) : tostring(i) => i }
}
