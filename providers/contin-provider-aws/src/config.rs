//! `provider "aws" { … }` → an EC2 client with bounded timeouts and retries.

use crate::util::{get, get_str, str_map};
use crate::Inner;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use contin_types::Diagnostic;
use std::time::Duration;

fn invalid(summary: &str, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(summary.to_string()).with_detail(detail.into())
}

pub(crate) async fn configure(cfg: &contin_types::Value) -> Result<Inner, Diagnostic> {
    let (cfg, _) = cfg.unmark_deep();
    for name in ["region", "profile", "endpoint", "assume_role_arn"] {
        if get(&cfg, name).is_some_and(|v| !v.is_wholly_known()) {
            return Err(invalid("Invalid provider \"aws\" configuration", format!("{name} must be known before apply")));
        }
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(200)));
    if let Some(p) = get_str(&cfg, "profile") {
        loader = loader.profile_name(p);
    }
    if let Some(r) = get_str(&cfg, "region") {
        if r.trim().is_empty() {
            return Err(invalid("Invalid provider \"aws\" configuration", "region must not be empty"));
        }
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(e) = get_str(&cfg, "endpoint") {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(invalid(
                "Invalid provider \"aws\" configuration",
                format!("endpoint {e:?} must be an http:// or https:// URL"),
            ));
        }
        loader = loader.endpoint_url(e);
    }
    let sdk = loader.load().await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(invalid(
            "missing region for provider \"aws\"",
            "set `region` in the provider \"aws\" block, the AWS_REGION environment variable, or a region in the selected AWS profile",
        ));
    };
    let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk);
    // Emulators (and custom endpoints) serve buckets by path, not by virtual host.
    let mut s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(get_str(&cfg, "endpoint").is_some());
    let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
    let mut iam = aws_sdk_iam::config::Builder::from(&sdk);
    let mut elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk);
    let mut autoscaling = aws_sdk_autoscaling::config::Builder::from(&sdk);
    let mut elb = aws_sdk_elasticloadbalancing::config::Builder::from(&sdk);
    let mut rds = aws_sdk_rds::config::Builder::from(&sdk);
    let mut logs = aws_sdk_cloudwatchlogs::config::Builder::from(&sdk);
    let mut lambda = aws_sdk_lambda::config::Builder::from(&sdk);
    let mut sqs = aws_sdk_sqs::config::Builder::from(&sdk);
    let mut sns = aws_sdk_sns::config::Builder::from(&sdk);
    let mut elasticache = aws_sdk_elasticache::config::Builder::from(&sdk);
    let mut redshift = aws_sdk_redshift::config::Builder::from(&sdk);
    let mut kms = aws_sdk_kms::config::Builder::from(&sdk);
    if let Some(arn) = get_str(&cfg, "assume_role_arn") {
        let role = aws_config::sts::AssumeRoleProvider::builder(arn).session_name("contin").configure(&sdk).build().await;
        let role = aws_sdk_ec2::config::SharedCredentialsProvider::new(role);
        ec2 = ec2.credentials_provider(role.clone());
        s3 = s3.credentials_provider(role.clone());
        iam = iam.credentials_provider(role.clone());
        elbv2 = elbv2.credentials_provider(role.clone());
        autoscaling = autoscaling.credentials_provider(role.clone());
        elb = elb.credentials_provider(role.clone());
        rds = rds.credentials_provider(role.clone());
        logs = logs.credentials_provider(role.clone());
        lambda = lambda.credentials_provider(role.clone());
        sqs = sqs.credentials_provider(role.clone());
        sns = sns.credentials_provider(role.clone());
        elasticache = elasticache.credentials_provider(role.clone());
        redshift = redshift.credentials_provider(role.clone());
        kms = kms.credentials_provider(role.clone());
        sts = sts.credentials_provider(role);
    }
    let mut default_tags = str_map(get(&cfg, "tags"));
    if let Some(dt) = get(&cfg, "default_tags") {
        let block = match dt {
            contin_types::Value::List(items) => items.first().cloned().unwrap_or(contin_types::Value::Null),
            other => other.clone(),
        };
        default_tags.extend(str_map(get(&block, "tags")));
    }
    if let Some(k) = default_tags.keys().find(|k| k.starts_with("contin:") || k.starts_with("aws:")) {
        return Err(invalid("Invalid provider \"aws\" configuration", format!("tags: key {k:?} uses a reserved prefix (contin:, aws:)")));
    }
    Ok(Inner {
        ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
        iam: aws_sdk_iam::Client::from_conf(iam.build()),
        elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(elbv2.build()),
        autoscaling: aws_sdk_autoscaling::Client::from_conf(autoscaling.build()),
        elb: aws_sdk_elasticloadbalancing::Client::from_conf(elb.build()),
        rds: aws_sdk_rds::Client::from_conf(rds.build()),
        logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs.build()),
        lambda: aws_sdk_lambda::Client::from_conf(lambda.build()),
        sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
        sns: aws_sdk_sns::Client::from_conf(sns.build()),
        elasticache: aws_sdk_elasticache::Client::from_conf(elasticache.build()),
        redshift: aws_sdk_redshift::Client::from_conf(redshift.build()),
        kms: aws_sdk_kms::Client::from_conf(kms.build()),
        account_id: std::sync::OnceLock::new(),
        default_tags,
        region,
    })
}
