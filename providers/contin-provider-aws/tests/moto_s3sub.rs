//! S3 bucket sub-resources, `aws_kms_key` and the canonical-user data
//! sources against a real moto server: create, read back, no-op replan,
//! update one thing, delete, gone (the conformance lifecycle where S3 has a
//! delete call; by hand where delete puts a neutral setting). The types moto
//! lacks (request payment, analytics, metrics, intelligent tiering,
//! metadata, directory buckets) are checked offline: schema, validation and
//! plan.

use contin_e2e::moto::MotoServer;
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{OpContext, Provider};
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

fn c(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(pairs)
}

/// A nested block given once.
fn blk(pairs: Vec<(&str, Value)>) -> Value {
    Value::List(vec![c(pairs)])
}

fn set(items: &[&str]) -> Value {
    Value::set(items.iter().map(|x| s(x)).collect())
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_path(&[PathStep::Key(name.into())]).unwrap_or(&Value::Null)
}

fn ctx(ty: &str, name: &str, generation: u64) -> OpContext {
    OpContext { address: ResourceAddr::managed(ty, name), lineage: "lineage-s3sub".into(), generation }
}

async fn provider(moto: &MotoServer) -> AwsProvider {
    for (k, v) in moto.client_env() {
        std::env::set_var(k, v);
    }
    let p = AwsProvider::new();
    p.configure(c(vec![("region", s("us-east-1")), ("endpoint", s(&moto.endpoint()))])).await.unwrap_or_else(|d| panic!("configure: {d:?}"));
    p
}

async fn bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket().bucket(name).send().await.unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
}

/// Create from `cfg`, read back equal, and the same configuration replans as no change.
async fn create_and_replan(p: &AwsProvider, ty: &str, cfg: &Value, cx: &OpContext) -> Value {
    let d = p.validate(ty, cfg);
    assert!(d.is_empty(), "{ty}: validation failed: {d:?}");
    let change = p.plan_change(ty, None, cfg);
    assert!(change.diagnostics.is_empty(), "{ty}: {:?}", change.diagnostics);
    let created = p.create(ty, &change.planned, cx).await.unwrap_or_else(|e| panic!("{ty}: create: {e}"));
    let read = p.read(ty, &created).await.unwrap().unwrap_or_else(|| panic!("{ty}: gone after create"));
    assert_eq!(read, created, "{ty}: read after create");
    let again = p.plan_change(ty, Some(&created), cfg);
    assert!(again.requires_replace.is_empty(), "{ty}: {:?}", again.requires_replace);
    assert_eq!(again.planned, created, "{ty}: an unchanged configuration must plan no change");
    created
}

