//! The S3 and additional EC2 types and data sources against a real moto
//! server: conformance lifecycle (create, read, no-op, update or replace,
//! delete, read after delete), drift, adoption after a crash, gone objects.

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
    OpContext { address: ResourceAddr::managed(ty, name), lineage: "lineage-types".into(), generation }
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

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    testing::s3_client(endpoint)
}

async fn bucket_exists(s3: &aws_sdk_s3::Client, name: &str) -> bool {
    s3.head_bucket().bucket(name).send().await.is_ok()
}

#[tokio::test]
async fn s3_bucket_lifecycle_force_destroy_and_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = s3_client(&moto.endpoint());

    let create_cfg = c(vec![("bucket", s("contin-conf-a")), ("tags", c(vec![("env", s("dev"))]))]);
    let update = c(vec![("bucket", s("contin-conf-a")), ("force_destroy", Value::Bool(true)), ("tags", c(vec![("env", s("prod")), ("team", s("x"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_s3_bucket", create_cfg.clone(), update)).await.unwrap_or_else(|e| panic!("{e}"));
    // A new name replaces the bucket, and the plan says why.
    let renamed = c(vec![("bucket", s("contin-conf-b"))]);
    let first = create(&p, "aws_s3_bucket", create_cfg.clone(), &ctx("aws_s3_bucket", "r", 1)).await.unwrap();
    let change = p.plan_change("aws_s3_bucket", Some(&first), &renamed);
    assert_eq!(change.requires_replace, vec![vec![PathStep::Key("bucket".into())]]);
    p.delete("aws_s3_bucket", &first, &ctx("aws_s3_bucket", "r", 1)).await.unwrap();
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket", create_cfg, renamed)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!bucket_exists(&s3, "contin-conf-a").await && !bucket_exists(&s3, "contin-conf-b").await);

    // Generated names from bucket_prefix; computed attributes.
    let cx = ctx("aws_s3_bucket", "logs", 1);
    let b = create(&p, "aws_s3_bucket", c(vec![("bucket_prefix", s("logs-"))]), &cx).await.unwrap();
    let name = str_attr(&b, "bucket");
    assert!(name.starts_with("logs-") && name.len() == 5 + 26, "{name}");
    assert_eq!(attr(&b, "arn"), &s(&format!("arn:aws:s3:::{name}")));
    assert_eq!(attr(&b, "bucket_domain_name"), &s(&format!("{name}.s3.amazonaws.com")));
    assert_eq!(attr(&b, "region"), &s("us-east-1"));
    // The state write was lost: the same create adopts the bucket it made.
    let again = create(&p, "aws_s3_bucket", c(vec![("bucket_prefix", s("logs-"))]), &cx).await.unwrap();
    assert_eq!(again, b);
    // Another resource asking for an existing name is refused, not adopted.
    let e = create(&p, "aws_s3_bucket", c(vec![("bucket", s(&name))]), &ctx("aws_s3_bucket", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists and was not created by this resource"), "{e}");

    // Not empty and no force_destroy: a clear error; with it, the objects go too.
    s3.put_object().bucket(&name).key("a.txt").body(b"x".to_vec().into()).send().await.unwrap();
    let e = p.delete("aws_s3_bucket", &b, &cx).await.unwrap_err();
    assert!(e.to_string().contains("force_destroy"), "{e}");
    let forced = p.plan_change("aws_s3_bucket", Some(&b), &c(vec![("bucket_prefix", s("logs-")), ("force_destroy", Value::Bool(true))]));
    assert!(forced.requires_replace.is_empty());
    let b = p.update("aws_s3_bucket", &b, &forced.planned, &cx).await.unwrap();
    p.delete("aws_s3_bucket", &b, &cx).await.unwrap();
    assert!(!bucket_exists(&s3, &name).await);
    assert_eq!(p.read("aws_s3_bucket", &b).await.unwrap(), None);
}

#[tokio::test]
async fn s3_bucket_drift_versioning_access_block_and_objects() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = s3_client(&moto.endpoint());
    let b = create(&p, "aws_s3_bucket", c(vec![("bucket", s("contin-data")), ("force_destroy", Value::Bool(true))]), &ctx("aws_s3_bucket", "d", 1))
        .await
        .unwrap();

    // Tag drift shows in read, bookkeeping tags do not.
    assert_eq!(attr(&b, "tags"), &Value::Null);
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(aws_sdk_s3::types::Tag::builder().key("owner").value("mallory").build().unwrap())
        .build()
        .unwrap();
    s3.put_bucket_tagging().bucket("contin-data").tagging(tagging).send().await.unwrap();
    let read = p.read("aws_s3_bucket", &b).await.unwrap().unwrap();
    assert_eq!(attr(&read, "tags"), &c(vec![("owner", s("mallory"))]));

    // Versioning. moto 5.2.5 answers GetBucketVersioning with the XML root
    // `GetBucketVersioningResponse` instead of S3's `VersioningConfiguration`,
    // which aws-sdk-s3 rejects: read cannot be exercised here, so the PUTs are
    // checked by their effect (a versioned bucket keeps every version; a
    // suspended one writes "null" versions) and read must fail loudly, naming the resource.
    let v_on = c(vec![("bucket", s("contin-data")), ("versioning_configuration", Value::List(vec![c(vec![("status", s("Enabled"))])]))]);
    let cx = ctx("aws_s3_bucket_versioning", "v", 1);
    let planned = p.plan_change("aws_s3_bucket_versioning", None, &v_on).planned;
    let e = p.create("aws_s3_bucket_versioning", &planned, &cx).await.unwrap_err();
    assert!(e.to_string().contains("aws_s3_bucket_versioning contin-data"), "{e}");
    let put = |body: &'static [u8]| {
        let s3 = s3.clone();
        async move { s3.put_object().bucket("contin-data").key("v.txt").body(body.to_vec().into()).send().await.unwrap().version_id().map(String::from) }
    };
    let (v1, v2) = (put(b"1").await, put(b"2").await);
    assert!(v1.is_some() && v1 != v2 && v1.as_deref() != Some("null"), "versioning is on: {v1:?} {v2:?}");
    let versions = s3.list_object_versions().bucket("contin-data").prefix("v.txt").send().await.unwrap();
    assert_eq!(versions.versions().len(), 2);
    // Another bucket replaces (force-new); a status change is in place.
    let state = c(vec![("bucket", s("contin-data")), ("id", s("contin-data")), ("versioning_configuration", Value::List(vec![c(vec![("status", s("Enabled"))])]))]);
    let other = p.plan_change("aws_s3_bucket_versioning", Some(&state), &c(vec![("bucket", s("x-other")), ("versioning_configuration", Value::List(vec![c(vec![("status", s("Enabled"))])]))]));
    assert_eq!(other.requires_replace, vec![vec![PathStep::Key("bucket".into())]]);
    let off = p.plan_change("aws_s3_bucket_versioning", Some(&state), &c(vec![("bucket", s("contin-data")), ("versioning_configuration", Value::List(vec![c(vec![("status", s("Suspended"))])]))]));
    assert!(off.requires_replace.is_empty());
    // Destroy suspends versioning: new writes replace one "null" version instead of adding versions.
    p.delete("aws_s3_bucket_versioning", &state, &cx).await.unwrap();
    put(b"3").await;
    put(b"4").await;
    let versions = s3.list_object_versions().bucket("contin-data").prefix("v.txt").send().await.unwrap();
    let latest = versions.versions().iter().find(|v| v.is_latest() == Some(true)).map(|v| v.version_id());
    assert_eq!(latest, Some(Some("null")), "a suspended bucket writes the null version: {versions:?}");

    // Public access block: full conformance (defaults false read back as false).
    let pab = c(vec![("bucket", s("contin-data")), ("block_public_acls", Value::Bool(true))]);
    let pab2 = c(vec![
        ("bucket", s("contin-data")),
        ("block_public_acls", Value::Bool(true)),
        ("block_public_policy", Value::Bool(true)),
        ("ignore_public_acls", Value::Bool(true)),
        ("restrict_public_buckets", Value::Bool(true)),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_s3_bucket_public_access_block", pab, pab2)).await.unwrap_or_else(|e| panic!("access block: {e}"));

    // Objects: new content updates in place (new etag), a new key replaces.
    let obj = c(vec![("bucket", s("contin-data")), ("key", s("hello.txt")), ("content", s("hello")), ("content_type", s("text/plain"))]);
    let obj2 = c(vec![("bucket", s("contin-data")), ("key", s("hello.txt")), ("content", s("hello, world")), ("tags", c(vec![("k", s("v w"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_s3_object", obj.clone(), obj2)).await.unwrap_or_else(|e| panic!("object: {e}"));
    let moved = c(vec![("bucket", s("contin-data")), ("key", s("moved.txt")), ("content", s("hello"))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_object", obj.clone(), moved)).await.unwrap_or_else(|e| panic!("object replace: {e}"));

    // Content from a file; the etag is S3's (MD5 of the body for a single PUT).
    let dir = std::env::temp_dir().join(format!("contin-s3obj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.txt");
    std::fs::write(&file, "from a file").unwrap();
    let src = c(vec![("bucket", s("contin-data")), ("key", s("f.txt")), ("source", s(file.to_str().unwrap()))]);
    let o = create(&p, "aws_s3_object", src.clone(), &ctx("aws_s3_object", "f", 1)).await.unwrap();
    let body = s3.get_object().bucket("contin-data").key("f.txt").send().await.unwrap().body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"from a file");
    assert_eq!(str_attr(&o, "etag").len(), 32);
    // Out-of-band overwrite: the etag changes, read reports the content as unknown to contin (null), the plan rewrites it.
    s3.put_object().bucket("contin-data").key("f.txt").body(b"tampered".to_vec().into()).send().await.unwrap();
    let drifted = p.read("aws_s3_object", &o).await.unwrap().unwrap();
    assert_eq!(attr(&drifted, "source"), &Value::Null);
    let fix = p.plan_change("aws_s3_object", Some(&drifted), &src);
    assert!(fix.requires_replace.is_empty());
    assert_eq!(attr(&fix.planned, "etag"), &Value::Unknown);
    let fixed = p.update("aws_s3_object", &drifted, &fix.planned, &ctx("aws_s3_object", "f", 1)).await.unwrap();
    assert_eq!(fixed, o);
    // Deleted out of band: gone.
    s3.delete_object().bucket("contin-data").key("f.txt").send().await.unwrap();
    assert_eq!(p.read("aws_s3_object", &o).await.unwrap(), None);
    let _ = std::fs::remove_dir_all(&dir);

    // The bucket goes away (force_destroy, versioned objects included): its sub-resources read as gone.
    s3.put_object().bucket("contin-data").key("left").body(b"1".to_vec().into()).send().await.unwrap();
    p.delete("aws_s3_bucket", &b, &ctx("aws_s3_bucket", "d", 1)).await.unwrap();
    assert_eq!(p.read("aws_s3_bucket_versioning", &state).await.unwrap(), None);
    assert_eq!(p.read("aws_s3_object", &o).await.unwrap(), None);
}

/// A VPC with a subnet, an attached internet gateway and a route table.
struct Net {
    vpc: String,
    subnet: String,
    igw: String,
    rtb: String,
}

async fn net(p: &AwsProvider, cidr_prefix: &str) -> Net {
    let vpc = create(p, "aws_vpc", c(vec![("cidr_block", s(&format!("{cidr_prefix}.0.0/16")))]), &ctx("aws_vpc", "n", 1)).await.unwrap();
    let vpc = id(&vpc);
    let subnet = create(p, "aws_subnet", c(vec![("vpc_id", s(&vpc)), ("cidr_block", s(&format!("{cidr_prefix}.1.0/24")))]), &ctx("aws_subnet", "n", 1))
        .await
        .unwrap();
    let igw = create(p, "aws_internet_gateway", c(vec![("vpc_id", s(&vpc))]), &ctx("aws_internet_gateway", "n", 1)).await.unwrap();
    let rtb = create(p, "aws_route_table", c(vec![("vpc_id", s(&vpc))]), &ctx("aws_route_table", "n", 1)).await.unwrap();
    Net { vpc, subnet: id(&subnet), igw: id(&igw), rtb: id(&rtb) }
}

#[tokio::test]
async fn eip_nat_gateway_and_route() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let n = net(&p, "10.20").await;

    let eip = c(vec![("domain", s("vpc"))]);
    let eip2 = c(vec![("domain", s("vpc")), ("tags", c(vec![("Name", s("nat"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_eip", eip.clone(), eip2)).await.unwrap_or_else(|e| panic!("eip: {e}"));
    let cx = ctx("aws_eip", "nat", 1);
    let a = create(&p, "aws_eip", eip.clone(), &cx).await.unwrap();
    assert!(str_attr(&a, "allocation_id").starts_with("eipalloc-"));
    assert!(str_attr(&a, "public_ip").parse::<std::net::Ipv4Addr>().is_ok());
    assert_eq!(create(&p, "aws_eip", eip.clone(), &cx).await.unwrap(), a, "a re-run adopts the address by its tags");
    let addrs = testing::client(&moto.endpoint()).describe_addresses().send().await.unwrap();
    assert_eq!(addrs.addresses().len(), 1, "no second address allocated");

    // moto keeps an address associated after its NAT gateway is deleted: the conformance run gets its own.
    let conf_ip = create(&p, "aws_eip", eip.clone(), &ctx("aws_eip", "conf", 1)).await.unwrap();
    let nat = c(vec![("subnet_id", s(&n.subnet)), ("allocation_id", s(&id(&conf_ip)))]);
    let nat2 = c(vec![("subnet_id", s(&n.subnet)), ("allocation_id", s(&id(&conf_ip))), ("tags", c(vec![("Name", s("gw"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_nat_gateway", nat.clone(), nat2)).await.unwrap_or_else(|e| panic!("nat: {e}"));
    let ncx = ctx("aws_nat_gateway", "gw", 1);
    let nat = c(vec![("subnet_id", s(&n.subnet)), ("allocation_id", s(&id(&a)))]);
    let gw = create(&p, "aws_nat_gateway", nat.clone(), &ncx).await.unwrap();
    assert_eq!(attr(&gw, "connectivity_type"), &s("public"));
    assert_eq!(attr(&gw, "public_ip"), attr(&a, "public_ip"));
    assert_eq!(id(&create(&p, "aws_nat_gateway", nat.clone(), &ncx).await.unwrap()), id(&gw), "adopted, not duplicated");
    let private = c(vec![("subnet_id", s(&n.subnet)), ("connectivity_type", s("private"))]);
    assert_eq!(p.plan_change("aws_nat_gateway", Some(&gw), &private).requires_replace.len(), 2, "allocation_id and connectivity_type force a new gateway");

    // A route: target changes in place (internet gateway -> NAT gateway).
    let r1 = c(vec![("route_table_id", s(&n.rtb)), ("destination_cidr_block", s("0.0.0.0/0")), ("gateway_id", s(&n.igw))]);
    let r2 = c(vec![("route_table_id", s(&n.rtb)), ("destination_cidr_block", s("0.0.0.0/0")), ("nat_gateway_id", s(&id(&gw)))]);
    conformance::run(&p, &LifecycleCase::new("aws_route", r1.clone(), r2)).await.unwrap_or_else(|e| panic!("route: {e}"));
    let r3 = c(vec![("route_table_id", s(&n.rtb)), ("destination_cidr_block", s("10.99.0.0/16")), ("gateway_id", s(&n.igw))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_route", r1.clone(), r3)).await.unwrap_or_else(|e| panic!("route replace: {e}"));
    let rcx = ctx("aws_route", "default", 1);
    let route = create(&p, "aws_route", r1.clone(), &rcx).await.unwrap();
    assert!(str_attr(&route, "id").starts_with(&format!("r-{}", n.rtb)));
    assert_eq!(create(&p, "aws_route", r1.clone(), &rcx).await.unwrap(), route, "the same route is adopted");
    // Out-of-band target change is drift; out-of-band delete is gone.
    let ec2 = testing::client(&moto.endpoint());
    ec2.replace_route().route_table_id(&n.rtb).destination_cidr_block("0.0.0.0/0").nat_gateway_id(id(&gw)).send().await.unwrap();
    let drifted = p.read("aws_route", &route).await.unwrap().unwrap();
    assert_eq!(attr(&drifted, "nat_gateway_id"), &s(&id(&gw)));
    assert!(p.plan_change("aws_route", Some(&drifted), &r1).requires_replace.is_empty());
    ec2.delete_route().route_table_id(&n.rtb).destination_cidr_block("0.0.0.0/0").send().await.unwrap();
    assert_eq!(p.read("aws_route", &route).await.unwrap(), None);

    // Gone after an out-of-band delete.
    ec2.delete_nat_gateway().nat_gateway_id(id(&gw)).send().await.unwrap();
    assert_eq!(p.read("aws_nat_gateway", &gw).await.unwrap(), None);
    p.delete("aws_nat_gateway", &gw, &ncx).await.unwrap();
    ec2.release_address().allocation_id(id(&a)).send().await.unwrap();
    assert_eq!(p.read("aws_eip", &a).await.unwrap(), None);
    p.delete("aws_eip", &a, &cx).await.unwrap();
    let _ = n.vpc;
}

#[tokio::test]
async fn eip_associates_with_an_instance_in_place() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());
    let imgs = ec2.describe_images().send().await.unwrap();
    let mut amis: Vec<String> = imgs.images().iter().filter_map(|i| i.image_id().map(String::from)).collect();
    amis.sort();
    let inst = create(&p, "aws_instance", c(vec![("ami", s(&amis[0])), ("instance_type", s("t2.micro"))]), &ctx("aws_instance", "w", 1)).await.unwrap();
    let a = create(&p, "aws_eip", c(vec![("domain", s("vpc"))]), &ctx("aws_eip", "w", 1)).await.unwrap();
    let change = p.plan_change("aws_eip", Some(&a), &c(vec![("domain", s("vpc")), ("instance", s(&id(&inst)))]));
    assert!(change.requires_replace.is_empty());
    assert_eq!(attr(&change.planned, "association_id"), &Value::Unknown);
    let b = p.update("aws_eip", &a, &change.planned, &ctx("aws_eip", "w", 1)).await.unwrap();
    assert_eq!(attr(&b, "instance"), &s(&id(&inst)));
    assert!(str_attr(&b, "association_id").starts_with("eipassoc-"));
    p.delete("aws_eip", &b, &ctx("aws_eip", "w", 1)).await.unwrap();
    assert_eq!(p.read("aws_eip", &b).await.unwrap(), None);
}

#[tokio::test]
async fn security_group_rules_both_styles() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let n = net(&p, "10.30").await;
    let sg = create(&p, "aws_security_group", c(vec![("name", s("web")), ("vpc_id", s(&n.vpc))]), &ctx("aws_security_group", "web", 1)).await.unwrap();
    let other = create(&p, "aws_security_group", c(vec![("name", s("lb")), ("vpc_id", s(&n.vpc))]), &ctx("aws_security_group", "lb", 1)).await.unwrap();
    let (sg, other) = (id(&sg), id(&other));

    // aws_security_group_rule: description in place, ports replace.
    let rule = |port: i64, desc: Option<&str>| {
        let mut v = vec![
            ("type", s("ingress")),
            ("security_group_id", s(&sg)),
            ("from_port", Value::int(port)),
            ("to_port", Value::int(port)),
            ("protocol", s("tcp")),
            ("cidr_blocks", list(&["10.0.0.0/8", "192.168.0.0/16"])),
        ];
        if let Some(d) = desc {
            v.push(("description", s(d)));
        }
        c(v)
    };
    conformance::run(&p, &LifecycleCase::new("aws_security_group_rule", rule(22, None), rule(22, Some("ssh")))).await.unwrap_or_else(|e| panic!("sg rule: {e}"));
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_security_group_rule", rule(22, None), rule(2222, None)))
        .await
        .unwrap_or_else(|e| panic!("sg rule replace: {e}"));
    let egress_all = c(vec![
        ("type", s("egress")),
        ("security_group_id", s(&sg)),
        ("from_port", Value::int(0)),
        ("to_port", Value::int(0)),
        ("protocol", s("all")),
        ("source_security_group_id", s(&other)),
    ]);
    let rcx = ctx("aws_security_group_rule", "eg", 1);
    let r = create(&p, "aws_security_group_rule", egress_all.clone(), &rcx).await.unwrap();
    assert_eq!(attr(&r, "protocol"), &s("-1"));
    assert_eq!(p.plan_change("aws_security_group_rule", Some(&r), &egress_all).planned, r, "no-op after normalization");
    assert_eq!(create(&p, "aws_security_group_rule", egress_all.clone(), &rcx).await.unwrap(), r, "a re-run adopts the same rule");
    p.delete("aws_security_group_rule", &r, &rcx).await.unwrap();
    assert_eq!(p.read("aws_security_group_rule", &r).await.unwrap(), None);

    // aws_vpc_security_group_ingress_rule / egress_rule: everything but the group changes in place.
    let ing = c(vec![("security_group_id", s(&sg)), ("cidr_ipv4", s("10.0.0.0/8")), ("from_port", Value::int(80)), ("to_port", Value::int(80)), ("ip_protocol", s("tcp"))]);
    let ing2 = c(vec![
        ("security_group_id", s(&sg)),
        ("cidr_ipv4", s("10.1.0.0/16")),
        ("from_port", Value::int(443)),
        ("to_port", Value::int(443)),
        ("ip_protocol", s("tcp")),
        ("description", s("https")),
        ("tags", c(vec![("Name", s("https"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_vpc_security_group_ingress_rule", ing.clone(), ing2)).await.unwrap_or_else(|e| panic!("ingress: {e}"));
    let eg = c(vec![("security_group_id", s(&sg)), ("referenced_security_group_id", s(&other)), ("ip_protocol", s("-1"))]);
    let eg2 = c(vec![("security_group_id", s(&other)), ("referenced_security_group_id", s(&sg)), ("ip_protocol", s("-1"))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_vpc_security_group_egress_rule", eg.clone(), eg2))
        .await
        .unwrap_or_else(|e| panic!("egress replace: {e}"));
    let icx = ctx("aws_vpc_security_group_ingress_rule", "http", 1);
    let r = create(&p, "aws_vpc_security_group_ingress_rule", ing.clone(), &icx).await.unwrap();
    assert!(str_attr(&r, "security_group_rule_id").starts_with("sgr-"));
    assert!(str_attr(&r, "arn").contains(":security-group-rule/"));
    assert_eq!(id(&create(&p, "aws_vpc_security_group_ingress_rule", ing.clone(), &icx).await.unwrap()), id(&r), "adopted by tags");
    let rules = testing::client(&moto.endpoint())
        .describe_security_group_rules()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&sg).build())
        .send()
        .await
        .unwrap();
    assert_eq!(rules.security_group_rules().iter().filter(|x| x.is_egress() == Some(false)).count(), 1, "{rules:?}");
    // An egress rule id read as an ingress rule is gone (wrong direction).
    assert_eq!(p.read("aws_vpc_security_group_egress_rule", &r).await.unwrap(), None);
    p.delete("aws_vpc_security_group_ingress_rule", &r, &icx).await.unwrap();
    assert_eq!(p.read("aws_vpc_security_group_ingress_rule", &r).await.unwrap(), None);
}

#[tokio::test]
async fn launch_template_versions_and_replace() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ud = contin_types::base64::encode(b"#!/bin/sh\necho hi\n");
    let lt = c(vec![
        ("name", s("web")),
        ("image_id", s("ami-12c6146b")),
        ("instance_type", s("t2.micro")),
        ("user_data", s(&ud)),
        ("tag_specifications", Value::List(vec![c(vec![("resource_type", s("instance")), ("tags", c(vec![("Name", s("web"))]))])])),
    ]);
    let lt2 = c(vec![
        ("name", s("web")),
        ("image_id", s("ami-12c6146b")),
        ("instance_type", s("t3.small")),
        ("user_data", s(&ud)),
        ("update_default_version", Value::Bool(true)),
        ("tags", c(vec![("team", s("web"))])),
        ("tag_specifications", Value::List(vec![c(vec![("resource_type", s("instance")), ("tags", c(vec![("Name", s("web"))]))])])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_launch_template", lt.clone(), lt2.clone())).await.unwrap_or_else(|e| panic!("lt: {e}"));
    let renamed = c(vec![("name", s("web2")), ("image_id", s("ami-12c6146b"))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_launch_template", lt.clone(), renamed)).await.unwrap_or_else(|e| panic!("lt replace: {e}"));

    let cx = ctx("aws_launch_template", "web", 1);
    let t = create(&p, "aws_launch_template", lt.clone(), &cx).await.unwrap();
    assert_eq!(attr(&t, "latest_version"), &Value::int(1));
    assert!(str_attr(&t, "id").starts_with("lt-"));
    assert_eq!(create(&p, "aws_launch_template", lt.clone(), &cx).await.unwrap(), t, "adopted by tags after a lost state write");
    let change = p.plan_change("aws_launch_template", Some(&t), &lt2);
    assert!(change.requires_replace.is_empty());
    assert_eq!(attr(&change.planned, "latest_version"), &Value::Unknown);
    let t2 = p.update("aws_launch_template", &t, &change.planned, &cx).await.unwrap();
    assert_eq!(attr(&t2, "latest_version"), &Value::int(2));
    assert_eq!(attr(&t2, "default_version"), &Value::int(2));
    assert_eq!(attr(&t2, "instance_type"), &s("t3.small"));
    testing::client(&moto.endpoint()).delete_launch_template().launch_template_id(id(&t2)).send().await.unwrap();
    assert_eq!(p.read("aws_launch_template", &t2).await.unwrap(), None);
    p.delete("aws_launch_template", &t2, &cx).await.unwrap();
}

#[tokio::test]
async fn data_sources_vpc_subnets_region_caller_identity() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let def = conformance::check_data_source(&p, "aws_vpc", &c(vec![("default", Value::Bool(true))])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&def, "default"), &Value::Bool(true));
    assert!(str_attr(&def, "id").starts_with("vpc-"));
    assert!(matches!(attr(&def, "cidr_block"), Value::String(_)));
    let n = net(&p, "10.40").await;
    testing::client(&moto.endpoint())
        .create_tags()
        .resources(&n.vpc)
        .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("mine").build())
        .send()
        .await
        .unwrap();
    let mine = conformance::check_data_source(&p, "aws_vpc", &c(vec![("tags", c(vec![("Name", s("mine"))]))])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(id(&mine), n.vpc);
    assert_eq!(attr(&mine, "cidr_block"), &s("10.40.0.0/16"));
    assert_eq!(attr(&mine, "tags"), &c(vec![("Name", s("mine"))]), "bookkeeping tags are hidden");
    let by_filter = c(vec![("filter", Value::List(vec![c(vec![("name", s("cidr")), ("values", list(&["10.40.0.0/16"]))])]))]);
    assert_eq!(id(&p.read_data("aws_vpc", &by_filter).await.unwrap()), n.vpc);
    let e = p.read_data("aws_vpc", &c(vec![("tags", c(vec![("Name", s("nope"))]))])).await.unwrap_err();
    assert!(e.to_string().contains("no VPC matches"), "{e}");

    let cfg = c(vec![("filter", Value::List(vec![c(vec![("name", s("vpc-id")), ("values", list(&[&n.vpc]))])]))]);
    let subnets = conformance::check_data_source(&p, "aws_subnets", &cfg).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&subnets, "ids"), &list(&[&n.subnet]));

    let region = conformance::check_data_source(&p, "aws_region", &c(vec![])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&region, "name"), &s("us-east-1"));
    let other = p.read_data("aws_region", &c(vec![("name", s("eu-west-1"))])).await.unwrap();
    assert_eq!(attr(&other, "name"), &s("eu-west-1"));

    let me = conformance::check_data_source(&p, "aws_caller_identity", &c(vec![])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&me, "account_id"), &s("123456789012"));
    assert!(str_attr(&me, "arn").starts_with("arn:aws:"));
    assert!(!format!("{me:?}").contains("testing"), "credentials in data: {me:?}");
}

// ------------------------------------------------------------------- IAM

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// The same policy as TRUST: other whitespace, key order, singleton arrays.
const TRUST_SPELLED: &str = "{\n  \"Statement\": [\n    {\n      \"Action\": [\"sts:AssumeRole\"],\n      \"Effect\": \"Allow\",\n      \"Principal\": { \"Service\": [\"ec2.amazonaws.com\"] }\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}";
const TRUST_TWO: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;

fn iam_tag(k: &str, v: &str) -> aws_sdk_iam::types::Tag {
    aws_sdk_iam::types::Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test]
async fn iam_role_policy_semantics_drift_and_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let iam = testing::iam_client(&moto.endpoint());

    let create_cfg = c(vec![("name", s("contin-role-a")), ("assume_role_policy", s(TRUST))]);
    let update = c(vec![
        ("name", s("contin-role-a")),
        ("assume_role_policy", s(TRUST_TWO)),
        ("description", s("web servers")),
        ("max_session_duration", Value::int(7200)),
        ("tags", c(vec![("env", s("prod"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_iam_role", create_cfg.clone(), update)).await.unwrap_or_else(|e| panic!("role: {e}"));
    // A new name replaces the role; a new path too.
    let renamed = c(vec![("name", s("contin-role-b")), ("assume_role_policy", s(TRUST))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_iam_role", create_cfg, renamed)).await.unwrap_or_else(|e| panic!("role replace: {e}"));

    // The configured spelling stays; an equivalent spelling plans no change; IAM returned it URL-encoded.
    let cx = ctx("aws_iam_role", "web", 1);
    let spelled = c(vec![("name_prefix", s("web-")), ("assume_role_policy", s(TRUST_SPELLED))]);
    let r = create(&p, "aws_iam_role", spelled.clone(), &cx).await.unwrap();
    let name = str_attr(&r, "name");
    assert!(name.starts_with("web-") && name.len() == 4 + 26, "{name}");
    assert_eq!(attr(&r, "assume_role_policy"), &s(TRUST_SPELLED));
    assert_eq!(attr(&r, "path"), &s("/"));
    assert_eq!(attr(&r, "max_session_duration"), &Value::int(3600));
    assert_eq!(str_attr(&r, "arn"), format!("arn:aws:iam::123456789012:role/{name}"));
    assert!(str_attr(&r, "unique_id").starts_with("AROA"), "{r:?}");
    assert!(!str_attr(&r, "create_date").is_empty());
    let compact = c(vec![("name_prefix", s("web-")), ("assume_role_policy", s(TRUST))]);
    let noop = p.plan_change("aws_iam_role", Some(&r), &compact);
    assert!(noop.requires_replace.is_empty());
    assert_eq!(noop.planned, r, "an equivalent policy is no change");
    let live = iam.get_role().role_name(&name).send().await.unwrap();
    assert!(live.role().unwrap().assume_role_policy_document().unwrap().starts_with("%7B"), "moto returns it URL-encoded like IAM");

    // Drift: the trust policy changed behind contin's back reads as IAM's document, and the plan restores it in place.
    iam.update_assume_role_policy().role_name(&name).policy_document(TRUST_TWO).send().await.unwrap();
    let drifted = p.read("aws_iam_role", &r).await.unwrap().unwrap();
    assert!(contin_provider_aws::testing::policies_equivalent(&str_attr(&drifted, "assume_role_policy"), TRUST_TWO), "{drifted:?}");
    let fix = p.plan_change("aws_iam_role", Some(&drifted), &spelled);
    assert!(fix.requires_replace.is_empty());
    let fixed = p.update("aws_iam_role", &drifted, &fix.planned, &cx).await.unwrap();
    assert_eq!(fixed, r);

    // A lost state write: the same create adopts the role (tags say it is ours); another resource is refused.
    assert_eq!(create(&p, "aws_iam_role", spelled.clone(), &cx).await.unwrap(), r);
    let other = c(vec![("name", s(&name)), ("assume_role_policy", s(TRUST))]);
    let e = create(&p, "aws_iam_role", other, &ctx("aws_iam_role", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists and was not created by this resource"), "{e}");
    // Bookkeeping tags never show; a tag added out of band is drift.
    iam.tag_role().role_name(&name).tags(iam_tag("owner", "mallory")).send().await.unwrap();
    let read = p.read("aws_iam_role", &r).await.unwrap().unwrap();
    assert_eq!(attr(&read, "tags"), &c(vec![("owner", s("mallory"))]));

    // Import by name.
    let imported = p.import("aws_iam_role", &name).await.unwrap();
    assert_eq!(attr(&imported, "arn"), attr(&r, "arn"));

    // Validation names the argument.
    let d = p.validate("aws_iam_role", &c(vec![("name", s("bad name!")), ("assume_role_policy", s("{nope")), ("max_session_duration", Value::int(60))]));
    let sums: Vec<String> = d.iter().map(|d| d.summary.clone()).collect();
    assert_eq!(sums.len(), 3, "{sums:?}");
    assert!(sums.iter().any(|x| x.starts_with("name:")) && sums.iter().any(|x| x.starts_with("assume_role_policy:")) && sums.iter().any(|x| x.starts_with("max_session_duration:")));

    p.delete("aws_iam_role", &r, &cx).await.unwrap();
    assert_eq!(p.read("aws_iam_role", &r).await.unwrap(), None);
}

#[tokio::test]
async fn iam_instance_profile_attachment_and_force_detach() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let iam = testing::iam_client(&moto.endpoint());
    let role = |n: &str| c(vec![("name", s(n)), ("assume_role_policy", s(TRUST))]);
    let ra = create(&p, "aws_iam_role", role("role-a"), &ctx("aws_iam_role", "a", 1)).await.unwrap();
    let rb = create(&p, "aws_iam_role", role("role-b"), &ctx("aws_iam_role", "b", 1)).await.unwrap();

    // Instance profile: the role changes in place.
    let ip = c(vec![("name", s("web-profile")), ("role", s("role-a"))]);
    let ip2 = c(vec![("name", s("web-profile")), ("role", s("role-b")), ("tags", c(vec![("env", s("dev"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_iam_instance_profile", ip.clone(), ip2)).await.unwrap_or_else(|e| panic!("profile: {e}"));

    // Killed between CreateInstanceProfile and AddRoleToInstanceProfile: the re-run adopts the profile and adds the role.
    let cx = ctx("aws_iam_instance_profile", "crash", 1);
    iam.create_instance_profile()
        .instance_profile_name("crash-profile")
        .tags(iam_tag("contin:lineage", "lineage-types"))
        .tags(iam_tag("contin:address", "aws_iam_instance_profile.crash"))
        .tags(iam_tag("contin:generation", "1"))
        .send()
        .await
        .unwrap();
    let crash_cfg = c(vec![("name", s("crash-profile")), ("role", s("role-a"))]);
    let adopted = create(&p, "aws_iam_instance_profile", crash_cfg, &cx).await.unwrap();
    assert_eq!(attr(&adopted, "role"), &s("role-a"));
    assert!(str_attr(&adopted, "arn").ends_with(":instance-profile/crash-profile"));
    assert_eq!(attr(&adopted, "tags"), &Value::Null);
    let all = iam.list_instance_profiles().send().await.unwrap();
    assert_eq!(all.instance_profiles().iter().filter(|p| p.instance_profile_name() == "crash-profile").count(), 1);
    // Someone else's profile of that name is refused.
    let e = create(&p, "aws_iam_instance_profile", c(vec![("name", s("crash-profile"))]), &ctx("aws_iam_instance_profile", "x", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");

    // Policy attachments: every argument is force-new; import by ROLE/ARN.
    let pol = |n: &str| {
        let iam = iam.clone();
        let n = n.to_string();
        async move {
            let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
            iam.create_policy().policy_name(n).policy_document(doc).send().await.unwrap().policy().unwrap().arn().unwrap().to_string()
        }
    };
    let (p1, p2) = (pol("list-1").await, pol("list-2").await);
    let att = c(vec![("role", s("role-a")), ("policy_arn", s(&p1))]);
    let att2 = c(vec![("role", s("role-a")), ("policy_arn", s(&p2))]);
    conformance::run(&p, &LifecycleCase::new("aws_iam_role_policy_attachment", att.clone(), att2)).await.unwrap_or_else(|e| panic!("attachment: {e}"));
    let acx = ctx("aws_iam_role_policy_attachment", "a", 1);
    let a = create(&p, "aws_iam_role_policy_attachment", att.clone(), &acx).await.unwrap();
    assert_eq!(attr(&a, "id"), &s(&format!("role-a/{p1}")));
    assert_eq!(create(&p, "aws_iam_role_policy_attachment", att.clone(), &acx).await.unwrap(), a, "attaching twice is one attachment");
    assert_eq!(p.import("aws_iam_role_policy_attachment", &format!("role-a/{p1}")).await.unwrap(), a);
    assert!(p.import("aws_iam_role_policy_attachment", "role-a").await.is_err());
    // Detached behind contin's back: gone.
    iam.detach_role_policy().role_name("role-a").policy_arn(&p1).send().await.unwrap();
    assert_eq!(p.read("aws_iam_role_policy_attachment", &a).await.unwrap(), None);

    // A role with a policy attached outside contin: destroy detaches it only with force_detach_policies,
    // and always takes the role out of its instance profiles (as Terraform).
    iam.attach_role_policy().role_name("role-b").policy_arn(&p2).send().await.unwrap();
    iam.add_role_to_instance_profile().instance_profile_name("crash-profile").role_name("role-b").send().await.ok();
    std::env::set_var("CONTIN_AWS_WAIT_SECONDS", "1");
    let e = p.delete("aws_iam_role", &rb, &ctx("aws_iam_role", "b", 1)).await.unwrap_err();
    assert!(e.to_string().contains("force_detach_policies"), "{e}");
    let forced = p.plan_change("aws_iam_role", Some(&rb), &c(vec![("name", s("role-b")), ("assume_role_policy", s(TRUST)), ("force_detach_policies", Value::Bool(true))]));
    assert!(forced.requires_replace.is_empty());
    let rb = p.update("aws_iam_role", &rb, &forced.planned, &ctx("aws_iam_role", "b", 1)).await.unwrap();
    p.delete("aws_iam_role", &rb, &ctx("aws_iam_role", "b", 1)).await.unwrap();
    assert_eq!(p.read("aws_iam_role", &rb).await.unwrap(), None);

    p.delete("aws_iam_instance_profile", &adopted, &cx).await.unwrap();
    assert_eq!(p.read("aws_iam_instance_profile", &adopted).await.unwrap(), None);
    p.delete("aws_iam_role", &ra, &ctx("aws_iam_role", "a", 1)).await.unwrap();
}

#[tokio::test]
async fn iam_user_rename_force_destroy_and_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let iam = testing::iam_client(&moto.endpoint());

    // A rename and a new path are in place (id and arn unknown in the plan).
    let u = c(vec![("name", s("alice"))]);
    let u2 = c(vec![("name", s("alice2")), ("path", s("/team/")), ("tags", c(vec![("team", s("core"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_iam_user", u.clone(), u2.clone())).await.unwrap_or_else(|e| panic!("user: {e}"));
    let cx = ctx("aws_iam_user", "bob", 1);
    let bob = create(&p, "aws_iam_user", c(vec![("name", s("bob"))]), &cx).await.unwrap();
    assert_eq!(str_attr(&bob, "arn"), "arn:aws:iam::123456789012:user/bob");
    assert!(!str_attr(&bob, "unique_id").is_empty(), "{bob:?}");
    let change = p.plan_change("aws_iam_user", Some(&bob), &c(vec![("name", s("bobby"))]));
    assert!(change.requires_replace.is_empty());
    assert_eq!(attr(&change.planned, "id"), &Value::Unknown);
    assert_eq!(attr(&change.planned, "unique_id"), attr(&bob, "unique_id"));

    // Adoption after a lost state write; another resource is refused.
    assert_eq!(create(&p, "aws_iam_user", c(vec![("name", s("bob"))]), &cx).await.unwrap(), bob);
    let e = create(&p, "aws_iam_user", c(vec![("name", s("bob"))]), &ctx("aws_iam_user", "impostor", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");

    // A policy attached outside contin blocks a plain destroy; force_destroy detaches it (and deletes access keys).
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let arn = iam.create_policy().policy_name("bob-list").policy_document(doc).send().await.unwrap().policy().unwrap().arn().unwrap().to_string();
    iam.attach_user_policy().user_name("bob").policy_arn(&arn).send().await.unwrap();
    iam.create_access_key().user_name("bob").send().await.unwrap();
    let e = p.delete("aws_iam_user", &bob, &cx).await.unwrap_err();
    assert!(e.to_string().contains("force_destroy"), "{e}");
    let forced = p.plan_change("aws_iam_user", Some(&bob), &c(vec![("name", s("bob")), ("force_destroy", Value::Bool(true))]));
    let bob = p.update("aws_iam_user", &bob, &forced.planned, &cx).await.unwrap();
    p.delete("aws_iam_user", &bob, &cx).await.unwrap();
    assert_eq!(p.read("aws_iam_user", &bob).await.unwrap(), None);
    assert!(iam.list_access_keys().user_name("bob").send().await.is_err(), "the user is gone with its keys");
    assert!(p.import("aws_iam_user", "nobody").await.is_err());
}

// ------------------------------------------------------------------ ELBv2

#[tokio::test]
async fn lb_target_group_and_listener() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let elb = testing::elbv2_client(&moto.endpoint());
    let n = net(&p, "10.40").await;
    let s2 = create(&p, "aws_subnet", c(vec![("vpc_id", s(&n.vpc)), ("cidr_block", s("10.40.2.0/24")), ("availability_zone", s("us-east-1b"))]), &ctx("aws_subnet", "b", 1))
        .await
        .unwrap();
    let s2 = id(&s2);
    let sg = |name: &str| {
        let vpc = n.vpc.clone();
        let p = &p;
        let name = name.to_string();
        async move { id(&create(p, "aws_security_group", c(vec![("name", s(&name)), ("vpc_id", s(&vpc))]), &ctx("aws_security_group", &name, 1)).await.unwrap()) }
    };
    let (sg1, sg2) = (sg("lb-1").await, sg("lb-2").await);
    let subnets = list(&[&n.subnet, &s2]);

    // Load balancer: security groups, idle timeout and tags change in place.
    let lb = c(vec![("name", s("web-lb")), ("subnets", subnets.clone()), ("security_groups", list(&[&sg1]))]);
    let lb2 = c(vec![
        ("name", s("web-lb")),
        ("subnets", subnets.clone()),
        ("security_groups", list(&[&sg2])),
        ("idle_timeout", Value::int(120)),
        ("tags", c(vec![("env", s("prod"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_lb", lb.clone(), lb2)).await.unwrap_or_else(|e| panic!("lb: {e}"));
    let cx = ctx("aws_lb", "web", 1);
    let l = create(&p, "aws_lb", lb.clone(), &cx).await.unwrap();
    let arn = str_attr(&l, "arn");
    assert_eq!(attr(&l, "id"), &s(&arn));
    assert!(str_attr(&l, "arn_suffix").starts_with("app/web-lb/"), "{l:?}");
    assert!(!str_attr(&l, "dns_name").is_empty() && !str_attr(&l, "zone_id").is_empty());
    assert_eq!(attr(&l, "vpc_id"), &s(&n.vpc));
    assert_eq!((attr(&l, "internal"), attr(&l, "load_balancer_type"), attr(&l, "idle_timeout")), (&Value::Bool(false), &s("application"), &Value::int(60)));
    // A lost state write: the same create adopts the balancer by name + tags; another resource is refused.
    assert_eq!(create(&p, "aws_lb", lb.clone(), &cx).await.unwrap(), l);
    let e = create(&p, "aws_lb", lb.clone(), &ctx("aws_lb", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists and was not created by this resource"), "{e}");
    let all = elb.describe_load_balancers().send().await.unwrap();
    assert_eq!(all.load_balancers().len(), 1);
    // Scheme is force-new.
    let mut internal = lb.clone();
    if let Value::Map(m) = &mut internal {
        m.insert("internal".into(), Value::Bool(true));
    }
    assert_eq!(p.plan_change("aws_lb", Some(&l), &internal).requires_replace, vec![vec![PathStep::Key("internal".into())]]);
    // A generated name fits the 32-character limit.
    let gen = create(&p, "aws_lb", c(vec![("name_prefix", s("api-")), ("subnets", subnets.clone())]), &ctx("aws_lb", "gen", 1)).await.unwrap();
    let gen_name = str_attr(&gen, "name");
    assert!(gen_name.starts_with("api-") && gen_name.len() == 30, "{gen_name}");

    // Target group: protocol case normalized, health check in place, drift read back.
    let tg = c(vec![("name", s("web-tg")), ("port", Value::int(80)), ("protocol", s("http")), ("vpc_id", s(&n.vpc)), ("health_check", Value::List(vec![c(vec![("path", s("/health"))])]))]);
    let tg2 = c(vec![
        ("name", s("web-tg")),
        ("port", Value::int(80)),
        ("protocol", s("HTTP")),
        ("vpc_id", s(&n.vpc)),
        ("health_check", Value::List(vec![c(vec![("path", s("/ready")), ("interval", Value::int(15))])])),
        ("tags", c(vec![("team", s("web"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_lb_target_group", tg.clone(), tg2)).await.unwrap_or_else(|e| panic!("target group: {e}"));
    let tcx = ctx("aws_lb_target_group", "web", 1);
    let t = create(&p, "aws_lb_target_group", tg.clone(), &tcx).await.unwrap();
    let tg_arn = str_attr(&t, "arn");
    assert!(str_attr(&t, "arn_suffix").starts_with("targetgroup/web-tg/"), "{t:?}");
    assert_eq!(attr(&t, "target_type"), &s("instance"));
    assert_eq!(create(&p, "aws_lb_target_group", tg.clone(), &tcx).await.unwrap(), t, "adopted by name + tags");
    let mut moved = tg.clone();
    if let Value::Map(m) = &mut moved {
        m.insert("port".into(), Value::int(8080));
    }
    assert_eq!(p.plan_change("aws_lb_target_group", Some(&t), &moved).requires_replace, vec![vec![PathStep::Key("port".into())]]);
    // Without a health_check block the group keeps its health check (no diff).
    let bare = c(vec![("name", s("web-tg")), ("port", Value::int(80)), ("protocol", s("HTTP")), ("vpc_id", s(&n.vpc))]);
    assert_eq!(p.plan_change("aws_lb_target_group", Some(&t), &bare).planned, t);
    elb.modify_target_group().target_group_arn(&tg_arn).health_check_path("/tampered").send().await.unwrap();
    let drifted = p.read("aws_lb_target_group", &t).await.unwrap().unwrap();
    let hc = &attr(&drifted, "health_check");
    assert_eq!(hc.get_path(&[PathStep::Index(0), PathStep::Key("path".into())]), Some(&s("/tampered")));
    let fixed = p.update("aws_lb_target_group", &drifted, &p.plan_change("aws_lb_target_group", Some(&drifted), &tg).planned, &tcx).await.unwrap();
    assert_eq!(fixed, t);

    // Listener: port and action change in place; adoption by tags.
    let fwd = Value::List(vec![c(vec![("type", s("forward")), ("target_group_arn", s(&tg_arn))])]);
    let li = c(vec![("load_balancer_arn", s(&arn)), ("port", Value::int(80)), ("protocol", s("HTTP")), ("default_action", fwd.clone())]);
    let fixed_resp = Value::List(vec![c(vec![
        ("type", s("fixed-response")),
        ("fixed_response", Value::List(vec![c(vec![("content_type", s("text/plain")), ("message_body", s("hi")), ("status_code", s("200"))])])),
    ])]);
    let li2 = c(vec![("load_balancer_arn", s(&arn)), ("port", Value::int(8080)), ("protocol", s("HTTP")), ("default_action", fixed_resp), ("tags", c(vec![("k", s("v"))]))]);
    conformance::run(&p, &LifecycleCase::new("aws_lb_listener", li.clone(), li2)).await.unwrap_or_else(|e| panic!("listener: {e}"));
    let lcx = ctx("aws_lb_listener", "http", 1);
    let listener = create(&p, "aws_lb_listener", li.clone(), &lcx).await.unwrap();
    assert_eq!(create(&p, "aws_lb_listener", li.clone(), &lcx).await.unwrap(), listener, "adopted by tags");
    let ls = elb.describe_listeners().load_balancer_arn(&arn).send().await.unwrap();
    assert_eq!(ls.listeners().len(), 1, "no second listener");
    assert_eq!(p.import("aws_lb_listener", &str_attr(&listener, "arn")).await.unwrap(), listener);

    // Deletion protection is a load balancer attribute, set in place (moto
    // 5.2 stores it but does not refuse DeleteLoadBalancer, so the refusal
    // itself cannot be exercised here).
    let protect = c(vec![("name", s("web-lb")), ("subnets", subnets.clone()), ("security_groups", list(&[&sg1])), ("enable_deletion_protection", Value::Bool(true))]);
    let change = p.plan_change("aws_lb", Some(&l), &protect);
    assert!(change.requires_replace.is_empty());
    let l = p.update("aws_lb", &l, &change.planned, &cx).await.unwrap();
    assert_eq!(attr(&l, "enable_deletion_protection"), &Value::Bool(true));
    let live = elb.describe_load_balancer_attributes().load_balancer_arn(&arn).send().await.unwrap();
    assert!(live.attributes().iter().any(|a| a.key() == Some("deletion_protection.enabled") && a.value() == Some("true")), "{live:?}");
    let change = p.plan_change("aws_lb", Some(&l), &lb);
    let l = p.update("aws_lb", &l, &change.planned, &cx).await.unwrap();

    // Destroy in reverse order; everything reads as gone.
    p.delete("aws_lb_listener", &listener, &lcx).await.unwrap();
    p.delete("aws_lb_target_group", &t, &tcx).await.unwrap();
    p.delete("aws_lb", &l, &cx).await.unwrap();
    p.delete("aws_lb", &gen, &ctx("aws_lb", "gen", 1)).await.unwrap();
    assert_eq!(p.read("aws_lb_listener", &listener).await.unwrap(), None);
    assert_eq!(p.read("aws_lb_target_group", &t).await.unwrap(), None);
    assert_eq!(p.read("aws_lb", &l).await.unwrap(), None);

    // Validation names the argument.
    let d = p.validate("aws_lb_target_group", &c(vec![("name", s("bad_name")), ("protocol", s("FTP"))]));
    let sums: Vec<String> = d.iter().map(|d| d.summary.clone()).collect();
    assert!(sums.iter().any(|x| x.starts_with("name:")) && sums.iter().any(|x| x.starts_with("protocol:")) && sums.iter().any(|x| x.starts_with("vpc_id: required")), "{sums:?}");
    let d = p.validate("aws_lb_listener", &c(vec![("load_balancer_arn", s("arn:x")), ("default_action", Value::List(vec![c(vec![("type", s("forward"))])]))]));
    assert_eq!(d.iter().map(|d| d.summary.clone()).collect::<Vec<_>>(), vec!["default_action[0].target_group_arn: required for a \"forward\" action"]);
}

// ------------------------------------------------------------ Auto Scaling

#[tokio::test]
async fn launch_configuration_and_autoscaling_group() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let asg = testing::autoscaling_client(&moto.endpoint());
    let n = net(&p, "10.50").await;

    // Launch configurations: every argument is force-new.
    let lc = c(vec![("name", s("web-lc")), ("image_id", s("ami-12c6146b")), ("instance_type", s("t3.micro")), ("user_data", s("#!/bin/sh\necho hi\n"))]);
    let lc2 = c(vec![("name", s("web-lc")), ("image_id", s("ami-12c6146b")), ("instance_type", s("t3.small"))]);
    conformance::run(&p, &LifecycleCase::new("aws_launch_configuration", lc.clone(), lc2)).await.unwrap_or_else(|e| panic!("lc: {e}"));
    let lcx = ctx("aws_launch_configuration", "web", 1);
    let l = create(&p, "aws_launch_configuration", lc.clone(), &lcx).await.unwrap();
    assert_eq!(attr(&l, "user_data"), &s("#!/bin/sh\necho hi\n"), "user data read back decoded");
    assert!(str_attr(&l, "arn").contains(":launchConfiguration:"), "{l:?}");
    assert_eq!(create(&p, "aws_launch_configuration", lc.clone(), &lcx).await.unwrap(), l, "a re-run adopts the configuration it made");
    let other = c(vec![("name", s("web-lc")), ("image_id", s("ami-12c6146b")), ("instance_type", s("m5.large"))]);
    let e = create(&p, "aws_launch_configuration", other, &ctx("aws_launch_configuration", "x", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let gen = create(&p, "aws_launch_configuration", c(vec![("name_prefix", s("web-")), ("image_id", s("ami-12c6146b")), ("instance_type", s("t3.micro"))]), &ctx("aws_launch_configuration", "g", 1))
        .await
        .unwrap();
    assert!(str_attr(&gen, "name").starts_with("web-"));

    // Groups: sizes, launch configuration and tags change in place; instances come and go.
    let g = c(vec![
        ("name", s("web-asg")),
        ("min_size", Value::int(1)),
        ("max_size", Value::int(2)),
        ("desired_capacity", Value::int(1)),
        ("launch_configuration", s("web-lc")),
        ("vpc_zone_identifier", list(&[&n.subnet])),
        ("force_delete", Value::Bool(true)),
    ]);
    let g2 = c(vec![
        ("name", s("web-asg")),
        ("min_size", Value::int(0)),
        ("max_size", Value::int(3)),
        ("desired_capacity", Value::int(2)),
        ("launch_configuration", s(&str_attr(&gen, "name"))),
        ("vpc_zone_identifier", list(&[&n.subnet])),
        ("force_delete", Value::Bool(true)),
        ("tag", Value::List(vec![c(vec![("key", s("Name")), ("value", s("web")), ("propagate_at_launch", Value::Bool(true))])])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_autoscaling_group", g.clone(), g2)).await.unwrap_or_else(|e| panic!("asg: {e}"));
    let gcx = ctx("aws_autoscaling_group", "web", 1);
    let a = create(&p, "aws_autoscaling_group", g.clone(), &gcx).await.unwrap();
    assert!(str_attr(&a, "arn").contains(":autoScalingGroup:"), "{a:?}");
    assert_eq!(attr(&a, "health_check_grace_period"), &Value::int(300));
    assert_eq!(attr(&a, "tag"), &Value::set(Vec::new()), "bookkeeping tags never show");
    let live = asg.describe_auto_scaling_groups().auto_scaling_group_names("web-asg").send().await.unwrap();
    assert_eq!(live.auto_scaling_groups()[0].instances().len(), 1);
    // A lost state write: adopted by tags; another resource is refused; no second group.
    assert_eq!(create(&p, "aws_autoscaling_group", g.clone(), &gcx).await.unwrap(), a);
    let e = create(&p, "aws_autoscaling_group", g.clone(), &ctx("aws_autoscaling_group", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    // Drift: capacity changed behind contin's back; the plan sets it back in place.
    asg.set_desired_capacity().auto_scaling_group_name("web-asg").desired_capacity(2).send().await.unwrap();
    let drifted = p.read("aws_autoscaling_group", &a).await.unwrap().unwrap();
    assert_eq!(attr(&drifted, "desired_capacity"), &Value::int(2));
    let fix = p.plan_change("aws_autoscaling_group", Some(&drifted), &g);
    assert!(fix.requires_replace.is_empty());
    assert_eq!(p.update("aws_autoscaling_group", &drifted, &fix.planned, &gcx).await.unwrap(), a);
    // A new name replaces the group.
    let mut renamed = g.clone();
    if let Value::Map(m) = &mut renamed {
        m.insert("name".into(), s("web-asg-2"));
    }
    assert_eq!(p.plan_change("aws_autoscaling_group", Some(&a), &renamed).requires_replace, vec![vec![PathStep::Key("name".into())]]);
    assert_eq!(p.import("aws_autoscaling_group", "web-asg").await.unwrap().get_path(&[PathStep::Key("arn".into())]), Some(attr(&a, "arn")));

    // Without force_delete the group drains to zero before it is deleted.
    let drain = p.plan_change("aws_autoscaling_group", Some(&a), &{
        let mut v = g.clone();
        if let Value::Map(m) = &mut v {
            m.remove("force_delete");
        }
        v
    });
    let a = p.update("aws_autoscaling_group", &a, &drain.planned, &gcx).await.unwrap();
    p.delete("aws_autoscaling_group", &a, &gcx).await.unwrap();
    assert_eq!(p.read("aws_autoscaling_group", &a).await.unwrap(), None);
    p.delete("aws_launch_configuration", &l, &lcx).await.unwrap();
    p.delete("aws_launch_configuration", &gen, &ctx("aws_launch_configuration", "g", 1)).await.unwrap();
    assert_eq!(p.read("aws_launch_configuration", &l).await.unwrap(), None);

    // Validation names the argument.
    let d = p.validate("aws_autoscaling_group", &c(vec![("min_size", Value::int(3)), ("max_size", Value::int(1))]));
    let sums: Vec<String> = d.iter().map(|d| d.summary.clone()).collect();
    assert!(sums.iter().any(|x| x.starts_with("min_size:")) && sums.iter().any(|x| x.contains("launch_configuration, launch_template")), "{sums:?}");
}

// ------------------------------------------------------------ classic ELB

#[tokio::test]
async fn classic_elb_listeners_health_check_instances() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let elb = testing::elb_client(&moto.endpoint());
    let ec2 = testing::client(&moto.endpoint());
    let n = net(&p, "10.60").await;
    let sg = id(&create(&p, "aws_security_group", c(vec![("name", s("elb")), ("vpc_id", s(&n.vpc))]), &ctx("aws_security_group", "elb", 1)).await.unwrap());
    let run = ec2.run_instances().image_id("ami-12c6146b").instance_type(aws_sdk_ec2::types::InstanceType::T3Micro).min_count(1).max_count(1).subnet_id(&n.subnet).send().await.unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_string();
    let listener = |lb_port: i64, proto: &str| c(vec![("instance_port", Value::int(lb_port)), ("instance_protocol", s(proto)), ("lb_port", Value::int(lb_port)), ("lb_protocol", s(proto))]);
    let hc = Value::List(vec![c(vec![
        ("target", s("HTTP:80/health")),
        ("interval", Value::int(15)),
        ("timeout", Value::int(5)),
        ("healthy_threshold", Value::int(3)),
        ("unhealthy_threshold", Value::int(2)),
    ])]);

    let e1 = c(vec![("name", s("classic")), ("subnets", list(&[&n.subnet])), ("security_groups", list(&[&sg])), ("listener", Value::List(vec![listener(80, "http")]))]);
    let e2 = c(vec![
        ("name", s("classic")),
        ("subnets", list(&[&n.subnet])),
        ("security_groups", list(&[&sg])),
        ("listener", Value::List(vec![listener(80, "HTTP"), listener(8080, "TCP")])),
        ("health_check", hc.clone()),
        ("instances", list(&[&instance])),
        ("idle_timeout", Value::int(120)),
        ("tags", c(vec![("env", s("prod"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_elb", e1.clone(), e2.clone())).await.unwrap_or_else(|e| panic!("elb: {e}"));

    let cx = ctx("aws_elb", "web", 1);
    let b = create(&p, "aws_elb", e2.clone(), &cx).await.unwrap();
    assert_eq!(str_attr(&b, "arn"), "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/classic");
    // moto 5.2 leaves CanonicalHostedZoneNameID out: zone_id reads as null there.
    assert_eq!(str_attr(&b, "dns_name"), "classic.us-east-1.elb.amazonaws.com");
    assert_eq!(attr(&b, "instances"), &Value::set(vec![s(&instance)]));
    assert_eq!(attr(&b, "cross_zone_load_balancing"), &Value::Bool(true));
    // A lost state write: adopted by name + tags; another resource is refused.
    assert_eq!(create(&p, "aws_elb", e2.clone(), &cx).await.unwrap(), b);
    let e = create(&p, "aws_elb", e1.clone(), &ctx("aws_elb", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists and was not created by this resource"), "{e}");
    // Drift: the health check changed behind contin's back; the plan restores it in place.
    let tampered = aws_sdk_elasticloadbalancing::types::HealthCheck::builder()
        .target("TCP:22")
        .interval(30)
        .timeout(5)
        .healthy_threshold(2)
        .unhealthy_threshold(2)
        .build()
        .unwrap();
    elb.configure_health_check().load_balancer_name("classic").health_check(tampered).send().await.unwrap();
    let drifted = p.read("aws_elb", &b).await.unwrap().unwrap();
    assert_eq!(attr(&drifted, "health_check").get_path(&[PathStep::Index(0), PathStep::Key("target".into())]), Some(&s("TCP:22")));
    let fix = p.plan_change("aws_elb", Some(&drifted), &e2);
    assert!(fix.requires_replace.is_empty());
    assert_eq!(p.update("aws_elb", &drifted, &fix.planned, &cx).await.unwrap(), b);
    // internal is force-new; import by name.
    let mut internal = e2.clone();
    if let Value::Map(m) = &mut internal {
        m.insert("internal".into(), Value::Bool(true));
    }
    assert_eq!(p.plan_change("aws_elb", Some(&b), &internal).requires_replace, vec![vec![PathStep::Key("internal".into())]]);
    assert_eq!(p.import("aws_elb", "classic").await.unwrap().get_path(&[PathStep::Key("dns_name".into())]), Some(attr(&b, "dns_name")));
    p.delete("aws_elb", &b, &cx).await.unwrap();
    assert_eq!(p.read("aws_elb", &b).await.unwrap(), None);
    let d = p.validate("aws_elb", &c(vec![("listener", Value::List(vec![listener(70000, "ftp")]))]));
    let sums: Vec<String> = d.iter().map(|d| d.summary.clone()).collect();
    assert!(sums.iter().any(|x| x.starts_with("listener[0].lb_protocol:")) && sums.iter().any(|x| x.starts_with("lb_port: 70000")), "{sums:?}");
}

// -------------------------------------------------------------------- RDS

#[tokio::test]
async fn db_instance_lifecycle_snapshot_and_protection() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let rds = testing::rds_client(&moto.endpoint());
    let db = |id: &str, extra: Vec<(&'static str, Value)>| {
        let mut pairs = vec![
            ("identifier", s(id)),
            ("engine", s("postgres")),
            ("instance_class", s("db.t3.micro")),
            ("allocated_storage", Value::int(20)),
            ("username", s("app")),
            ("password", s("first-secret-1")),
            ("skip_final_snapshot", Value::Bool(true)),
        ];
        for (k, v) in extra {
            pairs.retain(|(n, _)| *n != k);
            pairs.push((k, v));
        }
        c(pairs)
    };
    let update = db(
        "db-a",
        vec![
            ("instance_class", s("db.t3.small")),
            ("allocated_storage", Value::int(30)),
            ("password", s("second-secret-2")),
            ("backup_retention_period", Value::int(7)),
            ("apply_immediately", Value::Bool(true)),
            ("tags", c(vec![("env", s("prod"))])),
        ],
    );
    conformance::run(&p, &LifecycleCase::new("aws_db_instance", db("db-a", vec![]), update)).await.unwrap_or_else(|e| panic!("db: {e}"));
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_db_instance", db("db-a", vec![]), db("db-b", vec![])))
        .await
        .unwrap_or_else(|e| panic!("db replace: {e}"));

    let cx = ctx("aws_db_instance", "main", 1);
    let d = create(&p, "aws_db_instance", db("db-main", vec![]), &cx).await.unwrap();
    assert!(str_attr(&d, "id").starts_with("db-") && attr(&d, "id") == attr(&d, "resource_id"), "{d:?}");
    assert_eq!(str_attr(&d, "arn"), "arn:aws:rds:us-east-1:123456789012:db:db-main");
    assert_eq!(str_attr(&d, "endpoint"), format!("{}:5432", str_attr(&d, "address")));
    assert_eq!(attr(&d, "status"), &s("available"));
    assert_eq!(attr(&d, "password"), &s("first-secret-1"), "the configured password stays in state (marked sensitive by the schema)");
    assert!(p.schema().resources["aws_db_instance"].attributes["password"].sensitive);
    // Imported: RDS does not return the password.
    let imported = p.import("aws_db_instance", "db-main").await.unwrap();
    assert_eq!(attr(&imported, "password"), &Value::Null);
    assert_eq!(attr(&imported, "arn"), attr(&d, "arn"));
    // A lost state write: adopted by identifier + tags; another resource is refused.
    assert_eq!(create(&p, "aws_db_instance", db("db-main", vec![]), &cx).await.unwrap(), d);
    let e = create(&p, "aws_db_instance", db("db-main", vec![]), &ctx("aws_db_instance", "other", 1)).await.unwrap_err();
    assert!(e.to_string().contains("already exists and was not created by this resource"), "{e}");
    // A derived identifier.
    let mut gen_cfg = db("x", vec![]);
    if let Value::Map(m) = &mut gen_cfg {
        m.remove("identifier");
        m.insert("identifier_prefix".into(), s("app-"));
    }
    let gen = create(&p, "aws_db_instance", gen_cfg, &ctx("aws_db_instance", "g", 1)).await.unwrap();
    assert!(str_attr(&gen, "identifier").starts_with("app-") && str_attr(&gen, "identifier").len() == 30, "{gen:?}");
    p.delete("aws_db_instance", &gen, &ctx("aws_db_instance", "g", 1)).await.unwrap();

    // Deletion protection: in place, and destroy refuses with a hint.
    let protect = p.plan_change("aws_db_instance", Some(&d), &db("db-main", vec![("deletion_protection", Value::Bool(true)), ("apply_immediately", Value::Bool(true))]));
    assert!(protect.requires_replace.is_empty());
    let d = p.update("aws_db_instance", &d, &protect.planned, &cx).await.unwrap();
    let e = p.delete("aws_db_instance", &d, &cx).await.unwrap_err();
    assert!(e.to_string().contains("deletion_protection = false"), "{e}");
    // Without skip_final_snapshot a destroy needs a snapshot name, then takes the snapshot.
    let keep = p.plan_change(
        "aws_db_instance",
        Some(&d),
        &db("db-main", vec![("skip_final_snapshot", Value::Bool(false)), ("apply_immediately", Value::Bool(true))]),
    );
    let d = p.update("aws_db_instance", &d, &keep.planned, &cx).await.unwrap();
    let e = p.delete("aws_db_instance", &d, &cx).await.unwrap_err();
    assert!(e.to_string().contains("final_snapshot_identifier is required"), "{e}");
    let named = p.plan_change(
        "aws_db_instance",
        Some(&d),
        &db("db-main", vec![("skip_final_snapshot", Value::Bool(false)), ("final_snapshot_identifier", s("db-main-final")), ("apply_immediately", Value::Bool(true))]),
    );
    let d = p.update("aws_db_instance", &d, &named.planned, &cx).await.unwrap();
    p.delete("aws_db_instance", &d, &cx).await.unwrap();
    assert_eq!(p.read("aws_db_instance", &d).await.unwrap(), None);
    let snaps = rds.describe_db_snapshots().db_snapshot_identifier("db-main-final").send().await.unwrap();
    assert_eq!(snaps.db_snapshots().len(), 1);

    // Validation names the argument and never shows the password.
    let bad = db("DB_Main", vec![("password", s("short")), ("instance_class", s("t3.micro"))]);
    let sums: Vec<String> = p.validate("aws_db_instance", &bad).iter().map(|d| format!("{} {}", d.summary, d.detail)).collect();
    assert_eq!(sums.len(), 3, "{sums:?}");
    assert!(sums.iter().all(|x| !x.contains("short")), "{sums:?}");
}

/// Arguments real Terraform roots use on types contin has (tests/realworld):
/// `associate_public_ip_address` on instances, `vpc = true` on EIPs,
/// `filter`/`exclude_names` on `aws_availability_zones`.
#[tokio::test]
async fn terraform_arguments_public_ip_eip_vpc_and_az_filters() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let n = net(&p, "10.40").await;
    let ec2 = testing::client(&moto.endpoint());
    let imgs = ec2.describe_images().send().await.unwrap();
    let mut amis: Vec<String> = imgs.images().iter().filter_map(|i| i.image_id().map(String::from)).collect();
    amis.sort();
    let sg = create(&p, "aws_security_group", c(vec![("name", s("pub")), ("vpc_id", s(&n.vpc))]), &ctx("aws_security_group", "pub", 1)).await.unwrap();

    // The subnet does not map public addresses: only the argument gives one.
    let inst_cfg = |public: bool| {
        c(vec![
            ("ami", s(&amis[0])),
            ("instance_type", s("t2.micro")),
            ("subnet_id", s(&n.subnet)),
            ("vpc_security_group_ids", Value::set(vec![s(&id(&sg))])),
            ("associate_public_ip_address", Value::Bool(public)),
        ])
    };
    let inst = create(&p, "aws_instance", inst_cfg(true), &ctx("aws_instance", "pub", 1)).await.unwrap();
    assert_eq!(attr(&inst, "associate_public_ip_address"), &Value::Bool(true));
    assert!(!str_attr(&inst, "public_ip").is_empty(), "{inst:?}");
    assert_eq!(attr(&inst, "subnet_id"), &s(&n.subnet));
    assert_eq!(attr(&inst, "vpc_security_group_ids"), &Value::set(vec![s(&id(&sg))]));
    assert!(matches!(attr(&inst, "private_dns"), Value::String(_)));
    assert!(matches!(attr(&inst, "public_dns"), Value::String(_)));
    // Read back equal: no change; the other choice replaces the instance.
    assert_eq!(p.plan_change("aws_instance", Some(&inst), &inst_cfg(true)).planned, inst);
    assert!(!p.plan_change("aws_instance", Some(&inst), &inst_cfg(false)).requires_replace.is_empty());
    let live = ec2.describe_instances().instance_ids(id(&inst)).send().await.unwrap();
    let live = live.reservations()[0].instances()[0].clone();
    assert_eq!(live.subnet_id(), Some(n.subnet.as_str()));
    assert!(live.public_ip_address().is_some());
    p.delete("aws_instance", &inst, &ctx("aws_instance", "pub", 1)).await.unwrap();
    let private = create(&p, "aws_instance", inst_cfg(false), &ctx("aws_instance", "priv", 1)).await.unwrap();
    assert_eq!(attr(&private, "associate_public_ip_address"), &Value::Bool(false));
    assert_eq!(attr(&private, "public_dns"), &s(""));
    p.delete("aws_instance", &private, &ctx("aws_instance", "priv", 1)).await.unwrap();

    // vpc = true: a VPC address, read back as vpc = true and domain "vpc".
    let eip_cfg = c(vec![("vpc", Value::Bool(true))]);
    let a = create(&p, "aws_eip", eip_cfg.clone(), &ctx("aws_eip", "old", 1)).await.unwrap();
    assert_eq!(attr(&a, "vpc"), &Value::Bool(true));
    assert_eq!(attr(&a, "domain"), &s("vpc"));
    assert_eq!(p.plan_change("aws_eip", Some(&a), &eip_cfg).planned, a);
    p.delete("aws_eip", &a, &ctx("aws_eip", "old", 1)).await.unwrap();

    // Zones: filter blocks go to EC2, exclude_names is applied to the answer.
    let all = p.read_data("aws_availability_zones", &c(vec![])).await.unwrap();
    let names = |v: &Value| match attr(v, "names") {
        Value::List(n) => n.clone(),
        other => panic!("names: {other:?}"),
    };
    assert!(names(&all).contains(&s("us-east-1a")), "{all:?}");
    let filtered = c(vec![
        ("exclude_names", Value::set(vec![s("us-east-1a")])),
        ("filter", Value::List(vec![c(vec![("name", s("zone-name")), ("values", list(&["us-east-1a", "us-east-1b"]))])])),
    ]);
    let some = conformance::check_data_source(&p, "aws_availability_zones", &filtered).await.unwrap();
    assert_eq!(names(&some), vec![s("us-east-1b")]);
    // moto answers no zone groups; the attribute is still a set.
    assert!(matches!(attr(&some, "group_names"), Value::Set(_)), "{some:?}");
}
