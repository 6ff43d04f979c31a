//! The EC2 types of terraform-aws-modules/vpc (`vpcx.rs`, `vpcx_gw.rs`)
//! against a real moto server: the adopted default objects (rules, routes
//! and tags made what the configuration says; destroy only forgets them),
//! and the conformance lifecycle of the created ones (create, read, no-op
//! plan, update or replace, delete, gone), with adoption after a lost state
//! write. Route propagation and VPC Block Public Access have no moto API:
//! their planning is tested in the crate's unit tests.

use contin_e2e::moto::MotoServer;
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{OpContext, Provider, ProviderError};
use contin_provider_aws::testing;
use contin_provider_aws::AwsProvider;
use contin_types::value::PathStep;
use contin_types::{ResourceAddr, Value};

fn s(x: &str) -> Value {
    Value::string(x)
}

fn n(x: i64) -> Value {
    Value::int(x)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

fn c(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(pairs)
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_path(&[PathStep::Key(name.into())]).unwrap_or(&Value::Null)
}

fn str_attr(v: &Value, name: &str) -> String {
    match attr(v, name) {
        Value::String(s) => s.clone(),
        other => panic!("{name} is not a string: {other:?} in {v:?}"),
    }
}

fn id(v: &Value) -> String {
    str_attr(v, "id")
}

fn items(v: &Value, name: &str) -> Vec<Value> {
    match attr(v, name) {
        Value::List(i) | Value::Set(i) => i.clone(),
        Value::Null => Vec::new(),
        other => panic!("{name} is not a collection: {other:?}"),
    }
}

fn ctx(ty: &str, name: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: "lineage-vpc".into(), generation }
}

async fn provider(moto: &MotoServer) -> AwsProvider {
    for (k, v) in moto.client_env() {
        std::env::set_var(k, v);
    }
    let p = AwsProvider::new();
    p.configure(c(vec![("region", s("us-east-1")), ("endpoint", s(&moto.endpoint()))])).await.unwrap_or_else(|d| panic!("configure: {d:?}"));
    p
}

async fn create(p: &AwsProvider, ty: &str, cfg: Value, cx: &OpContext) -> Result<Value, ProviderError> {
    let d = p.validate(ty, &cfg);
    assert!(d.is_empty(), "{ty}: validation failed: {d:?}");
    let planned = p.plan_change(ty, None, &cfg).planned;
    p.create(ty, &planned, cx).await
}

/// The read value plans as a no-op against `cfg`.
fn assert_noop(p: &AwsProvider, ty: &str, state: &Value, cfg: &Value) {
    let change = p.plan_change(ty, Some(state), cfg);
    assert!(change.requires_replace.is_empty(), "{ty}: replace {:?}", change.requires_replace);
    if &change.planned != state {
        let (Value::Map(a), Value::Map(b)) = (&change.planned, state) else { panic!("{ty}: not objects") };
        let diff: Vec<String> =
            a.iter().filter(|(k, v)| b.get(*k) != Some(*v)).map(|(k, v)| format!("{k}: planned {v:?}, state {:?}", b.get(k))).collect();
        panic!("{ty}: unchanged configuration plans a change: {diff:#?}");
    }
}

/// Plans `cfg` against `state` as an in-place update and applies it.
async fn update(p: &AwsProvider, ty: &str, state: &Value, cfg: &Value, cx: &OpContext) -> Value {
    let change = p.plan_change(ty, Some(state), cfg);
    assert!(change.requires_replace.is_empty(), "{ty}: update should be in place, replaces {:?}", change.requires_replace);
    assert_ne!(&change.planned, state, "{ty}: the update plans no change");
    let v = p.update(ty, state, &change.planned, cx).await.unwrap_or_else(|e| panic!("{ty} update: {e}"));
    assert_eq!(p.read(ty, &v).await.unwrap().as_ref(), Some(&v), "{ty}: read after update");
    assert_noop(p, ty, &v, cfg);
    v
}

async fn new_vpc(p: &AwsProvider, cidr: &str, name: &str) -> String {
    id(&create(p, "aws_vpc", c(vec![("cidr_block", s(cidr))]), &ctx("aws_vpc", name, 1)).await.unwrap())
}

