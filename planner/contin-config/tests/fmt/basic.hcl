# A header comment
resource aws_vpc "main" {
cidr_block="10.0.0.0/16"
    enable_dns_support   =   true # dns
  tags = {
  a=1
    bbb = [1,2, 3]
  }
}

resource "aws_subnet" "a" {
      vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet( aws_vpc.main.cidr_block , 8 , 1 )
  count = 2


  lifecycle {
     create_before_destroy=true
  }
}
