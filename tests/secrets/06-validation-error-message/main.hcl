variable "secret" {
  type      = string
  sensitive = true
}

variable "checked" {
  type      = string
  sensitive = true
  validation {
    condition     = length(var.checked) < 3
    error_message = "bad value: ${var.checked}"
  }
}

output "o" {
  value     = var.checked
  sensitive = true
}
