//! The aws provider against a real moto server: conformance lifecycle per
//! resource type, drift, adoption after a crash, import, gone objects.

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

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_path(&[PathStep::Key(name.into())]).unwrap_or(&Value::Null)
}

fn id(v: &Value) -> String {
    match attr(v, "id") {
        Value::String(s) => s.clone(),
        other => panic!("no id: {other:?}"),
    }
}

fn ctx(ty: &str, name: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: "lineage-test".into(), generation }
}

async fn provider_with(moto: &MotoServer, extra: Vec<(&str, Value)>) -> AwsProvider {
    for (k, v) in moto.client_env() {
        std::env::set_var(k, v);
    }
    let p = AwsProvider::new();
    let mut cfg = vec![("region", s("us-east-1")), ("endpoint", s(&moto.endpoint()))];
    cfg.extend(extra);
    p.configure(Value::map(cfg)).await.unwrap_or_else(|d| panic!("configure: {d:?}"));
    p
}

async fn provider(moto: &MotoServer) -> AwsProvider {
    provider_with(moto, Vec::new()).await
}

/// Plans a create the way the planner does and creates.
async fn create(p: &AwsProvider, ty: &str, cfg: Value, c: &OpContext) -> Result<Value, ProviderError> {
    let planned = p.plan_change(ty, None, &cfg).planned;
    p.create(ty, &planned, c).await
}

async fn any_ami(endpoint: &str) -> String {
    let out = testing::client(endpoint).describe_images().send().await.expect("DescribeImages");
    let mut ids: Vec<String> = out.images().iter().filter_map(|i| i.image_id().map(String::from)).collect();
    ids.sort();
    ids.into_iter().next().expect("moto offers AMIs")
}

async fn make_vpc(p: &AwsProvider, name: &str, cidr: &str) -> Value {
    create(p, "aws_vpc", Value::map([("cidr_block", s(cidr))]), &ctx("aws_vpc", name, 1)).await.expect("create vpc")
}

