locals {
  a = "${var.x}"
  b = "pre-${var.x}-post"
  c = "${var.x}${var.y}"
  d = "${ var.x }"
  e = "%{ if var.x }yes%{ else }no%{ endif }"
  f = "${upper("${var.x}")}"
  g = "$${literal} and %%{literal}"
  h = "esc \" quote ${ a } \\"
  i = "${ {a=1} }"
  k = "${
    var.x
  }"
}
