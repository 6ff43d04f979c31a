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
pub const S3_BUCKET: &str = "aws_s3_bucket";
pub const S3_BUCKET_VERSIONING: &str = "aws_s3_bucket_versioning";
pub const S3_BUCKET_PUBLIC_ACCESS_BLOCK: &str = "aws_s3_bucket_public_access_block";
pub const S3_OBJECT: &str = "aws_s3_object";
pub const EIP: &str = "aws_eip";
pub const SECURITY_GROUP_RULE: &str = "aws_security_group_rule";
pub const VPC_SG_INGRESS_RULE: &str = "aws_vpc_security_group_ingress_rule";
pub const VPC_SG_EGRESS_RULE: &str = "aws_vpc_security_group_egress_rule";
pub const NAT_GATEWAY: &str = "aws_nat_gateway";
pub const ROUTE: &str = "aws_route";
pub const LAUNCH_TEMPLATE: &str = "aws_launch_template";
pub const SUBNETS: &str = "aws_subnets";
pub const REGION: &str = "aws_region";
pub const CALLER_IDENTITY: &str = "aws_caller_identity";
pub const IAM_ROLE: &str = "aws_iam_role";
pub const IAM_INSTANCE_PROFILE: &str = "aws_iam_instance_profile";
pub const IAM_ROLE_POLICY_ATTACHMENT: &str = "aws_iam_role_policy_attachment";
pub const IAM_USER: &str = "aws_iam_user";
pub const LB: &str = "aws_lb";
pub const LB_TARGET_GROUP: &str = "aws_lb_target_group";
pub const LB_LISTENER: &str = "aws_lb_listener";
pub const LAUNCH_CONFIGURATION: &str = "aws_launch_configuration";
pub const AUTOSCALING_GROUP: &str = "aws_autoscaling_group";
pub const ELB: &str = "aws_elb";
pub const DB_INSTANCE: &str = "aws_db_instance";
pub const VPC_IPV4_CIDR_BLOCK_ASSOCIATION: &str = "aws_vpc_ipv4_cidr_block_association";
pub const DEFAULT_VPC: &str = "aws_default_vpc";
pub const DEFAULT_SECURITY_GROUP: &str = "aws_default_security_group";
pub const DEFAULT_ROUTE_TABLE: &str = "aws_default_route_table";
pub const DEFAULT_NETWORK_ACL: &str = "aws_default_network_acl";
pub const NETWORK_ACL: &str = "aws_network_acl";
pub const NETWORK_ACL_RULE: &str = "aws_network_acl_rule";
pub const VPC_DHCP_OPTIONS: &str = "aws_vpc_dhcp_options";
pub const VPC_DHCP_OPTIONS_ASSOCIATION: &str = "aws_vpc_dhcp_options_association";
pub const EGRESS_ONLY_INTERNET_GATEWAY: &str = "aws_egress_only_internet_gateway";
pub const CUSTOMER_GATEWAY: &str = "aws_customer_gateway";
pub const VPN_GATEWAY: &str = "aws_vpn_gateway";
pub const VPN_GATEWAY_ATTACHMENT: &str = "aws_vpn_gateway_attachment";
pub const VPN_GATEWAY_ROUTE_PROPAGATION: &str = "aws_vpn_gateway_route_propagation";
pub const FLOW_LOG: &str = "aws_flow_log";
pub const VPC_BLOCK_PUBLIC_ACCESS_OPTIONS: &str = "aws_vpc_block_public_access_options";
pub const VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION: &str = "aws_vpc_block_public_access_exclusion";

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
        .attr("cidr_block", A::optional_computed(s()).force_new().describe("IPv4 CIDR; or from ipv4_ipam_pool_id"))
        .attr("instance_tenancy", A::optional_computed(s()).force_new().describe("default or dedicated"))
        .attr("ipv4_ipam_pool_id", A::optional(s()).force_new())
        .attr("ipv4_netmask_length", A::optional(T::Number).force_new())
        .attr("assign_generated_ipv6_cidr_block", A::optional_computed(T::Bool).force_new().describe("an Amazon-provided /56 IPv6 block"))
        .attr("ipv6_cidr_block", A::optional_computed(s()).force_new())
        .attr("ipv6_ipam_pool_id", A::optional(s()).force_new())
        .attr("ipv6_netmask_length", A::optional(T::Number).force_new())
        .attr("ipv6_cidr_block_network_border_group", A::optional_computed(s()).force_new())
        .attr("enable_dns_hostnames", A::optional_computed(T::Bool))
        .attr("enable_dns_support", A::optional_computed(T::Bool))
        .attr("enable_network_address_usage_metrics", A::optional_computed(T::Bool))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("default_security_group_id", A::computed(s()))
        .attr("main_route_table_id", A::computed(s()))
        .attr("default_route_table_id", A::computed(s()))
        .attr("default_network_acl_id", A::computed(s()))
        .attr("dhcp_options_id", A::computed(s()))
        .attr("ipv6_association_id", A::computed(s()))
}

