# Declares the built-in provider so the console offers provider::terraform::* functions.
terraform {
  required_providers {
    terraform = {
      source = "terraform.io/builtin/terraform"
    }
  }
}

# The configurations the function pages' console examples run in (the `can`,
# `try`, `type`, `nonsensitive`, `format` and `issensitive` pages).

# can, try
locals {
  foo = {
    bar = "baz"
  }
}

# type
variable "list" {
  default = []
}

locals {
  default_list = [
    {
      foo = "bar"
      map = { bleep = "bloop" }
    },
    {
      beep = "boop"
    },
  ]
}

# nonsensitive (the page's variable, with a value for the console)
variable "mixed_content_json" {
  description = "A JSON string containing a mixture of sensitive and non-sensitive values."
  type        = string
  sensitive   = true
  default     = "{\n  \"username\": \"zqb\",\n  \"password\": \"p4ssw0rd\"\n}\n"
}

locals {
  mixed_content      = jsondecode(var.mixed_content_json)
  password_from_json = local.mixed_content["password"]
  username_from_json = nonsensitive(local.mixed_content["username"])
}

# format
variable "name" {
  default = "Valentina"
}

# issensitive
variable "my-var-with-sensitive-set-to-true" {
  default   = "secret"
  sensitive = true
}
