//! End-to-end: the IAM policy document and partition data sources, managed
//! policies, log groups and subnet groups through the real contin binary
//! against moto, used as terraform-aws-modules/vpc's flow logs use them:
//! the policy document is known at plan time (no API call), apply, no-op
//! replan, destroy. What exists is checked with separate SDK clients.

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

const CONFIG: &str = r##"
variable "aws_endpoint" {
  type    = string
  default = null
}

provider "aws" {
  region   = "us-east-1"
  endpoint = var.aws_endpoint
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid = "AWSVPCFlowLogsAssumeRole"
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.${data.aws_partition.current.dns_suffix}"]
    }
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
  }
}

resource "aws_cloudwatch_log_group" "flow_log" {
  name              = "/aws/vpc-flow-log/e2e"
  retention_in_days = 30
  kms_key_id        = null
  skip_destroy      = false
  log_group_class   = null
  tags              = { Name = "flow" }
}

data "aws_iam_policy_document" "push" {
  statement {
    sid    = "AWSVPCFlowLogsPushToCloudWatch"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
    ]
    # As terraform-aws-modules/vpc builds it: known at plan time.
    resources = ["arn:${data.aws_partition.current.partition}:logs:us-east-1:${data.aws_caller_identity.current.account_id}:log-group:${aws_cloudwatch_log_group.flow_log.name}:*"]
  }
}

resource "aws_iam_role" "flow" {
  name_prefix        = "vpc-flow-log-role-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_policy" "flow" {
  name_prefix = "vpc-flow-log-to-cloudwatch-"
  policy      = data.aws_iam_policy_document.push.json
  tags        = { Name = "flow" }
}

resource "aws_iam_role_policy_attachment" "flow" {
  role       = aws_iam_role.flow.name
  policy_arn = aws_iam_policy.flow.arn
}

resource "aws_vpc" "main" {
  cidr_block = "10.70.0.0/16"
}

resource "aws_subnet" "db" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.70.${count.index}.0/24"
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_db_subnet_group" "database" {
  name        = lower("E2E-DB")
  description = "Database subnet group for e2e"
  subnet_ids  = aws_subnet.db[*].id
  tags        = { Name = "e2e-db" }
}

output "trust" {
  value = data.aws_iam_policy_document.assume.json
}

output "push" {
  value = data.aws_iam_policy_document.push.minified_json
}

output "policy_arn" {
  value = aws_iam_policy.flow.arn
}
"##;

#[test]
fn flow_log_iam_log_group_and_subnet_group() {
    let moto = MotoServer::start();
    let p = Project::with_main(CONFIG);

    // The trust document is known at plan time (no API call), Terraform's exact text.
    let plan = run(&p, &moto, &["plan"]);
    plan.expect_code(0);
    let trust = "{\n          \"Version\": \"2012-10-17\",\n          \"Statement\": [\n            {\n              \"Sid\": \"AWSVPCFlowLogsAssumeRole\",\n              \"Effect\": \"Allow\",\n              \"Action\": \"sts:AssumeRole\",\n              \"Principal\": {\n                \"Service\": \"vpc-flow-logs.amazonaws.com\"\n              }\n            }\n          ]\n        }";
    assert!(plan.stdout.contains(trust), "{}", plan.stdout);
    let push = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AWSVPCFlowLogsPushToCloudWatch","Effect":"Allow","Action":["logs:PutLogEvents","logs:DescribeLogStreams","logs:DescribeLogGroups","logs:CreateLogStream"],"Resource":"arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc-flow-log/e2e:*"}]}"#;
    assert!(plan.stdout.contains(&format!("push = {:?}", push)), "{}", plan.stdout);
    for addr in ["aws_cloudwatch_log_group.flow_log", "aws_iam_policy.flow", "aws_db_subnet_group.database"] {
        assert!(plan.stdout.contains(&format!("{addr} will be created")), "{addr}\n{}", plan.stdout);
    }

    let apply = run(&p, &moto, &["apply", "-auto-approve"]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("Apply complete! Resources: 8 added, 0 changed, 0 destroyed."), "{}", apply.all());

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let iam = testing::iam_client(&moto.endpoint());
    let policies = rt.block_on(iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send()).unwrap();
    let names: Vec<&str> = policies.policies().iter().filter_map(|x| x.policy_name()).collect();
    assert!(names.len() == 1 && names[0].starts_with("vpc-flow-log-to-cloudwatch-"), "{names:?}");
    let rds = testing::rds_client(&moto.endpoint());
    let groups = rt.block_on(rds.describe_db_subnet_groups().send()).unwrap();
    let g: Vec<(&str, usize)> = groups.db_subnet_groups().iter().map(|g| (g.db_subnet_group_name().unwrap_or(""), g.subnets().len())).collect();
    assert!(g.contains(&("e2e-db", 2)), "{g:?}");

    let replan = run(&p, &moto, &["plan", "-detailed-exitcode"]);
    replan.expect_code(0);
    assert!(replan.stdout.contains("No changes."), "{}", replan.all());

    run(&p, &moto, &["destroy", "-auto-approve"]).expect_code(0);
    let policies = rt.block_on(iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send()).unwrap();
    assert!(policies.policies().is_empty(), "{:?}", policies.policies());
    let groups = rt.block_on(rds.describe_db_subnet_groups().send()).unwrap();
    assert!(groups.db_subnet_groups().iter().all(|g| g.db_subnet_group_name() != Some("e2e-db")), "{groups:?}");
}
