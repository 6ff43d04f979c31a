//! End-to-end: S3 bucket sub-resources (policy, encryption with a KMS key,
//! website with dynamic routing rules, CORS with dynamic rules, logging,
//! lifecycle with and-filters and an empty filter) and the canonical-user
//! data sources, through the real contin binary against moto, written as
//! terraform-aws-modules/s3-bucket writes them: apply, no-op replan, an
//! in-place change of three of them, no-op replan, destroy. What exists is
//! checked with a separate S3 client.

use contin_e2e::moto::MotoServer;
use contin_e2e::{Output, Project};
use contin_provider_aws::testing;

fn run(p: &Project, moto: &MotoServer, args: &[&str]) -> Output {
    let mut env = moto.client_env();
    env.push(("AWS_CONFIG_FILE", "/nonexistent/contin-test/config".into()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-test/credentials".into()));
    env.push(("CONTIN_VAR_aws_endpoint", moto.endpoint()));
    let all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_with(args, None, &all)
}

const CONFIG: &str = r##"variable "aws_endpoint" {
  type    = string
  default = null
}

provider "aws" {
  region   = "us-east-1"
  endpoint = var.aws_endpoint
}

data "aws_canonical_user_id" "current" {}
data "aws_cloudfront_log_delivery_canonical_user_id" "cf" {}
data "aws_caller_identity" "current" {}

resource "aws_kms_key" "objects" {
  description             = "KMS key is used to encrypt bucket objects"
  deletion_window_in_days = 7
}

resource "aws_s3_bucket" "logs" {
  bucket        = "s3sub-logs"
  force_destroy = true
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = "log-delivery-write"
}

resource "aws_s3_bucket" "this" {
  bucket        = "s3sub-main"
  force_destroy = true
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Sid = "deny", Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "${aws_s3_bucket.this.arn}/*", Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.objects.arn
    }
  }
}

resource "aws_s3_bucket_website_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  index_document { suffix = "index.html" }
  error_document { key = "error.html" }
  dynamic "routing_rule" {
    for_each = [{ prefix = "docs/", to = "documents/" }]
    content {
      condition { key_prefix_equals = routing_rule.value.prefix }
      redirect { replace_key_prefix_with = routing_rule.value.to }
    }
  }
}

resource "aws_s3_bucket_cors_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  dynamic "cors_rule" {
    for_each = [{ allowed_methods = ["PUT", "POST"], allowed_origins = ["https://modules.tf"], allowed_headers = ["*"], expose_headers = ["ETag"], max_age_seconds = 3000 }, { allowed_methods = ["GET"], allowed_origins = ["*"] }]
    content {
      id              = try(cors_rule.value.id, null)
      allowed_methods = cors_rule.value.allowed_methods
      allowed_origins = cors_rule.value.allowed_origins
      allowed_headers = try(cors_rule.value.allowed_headers, null)
      expose_headers  = try(cors_rule.value.expose_headers, null)
      max_age_seconds = try(cors_rule.value.max_age_seconds, null)
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "log/"
  depends_on    = [aws_s3_bucket_acl.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    id     = "log"
    status = "Enabled"
    filter {
      and {
        prefix = "log/"
        tags   = { rule = "log", autoclean = "true" }
      }
    }
    transition {
      days          = 30
      storage_class = "ONEZONE_IA"
    }
    transition {
      days          = 60
      storage_class = "GLACIER"
    }
    expiration { days = 90 }
    noncurrent_version_expiration { noncurrent_days = 30 }
  }
  rule {
    id     = "all"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload { days_after_initiation = 7 }
  }
}

output "website_endpoint" { value = aws_s3_bucket_website_configuration.this.website_endpoint }
output "canonical" { value = data.aws_canonical_user_id.current.id }
output "cf" { value = data.aws_cloudfront_log_delivery_canonical_user_id.cf.id }
output "kms_arn" { value = aws_kms_key.objects.arn }
"##;

#[test]
fn bucket_sub_resources_apply_replan_update_destroy() {
    let moto = MotoServer::start();
    let p = Project::with_main(CONFIG);
    run(&p, &moto, &["validate"]).expect_code(0);
    let apply = run(&p, &moto, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 10 added, 0 changed, 0 destroyed."), "{}", apply.all());
    assert!(apply.stdout.contains("cf = \"c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0\""), "{}", apply.stdout);
    assert!(apply.stdout.contains("website_endpoint = \"s3sub-main.s3-website-us-east-1.amazonaws.com\""), "{}", apply.stdout);
    assert!(apply.stdout.contains("kms_arn = \"arn:aws:kms:us-east-1:"), "{}", apply.stdout);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let s3 = testing::s3_client(&moto.endpoint());
    let owner = rt.block_on(s3.list_buckets().send()).unwrap();
    let owner = owner.owner().and_then(|o| o.id()).unwrap_or_default().to_string();
    assert!(!owner.is_empty() && apply.stdout.contains(&format!("canonical = {owner:?}")), "{owner} {}", apply.stdout);
    let cors = rt.block_on(s3.get_bucket_cors().bucket("s3sub-main").send()).unwrap();
    assert_eq!(cors.cors_rules().len(), 2);
    let lc = rt.block_on(s3.get_bucket_lifecycle_configuration().bucket("s3sub-main").send()).unwrap();
    assert_eq!(lc.rules().len(), 2);
    let enc = rt.block_on(s3.get_bucket_encryption().bucket("s3sub-main").send()).unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let key = rule.apply_server_side_encryption_by_default().and_then(|d| d.kms_master_key_id()).unwrap_or_default().to_string();
    assert!(key.starts_with("arn:aws:kms:us-east-1:"), "{key}");
    let logging = rt.block_on(s3.get_bucket_logging().bucket("s3sub-main").send()).unwrap();
    assert_eq!(logging.logging_enabled().map(|l| l.target_bucket()), Some("s3sub-logs"));

    let replan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.all());

    let changed = CONFIG.replace("expiration { days = 90 }", "expiration { days = 120 }").replace("max_age_seconds = 3000", "max_age_seconds = 600").replace("\"documents/\"", "\"docs-v2/\"");
    p.write("main.hcl", &changed);
    let plan = run(&p, &moto, &["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("Plan: 0 to add, 3 to change, 0 to destroy."), "{}", plan.all());
    assert!(plan.stdout.contains("days = 90 -> 120"), "{}", plan.stdout);
    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    let lc = rt.block_on(s3.get_bucket_lifecycle_configuration().bucket("s3sub-main").send()).unwrap();
    assert!(lc.rules().iter().any(|r| r.expiration().and_then(|e| e.days()) == Some(120)), "{lc:?}");
    let replan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.all());

    run(&p, &moto, &["destroy", "-auto-approve"]).expect_code(0);
    let buckets = rt.block_on(s3.list_buckets().send()).unwrap();
    assert!(buckets.buckets().is_empty(), "{buckets:?}");
}
