//! The `aws` provider: EC2 networking and instances through aws-sdk-ec2.
//!
//! Resources (Terraform AWS provider names and attributes): `aws_vpc`,
//! `aws_subnet`, `aws_internet_gateway`, `aws_route_table`,
//! `aws_route_table_association`, `aws_security_group`, `aws_key_pair`,
//! `aws_instance`, `aws_eip`, `aws_nat_gateway`, `aws_route`,
//! `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`,
//! `aws_vpc_security_group_egress_rule`, `aws_launch_template`;
//! S3 (aws-sdk-s3): `aws_s3_bucket`, `aws_s3_bucket_versioning`,
//! `aws_s3_bucket_public_access_block`, `aws_s3_object`; data sources
//! `aws_ami`, `aws_availability_zones`, `aws_vpc`, `aws_subnets`,
//! `aws_region`, `aws_caller_identity` (STS); IAM (aws-sdk-iam):
//! `aws_iam_role`, `aws_iam_instance_profile`,
//! `aws_iam_role_policy_attachment`, `aws_iam_user`; ELBv2
//! (aws-sdk-elasticloadbalancingv2): `aws_lb`, `aws_lb_target_group`,
//! `aws_lb_listener`; S3 `aws_s3_bucket_ownership_controls`, `aws_s3_bucket_acl`,
//! data `aws_s3_objects`; `aws_ec2_managed_prefix_list`; `aws_vpc_endpoint`,
//! data `aws_vpc_endpoint_service`; Auto Scaling (aws-sdk-autoscaling):
//! `aws_launch_configuration`, `aws_autoscaling_group`; classic ELB
//! (aws-sdk-elasticloadbalancing): `aws_elb`; RDS (aws-sdk-rds):
//! `aws_db_instance`; the other EC2 types of terraform-aws-modules/vpc
//! (`vpcx*.rs`): default security group / network ACL / route
//! table / VPC, network ACLs and rules, DHCP options (+ association), IPv4
//! CIDR block associations, egress-only internet gateways, customer and VPN
//! gateways (+ attachment, route propagation), flow logs, VPC Block Public
//! Access options and exclusions; `aws_db_subnet_group`; IAM managed policies
//! (`iam_policy.rs`): `aws_iam_policy`, `aws_iam_policy_attachment`;
//! CloudWatch Logs (aws-sdk-cloudwatchlogs, `logs.rs`):
//! `aws_cloudwatch_log_group`; `aws_iam_role_policy` (`iam_inline.rs`);
//! Lambda (aws-sdk-lambda, `lambda.rs`): `aws_lambda_function`,
//! `aws_lambda_permission`; SQS (aws-sdk-sqs, `sqs.rs`): `aws_sqs_queue`,
//! `aws_sqs_queue_policy`; SNS (aws-sdk-sns, `sns.rs`): `aws_sns_topic`,
//! `aws_sns_topic_subscription`; `aws_lb_target_group_attachment`,
//! `aws_autoscaling_attachment` (`attachments.rs`); `aws_ebs_volume`,
//! `aws_volume_attachment` (`ebs.rs`); `aws_autoscaling_policy`
//! (`asg_policy.rs`); subnet groups (`subnet_groups.rs`, also
//! aws-sdk-elasticache and aws-sdk-redshift): `aws_elasticache_subnet_group`,
//! `aws_redshift_subnet_group`; more data sources (`data2.rs`):
//! `aws_partition`, `aws_iam_policy_document` (`policy_doc.rs`, no IO:
//! resolved at plan time), `aws_security_group`, `aws_ec2_managed_prefix_list`;
//! S3 bucket sub-resources (`s3sub*.rs`): policy, server-side encryption,
//! website, CORS, logging, accelerate, request payment, object lock,
//! lifecycle, replication, analytics, inventory, metrics, intelligent
//! tiering, metadata configurations, `aws_s3_directory_bucket`, data
//! `aws_canonical_user_id` and `aws_cloudfront_log_delivery_canonical_user_id`;
//! KMS (aws-sdk-kms, `kms.rs`): `aws_kms_key`.
//!
//! Provider configuration (`provider "aws" { … }`): `region` (else
//! `AWS_REGION` or the profile's region), `profile`, `endpoint` (emulators
//! such as moto), `assume_role_arn`, default `tags` (or `default_tags { tags }`)
//! merged into every taggable resource (resource tags win). Credentials come
//! from the standard AWS chain and are never printed.
//!
//! Crash safety: every create tags the object at creation with
//! `contin:lineage`, `contin:address` and `contin:generation` and, before
//! creating, adopts a live object carrying those tags; `RunInstances` also
//! carries a `ClientToken` derived from them. The bookkeeping tags never show
//! in `tags`.
//!
//! Test hook: when the environment variable `CONTIN_TEST_KILL_AFTER_CREATE`
//! equals a resource address (`aws_instance.web[0]`), the process kills
//! itself with SIGKILL right after that resource's create API call returns,
//! before the executor can record it: the crash tests use it.
//!
//! Architecture invariant: `schema`, `validate` and `plan_change` do no IO.

