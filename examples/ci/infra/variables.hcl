variable "state_bucket" {
  type        = string
  description = "S3 bucket holding the state (CONTIN_VAR_state_bucket in CI)."
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

variable "s3_endpoint" {
  type        = string
  default     = null
  description = "An S3-compatible endpoint (MinIO, a test server); null for AWS itself."
}

variable "deployer" {
  type    = string
  default = "ci"
}

variable "replicas" {
  type    = number
  default = 2
}

variable "api_token" {
  type      = string
  sensitive = true
  default   = "not-a-real-token"
}
