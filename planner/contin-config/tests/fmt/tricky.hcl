locals {
  ünïcode = 1
  ab      = 2
  list_of_heredocs = [<<EOT
inside list
EOT
  , "x"]
  call = format(<<-EOT
    %{ for x in var.l ~}
    item ${x}
    %{ endfor ~}
  EOT
  , 1)
  cond = (
    var.a
    ? 1
    : 2
  )
  nested = { a = { b = { c = 1 } } }
  empty_obj = {}
  empty_list = [ ]
  commented = [
    1, # one
    22, # twenty-two
  ]
  idx = var.m["key"]
  legacy = var.l.0
  neg = 5 - -3
}

resource "a" "" {
}
module_like "x" "y" "z" { a = 1 }
