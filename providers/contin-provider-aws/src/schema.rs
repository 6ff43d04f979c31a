//! Schemas of the `aws` provider: names and attributes follow Terraform's
//! AWS provider so configurations port.

use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, ProviderSchema};

pub const VPC: &str = "aws_vpc";
pub const SUBNET: &str = "aws_subnet";
pub const INTERNET_GATEWAY: &str = "aws_internet_gateway";
pub const ROUTE_TABLE: &str = "aws_route_table";
pub const ROUTE_TABLE_ASSOCIATION: &str = "aws_route_table_association";
pub const SECURITY_GROUP: &str = "aws_security_group";
pub const KEY_PAIR: &str = "aws_key_pair";
pub const INSTANCE: &str = "aws_instance";
pub const AMI: &str = "aws_ami";
pub const AVAILABILITY_ZONES: &str = "aws_availability_zones";

fn s() -> T {
    T::String
}
fn list_s() -> T {
    T::List(Box::new(T::String))
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}
fn tags() -> A {
    A::optional(T::Map(Box::new(T::String))).describe("tags of the object; provider default tags are added, resource tags win")
}

fn nested(nesting: Nesting, block: BlockSchema, max_items: Option<usize>) -> NestedBlockSchema {
    NestedBlockSchema { nesting, block, min_items: 0, max_items, force_new: false }
}

pub fn provider_config() -> BlockSchema {
    BlockSchema::default()
        .attr("region", A::optional(s()).describe("AWS region; else AWS_REGION / the profile's region"))
        .attr("profile", A::optional(s()).describe("shared config/credentials profile"))
        .attr("endpoint", A::optional(s()).describe("EC2 endpoint URL override (emulators such as moto)"))
        .attr("assume_role_arn", A::optional(s()).describe("role assumed through STS for every call"))
        .attr("tags", A::optional(T::Map(Box::new(T::String))).describe("default tags merged into every taggable resource"))
        .block(
            "default_tags",
            nested(Nesting::Single, BlockSchema::default().attr("tags", A::optional(T::Map(Box::new(T::String)))), Some(1)),
        )
}

pub fn vpc() -> BlockSchema {
    BlockSchema::default()
        .attr("cidr_block", A::required(s()).force_new())
        .attr("enable_dns_hostnames", A::optional_computed(T::Bool))
        .attr("enable_dns_support", A::optional_computed(T::Bool))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("default_security_group_id", A::computed(s()))
        .attr("main_route_table_id", A::computed(s()))
}

pub fn subnet() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("cidr_block", A::required(s()).force_new())
        .attr("availability_zone", A::optional_computed(s()).force_new())
        .attr("map_public_ip_on_launch", A::optional_computed(T::Bool))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("availability_zone_id", A::computed(s()))
}

pub fn internet_gateway() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::optional(s()).describe("attached VPC; changed in place (detach, attach)"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
}

pub fn route_table() -> BlockSchema {
    let route = BlockSchema::default()
        .attr("cidr_block", A::required(s()))
        .attr("gateway_id", A::optional(s()));
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .block("route", nested(Nesting::Set, route, None))
}

pub fn route_table_association() -> BlockSchema {
    BlockSchema::default()
        .attr("subnet_id", A::required(s()).force_new())
        .attr("route_table_id", A::required(s()).force_new())
        .attr("id", A::computed(s()))
}

fn sg_rule() -> BlockSchema {
    BlockSchema::default()
        .attr("from_port", A::required(T::Number))
        .attr("to_port", A::required(T::Number))
        .attr("protocol", A::required(s()).describe("tcp, udp, icmp or -1 (all)"))
        .attr("cidr_blocks", A::optional(list_s()))
        .attr("description", A::optional(s()))
}

pub fn security_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("description", A::optional_computed(s()).force_new())
        .attr("vpc_id", A::optional_computed(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .block("ingress", nested(Nesting::Set, sg_rule(), None))
        .block("egress", nested(Nesting::Set, sg_rule(), None))
}

pub fn key_pair() -> BlockSchema {
    BlockSchema::default()
        .attr("key_name", A::optional_computed(s()).force_new())
        .attr("public_key", A::required(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("key_pair_id", A::computed(s()))
        .attr("fingerprint", A::computed(s()))
}

pub fn instance() -> BlockSchema {
    let root = BlockSchema::default()
        .attr("volume_size", A::optional_computed(T::Number).force_new())
        .attr("volume_type", A::optional_computed(s()).force_new())
        .attr("volume_id", A::computed(s()));
    BlockSchema::default()
        .attr("ami", A::required(s()).force_new())
        .attr("instance_type", A::required(s()).describe("changed in place: stop, modify, start"))
        .attr("subnet_id", A::optional_computed(s()).force_new())
        .attr("vpc_security_group_ids", A::optional_computed(set_s()))
        .attr("key_name", A::optional_computed(s()).force_new())
        .attr("user_data", A::optional(s()).force_new())
        .attr("availability_zone", A::optional_computed(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("private_ip", A::computed(s()))
        .attr("public_ip", A::computed(s()))
        .attr("instance_state", A::computed(s()))
        .block("root_block_device", nested(Nesting::List, root, Some(1)))
}

pub fn ami() -> BlockSchema {
    let filter = BlockSchema::default().attr("name", A::required(s())).attr("values", A::required(list_s()));
    BlockSchema::default()
        .attr("owners", A::optional(list_s()))
        .attr("most_recent", A::optional(T::Bool))
        .attr("id", A::computed(s()))
        .attr("image_id", A::computed(s()))
        .attr("name", A::computed(s()))
        .attr("description", A::computed(s()))
        .attr("architecture", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("creation_date", A::computed(s()))
        .attr("root_device_name", A::computed(s()))
        .attr("state", A::computed(s()))
        .block("filter", nested(Nesting::List, filter, None))
}

pub fn availability_zones() -> BlockSchema {
    BlockSchema::default()
        .attr("state", A::optional(s()).describe("available, information, impaired or unavailable"))
        .attr("id", A::computed(s()))
        .attr("names", A::computed(list_s()))
        .attr("zone_ids", A::computed(list_s()))
}

pub fn provider_schema() -> ProviderSchema {
    let mut p = ProviderSchema { config: provider_config(), ..Default::default() };
    p.resources.insert(VPC.into(), vpc());
    p.resources.insert(SUBNET.into(), subnet());
    p.resources.insert(INTERNET_GATEWAY.into(), internet_gateway());
    p.resources.insert(ROUTE_TABLE.into(), route_table());
    p.resources.insert(ROUTE_TABLE_ASSOCIATION.into(), route_table_association());
    p.resources.insert(SECURITY_GROUP.into(), security_group());
    p.resources.insert(KEY_PAIR.into(), key_pair());
    p.resources.insert(INSTANCE.into(), instance());
    p.data_sources.insert(AMI.into(), ami());
    p.data_sources.insert(AVAILABILITY_ZONES.into(), availability_zones());
    p
}

/// The schema of one resource type (built once per process).
pub fn resource(ty: &str) -> Option<&'static BlockSchema> {
    static SCHEMA: std::sync::LazyLock<ProviderSchema> = std::sync::LazyLock::new(provider_schema);
    SCHEMA.resources.get(ty)
}