#[tokio::test]
async fn default_security_group_adopts_and_replaces_the_rules() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());
    let vpc = new_vpc(&p, "10.10.0.0/16", "sg").await;
    let ty = "aws_default_security_group";

    // The module's default: no rules at all, only tags.
    let empty = c(vec![("vpc_id", s(&vpc)), ("tags", c(vec![("Name", s("ex-default"))]))]);
    let cx = ctx(ty, "this", 1);
    let g = create(&p, ty, empty.clone(), &cx).await.unwrap();
    assert_eq!(str_attr(&g, "name"), "default");
    let live = ec2.describe_security_groups().group_ids(id(&g)).send().await.unwrap();
    let live = &live.security_groups()[0];
    assert!(live.ip_permissions().is_empty() && live.ip_permissions_egress().is_empty(), "EC2's default rules were not revoked: {live:?}");
    assert_eq!(attr(&g, "tags"), &c(vec![("Name", s("ex-default"))]));
    assert_eq!(p.read(ty, &g).await.unwrap().as_ref(), Some(&g));
    assert_noop(&p, ty, &g, &empty);
    // A lost state write: the same create adopts the same group again.
    assert_eq!(create(&p, ty, empty.clone(), &cx).await.unwrap(), g);

    // Rules as the module's dynamic blocks write them (empty lists, self = null).
    let rule = |proto: &str, from: i64, to: i64, cidrs: &[&str], selfref: Value, desc: Value| {
        c(vec![
            ("protocol", s(proto)),
            ("from_port", n(from)),
            ("to_port", n(to)),
            ("cidr_blocks", list(cidrs)),
            ("ipv6_cidr_blocks", list(&[])),
            ("prefix_list_ids", list(&[])),
            ("security_groups", list(&[])),
            ("self", selfref),
            ("description", desc),
        ])
    };
    let with_rules = c(vec![
        ("vpc_id", s(&vpc)),
        (
            "ingress",
            Value::List(vec![
                rule("tcp", 443, 443, &["10.0.0.0/8", "192.168.0.0/16"], Value::Null, s("https")),
                rule("-1", 0, 0, &[], Value::Bool(true), Value::Null),
            ]),
        ),
        ("egress", Value::List(vec![rule("-1", 0, 0, &["0.0.0.0/0"], Value::Null, Value::Null)])),
        ("tags", c(vec![("Name", s("ex-default")), ("team", s("net"))])),
    ]);
    let g = update(&p, ty, &g, &with_rules, &cx).await;
    assert_eq!(items(&g, "ingress").len(), 2, "{g:?}");
    let live = ec2.describe_security_groups().group_ids(id(&g)).send().await.unwrap();
    let ingress = live.security_groups()[0].ip_permissions();
    assert!(ingress.iter().any(|p| p.from_port() == Some(443) && p.ip_ranges().len() == 2), "{ingress:?}");
    assert!(ingress.iter().any(|p| p.user_id_group_pairs().iter().any(|u| u.group_id() == Some(id(&g).as_str()))), "{ingress:?}");

    // Drift (a rule added outside) is seen and removed by the next update.
    ec2.authorize_security_group_ingress()
        .group_id(id(&g))
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("1.2.3.4/32").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drifted = p.read(ty, &g).await.unwrap().unwrap();
    assert_eq!(items(&drifted, "ingress").len(), 3);
    let fixed = update(&p, ty, &drifted, &with_rules, &cx).await;
    assert_eq!(fixed, g);

    // Destroy only forgets the group: it and its rules stay.
    p.delete(ty, &g, &cx).await.unwrap();
    assert_eq!(p.read(ty, &g).await.unwrap().as_ref(), Some(&g));
}

