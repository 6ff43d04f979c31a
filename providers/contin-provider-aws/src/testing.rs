//! Test helpers for this crate's tests and the `contin` end-to-end tests:
//! a separate EC2 client against an emulator (moto) to check and change what
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
    pub client: aws_sdk_ec2::Client,
}

impl Ec2Probe {
    pub fn new(endpoint: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let client = {
            let _g = rt.enter();
            client(endpoint)
        };
        Ec2Probe { rt, client }
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

    /// Some image id the emulator offers.
    pub fn any_ami(&self) -> String {
        let out = self.block_on(self.client.describe_images().send()).expect("DescribeImages");
        let mut ids: Vec<String> = out.images().iter().filter_map(|i| i.image_id().map(String::from)).collect();
        ids.sort();
        ids.into_iter().next().expect("the emulator offers no AMI")
    }
}
