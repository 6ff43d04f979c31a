output "x" {
  value = length(setproduct(range(1000), range(1000), range(1000), range(1000)))
}