mod asg;
mod config;
mod data;
mod data2;
mod ec2x;
mod elb;
mod iam;
mod iam_policy;
mod iam_inline;
mod lambda;
mod sqs;
mod sns;
mod attachments;
mod ebs;
mod asg_policy;
mod lb;
mod logs;
mod instance;
mod network;
mod plan;
mod policy;
mod policy_doc;
mod rds;
mod s3;
mod s3x;
mod s3sub;
mod s3sub_dir;
mod s3sub_named;
mod s3sub_rules;
mod kms;
mod prefix_list;
mod vpc_endpoint;
pub mod schema;
mod sg;
mod subnet_groups;
#[doc(hidden)]
pub mod testing;
mod util;
mod vpcx;
mod vpcx_acl;
mod vpcx_gw;
mod vpcx_gw2;

use async_trait::async_trait;
use contin_provider::{OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

pub use util::KILL_AFTER_CREATE_ENV;

/// A configured provider: the EC2 client and default tags.
pub(crate) struct Inner {
    pub ec2: aws_sdk_ec2::Client,
    pub s3: aws_sdk_s3::Client,
    pub sts: aws_sdk_sts::Client,
    pub iam: aws_sdk_iam::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elb: aws_sdk_elasticloadbalancing::Client,
    pub rds: aws_sdk_rds::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub redshift: aws_sdk_redshift::Client,
    pub kms: aws_sdk_kms::Client,
    /// The caller's account id, asked of STS at most once (classic ELB ARNs).
    pub account_id: std::sync::OnceLock<String>,
    pub default_tags: BTreeMap<String, String>,
    pub region: String,
}

/// The `aws` provider. Configure it before any remote call.
#[derive(Default)]
pub struct AwsProvider {
    inner: RwLock<Option<Arc<Inner>>>,
    /// The provider block as configured: per-resource `region` clients are
    /// built from it with only the region replaced.
    config: RwLock<Option<Value>>,
    /// Clients for regions other than the provider's (AWS provider 6.x
    /// per-resource `region`), built on first use.
    regional: std::sync::Mutex<BTreeMap<String, Arc<Inner>>>,
}

impl std::fmt::Debug for AwsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsProvider").field("configured", &self.inner.read().map(|i| i.is_some()).unwrap_or(false)).finish()
    }
}

impl AwsProvider {
    pub fn new() -> Self {
        AwsProvider::default()
    }

    fn inner(&self) -> Result<Arc<Inner>, ProviderError> {
        self.inner
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| ProviderError::NotConfigured("the aws provider was used before configure".into()))
    }

    /// The clients for the object `v` describes: its `region` argument (AWS
    /// provider 6.x: every resource and data source may name its own
    /// region) or else the provider's.
    async fn inner_for(&self, v: &Value) -> Result<Arc<Inner>, ProviderError> {
        let base = self.inner()?;
        let Some(region) = region_of(v).filter(|r| *r != base.region) else { return Ok(base) };
        if let Some(found) = self.regional.lock().ok().and_then(|m| m.get(region).cloned()) {
            return Ok(found);
        }
        let mut cfg = match self.config.read().ok().and_then(|c| c.clone()) {
            Some(Value::Map(m)) => m,
            _ => BTreeMap::new(),
        };
        cfg.insert("region".into(), Value::string(region));
        let built = config::configure(&Value::Map(cfg))
            .await
            .map_err(|d| ProviderError::Invalid(format!("region {region:?}: {}", d.summary)))?;
        let built = Arc::new(built);
        if let Ok(mut m) = self.regional.lock() {
            if m.len() < MAX_REGIONS {
                m.insert(region.to_string(), built.clone());
            }
        }
        Ok(built)
    }
}

