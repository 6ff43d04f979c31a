# café ÿþ
resource "null_resource" "a" {}
