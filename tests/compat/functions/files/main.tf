# Declares the built-in provider so the console offers provider::terraform::* functions.
terraform {
  required_providers {
    terraform = {
      source = "terraform.io/builtin/terraform"
    }
  }
}
