terraform {
backend "s3" {
bucket = "b"
key = "k"
}
}
provider "aws" { region = "eu-west-1" }
data aws_ami ubuntu {}
resource "null_resource" "n" {
  triggers = {
    a = "1", b = "2"
  }
  depends_on = [
    aws_vpc.main,
      aws_subnet.a,
  ]
  nested {
    deeper {
        x = [
          1,
          2
        ]
      }
  }
}