#[tokio::test]
async fn default_network_acl_and_route_table_follow_the_configuration() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());
    let vpc = new_vpc(&p, "10.20.0.0/16", "d").await;
    let by_vpc = aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&vpc).build();
    let acls = ec2.describe_network_acls().filters(by_vpc.clone()).send().await.unwrap();
    let acl_id = acls.network_acls().iter().find(|a| a.is_default() == Some(true)).and_then(|a| a.network_acl_id()).unwrap().to_string();

    // aws_default_network_acl with the module's default rules (list(map(string)) values).
    let ty = "aws_default_network_acl";
    let entry = |no: &str, proto: &str, from: &str, to: &str, cidr: Option<&str>, cidr6: Option<&str>, action: &str| {
        c(vec![
            ("rule_no", s(no)),
            ("action", s(action)),
            ("protocol", s(proto)),
            ("from_port", s(from)),
            ("to_port", s(to)),
            ("cidr_block", cidr.map_or(Value::Null, s)),
            ("ipv6_cidr_block", cidr6.map_or(Value::Null, s)),
            ("icmp_code", Value::Null),
            ("icmp_type", Value::Null),
        ])
    };
    let module_default =
        vec![entry("100", "-1", "0", "0", Some("0.0.0.0/0"), None, "allow"), entry("101", "-1", "0", "0", None, Some("::/0"), "allow")];
    let cfg = c(vec![
        ("default_network_acl_id", s(&acl_id)),
        ("ingress", Value::List(module_default.clone())),
        ("egress", Value::List(module_default.clone())),
        ("tags", c(vec![("Name", s("ex-default"))])),
    ]);
    let cx = ctx(ty, "this", 1);
    let a = create(&p, ty, cfg.clone(), &cx).await.unwrap();
    assert_eq!(items(&a, "ingress").len(), 2, "{a:?}");
    assert_eq!(str_attr(&a, "vpc_id"), vpc);
    assert_eq!(p.read(ty, &a).await.unwrap().as_ref(), Some(&a));
    assert_noop(&p, ty, &a, &cfg);
    // Deny SSH from one network first, drop the IPv6 ingress rule.
    let cfg2 = c(vec![
        ("default_network_acl_id", s(&acl_id)),
        ("ingress", Value::List(vec![entry("90", "tcp", "22", "22", Some("10.0.0.0/8"), None, "deny"), module_default[0].clone()])),
        ("egress", Value::List(module_default.clone())),
        ("tags", c(vec![("Name", s("ex-default"))])),
    ]);
    let a2 = update(&p, ty, &a, &cfg2, &cx).await;
    let live = ec2.describe_network_acls().network_acl_ids(&acl_id).send().await.unwrap();
    let numbers: Vec<i32> = live.network_acls()[0].entries().iter().filter(|e| e.egress() == Some(false)).filter_map(|e| e.rule_number()).collect();
    assert!(numbers.contains(&90) && numbers.contains(&100) && !numbers.contains(&101), "{numbers:?}");
    p.delete(ty, &a2, &cx).await.unwrap();
    assert!(p.read(ty, &a2).await.unwrap().is_some(), "the default ACL must survive destroy");
    // Not a default ACL: refused.
    let other = create(&p, "aws_network_acl", c(vec![("vpc_id", s(&vpc))]), &ctx("aws_network_acl", "x", 1)).await.unwrap();
    let e = create(&p, ty, c(vec![("default_network_acl_id", s(&id(&other)))]), &ctx(ty, "bad", 1)).await.unwrap_err();
    assert!(e.to_string().contains("is not a VPC's default ACL"), "{e}");

    // aws_default_route_table: a route to an internet gateway, then none.
    let ty = "aws_default_route_table";
    let igw = id(&create(&p, "aws_internet_gateway", c(vec![("vpc_id", s(&vpc))]), &ctx("aws_internet_gateway", "i", 1)).await.unwrap());
    let rts = ec2.describe_route_tables().filters(by_vpc).send().await.unwrap();
    let rt_id = rts
        .route_tables()
        .iter()
        .find(|r| r.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|r| r.route_table_id())
        .unwrap()
        .to_string();
    let cfg = c(vec![
        ("default_route_table_id", s(&rt_id)),
        ("propagating_vgws", list(&[])),
        ("route", Value::List(vec![c(vec![("cidr_block", s("0.0.0.0/0")), ("gateway_id", s(&igw)), ("ipv6_cidr_block", Value::Null)])])),
        ("timeouts", c(vec![("create", s("5m")), ("update", s("5m"))])),
        ("tags", c(vec![("Name", s("ex-default"))])),
    ]);
    let cx = ctx(ty, "default", 1);
    let r = create(&p, ty, cfg.clone(), &cx).await.unwrap();
    assert_eq!(items(&r, "route").len(), 1, "{r:?}");
    assert_eq!(p.read(ty, &r).await.unwrap().as_ref(), Some(&r));
    assert_noop(&p, ty, &r, &cfg);
    let cfg2 = c(vec![("default_route_table_id", s(&rt_id)), ("tags", c(vec![("Name", s("renamed"))]))]);
    let r2 = update(&p, ty, &r, &cfg2, &cx).await;
    assert!(items(&r2, "route").is_empty());
    let live = ec2.describe_route_tables().route_table_ids(&rt_id).send().await.unwrap();
    assert!(live.route_tables()[0].routes().iter().all(|r| r.gateway_id() == Some("local")), "{live:?}");
    p.delete(ty, &r2, &cx).await.unwrap();
    assert!(p.read(ty, &r2).await.unwrap().is_some(), "the main route table must survive destroy");
}