/// At most this many per-resource regions keep cached clients (AWS has ~35).
const MAX_REGIONS: usize = 64;

/// The known, non-empty `region` argument of a resource or data source.
fn region_of(v: &Value) -> Option<&str> {
    match v.attr("region").map(Value::unmarked) {
        Some(Value::String(r)) if !r.trim().is_empty() => Some(r.as_str()),
        _ => None,
    }
}

/// Runs one provider operation within its `timeouts { <op> = "…" }`.
async fn within<T>(
    what: &str,
    op: &str,
    v: &Value,
    fut: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    match util::op_timeout(v, op) {
        Some(limit) => tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| {
            Err(ProviderError::Failed(format!("{what}: {op} did not finish within timeouts.{op} ({})", humanize(limit))))
        }),
        None => fut.await,
    }
}

fn humanize(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 60.0 {
        format!("{:.0}m{:.0}s", (secs / 60.0).floor(), secs % 60.0)
    } else {
        format!("{secs:.1}s")
    }
}

/// Records the region an object lives in (`region`, AWS provider 6.x) and
/// keeps the `timeouts` of `shape` (configuration only: no API reports them).
fn finish(v: Value, inner: &Inner, shape: &Value, resource: bool) -> Value {
    match v {
        Value::Map(mut m) => {
            if resource {
                m.insert("timeouts".into(), shape.attr("timeouts").cloned().unwrap_or(Value::Null));
            }
            let known = matches!(m.get("region").map(Value::unmarked), Some(Value::String(r)) if !r.is_empty());
            if !known {
                m.insert("region".into(), Value::string(inner.region.clone()));
            }
            Value::Map(m)
        }
        other => other,
    }
}

fn is_s3(ty: &str) -> bool {
    matches!(ty, schema::S3_BUCKET | schema::S3_BUCKET_VERSIONING | schema::S3_BUCKET_PUBLIC_ACCESS_BLOCK | schema::S3_OBJECT)
}

fn is_ec2x(ty: &str) -> bool {
    matches!(
        ty,
        schema::EIP
            | schema::NAT_GATEWAY
            | schema::ROUTE
            | schema::SECURITY_GROUP_RULE
            | schema::VPC_SG_INGRESS_RULE
            | schema::VPC_SG_EGRESS_RULE
            | schema::LAUNCH_TEMPLATE
    )
}

fn is_iam(ty: &str) -> bool {
    matches!(ty, schema::IAM_ROLE | schema::IAM_INSTANCE_PROFILE | schema::IAM_ROLE_POLICY_ATTACHMENT | schema::IAM_USER)
}

fn is_lb(ty: &str) -> bool {
    matches!(ty, schema::LB | schema::LB_TARGET_GROUP | schema::LB_LISTENER)
}

fn is_asg(ty: &str) -> bool {
    matches!(ty, schema::LAUNCH_CONFIGURATION | schema::AUTOSCALING_GROUP)
}