pub fn subnet() -> BlockSchema {
    BlockSchema::default()
        .attr("vpc_id", A::required(s()).force_new())
        .attr("cidr_block", A::optional(s()).force_new().describe("IPv4 CIDR (not for IPv6-only subnets)"))
        .attr("availability_zone", A::optional_computed(s()).force_new())
        .attr("availability_zone_id", A::optional_computed(s()).force_new())
        .attr("map_public_ip_on_launch", A::optional_computed(T::Bool))
        .attr("ipv6_cidr_block", A::optional_computed(s()).describe("a /64 of the VPC's IPv6 block; changed in place"))
        .attr("ipv6_native", A::optional_computed(T::Bool).force_new())
        .attr("assign_ipv6_address_on_creation", A::optional_computed(T::Bool))
        .attr("enable_dns64", A::optional_computed(T::Bool))
        .attr("enable_resource_name_dns_a_record_on_launch", A::optional_computed(T::Bool))
        .attr("enable_resource_name_dns_aaaa_record_on_launch", A::optional_computed(T::Bool))
        .attr("private_dns_hostname_type_on_launch", A::optional_computed(s()).describe("ip-name or resource-name"))
        .attr("customer_owned_ipv4_pool", A::optional(s()).describe("Outposts: customer-owned address pool"))
        .attr("map_customer_owned_ip_on_launch", A::optional(T::Bool).describe("Outposts"))
        .attr("outpost_arn", A::optional(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("ipv6_cidr_block_association_id", A::computed(s()))
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
        .attr("ipv6_cidr_blocks", A::optional(list_s()))
        .attr("prefix_list_ids", A::optional(list_s()))
        .attr("security_groups", A::optional(set_s()).describe("ids of other security groups"))
        .attr("self", A::optional(T::Bool).describe("the group itself as a source"))
        .attr("description", A::optional(s()))
}

pub fn security_group() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new().describe("a unique name starting with this prefix (when name is not set)"))
        .attr("revoke_rules_on_delete", A::optional(T::Bool).describe("revoke every rule of the group before deleting it (default false)"))
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
        .attr("key_name_prefix", A::optional(s()).force_new().describe("a unique key name starting with this prefix (when key_name is not set)"))
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
        .attr(
            "associate_public_ip_address",
            A::optional_computed(T::Bool).force_new().describe("a public IPv4 address on the primary network interface (default: the subnet's map_public_ip_on_launch)"),
        )
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("private_ip", A::computed(s()))
        .attr("public_ip", A::computed(s()))
        .attr("private_dns", A::computed(s()))
        .attr("public_dns", A::computed(s()))
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
        .attr("all_availability_zones", A::optional(T::Bool).describe("also Local Zones and Wavelength Zones, whatever their opt-in status"))
        .attr("exclude_names", A::optional(set_s()).describe("zone names left out of the result"))
        .attr("exclude_zone_ids", A::optional(set_s()).describe("zone ids left out of the result"))
        .attr("id", A::computed(s()))
        .attr("names", A::computed(list_s()))
        .attr("zone_ids", A::computed(list_s()))
        .attr("group_names", A::computed(set_s()))
        .block("filter", filter_block())
}

pub fn s3_bucket() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::optional_computed(s()).force_new().describe("bucket name; generated from bucket_prefix (or \"contin-\") when absent"))
        .attr("bucket_prefix", A::optional(s()).force_new().describe("prefix of a generated name (at most 37 characters)"))
        .attr("force_destroy", A::optional(T::Bool).describe("delete every object (and version) when destroying the bucket"))
        .attr("object_lock_enabled", A::optional_computed(T::Bool).force_new().describe("create the bucket with S3 Object Lock (default false)"))
        .attr("bucket_namespace", A::optional_computed(s()).force_new().describe("global (the default) or account-regional"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("bucket_domain_name", A::computed(s()))
        .attr("bucket_regional_domain_name", A::computed(s()))
        .attr("bucket_region", A::computed(s()))
        .attr("hosted_zone_id", A::computed(s()).describe("Route 53 hosted zone of the region's S3 website endpoint"))
        .attr("region", A::computed(s()))
}

pub fn s3_bucket_versioning() -> BlockSchema {
    let conf = BlockSchema::default()
        .attr("status", A::required(s()).describe("Enabled, Suspended or Disabled"))
        .attr("mfa_delete", A::optional_computed(s()).describe("Enabled or Disabled (changing it needs mfa)"));
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new())
        .attr("expected_bucket_owner", A::optional(s()).force_new())
        .attr("mfa", A::optional(s()).sensitive().describe("\"SERIAL TOKEN\" of the root account's MFA device, sent with the change"))
        .attr("id", A::computed(s()))
        .block("versioning_configuration", NestedBlockSchema { nesting: Nesting::List, block: conf, min_items: 1, max_items: Some(1), force_new: false })
}

