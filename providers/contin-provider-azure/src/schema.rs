//! Schemas of the `azurerm` provider: type and attribute names follow
//! Terraform's azurerm provider so configurations port.

use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema};

pub const RESOURCE_GROUP: &str = "azurerm_resource_group";
pub const VIRTUAL_NETWORK: &str = "azurerm_virtual_network";
pub const SUBNET: &str = "azurerm_subnet";
pub const NETWORK_SECURITY_GROUP: &str = "azurerm_network_security_group";
pub const PUBLIC_IP: &str = "azurerm_public_ip";
pub const NETWORK_INTERFACE: &str = "azurerm_network_interface";
pub const LINUX_VM: &str = "azurerm_linux_virtual_machine";

pub const TYPES: [&str; 7] = [RESOURCE_GROUP, VIRTUAL_NETWORK, SUBNET, NETWORK_SECURITY_GROUP, PUBLIC_IP, NETWORK_INTERFACE, LINUX_VM];

fn s() -> T {
    T::String
}
fn list_s() -> T {
    T::List(Box::new(T::String))
}
fn tags() -> A {
    A::optional(T::Map(Box::new(T::String))).describe("Azure tags; keys starting with contin- are reserved")
}
fn nested(nesting: Nesting, block: BlockSchema, min_items: usize, max_items: Option<usize>, force_new: bool) -> NestedBlockSchema {
    NestedBlockSchema { nesting, block, min_items, max_items, force_new }
}
/// name + resource_group_name + location, all forcing replacement.
fn located() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).force_new())
        .attr("resource_group_name", A::required(s()).force_new())
        .attr("location", A::required(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
}

pub fn provider_config() -> BlockSchema {
    let rg = BlockSchema::default().attr("prevent_deletion_if_contains_resources", A::optional(T::Bool));
    let vm = BlockSchema::default()
        .attr("delete_os_disk_on_deletion", A::optional(T::Bool))
        .attr("graceful_shutdown", A::optional(T::Bool))
        .attr("skip_shutdown_and_force_delete", A::optional(T::Bool));
    let features = BlockSchema::default()
        .block("resource_group", nested(Nesting::Single, rg, 0, Some(1), false))
        .block("virtual_machine", nested(Nesting::Single, vm, 0, Some(1), false));
    BlockSchema::default()
        .attr("subscription_id", A::optional(s()).describe("subscription; else ARM_SUBSCRIPTION_ID"))
        .attr("tenant_id", A::optional(s()).describe("Entra ID tenant; else ARM_TENANT_ID"))
        .attr("client_id", A::optional(s()).describe("service principal application id; else ARM_CLIENT_ID"))
        .attr("client_secret", A::optional(s()).sensitive().describe("service principal secret; else ARM_CLIENT_SECRET"))
        .attr("endpoint", A::optional(s()).describe("Resource Manager URL (default https://management.azure.com); else ARM_ENDPOINT"))
        .attr("authority_host", A::optional(s()).describe("Entra ID token authority (default https://login.microsoftonline.com); else ARM_AUTHORITY_HOST"))
        .attr("use_cli", A::optional(T::Bool).describe("allow the Azure CLI credential when no service principal is set (default true)"))
        .block("features", nested(Nesting::Single, features, 0, Some(1), false))
}

pub fn resource_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).force_new())
        .attr("location", A::required(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
}

pub fn virtual_network() -> BlockSchema {
    located()
        .attr("address_space", A::required(list_s()))
        .attr("dns_servers", A::optional(list_s()))
        .attr("guid", A::computed(s()))
}

pub fn subnet() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).force_new())
        .attr("resource_group_name", A::required(s()).force_new())
        .attr("virtual_network_name", A::required(s()).force_new())
        .attr("address_prefixes", A::required(list_s()))
        .attr("id", A::computed(s()))
}

pub fn network_security_group() -> BlockSchema {
    let rule = BlockSchema::default()
        .attr("name", A::required(s()))
        .attr("priority", A::required(T::Number))
        .attr("direction", A::required(s()))
        .attr("access", A::required(s()))
        .attr("protocol", A::required(s()))
        .attr("description", A::optional(s()))
        .attr("source_port_range", A::optional(s()))
        .attr("destination_port_range", A::optional(s()))
        .attr("source_address_prefix", A::optional(s()))
        .attr("destination_address_prefix", A::optional(s()));
    located().block("security_rule", nested(Nesting::Set, rule, 0, Some(1000), false))
}

pub fn public_ip() -> BlockSchema {
    located()
        .attr("allocation_method", A::required(s()).describe("Static or Dynamic"))
        .attr("sku", A::optional_computed(s()).force_new().describe("Basic or Standard (default Standard)"))
        .attr("domain_name_label", A::optional(s()))
        .attr("ip_address", A::computed(s()))
        .attr("fqdn", A::computed(s()))
}

pub fn network_interface() -> BlockSchema {
    let ipc = BlockSchema::default()
        .attr("name", A::required(s()))
        .attr("subnet_id", A::optional(s()))
        .attr("private_ip_address_allocation", A::required(s()).describe("Dynamic or Static"))
        .attr("private_ip_address", A::optional(s()).describe("the address when the allocation is Static"))
        .attr("public_ip_address_id", A::optional(s()))
        .attr("primary", A::optional(T::Bool));
    located()
        .attr("private_ip_address", A::computed(s()))
        .attr("mac_address", A::computed(s()))
        .block("ip_configuration", nested(Nesting::List, ipc, 1, Some(64), false))
}

pub fn linux_virtual_machine() -> BlockSchema {
    let key = BlockSchema::default().attr("username", A::required(s())).attr("public_key", A::required(s()));
    let os_disk = BlockSchema::default()
        .attr("caching", A::required(s()))
        .attr("storage_account_type", A::required(s()))
        .attr("disk_size_gb", A::optional(T::Number))
        .attr("name", A::optional(s()));
    let image = BlockSchema::default()
        .attr("publisher", A::required(s()))
        .attr("offer", A::required(s()))
        .attr("sku", A::required(s()))
        .attr("version", A::required(s()));
    located()
        .attr("size", A::required(s()))
        .attr("admin_username", A::required(s()).force_new())
        .attr("disable_password_authentication", A::optional(T::Bool).force_new())
        .attr("network_interface_ids", A::required(list_s()))
        .attr("computer_name", A::optional(s()).force_new())
        .attr("private_ip_address", A::computed(s()))
        .attr("public_ip_address", A::computed(s()))
        .attr("virtual_machine_id", A::computed(s()))
        .block("admin_ssh_key", nested(Nesting::Set, key, 1, Some(16), true))
        .block("os_disk", nested(Nesting::Single, os_disk, 1, Some(1), true))
        .block("source_image_reference", nested(Nesting::Single, image, 1, Some(1), true))
}

pub fn resource(ty: &str) -> Option<BlockSchema> {
    Some(match ty {
        RESOURCE_GROUP => resource_group(),
        VIRTUAL_NETWORK => virtual_network(),
        SUBNET => subnet(),
        NETWORK_SECURITY_GROUP => network_security_group(),
        PUBLIC_IP => public_ip(),
        NETWORK_INTERFACE => network_interface(),
        LINUX_VM => linux_virtual_machine(),
        _ => return None,
    })
}

pub fn provider_schema() -> ProviderSchema {
    let mut p = ProviderSchema { config: provider_config(), ..Default::default() };
    for ty in TYPES {
        if let Some(b) = resource(ty) {
            p.resources.insert(ty.to_string(), b);
        }
    }
    p
}
