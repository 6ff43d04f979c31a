//! End-to-end: the S3 and additional EC2 types through the real contin
//! binary against moto: apply, no-op replan, drift, destroy. What exists is
//! checked through separate clients (`Ec2Probe`), never through contin.
//!
//! `aws_s3_bucket_versioning` is left out: moto 5.2.5 answers
//! GetBucketVersioning with an XML root aws-sdk-s3 rejects (see
//! providers/contin-provider-aws/tests/moto_types.rs); the public access
//! block stands in as the bucket sub-resource.

use contin_e2e::moto::MotoServer;
use contin_e2e::{Output, Project};
use contin_provider_aws::testing::Ec2Probe;

fn run(p: &Project, moto: &MotoServer, args: &[&str]) -> Output {
    let mut env = moto.client_env();
    env.push(("AWS_CONFIG_FILE", "/nonexistent/contin-test/config".into()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-test/credentials".into()));
    env.push(("CONTIN_VAR_aws_endpoint", moto.endpoint()));
    let all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.run_with(args, None, &all)
}

const CONFIG: &str = r##"
variable "aws_endpoint" {
  type    = string
  default = null
}

provider "aws" {
  region   = "us-east-1"
  endpoint = var.aws_endpoint
}

data "aws_caller_identity" "me" {}
data "aws_region" "here" {}

resource "aws_s3_bucket" "site" {
  bucket        = "contin-e2e-site"
  force_destroy = true
  tags = {
    Name = "site"
  }
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket                  = aws_s3_bucket.site.id
  block_public_acls       = true
  block_public_policy     = true
}

resource "aws_s3_object" "index" {
  bucket       = aws_s3_bucket.site.id
  key          = "index.html"
  content      = "<h1>${data.aws_region.here.name}</h1>"
  content_type = "text/html"
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_eip" "ip" {
  domain = "vpc"
  tags = {
    Name = "ip"
  }
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group_rule" "https" {
  type              = "ingress"
  security_group_id = aws_security_group.web.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_launch_template" "web" {
  name_prefix            = "web-"
  image_id               = "ami-12c6146b"
  instance_type          = "t2.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
  user_data              = base64encode("#!/bin/sh\necho ${data.aws_caller_identity.me.account_id}\n")
  tags = {
    Name = "web"
  }
}

output "bucket_arn" {
  value = aws_s3_bucket.site.arn
}

output "public_ip" {
  value = aws_eip.ip.public_ip
}

output "template_version" {
  value = aws_launch_template.web.latest_version
}
"##;

#[test]
fn s3_eip_rule_route_launch_template_apply_noop_destroy() {
    let moto = MotoServer::start();
    let probe = Ec2Probe::new(&moto.endpoint());
    let p = Project::with_main(CONFIG);

    let plan = run(&p, &moto, &["plan"]);
    plan.expect_code(0);
    for addr in ["aws_s3_bucket.site", "aws_s3_bucket_public_access_block.site", "aws_s3_object.index", "aws_eip.ip", "aws_security_group_rule.https", "aws_route.default", "aws_launch_template.web"] {
        assert!(plan.stdout.contains(&format!("{addr} will be created")), "{addr}\n{}", plan.stdout);
    }

    let apply = run(&p, &moto, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 11 added, 0 changed, 0 destroyed."), "{}", apply.all());
    assert!(apply.stdout.contains("bucket_arn = \"arn:aws:s3:::contin-e2e-site\""), "{}", apply.stdout);
    assert!(apply.stdout.contains("template_version = 1"), "{}", apply.stdout);
    assert!(!apply.all().contains("testing"), "credentials must not be printed:\n{}", apply.all());

    // What exists, seen from outside.
    assert_eq!(probe.buckets(), ["contin-e2e-site"]);
    let pab = probe.block_on(async { probe.s3().get_public_access_block().bucket("contin-e2e-site").send().await.unwrap() });
    let conf = pab.public_access_block_configuration().expect("a public access block");
    assert_eq!((conf.block_public_acls(), conf.ignore_public_acls()), (Some(true), Some(false)));
    assert_eq!(probe.object_keys("contin-e2e-site"), ["index.html"]);
    let body = probe.block_on(async { probe.s3().get_object().bucket("contin-e2e-site").key("index.html").send().await.unwrap().body.collect().await.unwrap().into_bytes() });
    assert_eq!(&body[..], b"<h1>us-east-1</h1>");
    assert_eq!(probe.addresses().len(), 1);
    let templates = probe.launch_templates();
    assert!(templates.len() == 1 && templates[0].starts_with("web-"), "{templates:?}");
    assert!(probe.routes().iter().any(|r| r.contains(":0.0.0.0/0->igw-")), "{:?}", probe.routes());
    let sg = probe.security_groups().into_iter().find(|g| g.detail == "web").expect("the web group");
    assert_eq!(probe.ingress(&sg.id), ["tcp 443-443 0.0.0.0/0"]);

    // No-op replan.
    let replan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.all());

    // Drift: the object is overwritten out of band; the plan rewrites it in place.
    probe.block_on(async { probe.s3().put_object().bucket("contin-e2e-site").key("index.html").body(b"defaced".to_vec().into()).send().await.unwrap() });
    let drift = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("aws_s3_object.index will be updated in-place"), "{}", drift.stdout);
    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    let body = probe.block_on(async { probe.s3().get_object().bucket("contin-e2e-site").key("index.html").send().await.unwrap().body.collect().await.unwrap().into_bytes() });
    assert_eq!(&body[..], b"<h1>us-east-1</h1>");
    run(&p, &moto, &["plan", "-detailed-exitcode"]).expect_code(0);

    // Destroy: everything goes, the bucket with its object included.
    let destroy = run(&p, &moto, &["destroy", "-auto-approve"]);
    destroy.expect_code(0);
    assert!(probe.buckets().is_empty(), "{:?}", probe.buckets());
    assert!(probe.addresses().is_empty(), "{:?}", probe.addresses());
    assert!(probe.launch_templates().is_empty(), "{:?}", probe.launch_templates());
    assert!(probe.vpcs().is_empty(), "{:?}", probe.vpcs());
    assert!(probe.security_groups().is_empty(), "{:?}", probe.security_groups());
}
