//! Test helpers for this crate's tests and the `contin` end-to-end tests:
//! separate EC2 and S3 clients against an emulator (moto) to check and change what
//! exists behind contin's back. Not a stable API.

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, Tag};
use std::collections::BTreeMap;

/// An EC2 client for `endpoint` with dummy credentials in us-east-1.
pub fn client(endpoint: &str) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

/// An S3 client for `endpoint` (path-style) with dummy credentials in us-east-1.
pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// An IAM client for `endpoint` with dummy credentials.
pub fn iam_client(endpoint: &str) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// An ELBv2 client for `endpoint` with dummy credentials in us-east-1.
pub fn elbv2_client(endpoint: &str) -> aws_sdk_elasticloadbalancingv2::Client {
    let conf = aws_sdk_elasticloadbalancingv2::Config::builder()
        .behavior_version(aws_sdk_elasticloadbalancingv2::config::BehaviorVersion::latest())
        .region(aws_sdk_elasticloadbalancingv2::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_elasticloadbalancingv2::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_elasticloadbalancingv2::Client::from_conf(conf)
}

/// An Auto Scaling client for `endpoint` with dummy credentials in us-east-1.
pub fn autoscaling_client(endpoint: &str) -> aws_sdk_autoscaling::Client {
    let conf = aws_sdk_autoscaling::Config::builder()
        .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
        .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_autoscaling::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_autoscaling::Client::from_conf(conf)
}

/// A classic ELB client for `endpoint` with dummy credentials in us-east-1.
pub fn elb_client(endpoint: &str) -> aws_sdk_elasticloadbalancing::Client {
    let conf = aws_sdk_elasticloadbalancing::Config::builder()
        .behavior_version(aws_sdk_elasticloadbalancing::config::BehaviorVersion::latest())
        .region(aws_sdk_elasticloadbalancing::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_elasticloadbalancing::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_elasticloadbalancing::Client::from_conf(conf)
}

/// An RDS client for `endpoint` with dummy credentials in us-east-1.
pub fn rds_client(endpoint: &str) -> aws_sdk_rds::Client {
    let conf = aws_sdk_rds::Config::builder()
        .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
        .region(aws_sdk_rds::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_rds::config::Credentials::new("testing", "testing", None, None, "contin-test"))
        .build();
    aws_sdk_rds::Client::from_conf(conf)
}

/// True when two IAM policy documents mean the same (the provider's comparison).
pub fn policies_equivalent(a: &str, b: &str) -> bool {
    crate::policy::equivalent(a, b)
}

/// One EC2 object as the tests see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub id: String,
    /// Instance state, or the CIDR block of VPCs and subnets, or the SG name.
    pub detail: String,
    pub tags: BTreeMap<String, String>,
}

fn tags(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string()))).collect()
}

/// A blocking wrapper around [`client`] for synchronous tests.
pub struct Ec2Probe {
    rt: tokio::runtime::Runtime,
    endpoint: String,
    pub client: aws_sdk_ec2::Client,
}

impl Ec2Probe {
    pub fn new(endpoint: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let client = {
            let _g = rt.enter();
            client(endpoint)
        };
        Ec2Probe { rt, endpoint: endpoint.to_string(), client }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Instances not terminated (pending, running, stopping, stopped).
    pub fn live_instances(&self) -> Vec<Object> {
        let out = self
            .block_on(
                self.client
                    .describe_instances()
                    .filters(Filter::builder().name("instance-state-name").values("pending").values("running").values("stopping").values("stopped").build())
                    .send(),
            )
            .expect("DescribeInstances");
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(|i| Object {
                id: i.instance_id().unwrap_or_default().into(),
                detail: i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                tags: tags(i.tags()),
            })
            .collect()
    }

    /// VPCs except the default one; `detail` is the CIDR block.
    pub fn vpcs(&self) -> Vec<Object> {
        let out = self.block_on(self.client.describe_vpcs().send()).expect("DescribeVpcs");
        out.vpcs()
            .iter()
            .filter(|v| v.is_default() != Some(true))
            .map(|v| Object { id: v.vpc_id().unwrap_or_default().into(), detail: v.cidr_block().unwrap_or_default().into(), tags: tags(v.tags()) })
            .collect()
    }

    /// Subnets except the default VPC's; `detail` is the CIDR block.
    pub fn subnets(&self) -> Vec<Object> {
        let out = self.block_on(self.client.describe_subnets().send()).expect("DescribeSubnets");
        out.subnets()
            .iter()
            .filter(|s| s.default_for_az() != Some(true))
            .map(|s| Object { id: s.subnet_id().unwrap_or_default().into(), detail: s.cidr_block().unwrap_or_default().into(), tags: tags(s.tags()) })
            .collect()
    }

    /// Security groups except the `default` ones; `detail` is the name.
    pub fn security_groups(&self) -> Vec<Object> {
        let out = self.block_on(self.client.describe_security_groups().send()).expect("DescribeSecurityGroups");
        out.security_groups()
            .iter()
            .filter(|g| g.group_name() != Some("default"))
            .map(|g| Object { id: g.group_id().unwrap_or_default().into(), detail: g.group_name().unwrap_or_default().into(), tags: tags(g.tags()) })
            .collect()
    }

    /// Sets one tag on any EC2 object (out-of-band change).
    pub fn set_tag(&self, id: &str, key: &str, value: &str) {
        self.block_on(self.client.create_tags().resources(id).tags(Tag::builder().key(key).value(value).build()).send()).expect("CreateTags");
    }

    /// Adds a TCP ingress rule to a security group (out-of-band change).
    pub fn authorize_tcp(&self, group_id: &str, port: i32, cidr: &str) {
        let perm = IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port).ip_ranges(IpRange::builder().cidr_ip(cidr).build()).build();
        self.block_on(self.client.authorize_security_group_ingress().group_id(group_id).ip_permissions(perm).send()).expect("AuthorizeSecurityGroupIngress");
    }