fn unsupported(ty: &str) -> ProviderError {
    ProviderError::UnsupportedType { kind: "resource", ty: ty.to_string() }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &str {
        "aws"
    }

    fn schema(&self) -> ProviderSchema {
        schema::provider_schema()
    }

    async fn configure(&self, cfg: Value) -> Result<(), Diagnostics> {
        let inner = config::configure(&cfg).await.map_err(Diagnostics::from)?;
        if let Ok(mut g) = self.inner.write() {
            *g = Some(Arc::new(inner));
        }
        if let Ok(mut c) = self.config.write() {
            *c = Some(cfg);
        }
        if let Ok(mut m) = self.regional.lock() {
            m.clear();
        }
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        let mut d = if vpcx::is_vpcx(ty) { vpcx::validate(ty, cfg) } else { plan::validate(ty, cfg) };
        if vpcx::is_vpcx(ty) {
            d.extend(plan::validate_timeouts(cfg));
        }
        d.extend(s3x::validate(ty, cfg));
        d.extend(prefix_list::validate(ty, cfg));
        d.extend(vpc_endpoint::validate(ty, cfg));
        iam_policy::validate(ty, cfg, &mut d);
        logs::validate(ty, cfg, &mut d);
        iam_inline::validate(ty, cfg, &mut d);
        lambda::validate(ty, cfg, &mut d);
        sqs::validate(ty, cfg, &mut d);
        sns::validate(ty, cfg, &mut d);
        attachments::validate(ty, cfg, &mut d);
        ebs::validate(ty, cfg, &mut d);
        asg_policy::validate(ty, cfg, &mut d);
        subnet_groups::validate(ty, cfg, &mut d);
        s3sub::validate(ty, cfg, &mut d);
        kms::validate(ty, cfg, &mut d);
        d
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        let mut change = if vpcx::is_vpcx(ty) {
            vpcx::plan_change(ty, prior, desired)
        } else {
            match schema::resource(ty) {
                Some(block) => {
                    let mut change = contin_provider::plan_change_from_schema(block, prior, &plan::normalize(ty, desired));
                    plan::adjust(ty, prior, &mut change);
                    iam_policy::adjust(ty, prior, &mut change);
                    iam_inline::adjust(ty, prior, &mut change);
                    lambda::replan(ty, block, prior, desired, &mut change);
                    sqs::replan(ty, block, prior, desired, &mut change);
                    sns::replan(ty, block, prior, desired, &mut change);
                    asg_policy::replan(ty, block, prior, desired, &mut change);
                    prefix_list::adjust(ty, prior, &mut change);
                    vpc_endpoint::adjust(ty, prior, &mut change);
                    s3sub::adjust(ty, prior, &mut change);
                    change
                }
                None => {
                    return PlannedChange {
                        planned: desired.clone(),
                        requires_replace: Vec::new(),
                        diagnostics: Diagnostic::error(format!("unsupported resource type {ty:?}")).into(),
                    }
                }
            }
        };
        // A new object without its own `region` lives in the provider's
        // (Terraform 6.x plans it known).
        if let (Value::Map(m), Ok(inner)) = (&mut change.planned, self.inner()) {
            if matches!(m.get("region"), Some(Value::Unknown)) && region_of(desired).is_none() && !desired.attr("region").is_some_and(Value::is_unknown) {
                m.insert("region".into(), Value::string(inner.region.clone()));
            }
        }
        change
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        let inner = self.inner_for(state).await?;
        let found = match ty {
            schema::INSTANCE => instance::read(&inner, state).await,
            schema::SECURITY_GROUP => sg::read(&inner, state).await,
            schema::ELB => elb::read(&inner, state).await,
            schema::DB_INSTANCE => rds::read(&inner, state).await,
            _ if is_s3(ty) => s3::read(&inner, ty, state).await,
            _ if s3x::is_s3x(ty) => s3x::read(&inner, ty, state).await,
            _ if s3sub::is_s3sub(ty) => s3sub::read(&inner, ty, state).await,
            kms::KMS_KEY => kms::read(&inner, state).await,
            prefix_list::MANAGED_PREFIX_LIST => prefix_list::read(&inner, state).await,
            vpc_endpoint::VPC_ENDPOINT => vpc_endpoint::read(&inner, state).await,
            _ if is_ec2x(ty) => ec2x::read(&inner, ty, state).await,
            _ if is_iam(ty) => iam::read(&inner, ty, state).await,
            _ if is_lb(ty) => lb::read(&inner, ty, state).await,
            _ if is_asg(ty) => asg::read(&inner, ty, state).await,
            _ if vpcx::is_vpcx(ty) => vpcx::read(&inner, ty, state).await,
            _ if iam_policy::is_iam_policy(ty) => iam_policy::read(&inner, ty, state).await,
            logs::CLOUDWATCH_LOG_GROUP => logs::read(&inner, state).await,
            iam_inline::IAM_ROLE_POLICY => iam_inline::read(&inner, state).await,
            asg_policy::AUTOSCALING_POLICY => asg_policy::read(&inner, state).await,
            _ if lambda::is_lambda(ty) => lambda::read(&inner, ty, state).await,
            _ if sqs::is_sqs(ty) => sqs::read(&inner, ty, state).await,
            _ if sns::is_sns(ty) => sns::read(&inner, ty, state).await,
            _ if attachments::is_attachment(ty) => attachments::read(&inner, ty, state).await,
            _ if ebs::is_ebs(ty) => ebs::read(&inner, ty, state).await,
            _ if subnet_groups::is_subnet_group(ty) => subnet_groups::read(&inner, ty, state).await,
            _ if schema::resource(ty).is_some() => network::read(&inner, ty, state).await,
            _ => Err(unsupported(ty)),
        };
        Ok(found?.map(|v| finish(v, &inner, state, true)))
    }

    async fn create(&self, ty: &str, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let inner = self.inner_for(planned).await?;
        let what = ctx.address.to_string();
        let created = within(&what, "create", planned, async { match ty {
            schema::INSTANCE => instance::create(&inner, planned, ctx).await,
            schema::SECURITY_GROUP => sg::create(&inner, planned, ctx).await,
            schema::ELB => elb::create_elb(&inner, planned, ctx).await,
            schema::DB_INSTANCE => rds::create_db(&inner, planned, ctx).await,
            _ if is_s3(ty) => s3::create(&inner, ty, planned, ctx).await,
            _ if s3x::is_s3x(ty) => s3x::create(&inner, ty, planned, ctx).await,
            _ if s3sub::is_s3sub(ty) => s3sub::create(&inner, ty, planned, ctx).await,
            kms::KMS_KEY => kms::create(&inner, planned, ctx).await,
            prefix_list::MANAGED_PREFIX_LIST => prefix_list::create(&inner, planned, ctx).await,
            vpc_endpoint::VPC_ENDPOINT => vpc_endpoint::create(&inner, planned, ctx).await,
            _ if is_ec2x(ty) => ec2x::create(&inner, ty, planned, ctx).await,
            _ if is_iam(ty) => iam::create(&inner, ty, planned, ctx).await,
            _ if is_lb(ty) => lb::create(&inner, ty, planned, ctx).await,
            _ if is_asg(ty) => asg::create(&inner, ty, planned, ctx).await,
            _ if vpcx::is_vpcx(ty) => vpcx::create(&inner, ty, planned, ctx).await,
            _ if iam_policy::is_iam_policy(ty) => iam_policy::create(&inner, ty, planned, ctx).await,
            logs::CLOUDWATCH_LOG_GROUP => logs::create(&inner, planned, ctx).await,
            iam_inline::IAM_ROLE_POLICY => iam_inline::create(&inner, planned, ctx).await,
            asg_policy::AUTOSCALING_POLICY => asg_policy::create(&inner, planned, ctx).await,
            _ if lambda::is_lambda(ty) => lambda::create(&inner, ty, planned, ctx).await,
            _ if sqs::is_sqs(ty) => sqs::create(&inner, ty, planned, ctx).await,
            _ if sns::is_sns(ty) => sns::create(&inner, ty, planned, ctx).await,
            _ if attachments::is_attachment(ty) => attachments::create(&inner, ty, planned, ctx).await,
            _ if ebs::is_ebs(ty) => ebs::create(&inner, ty, planned, ctx).await,
            _ if subnet_groups::is_subnet_group(ty) => subnet_groups::create(&inner, ty, planned, ctx).await,
            _ if schema::resource(ty).is_some() => network::create(&inner, ty, planned, ctx).await,
            _ => Err(unsupported(ty)),
        }})
        .await;
        Ok(finish(created?, &inner, planned, true))
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
        let inner = self.inner_for(planned).await?;
        let addr = ctx.address.to_string();
        let updated = within(&addr, "update", planned, async { match ty {
            schema::INSTANCE => instance::update(&inner, &addr, prior, planned).await,
            schema::SECURITY_GROUP => sg::update(&inner, &addr, prior, planned).await,
            schema::ELB => elb::update_elb(&inner, &addr, prior, planned).await,
            schema::DB_INSTANCE => rds::update_db(&inner, &addr, prior, planned).await,
            _ if is_s3(ty) => s3::update(&inner, ty, &addr, prior, planned).await,
            _ if s3x::is_s3x(ty) => s3x::update(&inner, ty, &addr, planned).await,
            _ if s3sub::is_s3sub(ty) => s3sub::update(&inner, ty, &addr, prior, planned).await,
            kms::KMS_KEY => kms::update(&inner, &addr, prior, planned).await,
            prefix_list::MANAGED_PREFIX_LIST => prefix_list::update(&inner, &addr, prior, planned).await,
            vpc_endpoint::VPC_ENDPOINT => vpc_endpoint::update(&inner, &addr, prior, planned).await,
            _ if is_ec2x(ty) => ec2x::update(&inner, ty, &addr, prior, planned).await,
            _ if is_iam(ty) => iam::update(&inner, ty, &addr, prior, planned).await,
            _ if is_lb(ty) => lb::update(&inner, ty, &addr, prior, planned).await,
            _ if is_asg(ty) => asg::update(&inner, ty, &addr, prior, planned).await,
            _ if vpcx::is_vpcx(ty) => vpcx::update(&inner, ty, &addr, prior, planned).await,
            _ if iam_policy::is_iam_policy(ty) => iam_policy::update(&inner, ty, &addr, prior, planned).await,
            logs::CLOUDWATCH_LOG_GROUP => logs::update(&inner, &addr, prior, planned).await,
            iam_inline::IAM_ROLE_POLICY => iam_inline::update(&inner, &addr, prior, planned).await,
            asg_policy::AUTOSCALING_POLICY => asg_policy::update(&inner, &addr, prior, planned).await,
            _ if lambda::is_lambda(ty) => lambda::update(&inner, ty, &addr, prior, planned).await,
            _ if sqs::is_sqs(ty) => sqs::update(&inner, ty, &addr, prior, planned).await,
            _ if sns::is_sns(ty) => sns::update(&inner, ty, &addr, prior, planned).await,
            _ if attachments::is_attachment(ty) => attachments::update(&inner, ty, &addr, prior, planned).await,
            _ if ebs::is_ebs(ty) => ebs::update(&inner, ty, &addr, prior, planned).await,
            _ if subnet_groups::is_subnet_group(ty) => subnet_groups::update(&inner, ty, &addr, prior, planned).await,
            _ if schema::resource(ty).is_some() => network::update(&inner, ty, &addr, prior, planned).await,
            _ => Err(unsupported(ty)),
        }})
        .await;
        Ok(finish(updated?, &inner, planned, true))
    }

    async fn delete(&self, ty: &str, prior: &Value, ctx: &OpContext) -> Result<(), ProviderError> {
        let inner = self.inner_for(prior).await?;
        let addr = ctx.address.to_string();
        within(&addr, "delete", prior, async { match ty {
            schema::INSTANCE => instance::delete(&inner, &addr, prior).await,
            schema::SECURITY_GROUP => sg::delete(&inner, &addr, prior).await,
            schema::ELB => elb::delete(&inner, &addr, prior).await,
            schema::DB_INSTANCE => rds::delete_db(&inner, &addr, prior).await,
            _ if is_s3(ty) => s3::delete(&inner, ty, &addr, prior).await,
            _ if s3x::is_s3x(ty) => s3x::delete(&inner, ty, &addr, prior).await,
            _ if s3sub::is_s3sub(ty) => s3sub::delete(&inner, ty, &addr, prior).await,
            kms::KMS_KEY => kms::delete(&inner, &addr, prior).await,
            prefix_list::MANAGED_PREFIX_LIST => prefix_list::delete(&inner, &addr, prior).await,
            vpc_endpoint::VPC_ENDPOINT => vpc_endpoint::delete(&inner, &addr, prior).await,
            _ if is_ec2x(ty) => ec2x::delete(&inner, ty, &addr, prior).await,
            _ if is_iam(ty) => iam::delete(&inner, ty, &addr, prior).await,
            _ if is_lb(ty) => lb::delete(&inner, ty, &addr, prior).await,
            _ if is_asg(ty) => asg::delete(&inner, ty, &addr, prior).await,
            _ if vpcx::is_vpcx(ty) => vpcx::delete(&inner, ty, &addr, prior).await,
            _ if iam_policy::is_iam_policy(ty) => iam_policy::delete(&inner, ty, &addr, prior).await,
            logs::CLOUDWATCH_LOG_GROUP => logs::delete(&inner, &addr, prior).await,
            iam_inline::IAM_ROLE_POLICY => iam_inline::delete(&inner, &addr, prior).await,
            asg_policy::AUTOSCALING_POLICY => asg_policy::delete(&inner, &addr, prior).await,
            _ if lambda::is_lambda(ty) => lambda::delete(&inner, ty, &addr, prior).await,
            _ if sqs::is_sqs(ty) => sqs::delete(&inner, ty, &addr, prior).await,
            _ if sns::is_sns(ty) => sns::delete(&inner, ty, &addr, prior).await,
            _ if attachments::is_attachment(ty) => attachments::delete(&inner, ty, &addr, prior).await,
            _ if ebs::is_ebs(ty) => ebs::delete(&inner, ty, &addr, prior).await,
            _ if subnet_groups::is_subnet_group(ty) => subnet_groups::delete(&inner, ty, &addr, prior).await,
            _ if schema::resource(ty).is_some() => network::delete(&inner, ty, &addr, prior).await,
            _ => Err(unsupported(ty)),
        }})
        .await
    }

    async fn import(&self, ty: &str, id: &str) -> Result<Value, ProviderError> {
        let inner = self.inner()?;
        let found = match ty {
            schema::INSTANCE => instance::import(&inner, id).await?,
            schema::SECURITY_GROUP => sg::import(&inner, id).await?,
            schema::ELB => elb::import(&inner, id).await?,
            schema::DB_INSTANCE => rds::import(&inner, id).await?,
            _ if is_s3(ty) => s3::import(&inner, ty, id).await?,
            _ if s3x::is_s3x(ty) => s3x::import(&inner, ty, id).await?,
            _ if s3sub::is_s3sub(ty) => s3sub::import(&inner, ty, id).await?,
            kms::KMS_KEY => kms::import(&inner, id).await?,
            prefix_list::MANAGED_PREFIX_LIST => prefix_list::import(&inner, id).await?,
            vpc_endpoint::VPC_ENDPOINT => vpc_endpoint::import(&inner, id).await?,
            _ if is_ec2x(ty) => ec2x::import(&inner, ty, id).await?,
            _ if is_iam(ty) => iam::import(&inner, ty, id).await?,
            _ if is_lb(ty) => lb::import(&inner, ty, id).await?,
            _ if is_asg(ty) => asg::import(&inner, ty, id).await?,
            _ if vpcx::is_vpcx(ty) => vpcx::import(&inner, ty, id).await?,
            _ if iam_policy::is_iam_policy(ty) => iam_policy::import(&inner, ty, id).await?,
            logs::CLOUDWATCH_LOG_GROUP => logs::import(&inner, id).await?,
            iam_inline::IAM_ROLE_POLICY => iam_inline::import(&inner, id).await?,
            asg_policy::AUTOSCALING_POLICY => asg_policy::import(&inner, id).await?,
            _ if lambda::is_lambda(ty) => lambda::import(&inner, ty, id).await?,
            _ if sqs::is_sqs(ty) => sqs::import(&inner, ty, id).await?,
            _ if sns::is_sns(ty) => sns::import(&inner, ty, id).await?,
            _ if attachments::is_attachment(ty) => attachments::import(&inner, ty, id).await?,
            _ if ebs::is_ebs(ty) => ebs::import(&inner, ty, id).await?,
            _ if subnet_groups::is_subnet_group(ty) => subnet_groups::import(&inner, ty, id).await?,
            _ if schema::resource(ty).is_some() => network::import(&inner, ty, id).await?,
            _ => return Err(unsupported(ty)),
        };
        let found = found.map(|v| finish(v, &inner, &Value::Null, true));
        found.ok_or_else(|| ProviderError::Api {
            code: "NotFound".into(),
            message: format!("cannot import {ty} {id:?}: no such object"),
        })
    }

    async fn read_data(&self, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
        // No IO (policy documents, partitions): readable before configure.
        if let Some(pure) = data2::read_pure(ty, cfg) {
            return match self.inner() {
                Ok(inner) => pure.map(|v| finish(v, &inner, cfg, false)),
                Err(_) => pure,
            };
        }
        let inner = self.inner_for(cfg).await?;
        let read = match ty {
            schema::AMI => data::ami(&inner, cfg).await,
            schema::AVAILABILITY_ZONES => data::availability_zones(&inner, cfg).await,
            schema::VPC => data::vpc(&inner, cfg).await,
            schema::SUBNETS => data::subnets(&inner, cfg).await,
            schema::REGION => data::region(&inner, cfg).await,
            schema::CALLER_IDENTITY => data::caller_identity(&inner, cfg).await,
            s3x::S3_OBJECTS => s3x::objects(&inner, cfg).await,
            vpc_endpoint::VPC_ENDPOINT_SERVICE => vpc_endpoint::service(&inner, cfg).await,
            _ if data2::is_data2(ty) => data2::read(&inner, ty, cfg).await,
            _ if s3sub::is_s3sub_data(ty) => s3sub::read_data(&inner, ty, cfg).await,
            _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
        };
        Ok(finish(read?, &inner, cfg, false))
    }
}
