//! Schemas of the `google` provider: Terraform's google attribute names.

use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub const NETWORK: &str = "google_compute_network";
pub const SUBNETWORK: &str = "google_compute_subnetwork";
pub const FIREWALL: &str = "google_compute_firewall";
pub const ADDRESS: &str = "google_compute_address";
pub const INSTANCE: &str = "google_compute_instance";

fn s() -> T {
    T::String
}
fn strs() -> T {
    T::Set(Box::new(T::String))
}
fn smap() -> T {
    T::Map(Box::new(T::String))
}

fn list(block: BlockSchema, min: usize, max: Option<usize>, force_new: bool) -> NestedBlockSchema {
    NestedBlockSchema { nesting: Nesting::List, block, min_items: min, max_items: max, force_new }
}

/// `name`, `project`, `id`, `self_link`: every resource has them.
fn common() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).force_new().describe("name of the object (lowercase letters, digits, dashes; at most 63)"))
        .attr("project", A::optional_computed(s()).force_new().describe("project id; defaults to the provider's"))
        .attr("id", A::computed(s()).describe("relative resource name: projects/P/…/NAME"))
        .attr("self_link", A::computed(s()))
}

fn network() -> BlockSchema {
    common()
        .attr("description", A::optional(s()).force_new())
        .attr("auto_create_subnetworks", A::optional_computed(T::Bool).force_new().describe("default true"))
        .attr("routing_mode", A::optional_computed(s()).describe("REGIONAL (default) or GLOBAL; updated in place"))
        .attr("mtu", A::optional_computed(T::Number).force_new())
}

fn subnetwork() -> BlockSchema {
    common()
        .attr("ip_cidr_range", A::required(s()).force_new())
        .attr("network", A::required(s()).force_new().describe("network name or self_link"))
        .attr("region", A::optional_computed(s()).force_new())
        .attr("description", A::optional(s()).force_new())
        .attr("private_ip_google_access", A::optional_computed(T::Bool).force_new())
        .attr("gateway_address", A::computed(s()))
}

fn rule() -> BlockSchema {
    BlockSchema::default()
        .attr("protocol", A::required(s()).describe("tcp, udp, icmp, esp, ah, sctp, ipip, all or an IP protocol number"))
        .attr("ports", A::optional(T::List(Box::new(T::String))))
}

fn firewall() -> BlockSchema {
    common()
        .attr("network", A::required(s()).force_new())
        .attr("description", A::optional(s()))
        .attr("direction", A::optional_computed(s()).force_new().describe("INGRESS (default) or EGRESS"))
        .attr("priority", A::optional_computed(T::Number).describe("0..65535, default 1000"))
        .attr("disabled", A::optional_computed(T::Bool))
        .attr("source_ranges", A::optional(strs()))
        .attr("destination_ranges", A::optional(strs()))
        .attr("source_tags", A::optional(strs()))
        .attr("target_tags", A::optional(strs()))
        .block("allow", NestedBlockSchema { nesting: Nesting::Set, block: rule(), min_items: 0, max_items: None, force_new: false })
        .block("deny", NestedBlockSchema { nesting: Nesting::Set, block: rule(), min_items: 0, max_items: None, force_new: false })
}

fn address() -> BlockSchema {
    common()
        .attr("region", A::optional_computed(s()).force_new())
        .attr("address", A::optional_computed(s()).force_new().describe("the reserved IP; chosen by Google when unset"))
        .attr("address_type", A::optional_computed(s()).force_new().describe("EXTERNAL (default) or INTERNAL"))
        .attr("network_tier", A::optional_computed(s()).force_new())
        .attr("subnetwork", A::optional(s()).force_new())
        .attr("description", A::optional(s()).force_new())
        .attr("labels", A::optional(smap()).describe("user labels; contin-* keys are reserved"))
}

fn instance() -> BlockSchema {
    let init = BlockSchema::default()
        .attr("image", A::optional_computed(s()))
        .attr("size", A::optional_computed(T::Number))
        .attr("type", A::optional(s()));
    let boot = BlockSchema::default()
        .attr("auto_delete", A::optional_computed(T::Bool))
        .attr("device_name", A::optional_computed(s()))
        .block("initialize_params", list(init, 0, Some(1), false));
    let access = BlockSchema::default().attr("nat_ip", A::optional_computed(s())).attr("network_tier", A::optional_computed(s()));
    let nic = BlockSchema::default()
        .attr("network", A::optional_computed(s()))
        .attr("subnetwork", A::optional_computed(s()))
        .attr("network_ip", A::optional_computed(s()))
        .attr("name", A::computed(s()))
        .block("access_config", list(access, 0, None, false));
    common()
        .attr("machine_type", A::required(s()).force_new())
        .attr("zone", A::optional_computed(s()).force_new())
        .attr("description", A::optional(s()).force_new())
        .attr("metadata", A::optional(smap()).describe("instance metadata, e.g. ssh-keys; updated in place"))
        .attr("labels", A::optional(smap()).describe("user labels; contin-* keys are reserved"))
        .attr("tags", A::optional(strs()).describe("network tags; updated in place"))
        .attr("instance_id", A::computed(s()).describe("the server-assigned numeric id"))
        .attr("current_status", A::computed(s()))
        .block("boot_disk", list(boot, 1, Some(1), true))
        .block("network_interface", list(nic, 1, None, true))
}

fn config() -> BlockSchema {
    BlockSchema::default()
        .attr("project", A::optional(s()))
        .attr("region", A::optional(s()))
        .attr("zone", A::optional(s()))
        .attr("credentials", A::optional(s()).sensitive().describe("service-account key JSON, or a path to it; else ADC"))
        .attr("endpoint", A::optional(s()).describe("Compute API root URL (tests, private endpoints)"))
        .attr("operation_timeout", A::optional(T::Number).describe("seconds to wait for an operation (default 600)"))
}

fn all() -> &'static ProviderSchema {
    static S: OnceLock<ProviderSchema> = OnceLock::new();
    S.get_or_init(|| {
        let mut resources = BTreeMap::new();
        resources.insert(NETWORK.to_string(), network());
        resources.insert(SUBNETWORK.to_string(), subnetwork());
        resources.insert(FIREWALL.to_string(), firewall());
        resources.insert(ADDRESS.to_string(), address());
        resources.insert(INSTANCE.to_string(), instance());
        ProviderSchema { config: config(), resources, data_sources: BTreeMap::new() }
    })
}

pub fn provider_schema() -> ProviderSchema {
    all().clone()
}

pub fn resource(ty: &str) -> Option<&'static BlockSchema> {
    all().resources.get(ty)
}