#[tokio::test]
async fn network_acl_and_rules() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = new_vpc(&p, "10.30.0.0/16", "acl").await;
    let subnet =
        id(&create(&p, "aws_subnet", c(vec![("vpc_id", s(&vpc)), ("cidr_block", s("10.30.1.0/24"))]), &ctx("aws_subnet", "a", 1)).await.unwrap());
    let entry = |no: i64, proto: &str, port: i64| {
        c(vec![
            ("rule_no", n(no)),
            ("action", s("allow")),
            ("protocol", s(proto)),
            ("from_port", n(port)),
            ("to_port", n(port)),
            ("cidr_block", s("0.0.0.0/0")),
        ])
    };
    let create_cfg = c(vec![
        ("vpc_id", s(&vpc)),
        ("subnet_ids", list(&[&subnet])),
        ("ingress", Value::List(vec![entry(100, "tcp", 443)])),
        ("tags", c(vec![("Name", s("pub"))])),
    ]);
    let update_cfg = c(vec![
        ("vpc_id", s(&vpc)),
        ("subnet_ids", list(&[])),
        ("ingress", Value::List(vec![entry(100, "tcp", 80), entry(110, "udp", 53)])),
        ("tags", c(vec![("Name", s("pub")), ("tier", s("web"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_network_acl", create_cfg.clone(), update_cfg)).await.unwrap_or_else(|e| panic!("{e}"));

    // The module's shape: an ACL without blocks, its entries from aws_network_acl_rule.
    let acl_cfg = c(vec![("vpc_id", s(&vpc)), ("subnet_ids", list(&[&subnet])), ("tags", c(vec![("Name", s("private"))]))]);
    let cx = ctx("aws_network_acl", "private", 1);
    let acl = create(&p, "aws_network_acl", acl_cfg.clone(), &cx).await.unwrap();
    assert_eq!(create(&p, "aws_network_acl", acl_cfg.clone(), &cx).await.unwrap(), acl, "a re-run adopts the tagged ACL");
    assert_eq!(items(&acl, "subnet_ids"), vec![s(&subnet)]);
    let rule = |number: &str, egress: bool, proto: &str, action: &str| {
        c(vec![
            ("network_acl_id", s(&id(&acl))),
            ("egress", Value::Bool(egress)),
            ("rule_number", s(number)),
            ("rule_action", s(action)),
            ("from_port", s("0")),
            ("to_port", s("0")),
            ("icmp_code", Value::Null),
            ("icmp_type", Value::Null),
            ("protocol", s(proto)),
            ("cidr_block", s("0.0.0.0/0")),
            ("ipv6_cidr_block", Value::Null),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("aws_network_acl_rule", rule("100", false, "-1", "allow"), rule("100", false, "-1", "deny")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rcx = ctx("aws_network_acl_rule", "private_outbound[0]", 1);
    let r = create(&p, "aws_network_acl_rule", rule("100", true, "-1", "allow"), &rcx).await.unwrap();
    assert!(str_attr(&r, "id").starts_with("nacl-"));
    assert_eq!(create(&p, "aws_network_acl_rule", rule("100", true, "-1", "allow"), &rcx).await.unwrap(), r, "same entry: adopted");
    let e = create(&p, "aws_network_acl_rule", rule("100", true, "-1", "deny"), &ctx("aws_network_acl_rule", "clash", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already has egress rule 100"), "{e}");
    // The ACL sees the entry; its configuration declares none: no change.
    let acl_now = p.read("aws_network_acl", &acl).await.unwrap().unwrap();
    assert_eq!(items(&acl_now, "egress").len(), 1);
    assert_noop(&p, "aws_network_acl", &acl_now, &acl_cfg);
    let imported = p.import("aws_network_acl_rule", &format!("{}:100:-1:true", id(&acl))).await.unwrap();
    assert_eq!(attr(&imported, "id"), attr(&r, "id"));
    // The API has no ports for protocol -1: the import plans as a no-op against the module's 0/0.
    assert_eq!(attr(&imported, "from_port"), &Value::Null);
    assert_noop(&p, "aws_network_acl_rule", &imported, &rule("100", true, "-1", "allow"));
    p.delete("aws_network_acl_rule", &r, &rcx).await.unwrap();
    assert_eq!(p.read("aws_network_acl_rule", &r).await.unwrap(), None);
    // Deleting the ACL moves its subnet back to the default ACL.
    p.delete("aws_network_acl", &acl_now, &cx).await.unwrap();
    assert_eq!(p.read("aws_network_acl", &acl_now).await.unwrap(), None);
}

#[tokio::test]
async fn dhcp_options_cidr_association_and_egress_only_gateway() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = new_vpc(&p, "10.40.0.0/16", "dhcp").await;

    let dhcp = |domain: &str, tags: Value| {
        c(vec![
            ("domain_name", s(domain)),
            ("domain_name_servers", list(&["AmazonProvidedDNS"])),
            ("ntp_servers", list(&["10.0.0.5", "10.0.0.6"])),
            ("netbios_node_type", s("2")),
            ("tags", tags),
        ])
    };
    let name = c(vec![("Name", s("ex"))]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_vpc_dhcp_options", dhcp("ex.internal", name.clone()), dhcp("ex.internal", c(vec![("Name", s("ex2"))]))),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // A new domain name replaces the set.
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_vpc_dhcp_options", dhcp("a.internal", name.clone()), dhcp("b.internal", name.clone())))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let cx = ctx("aws_vpc_dhcp_options", "this", 1);
    let d1 = create(&p, "aws_vpc_dhcp_options", dhcp("one.internal", name.clone()), &cx).await.unwrap();
    assert_eq!(create(&p, "aws_vpc_dhcp_options", dhcp("one.internal", name.clone()), &cx).await.unwrap(), d1, "adopted by tags");
    let d2 = create(&p, "aws_vpc_dhcp_options", dhcp("two.internal", name.clone()), &ctx("aws_vpc_dhcp_options", "two", 1)).await.unwrap();
    conformance::check_lifecycle(
        &p,
        &LifecycleCase::new(
            "aws_vpc_dhcp_options_association",
            c(vec![("vpc_id", s(&vpc)), ("dhcp_options_id", s(&id(&d1)))]),
            c(vec![("vpc_id", s(&vpc)), ("dhcp_options_id", s(&id(&d2)))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    // Deleting a set still in use moves its VPC back to the default options.
    let a = create(
        &p,
        "aws_vpc_dhcp_options_association",
        c(vec![("vpc_id", s(&vpc)), ("dhcp_options_id", s(&id(&d1)))]),
        &ctx("aws_vpc_dhcp_options_association", "this", 1),
    )
    .await
    .unwrap();
    assert_eq!(str_attr(&a, "id"), format!("{}-{vpc}", id(&d1)));
    p.delete("aws_vpc_dhcp_options", &d1, &cx).await.unwrap();
    assert_eq!(p.read("aws_vpc_dhcp_options", &d1).await.unwrap(), None);
    assert_eq!(p.read("aws_vpc_dhcp_options_association", &a).await.unwrap(), None);

    // Secondary CIDR blocks (replace on a new block).
    conformance::run(
        &p,
        &LifecycleCase::new(
            "aws_vpc_ipv4_cidr_block_association",
            c(vec![("vpc_id", s(&vpc)), ("cidr_block", s("10.41.0.0/16"))]),
            c(vec![("vpc_id", s(&vpc)), ("cidr_block", s("10.42.0.0/16"))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let cidr_cx = ctx("aws_vpc_ipv4_cidr_block_association", "this[0]", 1);
    let cfg = c(vec![("vpc_id", s(&vpc)), ("cidr_block", s("10.43.0.0/16"))]);
    let assoc = create(&p, "aws_vpc_ipv4_cidr_block_association", cfg.clone(), &cidr_cx).await.unwrap();
    assert_eq!(create(&p, "aws_vpc_ipv4_cidr_block_association", cfg, &cidr_cx).await.unwrap(), assoc, "the same block is adopted, not added twice");
    assert_eq!(p.import("aws_vpc_ipv4_cidr_block_association", &id(&assoc)).await.unwrap(), assoc);
    p.delete("aws_vpc_ipv4_cidr_block_association", &assoc, &cidr_cx).await.unwrap();

    // Egress-only internet gateway: tags in place, adoption by tags.
    conformance::run(
        &p,
        &LifecycleCase::new(
            "aws_egress_only_internet_gateway",
            c(vec![("vpc_id", s(&vpc)), ("tags", name.clone())]),
            c(vec![("vpc_id", s(&vpc)), ("tags", c(vec![("Name", s("eigw"))]))]),
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let ecx = ctx("aws_egress_only_internet_gateway", "this", 1);
    let g = create(&p, "aws_egress_only_internet_gateway", c(vec![("vpc_id", s(&vpc))]), &ecx).await.unwrap();
    assert_eq!(create(&p, "aws_egress_only_internet_gateway", c(vec![("vpc_id", s(&vpc))]), &ecx).await.unwrap(), g);
    p.delete("aws_egress_only_internet_gateway", &g, &ecx).await.unwrap();
}

#[tokio::test]
async fn customer_and_vpn_gateways() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = new_vpc(&p, "10.50.0.0/16", "a").await;
    let vpc2 = new_vpc(&p, "10.51.0.0/16", "b").await;

    let cgw = |asn: &str, tags: Value| c(vec![("bgp_asn", s(asn)), ("ip_address", s("203.0.113.12")), ("type", s("ipsec.1")), ("tags", tags)]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_customer_gateway", cgw("65000", c(vec![("Name", s("ex-ip1"))])), cgw("65000", c(vec![("Name", s("ex-ip2"))]))),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let cx = ctx("aws_customer_gateway", "this[\"IP1\"]", 1);
    let g = create(&p, "aws_customer_gateway", cgw("65001", Value::Null), &cx).await.unwrap();
    assert!(str_attr(&g, "arn").contains(":customer-gateway/"), "{g:?}");
    assert_eq!(create(&p, "aws_customer_gateway", cgw("65001", Value::Null), &cx).await.unwrap(), g);
    p.delete("aws_customer_gateway", &g, &cx).await.unwrap();
    assert_eq!(p.read("aws_customer_gateway", &g).await.unwrap(), None);

    // A VPN gateway moved from one VPC to another in place.
    let vgw = |v: &str| c(vec![("vpc_id", s(v)), ("amazon_side_asn", s("64620")), ("tags", c(vec![("Name", s("ex"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_vpn_gateway", vgw(&vpc), vgw(&vpc2))).await.unwrap_or_else(|e| panic!("{e}"));

    // A detached gateway and its attachment resource.
    let gw = create(&p, "aws_vpn_gateway", c(vec![("tags", c(vec![("Name", s("detached"))]))]), &ctx("aws_vpn_gateway", "d", 1)).await.unwrap();
    assert_eq!(attr(&gw, "vpc_id"), &Value::Null);
    let att = |v: &str| c(vec![("vpc_id", s(v)), ("vpn_gateway_id", s(&id(&gw)))]);
    conformance::run(&p, &LifecycleCase::new("aws_vpn_gateway_attachment", att(&vpc), att(&vpc2))).await.unwrap_or_else(|e| panic!("{e}"));
    let acx = ctx("aws_vpn_gateway_attachment", "this[0]", 1);
    let a = create(&p, "aws_vpn_gateway_attachment", att(&vpc), &acx).await.unwrap();
    assert_eq!(create(&p, "aws_vpn_gateway_attachment", att(&vpc), &acx).await.unwrap(), a, "an existing attachment is adopted");
    let gw_now = p.read("aws_vpn_gateway", &gw).await.unwrap().unwrap();
    assert_eq!(str_attr(&gw_now, "vpc_id"), vpc);
    p.delete("aws_vpn_gateway_attachment", &a, &acx).await.unwrap();
    assert_eq!(p.read("aws_vpn_gateway_attachment", &a).await.unwrap(), None);
    p.delete("aws_vpn_gateway", &gw, &ctx("aws_vpn_gateway", "d", 1)).await.unwrap();
    assert_eq!(p.read("aws_vpn_gateway", &gw).await.unwrap(), None);
}

#[tokio::test]
async fn flow_log_to_s3_and_default_vpc() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = new_vpc(&p, "10.60.0.0/16", "fl").await;
    let s3 = testing::s3_client(&moto.endpoint());
    s3.create_bucket().bucket("contin-flow-logs").send().await.unwrap();

    let fl = |tags: Value| {
        c(vec![
            ("vpc_id", s(&vpc)),
            ("traffic_type", s("ALL")),
            ("log_destination_type", s("s3")),
            ("log_destination", s("arn:aws:s3:::contin-flow-logs")),
            ("max_aggregation_interval", n(600)),
            (
                "destination_options",
                Value::List(vec![c(vec![
                    ("file_format", s("parquet")),
                    ("hive_compatible_partitions", Value::Bool(false)),
                    ("per_hour_partition", Value::Bool(true)),
                ])]),
            ),
            ("tags", tags),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("aws_flow_log", fl(c(vec![("Name", s("ex"))])), fl(c(vec![("Name", s("ex2"))]))))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cx = ctx("aws_flow_log", "this[0]", 1);
    let f = create(&p, "aws_flow_log", fl(Value::Null), &cx).await.unwrap();
    assert!(str_attr(&f, "id").starts_with("fl-"), "{f:?}");
    assert_eq!(create(&p, "aws_flow_log", fl(Value::Null), &cx).await.unwrap(), f, "adopted by tags");
    // Another traffic type replaces the flow log.
    let mut other = fl(Value::Null);
    if let Value::Map(m) = &mut other {
        m.insert("traffic_type".into(), s("REJECT"));
    }
    assert!(!p.plan_change("aws_flow_log", Some(&f), &other).requires_replace.is_empty());
    p.delete("aws_flow_log", &f, &cx).await.unwrap();
    assert_eq!(p.read("aws_flow_log", &f).await.unwrap(), None);
    // A missing bucket is the API's error, named.
    let mut bad = fl(Value::Null);
    if let Value::Map(m) = &mut bad {
        m.insert("log_destination".into(), s("arn:aws:s3:::no-such-bucket"));
    }
    let e = create(&p, "aws_flow_log", bad, &ctx("aws_flow_log", "bad", 1)).await.unwrap_err();
    assert!(e.to_string().contains("aws_flow_log.bad"), "{e}");

    // aws_default_vpc: moto's region has one; it is adopted, changed, and only forgotten.
    let ty = "aws_default_vpc";
    let cfg =
        c(vec![("enable_dns_support", Value::Bool(true)), ("enable_dns_hostnames", Value::Bool(true)), ("tags", c(vec![("Name", s("default"))]))]);
    let dcx = ctx(ty, "this[0]", 1);
    let d = create(&p, ty, cfg.clone(), &dcx).await.unwrap();
    assert_eq!(attr(&d, "existing_default_vpc"), &Value::Bool(true));
    assert!(str_attr(&d, "default_security_group_id").starts_with("sg-") && str_attr(&d, "default_network_acl_id").starts_with("acl-"), "{d:?}");
    assert_eq!(p.read(ty, &d).await.unwrap().as_ref(), Some(&d));
    assert_noop(&p, ty, &d, &cfg);
    let d2 = update(&p, ty, &d, &c(vec![("enable_dns_hostnames", Value::Bool(false)), ("tags", c(vec![("Name", s("dflt"))]))]), &dcx).await;
    assert_eq!(attr(&d2, "enable_dns_hostnames"), &Value::Bool(false));
    p.delete(ty, &d2, &dcx).await.unwrap();
    assert!(p.read(ty, &d2).await.unwrap().is_some(), "without force_destroy the default VPC stays");
}