pub fn s3_bucket_public_access_block() -> BlockSchema {
    let mut b = BlockSchema::default().attr("bucket", A::required(s()).force_new());
    for name in PUBLIC_ACCESS_FLAGS {
        b = b.attr(name, A::optional(T::Bool).describe("default false"));
    }
    b.attr("skip_destroy", A::optional(T::Bool).describe("leave the block in place when destroying"))
        .attr("id", A::computed(s()))
}

/// The four flags of `aws_s3_bucket_public_access_block`.
pub const PUBLIC_ACCESS_FLAGS: [&str; 4] = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

pub fn s3_object() -> BlockSchema {
    BlockSchema::default()
        .attr("bucket", A::required(s()).force_new())
        .attr("key", A::required(s()).force_new())
        .attr("content", A::optional(s()).describe("literal UTF-8 content; conflicts with source"))
        .attr("content_base64", A::optional(s()).describe("base64 of binary content"))
        .attr("source", A::optional(s()).describe("path of a local file uploaded as the content"))
        .attr("source_hash", A::optional(s()).describe("any hash of source: a change uploads again (state only)"))
        .attr("content_type", A::optional_computed(s()))
        .attr("cache_control", A::optional(s()))
        .attr("content_disposition", A::optional(s()))
        .attr("content_encoding", A::optional(s()))
        .attr("content_language", A::optional(s()))
        .attr("website_redirect", A::optional(s()))
        .attr("metadata", A::optional(T::Map(Box::new(s()))).describe("x-amz-meta-* headers (keys lower case)"))
        .attr("acl", A::optional(s()).describe("canned ACL: private, public-read, …"))
        .attr("storage_class", A::optional_computed(s()))
        .attr("server_side_encryption", A::optional_computed(s()))
        .attr("kms_key_id", A::optional_computed(s()))
        .attr("bucket_key_enabled", A::optional_computed(T::Bool))
        .attr("force_destroy", A::optional(T::Bool).describe("accepted; objects are deleted with their current version (state only)"))
        .attr("object_lock_legal_hold_status", A::optional(s()).describe("ON or OFF"))
        .attr("object_lock_mode", A::optional(s()).describe("GOVERNANCE or COMPLIANCE"))
        .attr("object_lock_retain_until_date", A::optional(s()).describe("RFC 3339"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("etag", A::optional_computed(s()).describe("set it (e.g. filemd5(source)) to upload again when the file changes"))
        .attr("version_id", A::computed(s()))
        .block("override_provider", nested(Nesting::List, BlockSchema::default().block("default_tags", nested(Nesting::List, BlockSchema::default().attr("tags", A::optional(T::Map(Box::new(s())))), Some(1))), Some(1)))
}

pub fn eip() -> BlockSchema {
    BlockSchema::default()
        .attr("domain", A::optional_computed(s()).force_new().describe("only \"vpc\""))
        .attr("vpc", A::optional_computed(T::Bool).force_new().describe("deprecated spelling of domain = \"vpc\" (only true)"))
        .attr("instance", A::optional(s()).describe("instance to associate; changed in place"))
        .attr("network_interface", A::optional(s()).describe("network interface to associate; changed in place"))
        .attr("associate_with_private_ip", A::optional(s()).describe("private address of the interface to associate with"))
        .attr("address", A::optional(s()).force_new().describe("a specific address from a BYOIP pool"))
        .attr("public_ipv4_pool", A::optional_computed(s()).force_new())
        .attr("network_border_group", A::optional_computed(s()).force_new())
        .attr("customer_owned_ipv4_pool", A::optional(s()).force_new())
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("private_ip", A::computed(s()))
        .attr("private_dns", A::computed(s()))
        .attr("public_dns", A::computed(s()))
        .attr("customer_owned_ip", A::computed(s()))
        .attr("carrier_ip", A::computed(s()))
        .attr("allocation_id", A::computed(s()))
        .attr("association_id", A::computed(s()))
        .attr("public_ip", A::computed(s()))
}

pub fn security_group_rule() -> BlockSchema {
    BlockSchema::default()
        .attr("type", A::required(s()).force_new().describe("ingress or egress"))
        .attr("security_group_id", A::required(s()).force_new())
        .attr("from_port", A::required(T::Number).force_new())
        .attr("to_port", A::required(T::Number).force_new())
        .attr("protocol", A::required(s()).force_new())
        .attr("cidr_blocks", A::optional(list_s()).force_new())
        .attr("ipv6_cidr_blocks", A::optional(list_s()).force_new())
        .attr("prefix_list_ids", A::optional(list_s()).force_new())
        .attr("self", A::optional(T::Bool).force_new().describe("the rule's own group as the source (default false)"))
        .attr("source_security_group_id", A::optional(s()).force_new())
        .attr("description", A::optional(s()).describe("changed in place"))
        .attr("id", A::computed(s()))
        .attr("security_group_rule_id", A::computed(s()))
}

pub fn vpc_security_group_rule() -> BlockSchema {
    BlockSchema::default()
        .attr("security_group_id", A::required(s()).force_new())
        .attr("ip_protocol", A::required(s()))
        .attr("from_port", A::optional(T::Number))
        .attr("to_port", A::optional(T::Number))
        .attr("cidr_ipv4", A::optional(s()))
        .attr("referenced_security_group_id", A::optional(s()))
        .attr("description", A::optional(s()))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("security_group_rule_id", A::computed(s()))
        .attr("arn", A::computed(s()))
}

pub fn nat_gateway() -> BlockSchema {
    BlockSchema::default()
        .attr("allocation_id", A::optional(s()).force_new())
        .attr("subnet_id", A::required(s()).force_new())
        .attr("connectivity_type", A::optional_computed(s()).force_new().describe("public (default) or private"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("network_interface_id", A::computed(s()))
        .attr("private_ip", A::computed(s()))
        .attr("public_ip", A::computed(s()))
}

/// Route target attributes of `aws_route` (exactly one is set; changed in place).
pub const ROUTE_TARGETS: [&str; 11] = [
    "gateway_id",
    "nat_gateway_id",
    "instance_id",
    "network_interface_id",
    "vpc_peering_connection_id",
    "transit_gateway_id",
    "egress_only_gateway_id",
    "carrier_gateway_id",
    "local_gateway_id",
    "vpc_endpoint_id",
    "core_network_arn",
];

/// Route destinations of `aws_route` (exactly one is set).
pub const ROUTE_DESTINATIONS: [&str; 3] = ["destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"];

pub fn route() -> BlockSchema {
    let mut b = BlockSchema::default()
        .attr("route_table_id", A::required(s()).force_new())
        .attr("destination_cidr_block", A::optional(s()).force_new())
        .attr("destination_ipv6_cidr_block", A::optional(s()).force_new())
        .attr("destination_prefix_list_id", A::optional(s()).force_new());
    for t in ROUTE_TARGETS {
        b = b.attr(t, A::optional(s()));
    }
    b.attr("id", A::computed(s())).attr("origin", A::computed(s())).attr("state", A::computed(s()))
}

pub fn launch_template() -> BlockSchema {
    let tag_spec = BlockSchema::default()
        .attr("resource_type", A::required(s()).describe("instance, volume, network-interface, …"))
        .attr("tags", A::optional(T::Map(Box::new(T::String))));
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("description", A::optional(s()))
        .attr("image_id", A::optional(s()))
        .attr("instance_type", A::optional(s()))
        .attr("key_name", A::optional(s()))
        .attr("vpc_security_group_ids", A::optional(set_s()))
        .attr("user_data", A::optional(s()).describe("base64-encoded user data"))
        .attr("update_default_version", A::optional(T::Bool))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("latest_version", A::computed(T::Number))
        .attr("default_version", A::computed(T::Number))
        .block("tag_specifications", nested(Nesting::List, tag_spec, None))
}

pub fn iam_role() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new().describe("generated from name_prefix (or \"contin-\") when absent"))
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("path", A::optional_computed(s()).force_new().describe("default \"/\""))
        .attr("assume_role_policy", A::required(s()).describe("trust policy JSON; compared by meaning, not spelling"))
        .attr("description", A::optional(s()))
        .attr("max_session_duration", A::optional_computed(T::Number).describe("seconds, 3600 (default) to 43200"))
        .attr("force_detach_policies", A::optional(T::Bool).describe("detach managed and delete inline policies when destroying"))
        .attr("permissions_boundary", A::optional(s()).describe("ARN of the policy that bounds the role's permissions"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("unique_id", A::computed(s()))
        .attr("create_date", A::computed(s()))
}

pub fn iam_instance_profile() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("path", A::optional_computed(s()).force_new().describe("default \"/\""))
        .attr("role", A::optional(s()).describe("role name; changed in place"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("unique_id", A::computed(s()))
        .attr("create_date", A::computed(s()))
}

pub fn iam_role_policy_attachment() -> BlockSchema {
    BlockSchema::default()
        .attr("role", A::required(s()).force_new().describe("role name"))
        .attr("policy_arn", A::required(s()).force_new())
        .attr("id", A::computed(s()))
}

pub fn iam_user() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::required(s()).describe("renamed in place"))
        .attr("path", A::optional_computed(s()).describe("default \"/\"; changed in place"))
        .attr("force_destroy", A::optional(T::Bool).describe("delete access keys, login profile, policies and group memberships when destroying"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("unique_id", A::computed(s()))
}

pub fn lb() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new().describe("at most 32 characters; generated from name_prefix (or \"contin\") when absent"))
        .attr("name_prefix", A::optional(s()).force_new().describe("at most 6 characters"))
        .attr("internal", A::optional_computed(T::Bool).force_new())
        .attr("load_balancer_type", A::optional_computed(s()).force_new().describe("application (default), network or gateway"))
        .attr("security_groups", A::optional_computed(set_s()).describe("changed in place (SetSecurityGroups)"))
        .attr("subnets", A::optional_computed(set_s()).describe("changed in place (SetSubnets)"))
        .attr("enable_deletion_protection", A::optional(T::Bool).describe("default false"))
        .attr("idle_timeout", A::optional_computed(T::Number).describe("seconds, application load balancers only; default 60"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("arn_suffix", A::computed(s()))
        .attr("dns_name", A::computed(s()))
        .attr("zone_id", A::computed(s()))
        .attr("vpc_id", A::computed(s()))
}

pub fn lb_target_group() -> BlockSchema {
    let mut hc = BlockSchema::default();
    for (name, ty) in [
        ("enabled", T::Bool),
        ("path", s()),
        ("port", s()),
        ("protocol", s()),
        ("interval", T::Number),
        ("timeout", T::Number),
        ("healthy_threshold", T::Number),
        ("unhealthy_threshold", T::Number),
        ("matcher", s()),
    ] {
        hc = hc.attr(name, A::optional_computed(ty));
    }
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("port", A::optional(T::Number).force_new())
        .attr("protocol", A::optional(s()).force_new())
        .attr("vpc_id", A::optional(s()).force_new())
        .attr("target_type", A::optional_computed(s()).force_new().describe("instance (default), ip, lambda or alb"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("arn_suffix", A::computed(s()))
        .block("health_check", nested(Nesting::List, hc, Some(1)))
}

pub fn lb_listener() -> BlockSchema {
    let fixed = BlockSchema::default()
        .attr("content_type", A::required(s()))
        .attr("message_body", A::optional(s()))
        .attr("status_code", A::optional_computed(s()));
    let mut redirect = BlockSchema::default().attr("status_code", A::required(s()).describe("HTTP_301 or HTTP_302"));
    for name in ["protocol", "port", "host", "path", "query"] {
        redirect = redirect.attr(name, A::optional_computed(s()));
    }
    let action = BlockSchema::default()
        .attr("type", A::required(s()).describe("forward, fixed-response or redirect"))
        .attr("target_group_arn", A::optional(s()))
        .block("fixed_response", nested(Nesting::List, fixed, Some(1)))
        .block("redirect", nested(Nesting::List, redirect, Some(1)));
    BlockSchema::default()
        .attr("load_balancer_arn", A::required(s()).force_new())
        .attr("port", A::optional(T::Number))
        .attr("protocol", A::optional_computed(s()))
        .attr("ssl_policy", A::optional_computed(s()))
        .attr("certificate_arn", A::optional(s()))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .block("default_action", NestedBlockSchema { nesting: Nesting::List, block: action, min_items: 1, max_items: None, force_new: false })
}

pub fn launch_configuration() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("image_id", A::required(s()).force_new())
        .attr("instance_type", A::required(s()).force_new())
        .attr("key_name", A::optional(s()).force_new())
        .attr("security_groups", A::optional(set_s()).force_new())
        .attr("user_data", A::optional(s()).force_new().describe("plain text; base64-encoded for the API"))
        .attr("iam_instance_profile", A::optional(s()).force_new())
        .attr("associate_public_ip_address", A::optional_computed(T::Bool).force_new())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
}

pub fn autoscaling_group() -> BlockSchema {
    let template = BlockSchema::default()
        .attr("id", A::optional_computed(s()))
        .attr("name", A::optional_computed(s()))
        .attr("version", A::optional_computed(s()));
    let tag = BlockSchema::default()
        .attr("key", A::required(s()))
        .attr("value", A::required(s()))
        .attr("propagate_at_launch", A::required(T::Bool));
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("min_size", A::required(T::Number))
        .attr("max_size", A::required(T::Number))
        .attr("desired_capacity", A::optional_computed(T::Number))
        .attr("launch_configuration", A::optional(s()))
        .attr("vpc_zone_identifier", A::optional_computed(set_s()).describe("subnet ids"))
        .attr("availability_zones", A::optional_computed(set_s()))
        .attr("target_group_arns", A::optional(set_s()).describe("attached and detached in place"))
        .attr("health_check_type", A::optional_computed(s()).describe("EC2 (default) or ELB"))
        .attr("health_check_grace_period", A::optional(T::Number).describe("seconds, default 300"))
        .attr("force_delete", A::optional(T::Bool).describe("delete without waiting for the instances to terminate"))
        .attr("load_balancers", A::optional_computed(set_s()).describe("Classic ELB names; attached and detached in place"))
        .attr("termination_policies", A::optional(T::List(Box::new(s()))))
        .attr("default_cooldown", A::optional_computed(T::Number).describe("seconds"))
        .attr("protect_from_scale_in", A::optional(T::Bool).describe("default false"))
        .attr("placement_group", A::optional(s()))
        .attr("max_instance_lifetime", A::optional(T::Number).describe("seconds; 0 or 86400 to 31536000"))
        .attr("capacity_rebalance", A::optional(T::Bool))
        .attr("service_linked_role_arn", A::optional_computed(s()))
        .attr("enabled_metrics", A::optional(set_s()).describe("enabled and disabled in place (EnableMetricsCollection)"))
        .attr("metrics_granularity", A::optional(s()).describe("default \"1Minute\""))
        .attr("suspended_processes", A::optional(set_s()).describe("suspended and resumed in place"))
        .attr("default_instance_warmup", A::optional(T::Number).describe("seconds"))
        .attr("desired_capacity_type", A::optional(s()).describe("units, vcpu or memory-mib"))
        .attr("context", A::optional(s()))
        .attr("wait_for_capacity_timeout", A::optional(s()).describe("default \"10m\": create waits that long for min_size (or desired_capacity) healthy in-service instances; \"0\" skips the wait"))
        .attr("min_elb_capacity", A::optional(T::Number).describe("accepted; create waits for instances, not for ELB health"))
        .attr("wait_for_elb_capacity", A::optional(T::Number).describe("accepted; create waits for instances, not for ELB health"))
        .attr("ignore_failed_scaling_activities", A::optional(T::Bool))
        .attr("force_delete_warm_pool", A::optional(T::Bool))
        .attr("predicted_capacity", A::computed(T::Number))
        .attr("warm_pool_size", A::computed(T::Number))
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .block("launch_template", nested(Nesting::List, template, Some(1)))
        .block("tag", nested(Nesting::Set, tag, None))
}

pub fn elb() -> BlockSchema {
    let listener = BlockSchema::default()
        .attr("instance_port", A::required(T::Number))
        .attr("instance_protocol", A::required(s()))
        .attr("lb_port", A::required(T::Number))
        .attr("lb_protocol", A::required(s()).describe("HTTP, HTTPS, TCP or SSL"))
        .attr("ssl_certificate_id", A::optional(s()));
    let hc = BlockSchema::default()
        .attr("target", A::required(s()).describe("PROTOCOL:PORT[/PATH], e.g. HTTP:80/health"))
        .attr("interval", A::required(T::Number))
        .attr("timeout", A::required(T::Number))
        .attr("healthy_threshold", A::required(T::Number))
        .attr("unhealthy_threshold", A::required(T::Number));
    BlockSchema::default()
        .attr("name", A::optional_computed(s()).force_new())
        .attr("name_prefix", A::optional(s()).force_new())
        .attr("internal", A::optional_computed(T::Bool).force_new())
        .attr("subnets", A::optional_computed(set_s()).describe("attached and detached in place"))
        .attr("availability_zones", A::optional_computed(set_s()).describe("without subnets; enabled and disabled in place"))
        .attr("security_groups", A::optional_computed(set_s()))
        .attr("instances", A::optional_computed(set_s()).describe("registered and deregistered in place"))
        .attr("cross_zone_load_balancing", A::optional(T::Bool).describe("default true"))
        .attr("idle_timeout", A::optional(T::Number).describe("seconds, default 60"))
        .attr("tags", tags())
        .attr("id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("dns_name", A::computed(s()))
        .attr("zone_id", A::computed(s()))
        .block("listener", NestedBlockSchema { nesting: Nesting::Set, block: listener, min_items: 1, max_items: None, force_new: false })
        .block("health_check", nested(Nesting::List, hc, Some(1)))
}

pub fn db_instance() -> BlockSchema {
    BlockSchema::default()
        .attr("identifier", A::optional_computed(s()).force_new().describe("generated from identifier_prefix (or \"contin-\") when absent"))
        .attr("identifier_prefix", A::optional(s()).force_new())
        .attr("engine", A::required(s()).force_new().describe("mysql, postgres, mariadb, …"))
        .attr("engine_version", A::optional_computed(s()))
        .attr("instance_class", A::required(s()).describe("changed in place (ModifyDBInstance)"))
        .attr("allocated_storage", A::optional_computed(T::Number).describe("GiB"))
        .attr("storage_type", A::optional_computed(s()))
        .attr("storage_encrypted", A::optional_computed(T::Bool).force_new())
        .attr("db_name", A::optional_computed(s()).force_new())
        .attr("username", A::optional_computed(s()).force_new())
        .attr("password", A::optional(s()).sensitive().describe("never read back; changed in place"))
        .attr("port", A::optional_computed(T::Number))
        .attr("vpc_security_group_ids", A::optional_computed(set_s()))
        .attr("db_subnet_group_name", A::optional_computed(s()).force_new())
        .attr("publicly_accessible", A::optional(T::Bool).describe("default false"))
        .attr("multi_az", A::optional_computed(T::Bool))
        .attr("backup_retention_period", A::optional_computed(T::Number))
        .attr("deletion_protection", A::optional(T::Bool).describe("default false"))
        .attr("skip_final_snapshot", A::optional(T::Bool).describe("default false: destroy then needs final_snapshot_identifier"))
        .attr("final_snapshot_identifier", A::optional(s()))
        .attr("apply_immediately", A::optional(T::Bool).describe("apply modifications now instead of in the maintenance window"))
        .attr("tags", tags())
        .attr("id", A::computed(s()).describe("the DbiResourceId (db-…), as Terraform 5"))
        .attr("resource_id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("address", A::computed(s()))
        .attr("endpoint", A::computed(s()).describe("ADDRESS:PORT"))
        .attr("hosted_zone_id", A::computed(s()))
        .attr("status", A::computed(s()))
}

fn filter_block() -> NestedBlockSchema {
    let filter = BlockSchema::default().attr("name", A::required(s())).attr("values", A::required(list_s()));
    nested(Nesting::List, filter, None)
}

pub fn data_vpc() -> BlockSchema {
    BlockSchema::default()
        .attr("id", A::optional_computed(s()))
        .attr("default", A::optional_computed(T::Bool))
        .attr("cidr_block", A::optional_computed(s()))
        .attr("state", A::optional_computed(s()))
        .attr("tags", A::optional_computed(T::Map(Box::new(T::String))))
        .attr("arn", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .attr("main_route_table_id", A::computed(s()))
        .attr("enable_dns_support", A::computed(T::Bool))
        .attr("enable_dns_hostnames", A::computed(T::Bool))
        .block("filter", filter_block())
}

pub fn data_subnets() -> BlockSchema {
    BlockSchema::default()
        .attr("tags", A::optional(T::Map(Box::new(T::String))))
        .attr("id", A::computed(s()))
        .attr("ids", A::computed(list_s()))
        .block("filter", filter_block())
}

pub fn data_region() -> BlockSchema {
    BlockSchema::default()
        .attr("name", A::optional_computed(s()))
        .attr("id", A::computed(s()))
        .attr("region", A::computed(s()))
        .attr("endpoint", A::computed(s()))
        .attr("description", A::computed(s()))
}

pub fn data_caller_identity() -> BlockSchema {
    BlockSchema::default()
        .attr("id", A::computed(s()))
        .attr("account_id", A::computed(s()))
        .attr("arn", A::computed(s()))
        .attr("user_id", A::computed(s()))
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
    p.resources.insert(S3_BUCKET.into(), s3_bucket());
    p.resources.insert(S3_BUCKET_VERSIONING.into(), s3_bucket_versioning());
    p.resources.insert(S3_BUCKET_PUBLIC_ACCESS_BLOCK.into(), s3_bucket_public_access_block());
    p.resources.insert(S3_OBJECT.into(), s3_object());
    p.resources.insert(EIP.into(), eip());
    p.resources.insert(SECURITY_GROUP_RULE.into(), security_group_rule());
    p.resources.insert(VPC_SG_INGRESS_RULE.into(), vpc_security_group_rule());
    p.resources.insert(VPC_SG_EGRESS_RULE.into(), vpc_security_group_rule());
    p.resources.insert(NAT_GATEWAY.into(), nat_gateway());
    p.resources.insert(ROUTE.into(), route());
    p.resources.insert(LAUNCH_TEMPLATE.into(), launch_template());
    p.resources.insert(IAM_ROLE.into(), iam_role());
    p.resources.insert(IAM_INSTANCE_PROFILE.into(), iam_instance_profile());
    p.resources.insert(IAM_ROLE_POLICY_ATTACHMENT.into(), iam_role_policy_attachment());
    p.resources.insert(IAM_USER.into(), iam_user());
    p.resources.insert(LB.into(), lb());
    p.resources.insert(LB_TARGET_GROUP.into(), lb_target_group());
    p.resources.insert(LB_LISTENER.into(), lb_listener());
    p.resources.insert(LAUNCH_CONFIGURATION.into(), launch_configuration());
    p.resources.insert(AUTOSCALING_GROUP.into(), autoscaling_group());
    p.resources.insert(ELB.into(), elb());
    p.resources.insert(DB_INSTANCE.into(), db_instance());
    p.resources.insert(VPC_IPV4_CIDR_BLOCK_ASSOCIATION.into(), crate::vpcx_gw::vpc_ipv4_cidr_block_association());
    p.resources.insert(DEFAULT_VPC.into(), crate::vpcx_gw::default_vpc());
    p.resources.insert(DEFAULT_SECURITY_GROUP.into(), crate::vpcx::default_security_group());
    p.resources.insert(DEFAULT_ROUTE_TABLE.into(), crate::vpcx::default_route_table());
    p.resources.insert(DEFAULT_NETWORK_ACL.into(), crate::vpcx::default_network_acl());
    p.resources.insert(NETWORK_ACL.into(), crate::vpcx::network_acl());
    p.resources.insert(NETWORK_ACL_RULE.into(), crate::vpcx::network_acl_rule());
    p.resources.insert(VPC_DHCP_OPTIONS.into(), crate::vpcx_gw::vpc_dhcp_options());
    p.resources.insert(VPC_DHCP_OPTIONS_ASSOCIATION.into(), crate::vpcx_gw::vpc_dhcp_options_association());
    p.resources.insert(EGRESS_ONLY_INTERNET_GATEWAY.into(), crate::vpcx_gw::egress_only_internet_gateway());
    p.resources.insert(CUSTOMER_GATEWAY.into(), crate::vpcx_gw::customer_gateway());
    p.resources.insert(VPN_GATEWAY.into(), crate::vpcx_gw::vpn_gateway());
    p.resources.insert(VPN_GATEWAY_ATTACHMENT.into(), crate::vpcx_gw::vpn_gateway_attachment());
    p.resources.insert(VPN_GATEWAY_ROUTE_PROPAGATION.into(), crate::vpcx_gw::vpn_gateway_route_propagation());
    p.resources.insert(FLOW_LOG.into(), crate::vpcx_gw::flow_log());
    p.resources.insert(VPC_BLOCK_PUBLIC_ACCESS_OPTIONS.into(), crate::vpcx_gw::vpc_block_public_access_options());
    p.resources.insert(VPC_BLOCK_PUBLIC_ACCESS_EXCLUSION.into(), crate::vpcx_gw::vpc_block_public_access_exclusion());
    p.data_sources.insert(AMI.into(), ami());
    p.data_sources.insert(VPC.into(), data_vpc());
    p.data_sources.insert(SUBNETS.into(), data_subnets());
    p.data_sources.insert(REGION.into(), data_region());
    p.data_sources.insert(CALLER_IDENTITY.into(), data_caller_identity());
    p.data_sources.insert(AVAILABILITY_ZONES.into(), availability_zones());
    p.resources.insert(crate::s3x::S3_BUCKET_OWNERSHIP_CONTROLS.into(), crate::s3x::ownership_controls_schema());
    p.resources.insert(crate::s3x::S3_BUCKET_ACL.into(), crate::s3x::acl_schema());
    p.data_sources.insert(crate::s3x::S3_OBJECTS.into(), crate::s3x::objects_schema());
    p.resources.insert(crate::prefix_list::MANAGED_PREFIX_LIST.into(), crate::prefix_list::schema());
    p.resources.insert(crate::vpc_endpoint::VPC_ENDPOINT.into(), crate::vpc_endpoint::schema());
    p.data_sources.insert(crate::vpc_endpoint::VPC_ENDPOINT_SERVICE.into(), crate::vpc_endpoint::service_schema());
    crate::data2::register(&mut p);
    crate::iam_policy::register(&mut p);
    crate::logs::register(&mut p);
    crate::iam_inline::register(&mut p);
    crate::lambda::register(&mut p);
    crate::sqs::register(&mut p);
    crate::sns::register(&mut p);
    crate::attachments::register(&mut p);
    crate::ebs::register(&mut p);
    crate::asg_policy::register(&mut p);
    crate::subnet_groups::register(&mut p);
    crate::s3sub::register(&mut p);
    crate::kms::register(&mut p);
    with_region_argument(p)
}

/// AWS provider 6.x: every resource and data source takes an optional
/// `region` (default: the provider's); moving an object to another region
/// replaces it.
fn with_region_argument(mut p: ProviderSchema) -> ProviderSchema {
    let region = || A::optional_computed(s()).force_new().describe("region the object lives in; default: the provider's");
    let timeouts = || {
        let mut t = BlockSchema::default();
        for op in ["create", "read", "update", "delete"] {
            t = t.attr(op, A::optional(s()).describe("a duration such as \"10m\": the operation fails when it takes longer"));
        }
        nested(Nesting::Single, t, Some(1))
    };
    for block in p.resources.values_mut() {
        block.attributes.insert("region".into(), region());
        block.blocks.insert("timeouts".into(), timeouts());
    }
    for block in p.data_sources.values_mut() {
        block.attributes.insert("region".into(), A::optional_computed(s()).describe("region to read from; default: the provider's"));
    }
    p
}

/// The schema of one resource type (built once per process).
pub fn resource(ty: &str) -> Option<&'static BlockSchema> {
    static SCHEMA: std::sync::LazyLock<ProviderSchema> = std::sync::LazyLock::new(provider_schema);
    SCHEMA.resources.get(ty)
}
