// slash comment
variable "env" {
  type = "string" # legacy type
  default = "prod"   // trailing
  description="env"
  /* block comment */
}

variable "lst" {
  type=list
}

variable "mp" {
    type = "map"
}

/*
  multi-line
   block comment
*/
output "x" {
  value = "${var.env}"
  sensitive=true
}
