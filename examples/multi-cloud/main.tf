# One spec across the continuum: a network and an instance on each of AWS
# (this file), Azure (azure.tf) and Google Cloud (gcp.tf), plus an edge site
# whose workload is wired to the three clouds through their outputs. See
# README.md for running it against emulators (moto + the repository's Azure
# and GCP fakes) or against real clouds.

variable "aws_endpoint" {
  description = "EC2 endpoint override (e.g. http://127.0.0.1:5000 for moto); null = real AWS"
  type        = string
  default     = null
}

variable "aws_region" {
  type    = string
  default = "us-east-1"
}

provider "aws" {
  region   = var.aws_region
  endpoint = var.aws_endpoint
  tags = {
    project = "contin-multi-cloud"
  }
}

data "aws_ami" "aws_linux" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["amzn-ami-hvm-*-x86_64-gp2"]
  }
}

resource "aws_vpc" "aws_main" {
  cidr_block = "10.10.0.0/16"
  tags = {
    Name = "contin-multi-cloud"
  }
}

resource "aws_subnet" "aws_main" {
  vpc_id     = aws_vpc.aws_main.id
  cidr_block = cidrsubnet(aws_vpc.aws_main.cidr_block, 8, 1)
}

resource "aws_security_group" "aws_ssh" {
  name        = "contin-multi-cloud-ssh"
  description = "SSH in, everything out"
  vpc_id      = aws_vpc.aws_main.id

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "aws_vm" {
  ami                    = data.aws_ami.aws_linux.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.aws_main.id
  vpc_security_group_ids = [aws_security_group.aws_ssh.id]
  tags = {
    Name = "contin-multi-cloud"
    role = "web"
  }
}

# The edge: one plant whose agent runs a process that talks to the three
# clouds' instances (their addresses come from the cloud resources' outputs).
edge_site "plant" {
  kind       = "site"
  latency_ms = 4
}

workload "uplink" {
  command = ["/bin/sh", "-c", "while true; do echo \"aws=$AWS_VM azure=$AZURE_VM gcp=$GCP_VM\"; sleep 30; done"]
  env = {
    AWS_VM   = aws_instance.aws_vm.private_ip
    AZURE_VM = azurerm_linux_virtual_machine.azure_vm.private_ip_address
    GCP_VM   = google_compute_instance.gcp_vm.network_interface[0].network_ip
  }
  placement {
    sites = [edge_site.plant]
  }
}

output "aws_instance_id" {
  value = aws_instance.aws_vm.id
}

output "cloud_private_ips" {
  description = "The instance on each cloud, as the edge workload sees them."
  value = {
    aws   = aws_instance.aws_vm.private_ip
    azure = azurerm_linux_virtual_machine.azure_vm.private_ip_address
    gcp   = google_compute_instance.gcp_vm.network_interface[0].network_ip
  }
}
