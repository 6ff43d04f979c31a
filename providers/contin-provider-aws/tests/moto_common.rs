//! The AWS types real configurations use most, against a real moto server:
//! `aws_iam_role_policy`, `aws_lambda_function`, `aws_lambda_permission`.
//! Conformance lifecycle (create, read back, no-op replan, update, delete,
//! gone), plus adoption after a lost state write and import.

use contin_e2e::moto::MotoServer;
use contin_provider::conformance::{self, LifecycleCase};
use contin_provider::{OpContext, Provider, ProviderError};
use contin_provider_aws::testing;
use contin_provider_aws::AwsProvider;
use contin_types::value::PathStep;
use contin_types::{ResourceAddr, Value};
use sha2::{Digest, Sha256};

fn s(x: &str) -> Value {
    Value::string(x)
}

fn c(pairs: Vec<(&str, Value)>) -> Value {
    Value::map(pairs)
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_path(&[PathStep::Key(name.into())])
        .unwrap_or(&Value::Null)
}

fn str_attr(v: &Value, name: &str) -> String {
    match attr(v, name) {
        Value::String(s) => s.clone(),
        other => panic!("{name} is not a string: {other:?} in {v:?}"),
    }
}

fn ctx(ty: &str, name: &str, generation: u64) -> OpContext {
    OpContext {
        address: ResourceAddr::managed(ty, name),
        lineage: "lineage-common".into(),
        generation,
    }
}

async fn provider(moto: &MotoServer) -> AwsProvider {
    for (k, v) in moto.client_env() {
        std::env::set_var(k, v);
    }
    let p = AwsProvider::new();
    p.configure(c(vec![
        ("region", s("us-east-1")),
        ("endpoint", s(&moto.endpoint())),
    ]))
    .await
    .unwrap_or_else(|d| panic!("configure: {d:?}"));
    p
}

async fn create(
    p: &AwsProvider,
    ty: &str,
    cfg: Value,
    cx: &OpContext,
) -> Result<Value, ProviderError> {
    let d = p.validate(ty, &cfg);
    assert!(d.is_empty(), "{ty}: validation failed: {d:?}");
    let planned = p.plan_change(ty, None, &cfg).planned;
    p.create(ty, &planned, cx).await
}

fn lambda_client(endpoint: &str) -> aws_sdk_lambda::Client {
    let conf = aws_sdk_lambda::Config::builder()
        .behavior_version(aws_sdk_lambda::config::BehaviorVersion::latest())
        .region(aws_sdk_lambda::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "contin-test",
        ))
        .build();
    aws_sdk_lambda::Client::from_conf(conf)
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const READ_SPELLED: &str = "{\"Statement\":[{\"Resource\":[\"*\"],\"Action\":[\"s3:GetObject\"],\"Effect\":\"Allow\"}],\n \"Version\":\"2012-10-17\"}";
const WRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;

#[tokio::test]
async fn iam_role_policy_lifecycle_spelling_adoption_import() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let iam = testing::iam_client(&moto.endpoint());
    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();

    let create_cfg = c(vec![
        ("name", s("inline-a")),
        ("role", s("app")),
        ("policy", s(READ)),
    ]);
    let update = c(vec![
        ("name", s("inline-a")),
        ("role", s("app")),
        ("policy", s(WRITE)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_iam_role_policy", create_cfg, update),
    )
    .await
    .unwrap_or_else(|e| panic!("role policy: {e}"));
    // Another role replaces it.
    iam.create_role()
        .role_name("app2")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let moved = c(vec![
        ("name", s("inline-a")),
        ("role", s("app2")),
        ("policy", s(READ)),
    ]);
    conformance::check_lifecycle(
        &p,
        &LifecycleCase::new(
            "aws_iam_role_policy",
            c(vec![
                ("name", s("inline-a")),
                ("role", s("app")),
                ("policy", s(READ)),
            ]),
            moved,
        ),
    )
    .await
    .unwrap_or_else(|e| panic!("role policy replace: {e}"));

    // Generated name; configured spelling kept; equivalent spelling plans no change.
    let cx = ctx("aws_iam_role_policy", "gen", 1);
    let spelled = c(vec![
        ("name_prefix", s("read-")),
        ("role", s("app")),
        ("policy", s(READ_SPELLED)),
    ]);
    let pol = create(&p, "aws_iam_role_policy", spelled.clone(), &cx)
        .await
        .unwrap();
    let name = str_attr(&pol, "name");
    assert!(name.starts_with("read-") && name.len() == 5 + 26, "{name}");
    assert_eq!(str_attr(&pol, "id"), format!("app:{name}"));
    assert_eq!(attr(&pol, "policy"), &s(READ_SPELLED));
    let noop = p.plan_change(
        "aws_iam_role_policy",
        Some(&pol),
        &c(vec![
            ("name_prefix", s("read-")),
            ("role", s("app")),
            ("policy", s(READ)),
        ]),
    );
    assert!(noop.requires_replace.is_empty());
    assert_eq!(noop.planned, pol, "an equivalent document is no change");

    // The state write was lost: the same create writes the same policy (no duplicate).
    let again = create(&p, "aws_iam_role_policy", spelled, &cx)
        .await
        .unwrap();
    assert_eq!(again, pol);
    let names = iam
        .list_role_policies()
        .role_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        names.policy_names().iter().filter(|n| **n == name).count(),
        1
    );

    // Drift: the document changed outside is seen, and fixed.
    iam.put_role_policy()
        .role_name("app")
        .policy_name(&name)
        .policy_document(WRITE)
        .send()
        .await
        .unwrap();
    let drifted = p.read("aws_iam_role_policy", &pol).await.unwrap().unwrap();
    assert!(testing::policies_equivalent(
        &str_attr(&drifted, "policy"),
        WRITE
    ));
    let fix = p.plan_change(
        "aws_iam_role_policy",
        Some(&drifted),
        &c(vec![
            ("name_prefix", s("read-")),
            ("role", s("app")),
            ("policy", s(READ)),
        ]),
    );
    assert!(fix.requires_replace.is_empty());
    let fixed = p
        .update("aws_iam_role_policy", &drifted, &fix.planned, &cx)
        .await
        .unwrap();
    assert!(testing::policies_equivalent(
        &str_attr(&fixed, "policy"),
        READ
    ));

    // Import by role:name.
    let imported = p
        .import("aws_iam_role_policy", &format!("app:{name}"))
        .await
        .unwrap();
    assert_eq!(str_attr(&imported, "role"), "app");
    assert!(p
        .import("aws_iam_role_policy", "no-colon")
        .await
        .unwrap_err()
        .to_string()
        .contains("<role name>:<policy name>"));
    p.delete("aws_iam_role_policy", &fixed, &cx).await.unwrap();
    assert_eq!(p.read("aws_iam_role_policy", &fixed).await.unwrap(), None);
    assert!(p
        .import("aws_iam_role_policy", &format!("app:{name}"))
        .await
        .is_err());
}

