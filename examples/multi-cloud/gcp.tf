# Google Cloud part of the multi-cloud example: a VPC network, a subnetwork,
# an SSH/HTTP firewall, a reserved external address and one VM using it.
#
# Against the Compute Engine fake (tests/fakes/gcp) the tests set
# gcp_endpoint and gcp_credentials (a service-account key the fake issued).
# Against real Google Cloud: leave gcp_endpoint null, set gcp_project, and
# give gcp_credentials a service-account key JSON (text or path) or leave it
# null to use Application Default Credentials (`gcloud auth
# application-default login`).

variable "gcp_endpoint" {
  description = "Compute API root URL; null = https://compute.googleapis.com"
  type        = string
  default     = null
}

variable "gcp_credentials" {
  description = "Service-account key JSON (text or path); null = Application Default Credentials"
  type        = string
  default     = null
  sensitive   = true
}

variable "gcp_project" {
  type    = string
  default = "contin-multi-cloud"
}

variable "gcp_region" {
  type    = string
  default = "us-central1"
}

variable "gcp_ssh_public_key" {
  description = "OpenSSH public key for the VM's admin user"
  type        = string
  default     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcpMultiCloudExampleKeyOnlyForTests admin@contin"
}

provider "google" {
  project     = var.gcp_project
  region      = var.gcp_region
  zone        = "${var.gcp_region}-a"
  credentials = var.gcp_credentials
  endpoint    = var.gcp_endpoint
}

resource "google_compute_network" "gcp_net" {
  name                    = "gcp-net"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "gcp_subnet" {
  name          = "gcp-subnet"
  ip_cidr_range = "10.30.1.0/24"
  region        = var.gcp_region
  network       = google_compute_network.gcp_net.id
}

resource "google_compute_firewall" "gcp_ssh_http" {
  name    = "gcp-ssh-http"
  network = google_compute_network.gcp_net.name

  allow {
    protocol = "tcp"
    ports    = ["22", "80"]
  }

  source_ranges = ["0.0.0.0/0"]
  target_tags   = ["gcp-web"]
}

resource "google_compute_address" "gcp_ip" {
  name   = "gcp-ip"
  region = var.gcp_region
  labels = {
    app = "multi-cloud"
  }
}

resource "google_compute_instance" "gcp_vm" {
  name         = "gcp-vm"
  machine_type = "e2-micro"
  zone         = "${var.gcp_region}-a"
  tags         = ["gcp-web"]

  boot_disk {
    initialize_params {
      image = "debian-cloud/debian-12"
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.gcp_subnet.self_link
    access_config {
      nat_ip = google_compute_address.gcp_ip.address
    }
  }

  metadata = {
    ssh-keys = "admin:${var.gcp_ssh_public_key}"
  }

  labels = {
    app  = "multi-cloud"
    role = "web"
  }

  depends_on = [google_compute_firewall.gcp_ssh_http]
}

output "gcp_instance_id" {
  value = google_compute_instance.gcp_vm.instance_id
}

output "gcp_nat_ip" {
  value = google_compute_instance.gcp_vm.network_interface[0].access_config[0].nat_ip
}
