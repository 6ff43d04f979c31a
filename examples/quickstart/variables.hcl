# Inputs, all with defaults so `contin apply` works as is.
# Override with --var project=demo, --var-file my.tfvars or CONTIN_VAR_project=demo.

variable "project" {
  type        = string
  default     = "quickstart"
  description = "Name used in file contents and fake server names"
}

variable "environments" {
  type    = list(string)
  default = ["dev", "staging"]
}

variable "replicas" {
  type    = number
  default = 2
}

variable "api_token" {
  type      = string
  default   = "not-a-real-token"
  sensitive = true
}