async fn update_and_replan(p: &AwsProvider, ty: &str, prior: &Value, cfg: &Value, cx: &OpContext) -> Value {
    let change = p.plan_change(ty, Some(prior), cfg);
    assert!(change.requires_replace.is_empty(), "{ty}: {:?}", change.requires_replace);
    assert_ne!(&change.planned, prior, "{ty}: the update must plan a change");
    let updated = p.update(ty, prior, &change.planned, cx).await.unwrap_or_else(|e| panic!("{ty}: update: {e}"));
    let read = p.read(ty, &updated).await.unwrap().unwrap_or_else(|| panic!("{ty}: gone after update"));
    assert_eq!(read, updated, "{ty}: read after update");
    assert_eq!(p.plan_change(ty, Some(&updated), cfg).planned, updated, "{ty}: no change after the update");
    updated
}

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::contin-sub/*"}]}"#;
const POLICY2: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::contin-sub/*"}]}"#;

#[tokio::test]
async fn policy_encryption_website_cors_conformance() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = testing::s3_client(&moto.endpoint());
    bucket(&s3, "contin-sub").await;
    let b = || ("bucket", s("contin-sub"));

    conformance::run(&p, &LifecycleCase::new("aws_s3_bucket_policy", c(vec![b(), ("policy", s(POLICY))]), c(vec![b(), ("policy", s(POLICY2))])))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s3.get_bucket_policy().bucket("contin-sub").send().await.is_err(), "the policy is gone");

    let sse = |alg: &str, key: Option<&str>| {
        let mut by = vec![("sse_algorithm", s(alg))];
        if let Some(k) = key {
            by.push(("kms_master_key_id", s(k)));
        }
        c(vec![b(), ("rule", Value::List(vec![c(vec![("apply_server_side_encryption_by_default", blk(by)), ("bucket_key_enabled", Value::Bool(true))])]))])
    };
    conformance::check_lifecycle(
        &p,
        &LifecycleCase::new("aws_s3_bucket_server_side_encryption_configuration", sse("AES256", None), sse("aws:kms", Some("arn:aws:kms:us-east-1:123456789012:key/k1"))),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let site = c(vec![b(), ("index_document", blk(vec![("suffix", s("index.html"))]))]);
    let site2 = c(vec![
        b(),
        ("index_document", blk(vec![("suffix", s("index.html"))])),
        ("error_document", blk(vec![("key", s("error.html"))])),
        (
            "routing_rule",
            Value::List(vec![c(vec![
                ("condition", blk(vec![("key_prefix_equals", s("docs/"))])),
                ("redirect", blk(vec![("replace_key_prefix_with", s("documents/"))])),
            ])]),
        ),
    ]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket_website_configuration", site.clone(), site2)).await.unwrap_or_else(|e| panic!("{e}"));
    let w = create_and_replan(&p, "aws_s3_bucket_website_configuration", &site, &ctx("aws_s3_bucket_website_configuration", "w", 1)).await;
    assert_eq!(attr(&w, "website_endpoint"), &s("contin-sub.s3-website-us-east-1.amazonaws.com"));
    assert_eq!(attr(&w, "website_domain"), &s("s3-website-us-east-1.amazonaws.com"));
    p.delete("aws_s3_bucket_website_configuration", &w, &ctx("aws_s3_bucket_website_configuration", "w", 1)).await.unwrap();

    let rule = |methods: &[&str], age: i64| {
        c(vec![b(), ("cors_rule", Value::List(vec![c(vec![("allowed_methods", set(methods)), ("allowed_origins", set(&["https://a.example"])), ("max_age_seconds", n(age))])]))])
    };
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket_cors_configuration", rule(&["GET"], 300), rule(&["GET", "PUT"], 3000)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(s3.get_bucket_cors().bucket("contin-sub").send().await.is_err(), "CORS is gone");

    // Import by Terraform's id.
    let cx = ctx("aws_s3_bucket_policy", "imp", 1);
    let made = create_and_replan(&p, "aws_s3_bucket_policy", &c(vec![b(), ("policy", s(POLICY))]), &cx).await;
    let imported = p.import("aws_s3_bucket_policy", "contin-sub").await.unwrap();
    assert_eq!(attr(&imported, "id"), attr(&made, "id"));
    assert!(testing::policies_equivalent(attr(&imported, "policy").as_str_lossy(), POLICY));
}

trait StrLossy {
    fn as_str_lossy(&self) -> &str;
}

impl StrLossy for Value {
    fn as_str_lossy(&self) -> &str {
        match self {
            Value::String(x) => x,
            _ => "",
        }
    }
}

#[tokio::test]
async fn lifecycle_and_replication_conformance() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = testing::s3_client(&moto.endpoint());
    for name in ["contin-src", "contin-dst"] {
        bucket(&s3, name).await;
        let on = aws_sdk_s3::types::VersioningConfiguration::builder().status(aws_sdk_s3::types::BucketVersioningStatus::Enabled).build();
        s3.put_bucket_versioning().bucket(name).versioning_configuration(on).send().await.unwrap();
    }
    let b = || ("bucket", s("contin-src"));

    let lc = |days: i64| {
        c(vec![
            b(),
            (
                "rule",
                Value::List(vec![
                    c(vec![("id", s("all")), ("status", s("Enabled")), ("filter", blk(vec![])), ("expiration", blk(vec![("days", n(days))]))]),
                    c(vec![
                        ("id", s("logs")),
                        ("status", s("Enabled")),
                        ("filter", blk(vec![("and", blk(vec![("prefix", s("log/")), ("tags", c(vec![("rule", s("log")), ("autoclean", s("true"))]))]))])),
                        ("transition", Value::List(vec![c(vec![("days", n(30)), ("storage_class", s("ONEZONE_IA"))])])),
                        ("noncurrent_version_expiration", blk(vec![("noncurrent_days", n(90))])),
                        ("abort_incomplete_multipart_upload", blk(vec![("days_after_initiation", n(7))])),
                    ]),
                ]),
            ),
        ])
    };
    conformance::run(&p, &LifecycleCase::new("aws_s3_bucket_lifecycle_configuration", lc(365), lc(30))).await.unwrap_or_else(|e| panic!("{e}"));

    let repl = |status: &str| {
        c(vec![
            b(),
            ("role", s("arn:aws:iam::123456789012:role/replication")),
            (
                "rule",
                Value::List(vec![c(vec![
                    ("id", s("everything")),
                    ("priority", n(10)),
                    ("status", s(status)),
                    // moto 5.2 drops the filter's contents (reads back an empty prefix), so the
                    // filter here is the empty one (every object); unit tests cover the others.
                    ("filter", blk(vec![])),
                    ("delete_marker_replication", blk(vec![("status", s("Disabled"))])),
                    ("destination", blk(vec![("bucket", s("arn:aws:s3:::contin-dst")), ("storage_class", s("STANDARD"))])),
                ])]),
            ),
        ])
    };
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket_replication_configuration", repl("Enabled"), repl("Disabled")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn logging_accelerate_object_lock_inventory() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let s3 = testing::s3_client(&moto.endpoint());
    bucket(&s3, "contin-app").await;
    bucket(&s3, "contin-logs").await;
    let b = || ("bucket", s("contin-app"));

    // Logging: delete turns it off, after which the resource reads as gone.
    // moto checks what S3 checks: the log delivery group may write to the target.
    s3.put_bucket_acl().bucket("contin-logs").acl(aws_sdk_s3::types::BucketCannedAcl::from("log-delivery-write")).send().await.unwrap();
    let logging = |prefix: &str| c(vec![b(), ("target_bucket", s("contin-logs")), ("target_prefix", s(prefix))]);
    conformance::check_lifecycle(&p, &LifecycleCase::new("aws_s3_bucket_logging", logging("log/"), logging("access/"))).await.unwrap_or_else(|e| panic!("{e}"));
    let out = s3.get_bucket_logging().bucket("contin-app").send().await.unwrap();
    assert!(out.logging_enabled().is_none(), "logging is off after delete");

    // Acceleration: no delete call in S3; delete suspends it. moto 5.2 answers
    // GetBucketAccelerateConfiguration with the XML root
    // `GetBucketAccelerateConfigurationResponse` instead of S3's
    // `AccelerateConfiguration`, which aws-sdk-s3 rejects: the put succeeds,
    // the read-back must fail loudly naming the resource.
    let ty = "aws_s3_bucket_accelerate_configuration";
    let cx = ctx(ty, "a", 1);
    let cfg = c(vec![b(), ("status", s("Enabled"))]);
    assert!(p.validate(ty, &cfg).is_empty());
    let planned = p.plan_change(ty, None, &cfg).planned;
    let e = p.create(ty, &planned, &cx).await.unwrap_err().to_string();
    assert!(e.contains("aws_s3_bucket_accelerate_configuration contin-app"), "{e}");
    let state = c(vec![b(), ("id", s("contin-app")), ("status", s("Enabled"))]);
    p.delete(ty, &state, &cx).await.unwrap();

    // Object lock: the bucket is made with it; delete removes the default retention.
    s3.create_bucket().bucket("contin-locked").object_lock_enabled_for_bucket(true).send().await.unwrap();
    let ty = "aws_s3_bucket_object_lock_configuration";
    let lock = |days: i64| c(vec![("bucket", s("contin-locked")), ("rule", blk(vec![("default_retention", blk(vec![("mode", s("GOVERNANCE")), ("days", n(days))]))]))]);
    let cx = ctx(ty, "l", 1);
    let l = create_and_replan(&p, ty, &lock(1), &cx).await;
    assert_eq!(attr(&l, "object_lock_enabled"), &s("Enabled"));
    let l = update_and_replan(&p, ty, &l, &lock(5), &cx).await;
    p.delete(ty, &l, &cx).await.unwrap();
    let live = s3.get_object_lock_configuration().bucket("contin-locked").send().await.unwrap();
    assert!(live.object_lock_configuration().and_then(|c| c.rule()).and_then(|r| r.default_retention()).is_none(), "{live:?}");

    // Inventory: create, read, no-op, update. moto has no DeleteBucketInventoryConfiguration
    // (its DELETE ?inventory reaches delete-bucket), so delete is not exercised here.
    let ty = "aws_s3_bucket_inventory";
    let inv = |freq: &str| {
        c(vec![
            b(),
            ("name", s("entire")),
            ("included_object_versions", s("All")),
            ("schedule", blk(vec![("frequency", s(freq))])),
            ("destination", blk(vec![("bucket", blk(vec![("bucket_arn", s("arn:aws:s3:::contin-logs")), ("format", s("CSV")), ("prefix", s("inventory"))]))])),
        ])
    };
    let cx = ctx(ty, "i", 1);
    let i = create_and_replan(&p, ty, &inv("Daily"), &cx).await;
    assert_eq!(attr(&i, "id"), &s("contin-app:entire"));
    assert_eq!(attr(&i, "enabled"), &Value::Bool(true));
    let i = update_and_replan(&p, ty, &i, &inv("Weekly"), &cx).await;
    let imported = p.import(ty, "contin-app:entire").await.unwrap();
    assert_eq!(attr(&imported, "schedule"), attr(&i, "schedule"));
}

#[tokio::test]
async fn kms_key_lifecycle_adoption_and_canonical_user_ids() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ty = "aws_kms_key";
    let create = c(vec![("description", s("objects")), ("deletion_window_in_days", n(7)), ("tags", c(vec![("env", s("dev"))]))]);
    let update = c(vec![("description", s("objects, rotated")), ("deletion_window_in_days", n(7)), ("enable_key_rotation", Value::Bool(true)), ("tags", c(vec![("env", s("prod"))]))]);
    conformance::run(&p, &LifecycleCase::new(ty, create.clone(), update)).await.unwrap_or_else(|e| panic!("{e}"));

    // A crash between CreateKey and the state write: the re-run adopts the key.
    let cx = ctx(ty, "objects", 1);
    let k = create_and_replan(&p, ty, &create, &cx).await;
    assert!(matches!(attr(&k, "arn"), Value::String(a) if a.starts_with("arn:aws:kms:us-east-1:")), "{k:?}");
    assert_eq!(attr(&k, "key_usage"), &s("ENCRYPT_DECRYPT"));
    assert_eq!(attr(&k, "customer_master_key_spec"), &s("SYMMETRIC_DEFAULT"));
    assert_eq!(attr(&k, "is_enabled"), &Value::Bool(true));
    let planned = p.plan_change(ty, None, &create).planned;
    let again = p.create(ty, &planned, &cx).await.unwrap();
    assert_eq!(attr(&again, "id"), attr(&k, "id"), "adopted, not duplicated");
    // Another resource gets its own key.
    let other = p.create(ty, &planned, &ctx(ty, "other", 1)).await.unwrap();
    assert_ne!(attr(&other, "id"), attr(&k, "id"));
    // Disabled in place; deletion is scheduled, after which the key reads as gone.
    let off = c(vec![("description", s("objects")), ("deletion_window_in_days", n(7)), ("is_enabled", Value::Bool(false)), ("tags", c(vec![("env", s("dev"))]))]);
    let k = update_and_replan(&p, ty, &k, &off, &cx).await;
    assert_eq!(attr(&k, "is_enabled"), &Value::Bool(false));
    for key in [&k, &other] {
        p.delete(ty, key, &cx).await.unwrap();
        assert_eq!(p.read(ty, key).await.unwrap(), None);
    }

    let v = conformance::check_data_source(&p, "aws_canonical_user_id", &c(vec![])).await.unwrap_or_else(|e| panic!("{e}"));
    let owner = testing::s3_client(&moto.endpoint()).list_buckets().send().await.unwrap();
    let owner = owner.owner().and_then(|o| o.id()).unwrap_or_default().to_string();
    assert!(!owner.is_empty());
    assert_eq!(attr(&v, "id"), &s(&owner), "{v:?}");
    let v = conformance::check_data_source(&p, "aws_cloudfront_log_delivery_canonical_user_id", &c(vec![])).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr(&v, "id"), &s("c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"));
}

/// `v` with every unknown replaced by a string, as a create would record it.
fn known(v: Value) -> Value {
    match v {
        Value::Unknown => s("known"),
        Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, known(v))).collect()),
        Value::List(items) => Value::List(items.into_iter().map(known).collect()),
        other => other,
    }
}

/// Types moto does not implement: schema conformance, validation and plan, offline.
#[test]
fn types_moto_lacks_validate_and_plan() {
    let p = AwsProvider::new();
    conformance::check_schema(&p).unwrap_or_else(|e| panic!("{e}"));
    let b = || ("bucket", s("contin-app"));
    let cases = vec![
        ("aws_s3_bucket_request_payment_configuration", c(vec![b(), ("payer", s("Requester"))]), c(vec![b(), ("payer", s("BucketOwner"))])),
        (
            "aws_s3_bucket_analytics_configuration",
            c(vec![b(), ("name", s("a")), ("filter", blk(vec![("prefix", s("docs/"))]))]),
            c(vec![b(), ("name", s("a")), ("filter", blk(vec![("prefix", s("img/"))]))]),
        ),
        ("aws_s3_bucket_metric", c(vec![b(), ("name", s("m"))]), c(vec![b(), ("name", s("m")), ("filter", blk(vec![("tags", c(vec![("k", s("v"))]))]))])),
        (
            "aws_s3_bucket_intelligent_tiering_configuration",
            c(vec![b(), ("name", s("t")), ("tiering", Value::List(vec![c(vec![("access_tier", s("ARCHIVE_ACCESS")), ("days", n(90))])]))]),
            c(vec![b(), ("name", s("t")), ("status", s("Disabled")), ("tiering", Value::List(vec![c(vec![("access_tier", s("ARCHIVE_ACCESS")), ("days", n(120))])]))]),
        ),
        (
            "aws_s3_bucket_metadata_configuration",
            c(vec![
                b(),
                (
                    "metadata_configuration",
                    blk(vec![
                        ("inventory_table_configuration", blk(vec![("configuration_state", s("ENABLED"))])),
                        ("journal_table_configuration", blk(vec![("record_expiration", blk(vec![("expiration", s("ENABLED")), ("days", n(7))]))])),
                    ]),
                ),
            ]),
            c(vec![
                b(),
                (
                    "metadata_configuration",
                    blk(vec![
                        ("inventory_table_configuration", blk(vec![("configuration_state", s("DISABLED"))])),
                        ("journal_table_configuration", blk(vec![("record_expiration", blk(vec![("expiration", s("DISABLED"))]))])),
                    ]),
                ),
            ]),
        ),
        (
            "aws_s3_directory_bucket",
            c(vec![("bucket", s("contin--use1-az4--x-s3")), ("location", blk(vec![("name", s("use1-az4"))]))]),
            c(vec![("bucket", s("contin--use1-az4--x-s3")), ("location", blk(vec![("name", s("use1-az4"))])), ("force_destroy", Value::Bool(true))]),
        ),
    ];
    for (ty, create, update) in cases {
        for cfg in [&create, &update] {
            let d = p.validate(ty, cfg);
            assert!(d.is_empty(), "{ty}: {d:?}");
        }
        let planned = p.plan_change(ty, None, &create);
        assert!(planned.diagnostics.is_empty(), "{ty}: {:?}", planned.diagnostics);
        assert_eq!(attr(&planned.planned, "id"), &Value::Unknown, "{ty}: id is known only after create");
        // A state as create would record it: the same configuration plans no change,
        // the update plans one in place.
        let state = known(planned.planned.clone());
        let same = p.plan_change(ty, Some(&state), &create);
        assert!(same.requires_replace.is_empty(), "{ty}: {:?}", same.requires_replace);
        assert_eq!(same.planned, state, "{ty}");
        let upd = p.plan_change(ty, Some(&state), &update);
        assert!(upd.requires_replace.is_empty(), "{ty}: {:?}", upd.requires_replace);
        assert_ne!(upd.planned, state, "{ty}");
    }
    // A directory bucket moved to another zone is replaced.
    let state = c(vec![("bucket", s("contin--use1-az4--x-s3")), ("location", blk(vec![("name", s("use1-az4")), ("type", s("AvailabilityZone"))]))]);
    let moved = c(vec![("bucket", s("contin--use1-az4--x-s3")), ("location", blk(vec![("name", s("use1-az5"))]))]);
    assert!(!p.plan_change("aws_s3_directory_bucket", Some(&state), &moved).requires_replace.is_empty());
    // A bad value is named.
    let d = p.validate("aws_s3_bucket_request_payment_configuration", &c(vec![b(), ("payer", s("Anyone"))]));
    assert!(d.iter().any(|x| x.summary.starts_with("payer: \"Anyone\"")), "{d:?}");
}
