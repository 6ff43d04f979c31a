//! End-to-end tests: aws (the real contin binary against a moto server).
//!
//! What exists in "AWS" is always checked through a separate EC2 client
//! (`contin_provider_aws::testing::Ec2Probe`), never through contin itself.

use contin_e2e::moto::MotoServer;
use contin_e2e::{contin_bin, insta_settings, repo_root, run_command, Output, Project};
use contin_provider_aws::testing::Ec2Probe;
use insta::assert_snapshot;
use std::process::Command;
use std::time::Duration;

/// Environment for contin runs against `moto`: dummy credentials, region,
/// no ~/.aws files, and the endpoint as the `aws_endpoint` variable.
fn aws_env(moto: &MotoServer) -> Vec<(&'static str, String)> {
    let mut env = moto.client_env();
    env.push(("AWS_CONFIG_FILE", "/nonexistent/contin-test/config".into()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-test/credentials".into()));
    env.push(("CONTIN_VAR_aws_endpoint", moto.endpoint()));
    env
}

fn run(p: &Project, moto: &MotoServer, args: &[&str]) -> Output {
    run_env(p, moto, args, &[])
}

fn run_env(p: &Project, moto: &MotoServer, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let env = aws_env(moto);
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    p.run_with(args, None, &all)
}

fn state_addrs(p: &Project) -> Vec<String> {
    if !p.exists("contin.state.json") {
        return Vec::new();
    }
    let out = p.run(&["state", "list"]);
    out.expect_code(0);
    out.stdout.lines().map(String::from).collect()
}

const PROVIDER: &str = r#"
variable "aws_endpoint" {
  type    = string
  default = null
}

provider "aws" {
  region   = "us-east-1"
  endpoint = var.aws_endpoint
  tags = {
    suite = "e2e"
  }
}
"#;

fn stack(subnet_b_cidr: &str) -> String {
    format!(
        r#"{PROVIDER}
variable "instance_type" {{
  type    = string
  default = "t2.micro"
}}

data "aws_ami" "linux" {{
  most_recent = true
  owners      = ["amazon"]
  filter {{
    name   = "name"
    values = ["amzn-ami-hvm-*-x86_64-gp2"]
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.0.0.0/16"
  tags = {{
    Name = "e2e"
  }}
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "{subnet_b_cidr}"
  availability_zone = "us-east-1b"
}}

resource "aws_security_group" "web" {{
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}

resource "aws_instance" "web" {{
  count                  = 2
  ami                    = data.aws_ami.linux.id
  instance_type          = var.instance_type
  subnet_id              = count.index == 0 ? aws_subnet.a.id : aws_subnet.b.id
  vpc_security_group_ids = [aws_security_group.web.id]
  tags = {{
    Name = "web-${{count.index}}"
  }}
}}
"#
    )
}

#[test]
fn lifecycle_noop_drift_update_replace_destroy() {
    let moto = MotoServer::start();
    let probe = Ec2Probe::new(&moto.endpoint());
    let p = Project::with_main(&stack("10.0.2.0/24"));

    let apply = run(&p, &moto, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."), "{}", apply.stdout);
    assert_eq!(probe.vpcs().len(), 1);
    assert_eq!(probe.subnets().len(), 2);
    assert_eq!(probe.security_groups().len(), 1);
    let instances = probe.live_instances();
    assert_eq!(instances.len(), 2, "{instances:?}");
    for i in &instances {
        assert_eq!(i.tags.get("suite").map(String::as_str), Some("e2e"), "default tags applied: {i:?}");
        assert!(i.tags.get("contin:address").is_some_and(|a| a.starts_with("aws_instance.web[")), "{i:?}");
    }

    // Unchanged: no-op.
    let replan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.stdout);

    // Tag drift made by another client shows in the plan, and apply repairs it.
    let vpc = probe.vpcs().remove(0);
    probe.set_tag(&vpc.id, "Name", "tampered");
    let drift = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("aws_vpc.main will be updated in-place"), "{}", drift.stdout);
    assert!(drift.stdout.contains("\"tampered\" -> \"e2e\""), "{}", drift.stdout);
    // An SG rule added out of band too.
    let sg = probe.security_groups().remove(0);
    probe.authorize_tcp(&sg.id, 3306, "0.0.0.0/0");
    let drift = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(drift.stdout.contains("aws_security_group.web will be updated in-place"), "{}", drift.stdout);
    assert!(drift.stdout.contains("3306"), "{}", drift.stdout);
    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(probe.vpcs()[0].tags.get("Name").map(String::as_str), Some("e2e"));
    run(&p, &moto, &["plan", "-detailed-exitcode"]).expect_code(0);

    // In place: instance type (stop, modify, start) keeps the instances.
    let before: Vec<String> = probe.live_instances().into_iter().map(|i| i.id).collect();
    let up = run(&p, &moto, &["apply", "-auto-approve", "-var", "instance_type=t3.small"]);
    up.expect_code(0);
    assert!(up.stdout.contains("Resources: 0 added, 2 changed, 0 destroyed."), "{}", up.stdout);
    let after = probe.live_instances();
    let mut after_ids: Vec<String> = after.iter().map(|i| i.id.clone()).collect();
    let mut before_sorted = before.clone();
    after_ids.sort();
    before_sorted.sort();
    assert_eq!(after_ids, before_sorted, "same instances");
    assert!(after.iter().all(|i| i.detail == "t3.small"), "{after:?}");

    // Force-new: a subnet's CIDR replaces the subnet and the instance in it.
    p.write("main.hcl", &stack("10.0.3.0/24"));
    let plan = run(&p, &moto, &["plan", "-var", "instance_type=t3.small"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("aws_subnet.b must be replaced"), "{}", plan.stdout);
    let re = run(&p, &moto, &["apply", "-auto-approve", "-var", "instance_type=t3.small"]);
    re.expect_code(0);
    let cidrs: Vec<String> = probe.subnets().into_iter().map(|s| s.detail).collect();
    assert!(cidrs.contains(&"10.0.3.0/24".to_string()) && !cidrs.contains(&"10.0.2.0/24".to_string()), "{cidrs:?}");
    assert_eq!(probe.live_instances().len(), 2);
    run(&p, &moto, &["plan", "-detailed-exitcode", "-var", "instance_type=t3.small"]).expect_code(0);

    // Destroy leaves nothing behind.
    let destroy = run(&p, &moto, &["destroy", "-auto-approve", "-var", "instance_type=t3.small"]);
    destroy.expect_code(0);
    assert!(probe.live_instances().is_empty(), "{:?}", probe.live_instances());
    assert!(probe.security_groups().is_empty(), "{:?}", probe.security_groups());
    assert!(probe.subnets().is_empty(), "{:?}", probe.subnets());
    assert!(probe.vpcs().is_empty(), "{:?}", probe.vpcs());
    assert!(state_addrs(&p).iter().all(|a| a.starts_with("data.")), "{:?}", state_addrs(&p));
}

#[test]
fn kill_after_run_instances_then_reapply_makes_no_duplicate() {
    // The crash in the very first apply (no state before it: the engine
    // writes the lineage first) and in a later one.
    for first_apply in [true, false] {
        crash_and_reapply(first_apply);
    }
}

fn crash_and_reapply(first_apply: bool) {
    let moto = MotoServer::start();
    let probe = Ec2Probe::new(&moto.endpoint());
    let ami = probe.any_ami();
    let p = Project::with_main(&format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.9.0.0/16\"\n}}\n"));
    if !first_apply {
        run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    }
    p.write(
        "main.hcl",
        &format!(
            r#"{PROVIDER}
resource "aws_vpc" "main" {{
  cidr_block = "10.9.0.0/16"
}}

resource "aws_instance" "web" {{
  count         = 3
  ami           = "{ami}"
  instance_type = "t2.micro"
}}
"#
        ),
    );
    let crashed = run_env(&p, &moto, &["apply", "-auto-approve", "-parallelism=1"], &[("CONTIN_TEST_KILL_AFTER_CREATE", "aws_instance.web[0]")]);
    assert_eq!(crashed.code, -1, "killed by SIGKILL\n{}", crashed.all());
    let live = probe.live_instances();
    assert!(live.iter().any(|i| i.tags.get("contin:address").map(String::as_str) == Some("aws_instance.web[0]")), "{live:?}");
    // The intent journaled before the create call is replayed as an
    // unresolved create: the instance is known, never recorded nowhere.
    assert!(state_addrs(&p).contains(&"aws_instance.web[0]".to_string()), "{:?}", state_addrs(&p));
    let plan = run(&p, &moto, &["plan"]);
    plan.expect_code(0);
    assert!(plan.stdout.contains("aws_instance.web[0] will be created (an interrupted create is adopted if it went through)"), "{}", plan.stdout);
    assert!(plan.stderr.contains("marked tainted") && plan.stderr.contains("aws_instance.web[0]"), "{}", plan.stderr);

    // No force-unlock: the kernel released the dead process's lock.
    let again = run(&p, &moto, &["apply", "-auto-approve"]);
    again.expect_code(0);
    let live = probe.live_instances();
    assert_eq!(live.len(), 3, "exactly the declared instances: {live:?}");
    let mut addrs: Vec<String> = live.iter().filter_map(|i| i.tags.get("contin:address").cloned()).collect();
    addrs.sort();
    assert_eq!(addrs, ["aws_instance.web[0]", "aws_instance.web[1]", "aws_instance.web[2]"]);
    run(&p, &moto, &["plan", "-detailed-exitcode"]).expect_code(0);
    run(&p, &moto, &["destroy", "-auto-approve"]).expect_code(0);
    assert!(probe.live_instances().is_empty());
}

/// Port numbers and object ids vary from run to run.
fn aws_filters(p: &Project) -> Vec<(String, String)> {
    let mut f = p.filters();
    f.push((r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]".into()));
    f
}

#[test]
fn bad_input_is_reported_with_address_and_location() {
    let moto = MotoServer::start();

    // Invalid CIDR: caught at plan, before any call.
    let p = Project::with_main(&format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/33\"\n}}\n"));
    let out = run(&p, &moto, &["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("cidr_block: \"10.0.0.0/33\" is not a valid IPv4 CIDR block"), "{}", out.stderr);
    assert!(out.stderr.contains("aws_vpc.main"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:"), "{}", out.stderr);
    insta_settings(&aws_filters(&p)).bind(|| assert_snapshot!("aws_invalid_cidr", out.stderr));
    assert!(state_addrs(&p).is_empty());

    // Unknown attribute of aws_instance.
    let p = Project::with_main(&format!(
        "{PROVIDER}\nresource \"aws_instance\" \"web\" {{\n  ami = \"ami-760aaa0f\"\n  instance_typo = \"t2.micro\"\n}}\n"
    ));
    let out = run(&p, &moto, &["plan"]);
    out.expect_code(1);
    assert!(out.stderr.contains("instance_typo"), "{}", out.stderr);
    assert!(out.stderr.contains("instance_type"), "suggests the right name: {}", out.stderr);
    assert!(out.stderr.contains("main.hcl:"), "{}", out.stderr);
    insta_settings(&aws_filters(&p)).bind(|| assert_snapshot!("aws_unknown_attribute", out.stderr));

    // Unreachable endpoint: a clear error naming the resource, quickly, nothing in state.
    let p = Project::with_main(&format!("{PROVIDER}\nresource \"aws_vpc\" \"main\" {{\n  cidr_block = \"10.0.0.0/16\"\n}}\n"));
    let started = std::time::Instant::now();
    let out = run_env(&p, &moto, &["apply", "-auto-approve"], &[("CONTIN_VAR_aws_endpoint", "http://127.0.0.1:1")]);
    out.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    assert!(out.stderr.contains("aws_vpc.main"), "{}", out.stderr);
    assert!(out.stderr.contains("cannot reach the EC2 endpoint"), "{}", out.stderr);
    assert!(!out.all().contains("testing"), "credentials must not be printed:\n{}", out.all());
    assert!(state_addrs(&p).is_empty(), "{:?}", state_addrs(&p));

    // A failed create (the VPC does not exist) writes nothing for it; the error has the AWS code.
    let p = Project::with_main(&format!(
        "{PROVIDER}\nresource \"aws_subnet\" \"orphan\" {{\n  vpc_id = \"vpc-00000000\"\n  cidr_block = \"10.0.0.0/24\"\n}}\n"
    ));
    let out = run(&p, &moto, &["apply", "-auto-approve"]);
    out.expect_code(1);
    assert!(out.stderr.contains("aws_subnet.orphan"), "{}", out.stderr);
    assert!(out.stderr.contains("InvalidVpcID.NotFound"), "{}", out.stderr);
    assert!(state_addrs(&p).is_empty(), "{:?}", state_addrs(&p));
}

#[test]
fn missing_region_is_a_clear_error() {
    let p = Project::with_main("provider \"aws\" {}\nresource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n");
    let mut cmd = Command::new(contin_bin());
    cmd.arg("-C").arg(p.path()).args(["plan"]).env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("CONTIN_VAR_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/contin-test/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/contin-test/credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = run_command(cmd, None, Duration::from_secs(60));
    out.expect_code(1);
    assert!(out.stderr.contains("missing region for provider \"aws\""), "{}", out.stderr);
    assert!(out.stderr.contains("AWS_REGION"), "{}", out.stderr);
    insta_settings(&aws_filters(&p)).bind(|| assert_snapshot!("aws_missing_region", out.stderr));
    assert!(state_addrs(&p).is_empty());
}

#[test]
fn import_an_instance_made_elsewhere() {
    let moto = MotoServer::start();
    let probe = Ec2Probe::new(&moto.endpoint());
    let ami = probe.any_ami();
    let made = probe
        .block_on(probe.client.run_instances().image_id(&ami).instance_type("t2.micro".into()).min_count(1).max_count(1).send())
        .expect("RunInstances");
    let id = made.instances()[0].instance_id().expect("id").to_string();
    let p = Project::with_main(&format!(
        "{PROVIDER}\nresource \"aws_instance\" \"legacy\" {{\n  ami = \"{ami}\"\n  instance_type = \"t2.micro\"\n}}\n"
    ));
    run(&p, &moto, &["import", "aws_instance.legacy", &id]).expect_code(0);
    assert_eq!(state_addrs(&p), ["aws_instance.legacy"]);
    // The imported instance matches the configuration except the provider's default tags.
    let plan = run(&p, &moto, &["plan"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    run(&p, &moto, &["apply", "-auto-approve"]).expect_code(0);
    run(&p, &moto, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(probe.live_instances().len(), 1);
    // Deleted out of band: planned for re-creation.
    probe.terminate(&id);
    let plan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(plan.stdout.contains("aws_instance.legacy will be created"), "{}", plan.stdout);
}

#[test]
fn example_aws_vpc_applies_against_moto() {
    let moto = MotoServer::start();
    let probe = Ec2Probe::new(&moto.endpoint());
    let p = Project::empty();
    let example = repo_root().join("examples/aws-vpc");
    for f in ["main.hcl", "README.md"] {
        p.write(f, &std::fs::read_to_string(example.join(f)).expect("example file"));
    }
    // The README's way: the endpoint as -var.
    let endpoint = format!("aws_endpoint={}", moto.endpoint());
    let apply = run(&p, &moto, &["apply", "-auto-approve", "-var", &endpoint]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 10 added"), "{}", apply.stdout);
    assert_eq!(probe.live_instances().len(), 2);
    assert_eq!(probe.subnets().len(), 2);
    run(&p, &moto, &["plan", "-detailed-exitcode", "-var", &endpoint]).expect_code(0);
    run(&p, &moto, &["destroy", "-auto-approve", "-var", &endpoint]).expect_code(0);
    assert!(probe.live_instances().is_empty());
    assert!(probe.vpcs().is_empty());
}