/// A zip archive with one stored (uncompressed) file: what Lambda takes.
fn stored_zip(name: &str, body: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let (crc, size, nlen) = (crc32(body), body.len() as u32, name.len() as u16);
    let mut z = Vec::new();
    let mut local = vec![];
    local.extend(0x0403_4b50u32.to_le_bytes());
    local.extend([20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, method=stored, time, date
    local.extend(crc.to_le_bytes());
    local.extend(size.to_le_bytes());
    local.extend(size.to_le_bytes());
    local.extend(nlen.to_le_bytes());
    local.extend(0u16.to_le_bytes());
    z.extend(&local);
    z.extend(name.as_bytes());
    z.extend(body);
    let cd_offset = z.len() as u32;
    let mut cd = vec![];
    cd.extend(0x0201_4b50u32.to_le_bytes());
    cd.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    cd.extend(crc.to_le_bytes());
    cd.extend(size.to_le_bytes());
    cd.extend(size.to_le_bytes());
    cd.extend(nlen.to_le_bytes());
    cd.extend([0u8; 12]); // extra, comment, disk, internal attrs, external attrs (4)
    cd.extend(0u32.to_le_bytes()); // local header offset
    cd.extend(name.as_bytes());
    let cd_len = cd.len() as u32;
    z.extend(cd);
    z.extend(0x0605_4b50u32.to_le_bytes());
    z.extend([0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend(cd_len.to_le_bytes());
    z.extend(cd_offset.to_le_bytes());
    z.extend([0, 0]);
    z
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn sha_b64(bytes: &[u8]) -> String {
    b64(&Sha256::digest(bytes))
}

#[tokio::test]
async fn lambda_function_and_permission_lifecycle_code_versions_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let iam = testing::iam_client(&moto.endpoint());
    let lambda = lambda_client(&moto.endpoint());
    let role = iam
        .create_role()
        .role_name("fn-exec")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();

    let dir = std::env::temp_dir().join(format!("contin-lambda-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zip1 = stored_zip("index.py", b"def handler(event, context):\n    return 1\n");
    let zip2 = stored_zip("index.py", b"def handler(event, context):\n    return 2\n");
    let (f1, f2) = (dir.join("v1.zip"), dir.join("v2.zip"));
    std::fs::write(&f1, &zip1).unwrap();
    std::fs::write(&f2, &zip2).unwrap();
    let (f1, f2) = (
        f1.to_string_lossy().to_string(),
        f2.to_string_lossy().to_string(),
    );

    let base = |name: &str, extra: Vec<(&'static str, Value)>| {
        let mut pairs = vec![
            ("function_name", s(name)),
            ("role", s(&role_arn)),
            ("handler", s("index.handler")),
            ("runtime", s("python3.12")),
            ("filename", s(&f1)),
        ];
        pairs.extend(extra);
        c(pairs)
    };
    let env = |k: &str, v: &str| Value::List(vec![c(vec![("variables", c(vec![(k, s(v))]))])]);

    // Conformance: create, read back, no-op, update (timeout, memory, environment, tags), delete, gone.
    let create_cfg = base("conf-fn", vec![("environment", env("MODE", "a"))]);
    let update = base(
        "conf-fn",
        vec![
            ("environment", env("MODE", "b")),
            ("timeout", Value::int(10)),
            ("memory_size", Value::int(256)),
            ("tags", c(vec![("env", s("prod"))])),
        ],
    );
    conformance::run(
        &p,
        &LifecycleCase::new("aws_lambda_function", create_cfg, update),
    )
    .await
    .unwrap_or_else(|e| panic!("function: {e}"));

    // Defaults, computed attributes, the code hash.
    let cx = ctx("aws_lambda_function", "api", 1);
    let cfg = base(
        "api-fn",
        vec![
            ("architectures", Value::List(vec![s("arm64")])),
            ("tags", c(vec![("app", s("api"))])),
        ],
    );
    let f = create(&p, "aws_lambda_function", cfg.clone(), &cx)
        .await
        .unwrap();
    let arn = str_attr(&f, "arn");
    assert_eq!(arn, "arn:aws:lambda:us-east-1:123456789012:function:api-fn");
    assert_eq!(
        str_attr(&f, "invoke_arn"),
        format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    );
    assert_eq!(
        (str_attr(&f, "version"), str_attr(&f, "qualified_arn")),
        ("$LATEST".to_string(), format!("{arn}:$LATEST"))
    );
    assert_eq!(
        (attr(&f, "timeout"), attr(&f, "memory_size")),
        (&Value::int(3), &Value::int(128))
    );
    assert_eq!(attr(&f, "architectures"), &Value::List(vec![s("arm64")]));
    assert_eq!(attr(&f, "source_code_size"), &Value::int(zip1.len() as i64));
    assert_eq!(str_attr(&f, "code_sha256"), sha_b64(&zip1));
    assert_eq!(str_attr(&f, "source_code_hash"), sha_b64(&zip1));
    assert_eq!(attr(&f, "reserved_concurrent_executions"), &Value::int(-1));
    assert!(!str_attr(&f, "last_modified").is_empty());
    let noop = p.plan_change("aws_lambda_function", Some(&f), &cfg);
    assert!(noop.requires_replace.is_empty());
    assert_eq!(noop.planned, f, "read back = no change");
    let live = lambda
        .get_function()
        .function_name("api-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.tags()
            .and_then(|t| t.get("contin:address"))
            .map(String::as_str),
        Some("aws_lambda_function.api")
    );

    // New code (source_code_hash as filebase64sha256 gives it) published as version 1, reserved concurrency.
    let cfg2 = base(
        "api-fn",
        vec![
            ("architectures", Value::List(vec![s("arm64")])),
            ("tags", c(vec![("app", s("api"))])),
            ("filename", s(&f2)),
            ("source_code_hash", s(&sha_b64(&zip2))),
            ("publish", Value::Bool(true)),
            ("reserved_concurrent_executions", Value::int(5)),
        ],
    );
    let change = p.plan_change("aws_lambda_function", Some(&f), &cfg2);
    assert!(
        change.requires_replace.is_empty(),
        "{:?}",
        change.requires_replace
    );
    assert_eq!(attr(&change.planned, "version"), &Value::Unknown);
    let f2v = p
        .update("aws_lambda_function", &f, &change.planned, &cx)
        .await
        .unwrap();
    assert_eq!(str_attr(&f2v, "code_sha256"), sha_b64(&zip2));
    assert_eq!(str_attr(&f2v, "version"), "1");
    assert_eq!(str_attr(&f2v, "qualified_arn"), format!("{arn}:1"));
    assert_eq!(attr(&f2v, "reserved_concurrent_executions"), &Value::int(5));
    let noop = p.plan_change("aws_lambda_function", Some(&f2v), &cfg2);
    assert_eq!(noop.planned, f2v);
    assert_eq!(
        p.read("aws_lambda_function", &f2v).await.unwrap().as_ref(),
        Some(&f2v)
    );

    // Drift: a timeout changed outside is seen and planned back to the default.
    lambda
        .update_function_configuration()
        .function_name("api-fn")
        .timeout(30)
        .send()
        .await
        .unwrap();
    let drifted = p.read("aws_lambda_function", &f2v).await.unwrap().unwrap();
    assert_eq!(attr(&drifted, "timeout"), &Value::int(30));
    let fix = p.plan_change("aws_lambda_function", Some(&drifted), &cfg2);
    assert_eq!(attr(&fix.planned, "timeout"), &Value::int(3));
    let fixed = p
        .update("aws_lambda_function", &drifted, &fix.planned, &cx)
        .await
        .unwrap();
    assert_eq!(attr(&fixed, "timeout"), &Value::int(3));

    // The state write was lost after CreateFunction: the same create adopts it; another is refused.
    let adopted = create(&p, "aws_lambda_function", cfg.clone(), &cx)
        .await
        .unwrap();
    assert_eq!(str_attr(&adopted, "arn"), arn);
    assert_eq!(
        str_attr(&adopted, "code_sha256"),
        sha_b64(&zip1),
        "adoption converged the code"
    );
    let e = create(
        &p,
        "aws_lambda_function",
        cfg.clone(),
        &ctx("aws_lambda_function", "other", 1),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("already exists and was not created by this resource"),
        "{e}"
    );

    // Permission: conformance (every argument replaces), then adoption and import.
    let perm = c(vec![
        ("statement_id", s("AllowS3")),
        ("action", s("lambda:InvokeFunction")),
        ("function_name", s("api-fn")),
        ("principal", s("s3.amazonaws.com")),
        ("source_arn", s("arn:aws:s3:::bucket-a")),
    ]);
    let perm2 = c(vec![
        ("statement_id", s("AllowS3")),
        ("action", s("lambda:InvokeFunction")),
        ("function_name", s("api-fn")),
        ("principal", s("s3.amazonaws.com")),
        ("source_arn", s("arn:aws:s3:::bucket-b")),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_lambda_permission", perm.clone(), perm2),
    )
    .await
    .unwrap_or_else(|e| panic!("permission: {e}"));
    let pcx = ctx("aws_lambda_permission", "s3", 1);
    let gen = c(vec![
        ("statement_id_prefix", s("s3-")),
        ("action", s("lambda:InvokeFunction")),
        ("function_name", s("api-fn")),
        ("principal", s("123456789012")),
    ]);
    let pm = create(&p, "aws_lambda_permission", gen.clone(), &pcx)
        .await
        .unwrap();
    let sid = str_attr(&pm, "statement_id");
    assert!(sid.starts_with("s3-") && sid.len() == 3 + 26, "{sid}");
    assert_eq!(str_attr(&pm, "principal"), "123456789012");
    assert_eq!(
        p.plan_change("aws_lambda_permission", Some(&pm), &gen)
            .planned,
        pm
    );
    let again = create(&p, "aws_lambda_permission", gen.clone(), &pcx)
        .await
        .unwrap();
    assert_eq!(again, pm, "adopted, no duplicate statement");
    let policy = lambda
        .get_policy()
        .function_name("api-fn")
        .send()
        .await
        .unwrap();
    assert_eq!(policy.policy().unwrap().matches(&sid).count(), 1);
    let other = c(vec![
        ("statement_id", s(&sid)),
        ("action", s("lambda:InvokeFunction")),
        ("function_name", s("api-fn")),
        ("principal", s("sns.amazonaws.com")),
    ]);
    let e = create(
        &p,
        "aws_lambda_permission",
        other,
        &ctx("aws_lambda_permission", "x", 1),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("with other content"), "{e}");
    let imported = p
        .import("aws_lambda_permission", &format!("api-fn/{sid}"))
        .await
        .unwrap();
    assert_eq!(str_attr(&imported, "action"), "lambda:InvokeFunction");
    p.delete("aws_lambda_permission", &pm, &pcx).await.unwrap();
    assert_eq!(p.read("aws_lambda_permission", &pm).await.unwrap(), None);

    // Import, delete, gone.
    let imported = p.import("aws_lambda_function", "api-fn").await.unwrap();
    assert_eq!(str_attr(&imported, "arn"), arn);
    p.delete("aws_lambda_function", &adopted, &cx)
        .await
        .unwrap();
    assert_eq!(p.read("aws_lambda_function", &adopted).await.unwrap(), None);
    p.delete("aws_lambda_function", &adopted, &cx)
        .await
        .unwrap();

    // A missing zip names the argument and the path.
    let e = create(
        &p,
        "aws_lambda_function",
        base("nozip", vec![("filename", s("/nonexistent/f.zip"))]),
        &ctx("aws_lambda_function", "nozip", 1),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("filename \"/nonexistent/f.zip\""),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "contin-test",
        ))
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

#[tokio::test]
async fn sqs_queue_and_policy_lifecycle_fifo_adoption() {
    use aws_sdk_sqs::types::QueueAttributeName as Q;
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let sqs = sqs_client(&moto.endpoint());

    // Conformance: defaults, update of a number, a redrive policy and tags; delete, gone.
    let dlq = create(
        &p,
        "aws_sqs_queue",
        c(vec![("name", s("jobs-dlq"))]),
        &ctx("aws_sqs_queue", "dlq", 1),
    )
    .await
    .unwrap();
    let dlq_arn = str_attr(&dlq, "arn");
    assert_eq!(dlq_arn, "arn:aws:sqs:us-east-1:123456789012:jobs-dlq");
    let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":4}}"#);
    let create_cfg = c(vec![("name", s("conf-q"))]);
    let update = c(vec![
        ("name", s("conf-q")),
        ("visibility_timeout_seconds", Value::int(60)),
        ("redrive_policy", s(&redrive)),
        ("tags", c(vec![("env", s("prod"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_sqs_queue", create_cfg, update))
        .await
        .unwrap_or_else(|e| panic!("queue: {e}"));

    // Computed attributes, Terraform's defaults, FIFO naming by prefix.
    let cx = ctx("aws_sqs_queue", "orders", 1);
    let cfg = c(vec![
        ("name_prefix", s("orders-")),
        ("fifo_queue", Value::Bool(true)),
        ("content_based_deduplication", Value::Bool(true)),
        ("delay_seconds", Value::int(5)),
    ]);
    let q = create(&p, "aws_sqs_queue", cfg.clone(), &cx).await.unwrap();
    let name = str_attr(&q, "name");
    assert!(
        name.starts_with("orders-") && name.ends_with(".fifo") && name.len() == 7 + 26 + 5,
        "{name}"
    );
    let url = str_attr(&q, "url");
    assert_eq!(str_attr(&q, "id"), url);
    assert!(url.ends_with(&format!("/123456789012/{name}")), "{url}");
    assert_eq!(attr(&q, "message_retention_seconds"), &Value::int(345_600));
    assert_eq!(attr(&q, "delay_seconds"), &Value::int(5));
    assert_eq!(attr(&q, "content_based_deduplication"), &Value::Bool(true));
    let noop = p.plan_change("aws_sqs_queue", Some(&q), &cfg);
    assert!(noop.requires_replace.is_empty());
    assert_eq!(noop.planned, q, "read back = no change");

    // Drift outside, planned back to Terraform's default and fixed.
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(Q::VisibilityTimeout, "99")
        .send()
        .await
        .unwrap();
    let drifted = p.read("aws_sqs_queue", &q).await.unwrap().unwrap();
    assert_eq!(
        attr(&drifted, "visibility_timeout_seconds"),
        &Value::int(99)
    );
    let fix = p.plan_change("aws_sqs_queue", Some(&drifted), &cfg);
    assert_eq!(
        attr(&fix.planned, "visibility_timeout_seconds"),
        &Value::int(30)
    );
    let fixed = p
        .update("aws_sqs_queue", &drifted, &fix.planned, &cx)
        .await
        .unwrap();
    assert_eq!(fixed, q);

    // The state write was lost after CreateQueue: adopted (one queue); another resource is refused.
    let again = create(&p, "aws_sqs_queue", cfg.clone(), &cx).await.unwrap();
    assert_eq!(again, q);
    let listed = sqs
        .list_queues()
        .queue_name_prefix("orders-")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queue_urls().len(), 1);
    let e = create(
        &p,
        "aws_sqs_queue",
        c(vec![
            ("name", s(&name)),
            ("fifo_queue", Value::Bool(true)),
            ("content_based_deduplication", Value::Bool(true)),
            ("delay_seconds", Value::int(5)),
        ]),
        &ctx("aws_sqs_queue", "other", 1),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("already exists and was not created by this resource"),
        "{e}"
    );

    // Queue policy: conformance, spelling kept, the queue's own policy plans no diff.
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"sns.amazonaws.com"}},"Action":"{action}","Resource":"{}"}}]}}"#,
            str_attr(&q, "arn")
        )
    };
    let pol_cfg = c(vec![
        ("queue_url", s(&url)),
        ("policy", s(&doc("sqs:SendMessage"))),
    ]);
    let pol_upd = c(vec![("queue_url", s(&url)), ("policy", s(&doc("sqs:*")))]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_sqs_queue_policy", pol_cfg.clone(), pol_upd),
    )
    .await
    .unwrap_or_else(|e| panic!("queue policy: {e}"));
    let pcx = ctx("aws_sqs_queue_policy", "p", 1);
    let pol = create(&p, "aws_sqs_queue_policy", pol_cfg.clone(), &pcx)
        .await
        .unwrap();
    assert_eq!(
        p.plan_change("aws_sqs_queue_policy", Some(&pol), &pol_cfg)
            .planned,
        pol
    );
    let with_policy = p.read("aws_sqs_queue", &q).await.unwrap().unwrap();
    assert!(testing::policies_equivalent(
        &str_attr(&with_policy, "policy"),
        &doc("sqs:SendMessage")
    ));
    let noop = p.plan_change("aws_sqs_queue", Some(&with_policy), &cfg);
    assert_eq!(
        noop.planned, with_policy,
        "the queue policy resource causes no queue diff"
    );
    let imported = p.import("aws_sqs_queue_policy", &url).await.unwrap();
    assert_eq!(str_attr(&imported, "queue_url"), url);
    assert!(testing::policies_equivalent(
        &str_attr(&imported, "policy"),
        &doc("sqs:SendMessage")
    ));
    p.delete("aws_sqs_queue_policy", &pol, &pcx).await.unwrap();
    assert_eq!(p.read("aws_sqs_queue_policy", &pol).await.unwrap(), None);

    // Import, delete, gone.
    let imported = p.import("aws_sqs_queue", &url).await.unwrap();
    assert_eq!(str_attr(&imported, "arn"), str_attr(&q, "arn"));
    p.delete("aws_sqs_queue", &q, &cx).await.unwrap();
    assert_eq!(p.read("aws_sqs_queue", &q).await.unwrap(), None);
    p.delete("aws_sqs_queue", &q, &cx).await.unwrap();
}

fn sns_client(endpoint: &str) -> aws_sdk_sns::Client {
    let conf = aws_sdk_sns::Config::builder()
        .behavior_version(aws_sdk_sns::config::BehaviorVersion::latest())
        .region(aws_sdk_sns::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "contin-test",
        ))
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

#[tokio::test]
async fn sns_topic_and_subscription_lifecycle_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let sns = sns_client(&moto.endpoint());

    // Conformance: topic create, read back, no-op, update display name and tags, delete, gone.
    let create_cfg = c(vec![("name", s("conf-topic"))]);
    let update = c(vec![
        ("name", s("conf-topic")),
        ("display_name", s("Alerts")),
        ("tags", c(vec![("env", s("prod"))])),
    ]);
    conformance::run(&p, &LifecycleCase::new("aws_sns_topic", create_cfg, update))
        .await
        .unwrap_or_else(|e| panic!("topic: {e}"));

    let cx = ctx("aws_sns_topic", "alerts", 1);
    let cfg = c(vec![
        ("name_prefix", s("alerts-")),
        ("display_name", s("A")),
    ]);
    let t = create(&p, "aws_sns_topic", cfg.clone(), &cx).await.unwrap();
    let arn = str_attr(&t, "arn");
    let name = str_attr(&t, "name");
    assert!(
        name.starts_with("alerts-") && name.len() == 7 + 26,
        "{name}"
    );
    assert_eq!(arn, format!("arn:aws:sns:us-east-1:123456789012:{name}"));
    assert_eq!(str_attr(&t, "id"), arn);
    assert_eq!(str_attr(&t, "owner"), "123456789012");
    assert!(
        !str_attr(&t, "policy").is_empty(),
        "SNS's default policy is read: {t:?}"
    );
    assert_eq!(
        p.plan_change("aws_sns_topic", Some(&t), &cfg).planned,
        t,
        "read back = no change"
    );

    // Drift outside is seen and fixed.
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("B")
        .send()
        .await
        .unwrap();
    let drifted = p.read("aws_sns_topic", &t).await.unwrap().unwrap();
    assert_eq!(str_attr(&drifted, "display_name"), "B");
    let fix = p.plan_change("aws_sns_topic", Some(&drifted), &cfg);
    let fixed = p
        .update("aws_sns_topic", &drifted, &fix.planned, &cx)
        .await
        .unwrap();
    assert_eq!(fixed, t);

    // Lost state write: adopted (one topic); another resource is refused.
    let again = create(&p, "aws_sns_topic", cfg.clone(), &cx).await.unwrap();
    assert_eq!(again, t);
    let topics = sns.list_topics().send().await.unwrap();
    assert_eq!(
        topics
            .topics()
            .iter()
            .filter(|x| x.topic_arn() == Some(arn.as_str()))
            .count(),
        1
    );
    let e = create(
        &p,
        "aws_sns_topic",
        c(vec![("name", s(&name))]),
        &ctx("aws_sns_topic", "other", 1),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("already exists and was not created by this resource"),
        "{e}"
    );

    // Subscription of an SQS queue: conformance (raw delivery updated in place).
    let q = create(
        &p,
        "aws_sqs_queue",
        c(vec![("name", s("alerts-q"))]),
        &ctx("aws_sqs_queue", "alerts", 1),
    )
    .await
    .unwrap();
    let qarn = str_attr(&q, "arn");
    let sub = c(vec![
        ("topic_arn", s(&arn)),
        ("protocol", s("sqs")),
        ("endpoint", s(&qarn)),
    ]);
    let filter = r#"{"level":["error"]}"#;
    let sub2 = c(vec![
        ("topic_arn", s(&arn)),
        ("protocol", s("sqs")),
        ("endpoint", s(&qarn)),
        ("raw_message_delivery", Value::Bool(true)),
        ("filter_policy", s(filter)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_sns_topic_subscription", sub.clone(), sub2.clone()),
    )
    .await
    .unwrap_or_else(|e| panic!("subscription: {e}"));
    let scx = ctx("aws_sns_topic_subscription", "q", 1);
    let sb = create(&p, "aws_sns_topic_subscription", sub2.clone(), &scx)
        .await
        .unwrap();
    assert_eq!(attr(&sb, "raw_message_delivery"), &Value::Bool(true));
    assert_eq!(attr(&sb, "pending_confirmation"), &Value::Bool(false));
    assert_eq!(str_attr(&sb, "owner_id"), "123456789012");
    assert_eq!(
        p.plan_change("aws_sns_topic_subscription", Some(&sb), &sub2)
            .planned,
        sb
    );
    // Subscribe again (lost state write): the same subscription.
    let again = create(&p, "aws_sns_topic_subscription", sub2.clone(), &scx)
        .await
        .unwrap();
    assert_eq!(str_attr(&again, "arn"), str_attr(&sb, "arn"));
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1);
    let imported = p
        .import("aws_sns_topic_subscription", &str_attr(&sb, "arn"))
        .await
        .unwrap();
    assert_eq!(str_attr(&imported, "endpoint"), qarn);
    p.delete("aws_sns_topic_subscription", &sb, &scx)
        .await
        .unwrap();
    assert_eq!(
        p.read("aws_sns_topic_subscription", &sb).await.unwrap(),
        None
    );

    let imported = p.import("aws_sns_topic", &arn).await.unwrap();
    assert_eq!(str_attr(&imported, "display_name"), "A");
    p.delete("aws_sns_topic", &t, &cx).await.unwrap();
    assert_eq!(p.read("aws_sns_topic", &t).await.unwrap(), None);
    p.delete("aws_sns_topic", &t, &cx).await.unwrap();
}

#[tokio::test]
async fn lb_target_group_and_autoscaling_attachments() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());
    let elbv2 = testing::elbv2_client(&moto.endpoint());
    let asg = testing::autoscaling_client(&moto.endpoint());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let tg = |name: &'static str, ty: &'static str| {
        let (elbv2, vpc) = (elbv2.clone(), vpc.clone());
        async move {
            let out = elbv2
                .create_target_group()
                .name(name)
                .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
                .port(80)
                .vpc_id(vpc)
                .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::from(
                    ty,
                ))
                .send()
                .await
                .unwrap();
            out.target_groups()[0]
                .target_group_arn()
                .unwrap()
                .to_string()
        }
    };
    let ip_tg = tg("ips", "ip").await;

    // Target group attachment: conformance (a new port replaces it).
    let a1 = c(vec![
        ("target_group_arn", s(&ip_tg)),
        ("target_id", s("10.0.1.5")),
        ("port", Value::int(8080)),
    ]);
    let a2 = c(vec![
        ("target_group_arn", s(&ip_tg)),
        ("target_id", s("10.0.1.5")),
        ("port", Value::int(9090)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_lb_target_group_attachment", a1.clone(), a2),
    )
    .await
    .unwrap_or_else(|e| panic!("tg attachment: {e}"));
    let health = elbv2
        .describe_target_health()
        .target_group_arn(&ip_tg)
        .send()
        .await
        .unwrap();
    assert!(
        health.target_health_descriptions().is_empty(),
        "delete deregistered the target"
    );
    let cx = ctx("aws_lb_target_group_attachment", "a", 1);
    let att = create(&p, "aws_lb_target_group_attachment", a1.clone(), &cx)
        .await
        .unwrap();
    assert_eq!(str_attr(&att, "id"), format!("{ip_tg},10.0.1.5,8080"));
    assert_eq!(
        p.plan_change("aws_lb_target_group_attachment", Some(&att), &a1)
            .planned,
        att
    );
    let again = create(&p, "aws_lb_target_group_attachment", a1.clone(), &cx)
        .await
        .unwrap();
    assert_eq!(again, att, "registering again is one registration");
    let health = elbv2
        .describe_target_health()
        .target_group_arn(&ip_tg)
        .send()
        .await
        .unwrap();
    assert_eq!(health.target_health_descriptions().len(), 1);
    assert_eq!(
        p.import(
            "aws_lb_target_group_attachment",
            &format!("{ip_tg},10.0.1.5,8080")
        )
        .await
        .unwrap(),
        p.read("aws_lb_target_group_attachment", &att)
            .await
            .unwrap()
            .unwrap()
    );
    // Deregistered outside: gone (the next plan creates it again).
    elbv2
        .deregister_targets()
        .target_group_arn(&ip_tg)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id("10.0.1.5")
                .port(8080)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.read("aws_lb_target_group_attachment", &att)
            .await
            .unwrap(),
        None
    );
    p.delete("aws_lb_target_group_attachment", &att, &cx)
        .await
        .unwrap();

    // Auto Scaling attachment of target groups: conformance (another target group replaces it).
    asg.create_launch_configuration()
        .launch_configuration_name("lc")
        .image_id("ami-12c6146b")
        .instance_type("t2.micro")
        .send()
        .await
        .unwrap();
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_configuration_name("lc")
        .min_size(0)
        .max_size(1)
        .vpc_zone_identifier(&subnet)
        .send()
        .await
        .unwrap();
    let (tg1, tg2) = (tg("web1", "instance").await, tg("web2", "instance").await);
    let s1 = c(vec![
        ("autoscaling_group_name", s("web")),
        ("lb_target_group_arn", s(&tg1)),
    ]);
    let s2 = c(vec![
        ("autoscaling_group_name", s("web")),
        ("lb_target_group_arn", s(&tg2)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_autoscaling_attachment", s1.clone(), s2),
    )
    .await
    .unwrap_or_else(|e| panic!("asg attachment: {e}"));
    let attached = asg
        .describe_load_balancer_target_groups()
        .auto_scaling_group_name("web")
        .send()
        .await
        .unwrap();
    assert!(
        attached.load_balancer_target_groups().is_empty(),
        "{attached:?}"
    );
    let acx = ctx("aws_autoscaling_attachment", "web", 1);
    let at = create(&p, "aws_autoscaling_attachment", s1.clone(), &acx)
        .await
        .unwrap();
    assert_eq!(str_attr(&at, "id"), format!("web,{tg1}"));
    let again = create(&p, "aws_autoscaling_attachment", s1.clone(), &acx)
        .await
        .unwrap();
    assert_eq!(again, at);
    let attached = asg
        .describe_load_balancer_target_groups()
        .auto_scaling_group_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.load_balancer_target_groups().len(), 1);
    assert_eq!(
        p.import("aws_autoscaling_attachment", &format!("web,{tg1}"))
            .await
            .unwrap(),
        p.read("aws_autoscaling_attachment", &at)
            .await
            .unwrap()
            .unwrap()
    );
    p.delete("aws_autoscaling_attachment", &at, &acx)
        .await
        .unwrap();
    assert_eq!(
        p.read("aws_autoscaling_attachment", &at).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn ebs_volume_and_attachment_lifecycle_adoption() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());

    // Volume: conformance (size and type change in place, tags), then adoption by tags.
    let create_cfg = c(vec![
        ("availability_zone", s("us-east-1a")),
        ("size", Value::int(8)),
    ]);
    let update = c(vec![
        ("availability_zone", s("us-east-1a")),
        ("size", Value::int(16)),
        ("type", s("gp3")),
        ("tags", c(vec![("Name", s("data"))])),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_ebs_volume", create_cfg.clone(), update),
    )
    .await
    .unwrap_or_else(|e| panic!("volume: {e}"));

    let cx = ctx("aws_ebs_volume", "data", 1);
    let v = create(&p, "aws_ebs_volume", create_cfg.clone(), &cx)
        .await
        .unwrap();
    let id = str_attr(&v, "id");
    assert!(id.starts_with("vol-"), "{id}");
    assert_eq!(
        str_attr(&v, "arn"),
        format!("arn:aws:ec2:us-east-1:123456789012:volume/{id}")
    );
    assert_eq!(attr(&v, "encrypted"), &Value::Bool(false));
    assert_eq!(
        p.plan_change("aws_ebs_volume", Some(&v), &create_cfg)
            .planned,
        v,
        "read back = no change"
    );
    let again = create(&p, "aws_ebs_volume", create_cfg.clone(), &cx)
        .await
        .unwrap();
    assert_eq!(
        str_attr(&again, "id"),
        id,
        "adopted by its tags, no second volume"
    );
    let all = ec2.describe_volumes().send().await.unwrap();
    assert_eq!(
        all.volumes()
            .iter()
            .filter(|x| x
                .tags()
                .iter()
                .any(|t| t.value() == Some("aws_ebs_volume.data")))
            .count(),
        1
    );

    // Attachment to an instance.
    let inst = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T2Micro)
        .min_count(1)
        .max_count(1)
        .placement(
            aws_sdk_ec2::types::Placement::builder()
                .availability_zone("us-east-1a")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instance = inst.instances()[0].instance_id().unwrap().to_string();
    let acfg = c(vec![
        ("device_name", s("/dev/sdh")),
        ("instance_id", s(&instance)),
        ("volume_id", s(&id)),
    ]);
    let acfg2 = c(vec![
        ("device_name", s("/dev/sdi")),
        ("instance_id", s(&instance)),
        ("volume_id", s(&id)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_volume_attachment", acfg.clone(), acfg2),
    )
    .await
    .unwrap_or_else(|e| panic!("attachment: {e}"));
    let acx = ctx("aws_volume_attachment", "data", 1);
    let a = create(&p, "aws_volume_attachment", acfg.clone(), &acx)
        .await
        .unwrap();
    assert!(str_attr(&a, "id").starts_with("vai-"));
    let again = create(&p, "aws_volume_attachment", acfg.clone(), &acx)
        .await
        .unwrap();
    assert_eq!(again, a, "an existing attachment is adopted");
    let live = ec2.describe_volumes().volume_ids(&id).send().await.unwrap();
    assert_eq!(live.volumes()[0].attachments().len(), 1);
    let imported = p
        .import(
            "aws_volume_attachment",
            &format!("/dev/sdh:{id}:{instance}"),
        )
        .await
        .unwrap();
    assert_eq!(str_attr(&imported, "id"), str_attr(&a, "id"));
    p.delete("aws_volume_attachment", &a, &acx).await.unwrap();
    assert_eq!(p.read("aws_volume_attachment", &a).await.unwrap(), None);

    // Destroy with a final snapshot.
    let mut snap = v.clone();
    if let Value::Map(m) = &mut snap {
        m.insert("final_snapshot".into(), Value::Bool(true));
    }
    p.delete("aws_ebs_volume", &snap, &cx).await.unwrap();
    assert_eq!(p.read("aws_ebs_volume", &v).await.unwrap(), None);
    let snaps = ec2
        .describe_snapshots()
        .owner_ids("self")
        .send()
        .await
        .unwrap();
    assert!(
        snaps
            .snapshots()
            .iter()
            .any(|x| x.volume_id() == Some(id.as_str())),
        "final snapshot taken"
    );
    p.delete("aws_ebs_volume", &v, &cx).await.unwrap();
}

#[tokio::test]
async fn autoscaling_policy_simple_step_and_target_tracking() {
    let moto = MotoServer::start();
    let p = provider(&moto).await;
    let ec2 = testing::client(&moto.endpoint());
    let asg = testing::autoscaling_client(&moto.endpoint());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    asg.create_launch_configuration()
        .launch_configuration_name("lc")
        .image_id("ami-12c6146b")
        .instance_type("t2.micro")
        .send()
        .await
        .unwrap();
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_configuration_name("lc")
        .min_size(0)
        .max_size(2)
        .vpc_zone_identifier(&subnet)
        .send()
        .await
        .unwrap();

    // Simple scaling: conformance (adjustment and cooldown change in place).
    let simple = c(vec![
        ("name", s("scale-up")),
        ("autoscaling_group_name", s("web")),
        ("adjustment_type", s("ChangeInCapacity")),
        ("scaling_adjustment", Value::int(1)),
        ("cooldown", Value::int(300)),
    ]);
    let simple2 = c(vec![
        ("name", s("scale-up")),
        ("autoscaling_group_name", s("web")),
        ("adjustment_type", s("ChangeInCapacity")),
        ("scaling_adjustment", Value::int(2)),
        ("cooldown", Value::int(120)),
    ]);
    conformance::run(
        &p,
        &LifecycleCase::new("aws_autoscaling_policy", simple.clone(), simple2),
    )
    .await
    .unwrap_or_else(|e| panic!("simple: {e}"));

    // Target tracking with a predefined metric.
    let tracking = |target: i64| {
        c(vec![
            ("name", s("cpu50")),
            ("autoscaling_group_name", s("web")),
            ("policy_type", s("TargetTrackingScaling")),
            (
                "target_tracking_configuration",
                Value::List(vec![c(vec![
                    ("target_value", Value::int(target)),
                    (
                        "predefined_metric_specification",
                        Value::List(vec![c(vec![(
                            "predefined_metric_type",
                            s("ASGAverageCPUUtilization"),
                        )])]),
                    ),
                ])]),
            ),
        ])
    };
    conformance::run(
        &p,
        &LifecycleCase::new("aws_autoscaling_policy", tracking(50), tracking(70)),
    )
    .await
    .unwrap_or_else(|e| panic!("tracking: {e}"));

    // Step scaling; a re-run of the create writes the same policy (one policy).
    let step = c(vec![
        ("name", s("steps")),
        ("autoscaling_group_name", s("web")),
        ("policy_type", s("StepScaling")),
        ("adjustment_type", s("ChangeInCapacity")),
        (
            "step_adjustment",
            Value::set(vec![c(vec![
                ("scaling_adjustment", Value::int(1)),
                ("metric_interval_lower_bound", s("0")),
                ("metric_interval_upper_bound", s("10.5")),
            ])]),
        ),
    ]);
    let cx = ctx("aws_autoscaling_policy", "steps", 1);
    let sp = create(&p, "aws_autoscaling_policy", step.clone(), &cx)
        .await
        .unwrap();
    assert!(
        str_attr(&sp, "arn")
            .starts_with("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:"),
        "{sp:?}"
    );
    assert_eq!(str_attr(&sp, "id"), "steps");
    assert_eq!(
        p.plan_change("aws_autoscaling_policy", Some(&sp), &step)
            .planned,
        sp,
        "read back = no change"
    );
    let again = create(&p, "aws_autoscaling_policy", step.clone(), &cx)
        .await
        .unwrap();
    assert_eq!(again, sp);
    let all = asg
        .describe_policies()
        .auto_scaling_group_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(
        all.scaling_policies()
            .iter()
            .filter(|x| x.policy_name() == Some("steps"))
            .count(),
        1
    );
    assert_eq!(
        p.import("aws_autoscaling_policy", "web/steps")
            .await
            .unwrap(),
        p.read("aws_autoscaling_policy", &sp)
            .await
            .unwrap()
            .unwrap()
    );
    p.delete("aws_autoscaling_policy", &sp, &cx).await.unwrap();
    assert_eq!(p.read("aws_autoscaling_policy", &sp).await.unwrap(), None);
}
