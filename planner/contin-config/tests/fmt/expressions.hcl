locals {
  a = -1 + b*c - ! d
  e = f( g , h... )
  m = {for k , v in var.m : k=>v if v!=null}
  l = [for x in [1,2] : x*2]
  w = a[0].b[*].c
  s = a.*.b
  t = var.x ? "yes":"no"
  u = (1+2)*3
  v = x>=1 && y<2 || !z
  p = 10 % 3 / 2
  n = -var.x
  q = [-1, - 2]
  r = provider::aws::arn_parse("x")
  o = {
    "quoted key" = 1
    bare: 2
  }
  j = jsonencode({a=1,b="c"})
}