#[tokio::test]
async fn conformance_vpc_update_and_replace() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let create = Value::map([("cidr_block", s("10.0.0.0/16")), ("tags", Value::map([("Name", s("a"))]))]);
    let update = Value::map([
        ("cidr_block", s("10.0.0.0/16")),
        ("enable_dns_hostnames", Value::Bool(true)),
        ("tags", Value::map([("Name", s("b")), ("env", s("test"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_vpc", create.clone(), update)).await.unwrap_or_else(|e| panic!("{e}"));
    let replace = Value::map([("cidr_block", s("10.1.0.0/16"))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_vpc", create, replace)).await.unwrap_or_else(|e| panic!("{e}"));
    let vpcs = testing::client(&moto.endpoint()).describe_vpcs().send().await.unwrap();
    let left: Vec<_> = vpcs.vpcs().iter().filter(|v| v.is_default() != Some(true)).collect();
    assert!(left.is_empty(), "conformance left VPCs behind: {left:?}");
}

#[tokio::test]
async fn conformance_instance_type_change_in_place() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ami = any_ami(&moto.endpoint()).await;
    let create = Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro")), ("tags", Value::map([("Name", s("web"))]))]);
    let update = Value::map([("ami", s(&ami)), ("instance_type", s("t3.small")), ("tags", Value::map([("Name", s("web2"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_instance", create.clone(), update)).await.unwrap_or_else(|e| panic!("{e}"));
    // user_data forces a new instance.
    let replace = Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro")), ("user_data", s("#!/bin/sh\necho hi\n"))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_instance", create, replace)).await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn conformance_networking_resources() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let vpc = make_vpc(&p, "net", "10.2.0.0/16").await;
    let vpc_id = id(&vpc);
    let c = |pairs: Vec<(&str, Value)>| Value::map(pairs);

    let subnet = c(vec![("vpc_id", s(&vpc_id)), ("cidr_block", s("10.2.1.0/24")), ("availability_zone", s("us-east-1a"))]);
    let subnet2 = c(vec![
        ("vpc_id", s(&vpc_id)),
        ("cidr_block", s("10.2.1.0/24")),
        ("availability_zone", s("us-east-1a")),
        ("map_public_ip_on_launch", Value::Bool(true)),
        ("tags", c(vec![("tier", s("public"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_subnet", subnet, subnet2)).await.unwrap_or_else(|e| panic!("subnet: {e}"));

    let igw = c(vec![("vpc_id", s(&vpc_id))]);
    let igw2 = c(vec![("tags", c(vec![("Name", s("gw"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_internet_gateway", igw, igw2)).await.unwrap_or_else(|e| panic!("igw: {e}"));

    let gw = create(&p, "aws_internet_gateway", c(vec![("vpc_id", s(&vpc_id))]), &ctx("aws_internet_gateway", "gw", 1)).await.unwrap();
    let rt = c(vec![("vpc_id", s(&vpc_id))]);
    let rt2 = c(vec![
        ("vpc_id", s(&vpc_id)),
        ("route", Value::List(vec![c(vec![("cidr_block", s("0.0.0.0/0")), ("gateway_id", s(&id(&gw)))])])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_route_table", rt, rt2)).await.unwrap_or_else(|e| panic!("route table: {e}"));

    let sg = c(vec![
        ("name", s("web")),
        ("vpc_id", s(&vpc_id)),
        (
            "ingress",
            Value::List(vec![c(vec![
                ("from_port", Value::int(22)),
                ("to_port", Value::int(22)),
                ("protocol", s("tcp")),
                ("cidr_blocks", list(&["10.0.0.0/8"])),
            ])]),
        ),
    ]);
    let sg2 = c(vec![
        ("name", s("web")),
        ("vpc_id", s(&vpc_id)),
        (
            "ingress",
            Value::List(vec![c(vec![
                ("from_port", Value::int(443)),
                ("to_port", Value::int(443)),
                ("protocol", s("tcp")),
                ("cidr_blocks", list(&["0.0.0.0/0", "10.0.0.0/8"])),
                ("description", s("https")),
            ])]),
        ),
        (
            "egress",
            Value::List(vec![c(vec![
                ("from_port", Value::int(0)),
                ("to_port", Value::int(0)),
                ("protocol", s("-1")),
                ("cidr_blocks", list(&["0.0.0.0/0"])),
            ])]),
        ),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_security_group", sg, sg2)).await.unwrap_or_else(|e| panic!("security group: {e}"));

    let key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCbg4iYK7sn121omEqlQZfA2vitCnELSr8Ji0M5dL4BV8NNdtcn8xMAani3C4Xv7LEDey5uYIZqWfmVll8f4d/zB9U9n/GLvytakSXRVTPkAlyC6Zd2LflSWN8PZ37IL0v/3VaQbrhwkW0giy6O8+Y6hzkjMakE4Taf+H6MepAJ9bbuNNuTJkTDjfjoQ+PpqUSCC1dzC9Otaf8tOwc9gmdBPxWrzO0/c0PHMt186N/sInkS+rCBU3Q9Yu29WEBNRmYJ3mycJIouj5XmQij39dmUI0rDGQdZndP7Ql5o4L2Yf5VXQ3Zjv2s7zwQaCAfLTrOIjZAc8kYP6olL6cnHUqbz test@contin";
    let kp = c(vec![("key_name", s("deployer")), ("public_key", s(key))]);
    let kp2 = c(vec![("key_name", s("deployer")), ("public_key", s(key)), ("tags", c(vec![("team", s("ops"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_key_pair", kp, kp2)).await.unwrap_or_else(|e| panic!("key pair: {e}"));
    // `key_name_prefix` (terraform-aws-modules/key-pair): a unique name with that prefix.
    let kp3 = c(vec![("key_name_prefix", s("deployer-")), ("public_key", s(key))]);
    let kp4 = c(vec![("key_name_prefix", s("deployer-")), ("public_key", s(key)), ("tags", c(vec![("team", s("ops"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_key_pair", kp3.clone(), kp4)).await.unwrap_or_else(|e| panic!("key pair with prefix: {e}"));
    let made = create(&p, "aws_key_pair", kp3, &ctx("aws_key_pair", "prefixed", 1)).await.unwrap();
    assert!(matches!(attr(&made, "key_name"), Value::String(n) if n.starts_with("deployer-") && n.len() > "deployer-".len()), "{made:?}");
    assert_eq!(attr(&made, "key_name_prefix"), &s("deployer-"));

    let sn = create(&p, "aws_subnet", c(vec![("vpc_id", s(&vpc_id)), ("cidr_block", s("10.2.2.0/24"))]), &ctx("aws_subnet", "a", 1)).await.unwrap();
    let rt_a = create(&p, "aws_route_table", c(vec![("vpc_id", s(&vpc_id))]), &ctx("aws_route_table", "a", 1)).await.unwrap();
    let rt_b = create(&p, "aws_route_table", c(vec![("vpc_id", s(&vpc_id))]), &ctx("aws_route_table", "b", 1)).await.unwrap();
    let assoc = |rt: &Value| c(vec![("subnet_id", s(&id(&sn))), ("route_table_id", s(&id(rt)))]);
    conformance::run(&p, &LifecycleCase::new("aws_route_table_association", assoc(&rt_a), assoc(&rt_b)))
        .await
        .unwrap_or_else(|e| panic!("association: {e}"));
}

#[tokio::test]
async fn data_sources_read_moto_catalog() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let azs = conformance::check_data_source(&p, "aws_availability_zones", &Value::map([("state", s("available"))])).await.unwrap();
    match attr(&azs, "names") {
        Value::List(n) => assert!(n.contains(&s("us-east-1a")), "{n:?}"),
        other => panic!("names: {other:?}"),
    }
    let ami = any_ami(&moto.endpoint()).await;
    let cfg = Value::map([
        ("most_recent", Value::Bool(true)),
        ("filter", Value::List(vec![Value::map([("name", s("image-id")), ("values", list(&[&ami]))])])),
    ]);
    let v = conformance::check_data_source(&p, "aws_ami", &cfg).await.unwrap();
    assert_eq!(attr(&v, "id"), &s(&ami));
    let none = Value::map([("filter", Value::List(vec![Value::map([("name", s("name")), ("values", list(&["no-such-image-*"]))])]))]);
    let e = p.read_data("aws_ami", &none).await.unwrap_err();
    assert!(e.to_string().contains("no AMI matches"), "{e}");
}

#[tokio::test]
async fn drift_tags_and_sg_rules_show_in_read() {
    let moto = MotoServer::start();
    let p = provider_with(&moto, vec![("tags", Value::map([("team", s("core"))]))]).await;
    let probe = testing::client(&moto.endpoint());
    let vpc = create(&p, "aws_vpc", Value::map([("cidr_block", s("10.3.0.0/16")), ("tags", Value::map([("env", s("dev"))]))]), &ctx("aws_vpc", "d", 1))
        .await
        .unwrap();
    // Default tags are applied in AWS but do not show as the resource's own tags; nor do contin:* tags.
    assert_eq!(attr(&vpc, "tags"), &Value::map([("env", s("dev"))]));
    let d = probe.describe_vpcs().vpc_ids(id(&vpc)).send().await.unwrap();
    let keys: Vec<&str> = d.vpcs()[0].tags().iter().filter_map(|t| t.key()).collect();
    for k in ["team", "env", "contin:lineage", "contin:address", "contin:generation"] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    // Out-of-band tag change.
    probe
        .create_tags()
        .resources(id(&vpc))
        .tags(aws_sdk_ec2::types::Tag::builder().key("env").value("hacked").build())
        .send()
        .await
        .unwrap();
    let read = p.read("aws_vpc", &vpc).await.unwrap().unwrap();
    assert_eq!(attr(&read, "tags"), &Value::map([("env", s("hacked"))]));
    // The plan brings it back, update applies it.
    let change = p.plan_change("aws_vpc", Some(&read), &Value::map([("cidr_block", s("10.3.0.0/16")), ("tags", Value::map([("env", s("dev"))]))]));
    assert!(change.requires_replace.is_empty());
    let updated = p.update("aws_vpc", &read, &change.planned, &ctx("aws_vpc", "d", 1)).await.unwrap();
    assert_eq!(attr(&updated, "tags"), &Value::map([("env", s("dev"))]));

    // Out-of-band SG rule: planned away when the group declares its ingress rules inline.
    let ssh = Value::map([("from_port", Value::int(22)), ("to_port", Value::int(22)), ("protocol", s("tcp")), ("cidr_blocks", list(&["10.0.0.0/8"]))]);
    let sg_cfg = Value::map([("vpc_id", s(&id(&vpc))), ("ingress", Value::List(vec![ssh.clone()]))]);
    let sg = create(&p, "aws_security_group", sg_cfg.clone(), &ctx("aws_security_group", "d", 1)).await.unwrap();
    let ssh_read = Value::map([
        ("from_port", Value::int(22)),
        ("to_port", Value::int(22)),
        ("protocol", s("tcp")),
        ("cidr_blocks", list(&["10.0.0.0/8"])),
        ("ipv6_cidr_blocks", Value::List(vec![])),
        ("prefix_list_ids", Value::List(vec![])),
        ("security_groups", Value::set(vec![])),
        ("self", Value::Bool(false)),
        ("description", Value::Null),
    ]);
    assert_eq!(attr(&sg, "ingress"), &Value::set(vec![ssh_read.clone()]));
    assert_eq!(attr(&sg, "egress"), &Value::set(vec![]), "the default allow-all egress rule is removed");
    let perm = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(3389)
        .to_port(3389)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    probe.authorize_security_group_ingress().group_id(id(&sg)).ip_permissions(perm).send().await.unwrap();
    let read = p.read("aws_security_group", &sg).await.unwrap().unwrap();
    let rdp = Value::map([
        ("from_port", Value::int(3389)),
        ("to_port", Value::int(3389)),
        ("protocol", s("tcp")),
        ("cidr_blocks", list(&["0.0.0.0/0"])),
        ("ipv6_cidr_blocks", Value::List(vec![])),
        ("prefix_list_ids", Value::List(vec![])),
        ("security_groups", Value::set(vec![])),
        ("self", Value::Bool(false)),
        ("description", Value::Null),
    ]);
    match attr(&read, "ingress") {
        Value::Set(items) => assert!(items.contains(&rdp) && items.contains(&ssh_read) && items.len() == 2, "{items:?}"),
        other => panic!("{other:?}"),
    }
    let change = p.plan_change("aws_security_group", Some(&read), &sg_cfg);
    assert_ne!(change.planned, read, "the out-of-band rule is planned away");
    let fixed = p.update("aws_security_group", &read, &change.planned, &ctx("aws_security_group", "d", 1)).await.unwrap();
    assert_eq!(attr(&fixed, "ingress"), &Value::set(vec![ssh_read]));
    // Without inline ingress blocks the group leaves ingress rules alone (Terraform's rule: they may
    // belong to aws_security_group_rule resources).
    let bare = Value::map([("vpc_id", s(&id(&vpc)))]);
    let change = p.plan_change("aws_security_group", Some(&fixed), &bare);
    assert_eq!(change.planned, fixed);
}

#[tokio::test]
async fn crash_after_create_adopts_instead_of_duplicating() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ami = any_ami(&moto.endpoint()).await;
    let cfg = Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro"))]);
    let c = ctx("aws_instance", "web", 1);
    let first = create(&p, "aws_instance", cfg.clone(), &c).await.unwrap();
    // The state write was lost: the executor creates again with the same context.
    let second = create(&p, "aws_instance", cfg.clone(), &c).await.unwrap();
    assert_eq!(id(&first), id(&second));
    let probe = testing::client(&moto.endpoint());
    let live = |probe: aws_sdk_ec2::Client| async move {
        let out = probe.describe_instances().send().await.unwrap();
        out.reservations().iter().flat_map(|r| r.instances()).filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated")).count()
    };
    assert_eq!(live(probe.clone()).await, 1);
    // Another generation (a replacement) is a new instance.
    let third = create(&p, "aws_instance", cfg, &ctx("aws_instance", "web", 2)).await.unwrap();
    assert_ne!(id(&third), id(&first));
    assert_eq!(live(probe).await, 2);

    // Same for a VPC and a security group.
    let v1 = make_vpc(&p, "adopt", "10.4.0.0/16").await;
    let v2 = make_vpc(&p, "adopt", "10.4.0.0/16").await;
    assert_eq!(id(&v1), id(&v2));
    let sg1 = create(&p, "aws_security_group", Value::map([("vpc_id", s(&id(&v1)))]), &ctx("aws_security_group", "x", 1)).await.unwrap();
    let sg2 = create(&p, "aws_security_group", Value::map([("vpc_id", s(&id(&v1)))]), &ctx("aws_security_group", "x", 1)).await.unwrap();
    assert_eq!(id(&sg1), id(&sg2));
}

#[tokio::test]
async fn import_and_gone_objects() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ami = any_ami(&moto.endpoint()).await;
    let inst = create(&p, "aws_instance", Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro")), ("tags", Value::map([("Name", s("imp"))]))]), &ctx("aws_instance", "imp", 1))
        .await
        .unwrap();
    let imported = p.import("aws_instance", &id(&inst)).await.unwrap();
    assert_eq!(attr(&imported, "instance_type"), &s("t2.micro"));
    assert_eq!(attr(&imported, "tags"), &Value::map([("Name", s("imp"))]));
    assert_eq!(attr(&imported, "instance_state"), &s("running"));
    let vpc = make_vpc(&p, "imp", "10.5.0.0/16").await;
    let imported = p.import("aws_vpc", &id(&vpc)).await.unwrap();
    assert_eq!(imported, vpc);
    let e = p.import("aws_vpc", "vpc-doesnotexist").await.unwrap_err();
    assert!(e.to_string().contains("vpc-doesnotexist"), "{e}");

    // Deleted out of band: read says gone.
    testing::client(&moto.endpoint()).terminate_instances().instance_ids(id(&inst)).send().await.unwrap();
    assert_eq!(p.read("aws_instance", &inst).await.unwrap(), None);
    testing::client(&moto.endpoint()).delete_vpc().vpc_id(id(&vpc)).send().await.unwrap();
    assert_eq!(p.read("aws_vpc", &vpc).await.unwrap(), None);
    // Deleting what is gone succeeds.
    p.delete("aws_vpc", &vpc, &ctx("aws_vpc", "imp", 1)).await.unwrap();
    p.delete("aws_instance", &inst, &ctx("aws_instance", "imp", 1)).await.unwrap();
}

#[tokio::test]
async fn api_errors_name_address_and_code() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let e = create(&p, "aws_subnet", Value::map([("vpc_id", s("vpc-nope")), ("cidr_block", s("10.0.0.0/24"))]), &ctx("aws_subnet", "bad", 1))
        .await
        .unwrap_err();
    match &e {
        ProviderError::Api { code, message } => {
            assert_eq!(code, "InvalidVpcID.NotFound");
            assert!(message.starts_with("aws_subnet.bad: "), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unreachable_endpoint_is_a_clear_error_not_a_hang() {
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let p = AwsProvider::new();
    p.configure(Value::map([("region", s("us-east-1")), ("endpoint", s("http://127.0.0.1:1"))])).await.unwrap();
    let t = std::time::Instant::now();
    let e = create(&p, "aws_vpc", Value::map([("cidr_block", s("10.0.0.0/16"))]), &ctx("aws_vpc", "main", 1)).await.unwrap_err();
    assert!(t.elapsed() < std::time::Duration::from_secs(30), "took {:?}", t.elapsed());
    match &e {
        ProviderError::Unreachable(m) => assert!(m.starts_with("aws_vpc.main: cannot reach the EC2 endpoint"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("testing"), "credentials leaked: {e}");
}

#[tokio::test]
async fn instance_root_volume_size_and_key_pair() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ami = any_ami(&moto.endpoint()).await;
    let key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCbg4iYK7sn121omEqlQZfA2vitCnELSr8Ji0M5dL4BV8NNdtcn8xMAani3C4Xv7LEDey5uYIZqWfmVll8f4d/zB9U9n/GLvytakSXRVTPkAlyC6Zd2LflSWN8PZ37IL0v/3VaQbrhwkW0giy6O8+Y6hzkjMakE4Taf+H6MepAJ9bbuNNuTJkTDjfjoQ+PpqUSCC1dzC9Otaf8tOwc9gmdBPxWrzO0/c0PHMt186N/sInkS+rCBU3Q9Yu29WEBNRmYJ3mycJIouj5XmQij39dmUI0rDGQdZndP7Ql5o4L2Yf5VXQ3Zjv2s7zwQaCAfLTrOIjZAc8kYP6olL6cnHUqbz test@contin";
    let kp = create(&p, "aws_key_pair", Value::map([("public_key", s(key))]), &ctx("aws_key_pair", "k", 1)).await.unwrap();
    let key_name = match attr(&kp, "key_name") {
        Value::String(n) => n.clone(),
        other => panic!("{other:?}"),
    };
    assert!(key_name.starts_with("contin-"), "generated name: {key_name}");
    assert!(matches!(attr(&kp, "fingerprint"), Value::String(f) if !f.is_empty()));
    let root = |size: i64| Value::List(vec![Value::map([("volume_size", Value::int(size))])]);
    let create_cfg = Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro")), ("key_name", s(&key_name)), ("root_block_device", root(20))]);
    let bigger = Value::map([("ami", s(&ami)), ("instance_type", s("t2.micro")), ("key_name", s(&key_name)), ("root_block_device", root(30))]);
    let inst = create(&p, "aws_instance", create_cfg.clone(), &ctx("aws_instance", "disk", 1)).await.unwrap();
    let rb = match attr(&inst, "root_block_device") {
        Value::List(items) if items.len() == 1 => items[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(attr(&rb, "volume_size"), &Value::int(20));
    assert!(matches!(attr(&rb, "volume_id"), Value::String(v) if v.starts_with("vol-")));
    assert_eq!(attr(&inst, "key_name"), &s(&key_name));
    // Unchanged: no-op; a new size replaces the instance.
    let same = p.plan_change("aws_instance", Some(&inst), &create_cfg);
    assert_eq!(same.planned, inst);
    let change = p.plan_change("aws_instance", Some(&inst), &bigger);
    assert!(!change.requires_replace.is_empty());
    p.delete("aws_instance", &inst, &ctx("aws_instance", "disk", 1)).await.unwrap();
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_instance", create_cfg, bigger)).await.unwrap_or_else(|e| panic!("{e}"));
}
