//! Terraform arguments the public modules pass to types contin already had,
//! against a real moto server: the per-resource `region` of AWS provider 6.x,
//! `timeouts`, IPv6 on VPCs/subnets/routes, every source kind of security
//! group rules (`ipv6_cidr_blocks`, `prefix_list_ids`, `security_groups`,
//! `self`), `name_prefix` and `revoke_rules_on_delete`.

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

fn ctx(ty: &str, name: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: "lineage-args".into(), generation }
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

/// A no-op replan: the read value planned against its configuration changes nothing.
fn assert_no_op(p: &AwsProvider, ty: &str, state: &Value, cfg: &Value) {
    let change = p.plan_change(ty, Some(state), cfg);
    assert!(change.diagnostics.is_empty(), "{ty}: {:?}", change.diagnostics);
    assert!(change.requires_replace.is_empty(), "{ty}: replace {:?}", change.requires_replace);
    assert_eq!(&change.planned, state, "{ty}: the replan is not a no-op");
}

fn ec2_in(endpoint: &str, region: &str) -> aws_sdk_ec2::Client {
    let conf = testing::client(endpoint).config().to_builder().region(aws_sdk_ec2::config::Region::new(region.to_string())).build();
    aws_sdk_ec2::Client::from_conf(conf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_resource_region_places_the_object_in_that_region() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let cfg = c(vec![("cidr_block", s("10.40.0.0/16")), ("region", s("eu-west-1"))]);
    let cx = ctx("aws_vpc", "west", 1);
    let vpc = create(&p, "aws_vpc", cfg.clone(), &cx).await.unwrap();
    assert_eq!(attr(&vpc, "region"), &s("eu-west-1"));
    assert!(str_attr(&vpc, "arn").starts_with("arn:aws:ec2:eu-west-1:"), "{vpc:?}");
    let in_region = |region: &'static str| {
        let client = ec2_in(&moto.endpoint(), region);
        let vpc_id = id(&vpc);
        async move { client.describe_vpcs().vpc_ids(vpc_id).send().await.map(|o| o.vpcs().len()).unwrap_or(0) }
    };
    assert_eq!(in_region("eu-west-1").await, 1, "the VPC lives in eu-west-1");
    assert_eq!(in_region("us-east-1").await, 0, "and not in the provider's region");
    let read = p.read("aws_vpc", &vpc).await.unwrap().expect("read back in its region");
    assert_eq!(read, vpc);
    assert_no_op(&p, "aws_vpc", &read, &cfg);
    // Moving it to another region replaces it.
    let moved = p.plan_change("aws_vpc", Some(&read), &c(vec![("cidr_block", s("10.40.0.0/16")), ("region", s("us-east-1"))]));
    assert!(!moved.requires_replace.is_empty());

    // Without `region`, a new object plans into the provider's region, known at plan time.
    let plain = c(vec![("cidr_block", s("10.41.0.0/16"))]);
    assert_eq!(attr(&p.plan_change("aws_vpc", None, &plain).planned, "region"), &s("us-east-1"));
    let home = create(&p, "aws_vpc", plain.clone(), &ctx("aws_vpc", "home", 1)).await.unwrap();
    assert_eq!(attr(&home, "region"), &s("us-east-1"));
    assert_no_op(&p, "aws_vpc", &home, &plain);
    // State written before `region` existed (null) plans without a change.
    let mut old = home.clone();
    if let Value::Map(m) = &mut old {
        m.remove("region");
    }
    let change = p.plan_change("aws_vpc", Some(&old), &plain);
    assert!(change.requires_replace.is_empty(), "{:?}", change.requires_replace);

    p.delete("aws_vpc", &vpc, &cx).await.unwrap();
    assert_eq!(p.read("aws_vpc", &vpc).await.unwrap(), None);
    assert_eq!(in_region("eu-west-1").await, 0);

    // Data sources read from their own region too.
    let az = p.read_data("aws_availability_zones", &c(vec![("region", s("eu-west-1"))])).await.unwrap();
    match attr(&az, "names") {
        Value::List(names) => assert!(!names.is_empty() && names.iter().all(|n| matches!(n, Value::String(x) if x.starts_with("eu-west-1"))), "{names:?}"),
        other => panic!("{other:?}"),
    }
    let region = p.read_data("aws_region", &c(vec![("region", s("eu-west-1"))])).await.unwrap();
    assert_eq!(attr(&region, "name"), &s("eu-west-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_bound_an_operation_and_are_validated() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let bad = c(vec![("cidr_block", s("10.42.0.0/16")), ("timeouts", c(vec![("create", s("ten minutes"))]))]);
    let d = p.validate("aws_vpc", &bad);
    assert!(d.iter().any(|x| x.summary == "timeouts.create: \"ten minutes\" is not a duration"), "{d:?}");

    // A generous limit: the create finishes and the block is kept as configured.
    let ok = c(vec![("cidr_block", s("10.42.0.0/16")), ("timeouts", c(vec![("create", s("10m")), ("delete", s("1h"))]))]);
    let cx = ctx("aws_vpc", "t", 1);
    let vpc = create(&p, "aws_vpc", ok.clone(), &cx).await.unwrap();
    assert_eq!(attr(attr(&vpc, "timeouts"), "create"), &s("10m"));
    assert_eq!(attr(attr(&vpc, "timeouts"), "delete"), &s("1h"));
    assert_no_op(&p, "aws_vpc", &vpc, &ok);
    p.delete("aws_vpc", &vpc, &cx).await.unwrap();

    // A limit no API call can meet: the create fails naming the limit.
    let tiny = c(vec![("cidr_block", s("10.43.0.0/16")), ("timeouts", c(vec![("create", s("1ns"))]))]);
    let err = create(&p, "aws_vpc", tiny, &ctx("aws_vpc", "tiny", 1)).await.unwrap_err().to_string();
    assert!(err.contains("aws_vpc.tiny: create did not finish within timeouts.create"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_vpc_subnet_and_route() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc_cfg = c(vec![
        ("cidr_block", s("10.50.0.0/16")),
        ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
        ("instance_tenancy", s("default")),
        ("enable_dns_hostnames", Value::Bool(true)),
    ]);
    let vpc = create(&p, "aws_vpc", vpc_cfg.clone(), &ctx("aws_vpc", "v6", 1)).await.unwrap();
    let v6 = str_attr(&vpc, "ipv6_cidr_block");
    assert!(v6.contains(':') && v6.ends_with("/56"), "{vpc:?}");
    assert!(str_attr(&vpc, "ipv6_association_id").starts_with("vpc-cidr-assoc"), "{vpc:?}");
    assert!(str_attr(&vpc, "default_network_acl_id").starts_with("acl-"), "{vpc:?}");
    assert_eq!(attr(&vpc, "default_route_table_id"), attr(&vpc, "main_route_table_id"));
    assert_no_op(&p, "aws_vpc", &vpc, &vpc_cfg);

    // A /64 of the VPC's block on a subnet; its flags change in place.
    let net: ipnet::Ipv6Net = v6.parse().unwrap();
    let sub64 = net.subnets(64).unwrap().next().unwrap().to_string();
    let sub = |assign: bool| {
        c(vec![
            ("vpc_id", s(&id(&vpc))),
            ("cidr_block", s("10.50.1.0/24")),
            ("ipv6_cidr_block", s(&sub64)),
            ("assign_ipv6_address_on_creation", Value::Bool(assign)),
            ("map_public_ip_on_launch", Value::Bool(false)),
        ])
    };
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_subnet", sub(false), sub(true))).await.unwrap_or_else(|e| panic!("subnet: {e}"));
    let subnet = create(&p, "aws_subnet", sub(true), &ctx("aws_subnet", "v6", 1)).await.unwrap();
    assert_eq!(attr(&subnet, "ipv6_cidr_block"), &s(&sub64));
    assert_eq!(attr(&subnet, "assign_ipv6_address_on_creation"), &Value::Bool(true));
    assert_no_op(&p, "aws_subnet", &subnet, &sub(true));
    // A subnet needs an IPv4 or an IPv6 block.
    let d = p.validate("aws_subnet", &c(vec![("vpc_id", s("vpc-1"))]));
    assert!(format!("{d:?}").contains("one of cidr_block, ipv6_cidr_block is required"), "{d:?}");

    // An IPv6 default route.
    let igw = create(&p, "aws_internet_gateway", c(vec![("vpc_id", s(&id(&vpc)))]), &ctx("aws_internet_gateway", "v6", 1)).await.unwrap();
    let rt = create(&p, "aws_route_table", c(vec![("vpc_id", s(&id(&vpc)))]), &ctx("aws_route_table", "v6", 1)).await.unwrap();
    let route_cfg = c(vec![("route_table_id", s(&id(&rt))), ("destination_ipv6_cidr_block", s("::/0")), ("gateway_id", s(&id(&igw)))]);
    let rcx = ctx("aws_route", "v6", 1);
    let route = create(&p, "aws_route", route_cfg.clone(), &rcx).await.unwrap();
    assert_eq!(attr(&route, "destination_ipv6_cidr_block"), &s("::/0"));
    assert_eq!(attr(&route, "destination_cidr_block"), &Value::Null);
    assert_no_op(&p, "aws_route", &route, &route_cfg);
    assert_eq!(create(&p, "aws_route", route_cfg.clone(), &rcx).await.unwrap(), route, "a re-run adopts the route");
    p.delete("aws_route", &route, &rcx).await.unwrap();
    assert_eq!(p.read("aws_route", &route).await.unwrap(), None);
    let d = p.validate("aws_route", &c(vec![("route_table_id", s("rtb-1")), ("gateway_id", s("igw-1"))]));
    assert!(format!("{d:?}").contains("destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list_id"), "{d:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_group_rules_with_every_source_kind() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = create(&p, "aws_vpc", c(vec![("cidr_block", s("10.60.0.0/16"))]), &ctx("aws_vpc", "sg", 1)).await.unwrap();
    let other = create(&p, "aws_security_group", c(vec![("name", s("other")), ("vpc_id", s(&id(&vpc)))]), &ctx("aws_security_group", "other", 1))
        .await
        .unwrap();
    // Inline rules: IPv4 + IPv6 in one block, another group, the group itself.
    let rules = |extra: bool| {
        let mut ingress = vec![
            c(vec![
                ("from_port", Value::int(443)),
                ("to_port", Value::int(443)),
                ("protocol", s("tcp")),
                ("cidr_blocks", list(&["10.0.0.0/8"])),
                ("ipv6_cidr_blocks", list(&["2001:db8::/32"])),
            ]),
            c(vec![("from_port", Value::int(0)), ("to_port", Value::int(0)), ("protocol", s("-1")), ("self", Value::Bool(true))]),
        ];
        if extra {
            ingress.push(c(vec![
                ("from_port", Value::int(5432)),
                ("to_port", Value::int(5432)),
                ("protocol", s("tcp")),
                ("security_groups", list(&[&id(&other)])),
                ("description", s("db")),
            ]));
        }
        c(vec![
            ("name_prefix", s("web-")),
            ("vpc_id", s(&id(&vpc))),
            ("revoke_rules_on_delete", Value::Bool(true)),
            ("ingress", Value::List(ingress)),
        ])
    };
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_security_group", rules(false), rules(true)))
        .await
        .unwrap_or_else(|e| panic!("security group: {e}"));
    let cx = ctx("aws_security_group", "web", 1);
    let sg = create(&p, "aws_security_group", rules(true), &cx).await.unwrap();
    assert!(str_attr(&sg, "name").starts_with("web-") && str_attr(&sg, "name").len() == 4 + 26, "{sg:?}");
    assert_no_op(&p, "aws_security_group", &sg, &rules(true));
    let out = testing::client(&moto.endpoint()).describe_security_groups().group_ids(id(&sg)).send().await.unwrap();
    let pairs: Vec<String> = out.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| p.user_id_group_pairs())
        .filter_map(|u| u.group_id().map(String::from))
        .collect();
    assert!(pairs.contains(&id(&other)) && pairs.contains(&id(&sg)), "another group and the group itself: {pairs:?}");
    let v6: Vec<&str> = out.security_groups()[0].ip_permissions().iter().flat_map(|p| p.ipv6_ranges()).filter_map(|r| r.cidr_ipv6()).collect();
    assert_eq!(v6, ["2001:db8::/32"]);
    assert_eq!(create(&p, "aws_security_group", rules(true), &cx).await.unwrap(), sg, "a re-run adopts the group");

    // aws_security_group_rule with IPv6 and with self.
    let rule = |v6: &str| {
        c(vec![
            ("type", s("ingress")),
            ("security_group_id", s(&id(&other))),
            ("from_port", Value::int(80)),
            ("to_port", Value::int(80)),
            ("protocol", s("tcp")),
            ("ipv6_cidr_blocks", list(&[v6])),
            ("prefix_list_ids", Value::List(vec![])),
        ])
    };
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_security_group_rule", rule("2001:db8::/48"), rule("2001:db8:1::/48")))
        .await
        .unwrap_or_else(|e| panic!("ipv6 rule: {e}"));
    let self_rule = c(vec![
        ("type", s("ingress")),
        ("security_group_id", s(&id(&other))),
        ("from_port", Value::int(22)),
        ("to_port", Value::int(22)),
        ("protocol", s("tcp")),
        ("self", Value::Bool(true)),
    ]);
    let rcx = ctx("aws_security_group_rule", "self", 1);
    let r = create(&p, "aws_security_group_rule", self_rule.clone(), &rcx).await.unwrap();
    assert_eq!(attr(&r, "self"), &Value::Bool(true));
    assert_eq!(attr(&r, "source_security_group_id"), &Value::Null);
    assert_no_op(&p, "aws_security_group_rule", &r, &self_rule);
    p.delete("aws_security_group_rule", &r, &rcx).await.unwrap();
    assert_eq!(p.read("aws_security_group_rule", &r).await.unwrap(), None);

    // revoke_rules_on_delete: the group that `other` is referenced by goes, and its rules first.
    p.delete("aws_security_group", &sg, &cx).await.unwrap();
    assert_eq!(p.read("aws_security_group", &sg).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_ownership_controls_acl_and_objects_data_source() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let bucket = create(&p, "aws_s3_bucket", c(vec![("bucket", s("console-data"))]), &ctx("aws_s3_bucket", "data", 1)).await.unwrap();
    let b = str_attr(&bucket, "id");
    let own = |o: &str| c(vec![("bucket", s(&b)), ("rule", Value::List(vec![c(vec![("object_ownership", s(o))])]))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket_ownership_controls", own("BucketOwnerPreferred"), own("ObjectWriter")))
        .await
        .unwrap_or_else(|e| panic!("ownership controls: {e}"));
    let d = p.validate("aws_s3_bucket_ownership_controls", &own("Mine"));
    assert!(d.iter().any(|x| x.summary.starts_with("rule.object_ownership: \"Mine\"")), "{d:?}");

    // A canned ACL: put, read back (no-op), changed in place; the grants S3 made are visible to S3.
    let acl = |a: &str| c(vec![("bucket", s(&b)), ("acl", s(a))]);
    let cx = ctx("aws_s3_bucket_acl", "data", 1);
    let made = create(&p, "aws_s3_bucket_acl", acl("public-read"), &cx).await.unwrap();
    assert_eq!(attr(&made, "id"), &s(&format!("{b},public-read")));
    assert_no_op(&p, "aws_s3_bucket_acl", &made, &acl("public-read"));
    let grants = testing::s3_client(&moto.endpoint()).get_bucket_acl().bucket(&b).send().await.unwrap();
    assert!(grants.grants().iter().any(|g| g.grantee().and_then(|e| e.uri()).is_some_and(|u| u.ends_with("/global/AllUsers"))), "{grants:?}");
    let change = p.plan_change("aws_s3_bucket_acl", Some(&made), &acl("private"));
    assert!(change.requires_replace.is_empty());
    let updated = p.update("aws_s3_bucket_acl", &made, &change.planned, &cx).await.unwrap();
    assert_eq!(attr(&updated, "acl"), &s("private"));
    let grants = testing::s3_client(&moto.endpoint()).get_bucket_acl().bucket(&b).send().await.unwrap();
    assert!(!grants.grants().iter().any(|g| g.grantee().and_then(|e| e.uri()).is_some()), "public grant removed: {grants:?}");
    let d = p.validate("aws_s3_bucket_acl", &c(vec![("bucket", s(&b)), ("acl", s("public"))]));
    assert!(d.iter().any(|x| x.summary.starts_with("acl: \"public\" is not one of")), "{d:?}");

    // aws_s3_objects: keys under a prefix, common prefixes with a delimiter, max_keys.
    let s3 = testing::s3_client(&moto.endpoint());
    for k in ["logs/a.txt", "logs/b.txt", "logs/2026/c.txt", "top.txt"] {
        s3.put_object().bucket(&b).key(k).body(aws_sdk_s3::primitives::ByteStream::from_static(b"x")).send().await.unwrap();
    }
    let listed = p.read_data("aws_s3_objects", &c(vec![("bucket", s(&b)), ("prefix", s("logs/")), ("delimiter", s("/"))])).await.unwrap();
    assert_eq!(attr(&listed, "keys"), &list(&["logs/a.txt", "logs/b.txt"]));
    assert_eq!(attr(&listed, "common_prefixes"), &list(&["logs/2026/"]));
    let two = p.read_data("aws_s3_objects", &c(vec![("bucket", s(&b)), ("max_keys", Value::int(2))])).await.unwrap();
    assert_eq!(attr(&two, "keys"), &list(&["logs/2026/c.txt", "logs/a.txt"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_prefix_list_entries_change_in_place() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let entry = |cidr: &str, desc: &str| c(vec![("cidr", s(cidr)), ("description", s(desc))]);
    let cfg = |name: &str, entries: Vec<Value>| {
        c(vec![("name", s(name)), ("address_family", s("IPv4")), ("max_entries", Value::int(5)), ("entry", Value::List(entries)), ("tags", c(vec![("team", s("net"))]))])
    };
    let first = cfg("All VPC CIDRs", vec![entry("10.0.0.0/16", "default VPC")]);
    let second = cfg("VPC CIDRs", vec![entry("10.0.0.0/16", "default VPC, renamed"), entry("10.1.0.0/16", "second")]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_ec2_managed_prefix_list", first.clone(), second.clone()))
        .await
        .unwrap_or_else(|e| panic!("prefix list: {e}"));
    let cx = ctx("aws_ec2_managed_prefix_list", "example", 1);
    let pl = create(&p, "aws_ec2_managed_prefix_list", first.clone(), &cx).await.unwrap();
    assert!(str_attr(&pl, "id").starts_with("pl-"), "{pl:?}");
    assert_no_op(&p, "aws_ec2_managed_prefix_list", &pl, &first);
    assert_eq!(id(&create(&p, "aws_ec2_managed_prefix_list", first.clone(), &cx).await.unwrap()), id(&pl), "a re-run adopts it by its tags");
    let change = p.plan_change("aws_ec2_managed_prefix_list", Some(&pl), &second);
    assert!(change.requires_replace.is_empty(), "{:?}", change.requires_replace);
    let updated = p.update("aws_ec2_managed_prefix_list", &pl, &change.planned, &cx).await.unwrap();
    assert_eq!(id(&updated), id(&pl));
    assert_eq!(attr(&updated, "name"), &s("VPC CIDRs"));
    assert_no_op(&p, "aws_ec2_managed_prefix_list", &updated, &second);
    // An IPv6 family replaces it; entries beyond max_entries are refused at validate.
    let v6 = c(vec![("name", s("x")), ("address_family", s("IPv6")), ("max_entries", Value::int(5))]);
    assert!(!p.plan_change("aws_ec2_managed_prefix_list", Some(&updated), &v6).requires_replace.is_empty());
    let over = c(vec![("name", s("x")), ("address_family", s("IPv4")), ("max_entries", Value::int(1)), ("entry", Value::List(vec![entry("10.0.0.0/16", "a"), entry("10.1.0.0/16", "b")]))]);
    assert!(p.validate("aws_ec2_managed_prefix_list", &over).iter().any(|d| d.summary == "entry: 2 entries do not fit max_entries = 1"));
    p.delete("aws_ec2_managed_prefix_list", &updated, &cx).await.unwrap();
    assert_eq!(p.read("aws_ec2_managed_prefix_list", &updated).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vpc_gateway_endpoint_and_the_service_data_source() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = id(&create(&p, "aws_vpc", c(vec![("cidr_block", s("10.70.0.0/16"))]), &ctx("aws_vpc", "ep", 1)).await.unwrap());
    let rt = |n: &str| {
        let (p, vpc) = (&p, vpc.clone());
        let name = n.to_string();
        async move { id(&create(p, "aws_route_table", c(vec![("vpc_id", s(&vpc))]), &ctx("aws_route_table", &name, 1)).await.unwrap()) }
    };
    let (rt1, rt2) = (rt("a").await, rt("b").await);

    // The service data source: the short name expands to com.amazonaws.REGION.SERVICE.
    let svc = p
        .read_data(
            "aws_vpc_endpoint_service",
            &c(vec![("service", s("s3")), ("filter", Value::List(vec![c(vec![("name", s("service-type")), ("values", list(&["Gateway"]))])]))]),
        )
        .await
        .unwrap();
    assert_eq!(attr(&svc, "service_name"), &s("com.amazonaws.us-east-1.s3"));
    let d = p.validate("aws_vpc_endpoint_service", &c(vec![("service", s("s3")), ("service_name", s("x"))]));
    assert!(d.iter().any(|x| x.summary == "service: conflicts with service_name"), "{d:?}");

    // A gateway endpoint: tags and route tables change in place.
    let gw_named = |rts: &[&str], name: &str| {
        c(vec![
            ("vpc_id", s(&vpc)),
            ("service_name", s("com.amazonaws.us-east-1.s3")),
            ("vpc_endpoint_type", s("Gateway")),
            ("route_table_ids", list(rts)),
            ("tags", c(vec![("Name", s(name))])),
        ])
    };
    let gw = |rts: &[&str]| gw_named(rts, "s3");
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_vpc_endpoint", gw_named(&[&rt1], "a"), gw_named(&[&rt1], "b")))
        .await
        .unwrap_or_else(|e| panic!("gateway endpoint: {e}"));
    let cx = ctx("aws_vpc_endpoint", "s3", 1);
    let ep = create(&p, "aws_vpc_endpoint", gw(&[&rt1]), &cx).await.unwrap();
    assert!(str_attr(&ep, "id").starts_with("vpce-"), "{ep:?}");
    assert_no_op(&p, "aws_vpc_endpoint", &ep, &gw(&[&rt1]));
    assert_eq!(id(&create(&p, "aws_vpc_endpoint", gw(&[&rt1]), &cx).await.unwrap()), id(&ep), "a re-run adopts it by its tags");
    let change = p.plan_change("aws_vpc_endpoint", Some(&ep), &gw(&[&rt2]));
    assert!(change.requires_replace.is_empty(), "{:?}", change.requires_replace);
    let moved = p.update("aws_vpc_endpoint", &ep, &change.planned, &cx).await.unwrap();
    assert_eq!(attr(&moved, "route_table_ids"), &Value::set(vec![s(&rt2)]));
    // Another service replaces it; an unknown type is refused at validate.
    let other = c(vec![("vpc_id", s(&vpc)), ("service_name", s("com.amazonaws.us-east-1.dynamodb")), ("route_table_ids", list(&[&rt2]))]);
    assert!(!p.plan_change("aws_vpc_endpoint", Some(&moved), &other).requires_replace.is_empty());
    let d = p.validate("aws_vpc_endpoint", &c(vec![("vpc_id", s(&vpc)), ("vpc_endpoint_type", s("Tunnel"))]));
    assert!(d.iter().any(|x| x.summary.starts_with("vpc_endpoint_type: \"Tunnel\"")), "{d:?}");
    // moto 5.2 adds no route for a route table added by ModifyVpcEndpoint and
    // then refuses the delete (InvalidRoute.NotFound): the error must surface,
    // not be taken for "already gone".
    let err = p.delete("aws_vpc_endpoint", &moved, &cx).await.unwrap_err().to_string();
    assert!(err.contains("InvalidRoute.NotFound"), "{err}");
    assert!(p.read("aws_vpc_endpoint", &moved).await.unwrap().is_some());
}

// ------------------------------------------------ aws_autoscaling_group arguments

/// The arguments of the provider's `examples/asg` and the autoscaling
/// module: Classic ELB attachment, termination policies, cooldown, scale-in
/// protection, metrics collection, suspended processes, and the wait for
/// capacity after the create.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaling_group_arguments_of_real_configurations() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let asg = testing::autoscaling_client(&moto.endpoint());
    let elb = |name: &str| {
        c(vec![
            ("name", s(name)),
            ("availability_zones", list(&["us-east-1a"])),
            ("listener", Value::List(vec![c(vec![("instance_port", Value::int(80)), ("instance_protocol", s("http")), ("lb_port", Value::int(80)), ("lb_protocol", s("http"))])])),
        ])
    };
    create(&p, "aws_elb", elb("asg-elb-1"), &ctx("aws_elb", "one", 1)).await.unwrap();
    create(&p, "aws_elb", elb("asg-elb-2"), &ctx("aws_elb", "two", 1)).await.unwrap();
    create(&p, "aws_launch_configuration", c(vec![("name", s("asg-lc")), ("image_id", s("ami-12c6146b")), ("instance_type", s("t3.micro"))]), &ctx("aws_launch_configuration", "lc", 1))
        .await
        .unwrap();
    let group = |lbs: &[&str], metrics: &[&str], suspended: &[&str], cooldown: i64| {
        c(vec![
            ("name", s("asg-args")),
            ("min_size", Value::int(1)),
            ("max_size", Value::int(2)),
            ("desired_capacity", Value::int(2)),
            ("launch_configuration", s("asg-lc")),
            ("availability_zones", list(&["us-east-1a"])),
            ("force_delete", Value::Bool(true)),
            ("load_balancers", list(lbs)),
            ("termination_policies", Value::List(vec![s("OldestInstance"), s("Default")])),
            ("default_cooldown", Value::int(cooldown)),
            ("protect_from_scale_in", Value::Bool(true)),
            ("capacity_rebalance", Value::Bool(true)),
            ("max_instance_lifetime", Value::int(86400)),
            ("enabled_metrics", list(metrics)),
            ("metrics_granularity", s("1Minute")),
            ("suspended_processes", list(suspended)),
            ("wait_for_capacity_timeout", s("2m")),
        ])
    };
    let g1 = group(&["asg-elb-1"], &["GroupMinSize", "GroupMaxSize"], &["AZRebalance"], 120);
    let cx = ctx("aws_autoscaling_group", "args", 1);
    let a = create(&p, "aws_autoscaling_group", g1.clone(), &cx).await.unwrap();
    // Created with its capacity in service (the wait), everything readable back.
    let live = asg.describe_auto_scaling_groups().auto_scaling_group_names("asg-args").send().await.unwrap();
    let live = &live.auto_scaling_groups()[0];
    assert_eq!(live.instances().len(), 2);
    assert_eq!(live.load_balancer_names(), ["asg-elb-1"]);
    assert_eq!(live.termination_policies(), ["OldestInstance", "Default"]);
    assert_eq!(live.default_cooldown(), Some(120));
    assert_eq!(live.new_instances_protected_from_scale_in(), Some(true));
    assert_eq!(live.suspended_processes().iter().filter_map(|p| p.process_name()).collect::<Vec<_>>(), ["AZRebalance"]);
    assert_eq!(attr(&a, "enabled_metrics"), &Value::set(vec![s("GroupMaxSize"), s("GroupMinSize")]));
    assert_eq!(attr(&a, "wait_for_capacity_timeout"), &s("2m"));
    assert_no_op(&p, "aws_autoscaling_group", &a, &g1);
    let read = p.read("aws_autoscaling_group", &a).await.unwrap().unwrap();
    assert_eq!(read, a, "a read gives the created value");

    // In place: another ELB, another metric (moto 5.2 answers
    // DisableMetricsCollection with a 500, so none is removed here), other
    // processes. (moto's UpdateAutoScalingGroup ignores DefaultCooldown and
    // TerminationPolicies, so those stay.)
    let g2 = group(&["asg-elb-2"], &["GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity"], &["Launch", "Terminate"], 120);
    let change = p.plan_change("aws_autoscaling_group", Some(&a), &g2);
    assert!(change.requires_replace.is_empty(), "{:?}", change.requires_replace);
    let b = p.update("aws_autoscaling_group", &a, &change.planned, &cx).await.unwrap();
    let live = asg.describe_auto_scaling_groups().auto_scaling_group_names("asg-args").send().await.unwrap();
    let live = &live.auto_scaling_groups()[0];
    assert_eq!(live.load_balancer_names(), ["asg-elb-2"]);
    let mut metrics: Vec<&str> = live.enabled_metrics().iter().filter_map(|m| m.metric()).collect();
    metrics.sort_unstable();
    assert_eq!(metrics, ["GroupDesiredCapacity", "GroupMaxSize", "GroupMinSize"]);
    let mut processes: Vec<&str> = live.suspended_processes().iter().filter_map(|p| p.process_name()).collect();
    processes.sort_unstable();
    assert_eq!(processes, ["Launch", "Terminate"]);
    assert_no_op(&p, "aws_autoscaling_group", &b, &g2);

    // A wait that cannot be met fails naming the limit; "0" skips it.
    let mut never = group(&[], &[], &[], 60);
    if let Value::Map(m) = &mut never {
        m.insert("name".into(), s("asg-wait"));
        m.insert("desired_capacity".into(), Value::Null);
        m.insert("min_size".into(), Value::int(0));
        m.insert("wait_for_capacity_timeout".into(), s("0"));
    }
    create(&p, "aws_autoscaling_group", never, &ctx("aws_autoscaling_group", "wait", 1)).await.unwrap();
    let bad = group(&[], &[], &[], 60);
    let mut bad = bad;
    if let Value::Map(m) = &mut bad {
        m.insert("wait_for_capacity_timeout".into(), s("soon"));
    }
    let d = p.validate("aws_autoscaling_group", &bad);
    assert!(d.iter().any(|d| d.summary.contains("wait_for_capacity_timeout")), "{d:?}");

    p.delete("aws_autoscaling_group", &b, &cx).await.unwrap();
    assert!(p.read("aws_autoscaling_group", &b).await.unwrap().is_none());
}

// ------------------------------------------------ S3 arguments of terraform-aws-modules/s3-bucket

/// `aws_s3_bucket` `object_lock_enabled` / `hosted_zone_id` / `bucket_region`,
/// `aws_s3_bucket_public_access_block`
/// `skip_destroy`, and the `aws_s3_object` headers, storage class,
/// metadata, `content_base64` and `override_provider` default tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_arguments_of_the_bucket_module() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = testing::s3_client(&moto.endpoint());
    let bucket_cfg = c(vec![("bucket", s("args-lock")), ("object_lock_enabled", Value::Bool(true))]);
    let b = create(&p, "aws_s3_bucket", bucket_cfg.clone(), &ctx("aws_s3_bucket", "lock", 1)).await.unwrap();
    assert_eq!(attr(&b, "object_lock_enabled"), &Value::Bool(true));
    assert_eq!(attr(&b, "hosted_zone_id"), &s("Z3AQBSTGFYJSTF"));
    assert_eq!(attr(&b, "bucket_region"), &s("us-east-1"));
    assert_eq!(attr(&b, "bucket_namespace"), &s("global"));
    assert_no_op(&p, "aws_s3_bucket", &b, &bucket_cfg);
    let lock = s3.get_object_lock_configuration().bucket("args-lock").send().await.unwrap();
    assert_eq!(lock.object_lock_configuration().and_then(|c| c.object_lock_enabled()).map(|e| e.as_str()), Some("Enabled"));
    // A plain bucket reads object_lock_enabled = false.
    let plain = create(&p, "aws_s3_bucket", c(vec![("bucket", s("args-plain"))]), &ctx("aws_s3_bucket", "plain", 1)).await.unwrap();
    assert_eq!(attr(&plain, "object_lock_enabled"), &Value::Bool(false));
    let bad = p.validate("aws_s3_bucket", &c(vec![("bucket", s("x-bucket")), ("bucket_namespace", s("nope"))]));
    assert!(bad.iter().any(|d| d.summary.contains("bucket_namespace")), "{bad:?}");

    // (aws_s3_bucket_versioning's mfa_delete is not read here: moto 5.2
    // answers GetBucketVersioning with an XML root aws-sdk-s3 rejects.)
    let pab = c(vec![("bucket", s("args-plain")), ("block_public_acls", Value::Bool(true)), ("skip_destroy", Value::Bool(true))]);
    let pcx = ctx("aws_s3_bucket_public_access_block", "p", 1);
    let a = create(&p, "aws_s3_bucket_public_access_block", pab.clone(), &pcx).await.unwrap();
    assert_no_op(&p, "aws_s3_bucket_public_access_block", &a, &pab);
    p.delete("aws_s3_bucket_public_access_block", &a, &pcx).await.unwrap();
    assert!(s3.get_public_access_block().bucket("args-plain").send().await.is_ok(), "skip_destroy leaves the block in place");

    let object = |cache: &str| {
        c(vec![
            ("bucket", s("args-plain")),
            ("key", s("site/index.html")),
            ("content_base64", s("PGgxPmhpPC9oMT4=")),
            ("content_type", s("text/html")),
            ("cache_control", s(cache)),
            ("content_disposition", s("inline")),
            ("content_language", s("en")),
            ("storage_class", s("STANDARD_IA")),
            ("metadata", c(vec![("owner", s("web"))])),
            ("acl", s("private")),
            ("tags", c(vec![("app", s("site"))])),
            ("override_provider", Value::List(vec![c(vec![("default_tags", Value::List(vec![c(vec![("tags", c(vec![]))])]))])])),
        ])
    };
    let ocx = ctx("aws_s3_object", "o", 1);
    let o = create(&p, "aws_s3_object", object("max-age=60"), &ocx).await.unwrap();
    let got = s3.get_object().bucket("args-plain").key("site/index.html").send().await.unwrap();
    assert_eq!(got.cache_control(), Some("max-age=60"));
    assert_eq!(got.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(got.metadata().and_then(|m| m.get("owner")).map(String::as_str), Some("web"));
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"<h1>hi</h1>");
    assert_no_op(&p, "aws_s3_object", &o, &object("max-age=60"));
    // A header change uploads the object again (a new etag is unknown until then).
    let change = p.plan_change("aws_s3_object", Some(&o), &object("no-cache"));
    assert!(change.requires_replace.is_empty());
    let o2 = p.update("aws_s3_object", &o, &change.planned, &ocx).await.unwrap();
    assert_eq!(attr(&o2, "cache_control"), &s("no-cache"));
    let head = s3.head_object().bucket("args-plain").key("site/index.html").send().await.unwrap();
    assert_eq!(head.cache_control(), Some("no-cache"));
    p.delete("aws_s3_object", &o2, &ocx).await.unwrap();
    assert!(p.read("aws_s3_object", &o2).await.unwrap().is_none());
}