    /// Terminates an instance (out-of-band delete).
    pub fn terminate(&self, id: &str) {
        self.block_on(self.client.terminate_instances().instance_ids(id).send()).expect("TerminateInstances");
    }

    /// An S3 client for the same endpoint (path-style, dummy credentials).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let _g = self.rt.enter();
        s3_client(&self.endpoint)
    }

    /// Bucket names.
    pub fn buckets(&self) -> Vec<String> {
        let out = self.block_on(self.s3().list_buckets().send()).expect("ListBuckets");
        out.buckets().iter().filter_map(|b| b.name().map(String::from)).collect()
    }

    /// Object keys of a bucket (first 1000).
    pub fn object_keys(&self, bucket: &str) -> Vec<String> {
        let out = self.block_on(self.s3().list_objects_v2().bucket(bucket).send()).expect("ListObjectsV2");
        out.contents().iter().filter_map(|o| o.key().map(String::from)).collect()
    }

    /// A bucket's versioning status ("Enabled", "Suspended" or "").
    pub fn versioning(&self, bucket: &str) -> String {
        let out = self.block_on(self.s3().get_bucket_versioning().bucket(bucket).send()).expect("GetBucketVersioning");
        out.status().map(|s| s.as_str().to_string()).unwrap_or_default()
    }

    /// Elastic IP allocation ids.
    pub fn addresses(&self) -> Vec<String> {
        let out = self.block_on(self.client.describe_addresses().send()).expect("DescribeAddresses");
        out.addresses().iter().filter_map(|a| a.allocation_id().map(String::from)).collect()
    }

    /// Launch template names.
    pub fn launch_templates(&self) -> Vec<String> {
        let out = self.block_on(self.client.describe_launch_templates().send()).expect("DescribeLaunchTemplates");
        out.launch_templates().iter().filter_map(|t| t.launch_template_name().map(String::from)).collect()
    }

    /// Routes of every route table as "rtb-…:DEST->TARGET" (local routes left out).
    pub fn routes(&self) -> Vec<String> {
        let out = self.block_on(self.client.describe_route_tables().send()).expect("DescribeRouteTables");
        let mut v = Vec::new();
        for rt in out.route_tables() {
            for r in rt.routes() {
                let target = r.gateway_id().or(r.nat_gateway_id()).or(r.instance_id()).unwrap_or("");
                if target == "local" {
                    continue;
                }
                v.push(format!("{}:{}->{target}", rt.route_table_id().unwrap_or(""), r.destination_cidr_block().unwrap_or("")));
            }
        }
        v
    }

    /// Ingress rules of a group as "PROTO FROM-TO CIDR".
    pub fn ingress(&self, group_id: &str) -> Vec<String> {
        let out = self.block_on(self.client.describe_security_groups().group_ids(group_id).send()).expect("DescribeSecurityGroups");
        let mut v = Vec::new();
        for g in out.security_groups() {
            for p in g.ip_permissions() {
                for r in p.ip_ranges() {
                    v.push(format!("{} {}-{} {}", p.ip_protocol().unwrap_or(""), p.from_port().unwrap_or(0), p.to_port().unwrap_or(0), r.cidr_ip().unwrap_or("")));
                }
            }
        }
        v
    }

    /// Some image id the emulator offers.
    pub fn any_ami(&self) -> String {
        let out = self.block_on(self.client.describe_images().send()).expect("DescribeImages");
        let mut ids: Vec<String> = out.images().iter().filter_map(|i| i.image_id().map(String::from)).collect();
        ids.sort();
        ids.into_iter().next().expect("the emulator offers no AMI")
    }
}
