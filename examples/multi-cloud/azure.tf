# Azure part of the multi-cloud example: a resource group, a virtual network
# with one subnet, a static public IP, a network interface and one Linux VM.
#
# Real Azure: set azure_subscription_id, azure_tenant_id, azure_client_id and
# azure_client_secret (or leave them null and use ARM_* variables / `az login`),
# leave azure_endpoint and azure_authority_host null.
# Tests: the ARM fake (tests/fakes/azure) serves both URLs on loopback.

variable "azure_endpoint" {
  type        = string
  default     = null
  description = "Resource Manager URL; null = https://management.azure.com"
}

variable "azure_authority_host" {
  type        = string
  default     = null
  description = "Entra ID authority; null = https://login.microsoftonline.com"
}

variable "azure_subscription_id" {
  type    = string
  default = null
}

variable "azure_tenant_id" {
  type    = string
  default = null
}

variable "azure_client_id" {
  type    = string
  default = null
}

variable "azure_client_secret" {
  type      = string
  default   = null
  sensitive = true
}

variable "azure_location" {
  type    = string
  default = "westeurope"
}

variable "azure_ssh_public_key" {
  type    = string
  default = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcontinexamplekeyonlyreplaceme azure@example"
}

provider "azurerm" {
  features {}
  subscription_id = var.azure_subscription_id
  tenant_id       = var.azure_tenant_id
  client_id       = var.azure_client_id
  client_secret   = var.azure_client_secret
  endpoint        = var.azure_endpoint
  authority_host  = var.azure_authority_host
}

resource "azurerm_resource_group" "azure_main" {
  name     = "contin-multicloud"
  location = var.azure_location
  tags = {
    project = "multi-cloud"
  }
}

resource "azurerm_virtual_network" "azure_main" {
  name                = "contin-vnet"
  resource_group_name = azurerm_resource_group.azure_main.name
  location            = azurerm_resource_group.azure_main.location
  address_space       = ["10.20.0.0/16"]
  tags = {
    project = "multi-cloud"
  }
}

resource "azurerm_subnet" "azure_main" {
  name                 = "contin-subnet"
  resource_group_name  = azurerm_resource_group.azure_main.name
  virtual_network_name = azurerm_virtual_network.azure_main.name
  address_prefixes     = ["10.20.1.0/24"]
}

resource "azurerm_network_security_group" "azure_ssh" {
  name                = "contin-ssh"
  resource_group_name = azurerm_resource_group.azure_main.name
  location            = azurerm_resource_group.azure_main.location

  security_rule {
    name                       = "ssh"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

resource "azurerm_public_ip" "azure_vm" {
  name                = "contin-vm-ip"
  resource_group_name = azurerm_resource_group.azure_main.name
  location            = azurerm_resource_group.azure_main.location
  allocation_method   = "Static"
  sku                 = "Standard"
  tags = {
    project = "multi-cloud"
  }
}

resource "azurerm_network_interface" "azure_vm" {
  name                = "contin-vm-nic"
  resource_group_name = azurerm_resource_group.azure_main.name
  location            = azurerm_resource_group.azure_main.location

  ip_configuration {
    name                          = "internal"
    subnet_id                     = azurerm_subnet.azure_main.id
    private_ip_address_allocation = "Dynamic"
    public_ip_address_id          = azurerm_public_ip.azure_vm.id
  }
}

resource "azurerm_linux_virtual_machine" "azure_vm" {
  name                  = "contin-vm"
  resource_group_name   = azurerm_resource_group.azure_main.name
  location              = azurerm_resource_group.azure_main.location
  size                  = "Standard_B1s"
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.azure_vm.id]

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.azure_ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }

  source_image_reference {
    publisher = "Canonical"
    offer     = "ubuntu-24_04-lts"
    sku       = "server"
    version   = "latest"
  }

  tags = {
    project = "multi-cloud"
    role    = "web"
  }
}

output "azure_vm_id" {
  value = azurerm_linux_virtual_machine.azure_vm.id
}

output "azure_vm_public_ip" {
  value = azurerm_linux_virtual_machine.azure_vm.public_ip_address
}

output "azure_vm_private_ip" {
  value = azurerm_linux_virtual_machine.azure_vm.private_ip_address
}
