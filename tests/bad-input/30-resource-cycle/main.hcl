resource "fake_resource" "a" {
  value = fake_resource.b.id
}

resource "fake_resource" "b" {
  value = fake_resource.a.id
}
