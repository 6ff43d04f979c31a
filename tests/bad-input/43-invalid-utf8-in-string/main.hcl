locals {
  a = "ok"
  b = "bad Ã( byte"
}
