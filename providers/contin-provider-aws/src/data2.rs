//! More data sources: `aws_partition` and `aws_iam_policy_document` (no IO:
//! they resolve at plan time once their inputs are known), `aws_security_group`
//! and `aws_ec2_managed_prefix_list` (EC2 Describe calls). Schemas live here.

use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::Filter;
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, ProviderError};
use contin_types::Value;
use std::collections::BTreeMap;

pub const PARTITION: &str = "aws_partition";
pub const IAM_POLICY_DOCUMENT: &str = "aws_iam_policy_document";
pub const SECURITY_GROUP: &str = "aws_security_group";
pub const EC2_MANAGED_PREFIX_LIST: &str = "aws_ec2_managed_prefix_list";

/// True for the data sources this module reads.
pub(crate) fn is_data2(ty: &str) -> bool {
    matches!(ty, PARTITION | IAM_POLICY_DOCUMENT | SECURITY_GROUP | EC2_MANAGED_PREFIX_LIST)
}

fn s() -> T {
    T::String
}
fn set_s() -> T {
    T::Set(Box::new(T::String))
}
fn nested(nesting: Nesting, block: BlockSchema) -> NestedBlockSchema {
    NestedBlockSchema { nesting, block, min_items: 0, max_items: None, force_new: false }
}
fn filter_block() -> NestedBlockSchema {
    nested(Nesting::Set, BlockSchema::default().attr("name", A::required(s())).attr("values", A::required(set_s())))
}

pub fn partition() -> BlockSchema {
    BlockSchema::default()
        .attr("id", A::computed(s()))
        .attr("partition", A::computed(s()))
        .attr("dns_suffix", A::computed(s()))
        .attr("reverse_dns_prefix", A::computed(s()))
}

pub fn iam_policy_document() -> BlockSchema {
    let principals = || {
        nested(Nesting::Set, BlockSchema::default().attr("type", A::required(s())).attr("identifiers", A::required(set_s())))
    };
    let condition = BlockSchema::default()
        .attr("test", A::required(s()))
        .attr("variable", A::required(s()))
        .attr("values", A::required(T::List(Box::new(T::String))));
    let statement = BlockSchema::default()
        .attr("sid", A::optional(s()))
        .attr("effect", A::optional(s()).describe("Allow (default) or Deny"))
        .attr("actions", A::optional(set_s()))
        .attr("not_actions", A::optional(set_s()))
        .attr("resources", A::optional(set_s()))
        .attr("not_resources", A::optional(set_s()))
        .block("principals", principals())
        .block("not_principals", principals())
        .block("condition", nested(Nesting::Set, condition));
    BlockSchema::default()
        .attr("policy_id", A::optional(s()))
        .attr("version", A::optional(s()).describe("2012-10-17 (default) or 2008-10-17"))
        .attr("source_policy_documents", A::optional(T::List(Box::new(T::String))))
        .attr("override_policy_documents", A::optional(T::List(Box::new(T::String))))
        .attr("source_json", A::optional(s()).describe("deprecated; must be empty"))
        .attr("override_json", A::optional(s()).describe("deprecated; must be empty"))
        .attr("json", A::computed(s()))
        .attr("minified_json", A::computed(s()))
        .attr("id", A::computed(s()))
        .block("statement", nested(Nesting::List, statement))
}

pub fn data_security_group() -> BlockSchema {
    BlockSchema::default()
        .attr("id", A::optional_computed(s()))
        .attr("name", A::optional_computed(s()))
        .attr("vpc_id", A::optional_computed(s()))
        .attr("tags", A::optional_computed(T::Map(Box::new(T::String))))
        .attr("arn", A::computed(s()))
        .attr("description", A::computed(s()))
        .attr("owner_id", A::computed(s()))
        .block("filter", filter_block())
}

pub fn data_managed_prefix_list() -> BlockSchema {
    // Objects { cidr, description } (the schema types have no object type).
    let entry = T::Any;
    BlockSchema::default()
        .attr("id", A::optional_computed(s()))
        .attr("name", A::optional_computed(s()))
        .attr("arn", A::computed(s()))
        .attr("address_family", A::computed(s()))
        .attr("max_entries", A::computed(T::Number))
        .attr("owner_id", A::computed(s()))
        .attr("version", A::computed(T::Number))
        .attr("tags", A::optional_computed(T::Map(Box::new(T::String))))
        .attr("entries", A::computed(T::Set(Box::new(entry))))
        .block("filter", filter_block())
}

/// Registers this module's data sources.
pub fn register(p: &mut contin_provider::ProviderSchema) {
    p.data_sources.insert(PARTITION.into(), partition());
    p.data_sources.insert(IAM_POLICY_DOCUMENT.into(), iam_policy_document());
    p.data_sources.insert(SECURITY_GROUP.into(), data_security_group());
    p.data_sources.insert(EC2_MANAGED_PREFIX_LIST.into(), data_managed_prefix_list());
}

/// The inputs of `cfg` for every attribute of `block` that is not computed-only.
fn inputs(block: &BlockSchema, cfg: &Value) -> BTreeMap<String, Value> {
    let mut m = BTreeMap::new();
    for (name, a) in &block.attributes {
        if !a.is_computed_only() {
            m.insert(name.clone(), get(cfg, name).cloned().unwrap_or(Value::Null));
        }
    }
    for name in block.blocks.keys() {
        m.insert(name.clone(), get(cfg, name).cloned().unwrap_or(Value::List(Vec::new())));
    }
    m
}

/// Reads a data source that needs no API call (`None`: this one needs the provider).
pub(crate) fn read_pure(ty: &str, cfg: &Value) -> Option<Result<Value, ProviderError>> {
    (ty == IAM_POLICY_DOCUMENT).then(|| policy_document(cfg))
}

/// Reads one of this module's data sources.
pub(crate) async fn read(inner: &Inner, ty: &str, cfg: &Value) -> Result<Value, ProviderError> {
    match ty {
        IAM_POLICY_DOCUMENT => policy_document(cfg),
        PARTITION => Ok(partition_value(&inner.region)),
        SECURITY_GROUP => security_group(inner, cfg).await,
        EC2_MANAGED_PREFIX_LIST => managed_prefix_list(inner, cfg).await,
        _ => Err(ProviderError::UnsupportedType { kind: "data source", ty: ty.to_string() }),
    }
}

fn policy_document(cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_iam_policy_document";
    let problems = crate::policy_doc::validate(cfg);
    if !problems.is_empty() {
        return Err(ProviderError::Invalid(format!("{what}: {}", problems.join("; "))));
    }
    let r = crate::policy_doc::render(cfg).map_err(|e| ProviderError::Invalid(format!("{what}: {e}")))?;
    let block = iam_policy_document();
    let mut m = inputs(&block, cfg);
    m.insert("json".into(), Value::String(r.json));
    m.insert("minified_json".into(), Value::String(r.minified_json));
    m.insert("id".into(), Value::String(r.id));
    Ok(complete(&block, m))
}

/// (partition, DNS suffix, reverse DNS prefix) of a region, as the AWS SDKs' partition table has them.
pub(crate) fn partition_of(region: &str) -> (&'static str, &'static str, &'static str) {
    const TABLE: &[(&str, &str, &str, &str)] = &[
        ("cn-", "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"),
        ("us-gov-", "aws-us-gov", "amazonaws.com", "com.amazonaws"),
        ("us-isob-", "aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s"),
        ("us-isof-", "aws-iso-f", "csp.hci.ic.gov", "gov.ic.hci.csp"),
        ("us-iso-", "aws-iso", "c2s.ic.gov", "gov.ic.c2s"),
        ("eu-isoe-", "aws-iso-e", "cloud.adc-e.uk", "uk.adc-e.cloud"),
        ("eusc-", "aws-eusc", "amazonaws.eu", "eu.amazonaws"),
    ];
    TABLE
        .iter()
        .find(|(prefix, ..)| region.starts_with(prefix))
        .map_or(("aws", "amazonaws.com", "com.amazonaws"), |&(_, p, d, r)| (p, d, r))
}

pub(crate) fn partition_value(region: &str) -> Value {
    let (p, dns, rev) = partition_of(region);
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(p));
    m.insert("partition".into(), Value::string(p));
    m.insert("dns_suffix".into(), Value::string(dns));
    m.insert("reverse_dns_prefix".into(), Value::string(rev));
    complete(&partition(), m)
}

/// `filter` blocks and `tags` (as `tag:KEY` filters).
fn filters(cfg: &Value) -> Vec<Filter> {
    let mut out: Vec<Filter> = get_blocks(cfg, "filter")
        .into_iter()
        .map(|f| Filter::builder().name(get_str(f, "name").unwrap_or_default()).set_values(Some(get_strs(f, "values"))).build())
        .collect();
    for (k, v) in str_map(get(cfg, "tags")) {
        out.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
    }
    out
}

fn visible_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    Value::Map(tag_map(tags).into_iter().filter(|(k, _)| !k.starts_with("contin:")).map(|(k, v)| (k, Value::String(v))).collect())
}

async fn security_group(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_security_group";
    let mut f = filters(cfg);
    if let Some(n) = get_str(cfg, "name") {
        f.push(Filter::builder().name("group-name").values(n).build());
    }
    if let Some(v) = get_str(cfg, "vpc_id") {
        f.push(Filter::builder().name("vpc-id").values(v).build());
    }
    let mut req = inner.ec2.describe_security_groups();
    if let Some(id) = get_str(cfg, "id") {
        req = req.group_ids(id);
    }
    if !f.is_empty() {
        req = req.set_filters(Some(f));
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let g = match out.security_groups() {
        [g] => g,
        [] => return Err(ProviderError::Failed(format!("{what}: no security group matches the id, name, vpc_id, filters and tags"))),
        many => return Err(ProviderError::Failed(format!("{what}: {} security groups match; make the search match exactly one", many.len()))),
    };
    let id = g.group_id().unwrap_or_default();
    let block = data_security_group();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::string(id));
    m.insert("name".into(), opt_string(g.group_name()));
    m.insert("vpc_id".into(), opt_string(g.vpc_id()));
    m.insert("description".into(), opt_string(g.description()));
    m.insert("owner_id".into(), opt_string(g.owner_id()));
    m.insert("tags".into(), visible_tags(g.tags()));
    let arn = g.security_group_arn().map(String::from).unwrap_or_else(|| {
        format!("arn:{}:ec2:{}:{}:security-group/{id}", partition_of(&inner.region).0, inner.region, g.owner_id().unwrap_or(""))
    });
    m.insert("arn".into(), Value::String(arn));
    Ok(complete(&block, m))
}

/// Most entries read from one prefix list (EC2 allows at most 1,000 per list).
const MAX_PREFIX_LIST_ENTRIES: usize = 10_000;

async fn managed_prefix_list(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_ec2_managed_prefix_list";
    let mut f = filters(cfg);
    if let Some(n) = get_str(cfg, "name") {
        f.push(Filter::builder().name("prefix-list-name").values(n).build());
    }
    let mut req = inner.ec2.describe_managed_prefix_lists();
    if let Some(id) = get_str(cfg, "id") {
        req = req.prefix_list_ids(id);
    }
    if !f.is_empty() {
        req = req.set_filters(Some(f));
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let pl = match out.prefix_lists() {
        [p] => p,
        [] => return Err(ProviderError::Failed(format!("{what}: no managed prefix list matches the id, name and filters"))),
        many => return Err(ProviderError::Failed(format!("{what}: {} prefix lists match; make the search match exactly one", many.len()))),
    };
    let id = pl.prefix_list_id().unwrap_or_default().to_string();
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = inner
            .ec2
            .get_managed_prefix_list_entries()
            .prefix_list_id(&id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| api_err(what, e))?;
        for e in page.entries() {
            let mut o = BTreeMap::new();
            o.insert("cidr".to_string(), opt_string(e.cidr()));
            o.insert("description".to_string(), opt_string(e.description()));
            entries.push(Value::Map(o));
        }
        if entries.len() > MAX_PREFIX_LIST_ENTRIES {
            return Err(ProviderError::Failed(format!("{what}: {id} has more than {MAX_PREFIX_LIST_ENTRIES} entries (MAX_PREFIX_LIST_ENTRIES)")));
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() {
            break;
        }
    }
    let block = data_managed_prefix_list();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::String(id));
    m.insert("name".into(), opt_string(pl.prefix_list_name()));
    m.insert("arn".into(), opt_string(pl.prefix_list_arn()));
    m.insert("address_family".into(), opt_string(pl.address_family()));
    m.insert("max_entries".into(), pl.max_entries().map_or(Value::Null, |n| Value::int(i64::from(n))));
    m.insert("version".into(), pl.version().map_or(Value::Null, Value::int));
    m.insert("owner_id".into(), opt_string(pl.owner_id()));
    m.insert("tags".into(), visible_tags(pl.tags()));
    m.insert("entries".into(), Value::set(entries));
    Ok(complete(&block, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of("eu-west-1"), ("aws", "amazonaws.com", "com.amazonaws"));
        assert_eq!(partition_of("cn-north-1"), ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"));
        assert_eq!(partition_of("us-gov-west-1").0, "aws-us-gov");
        assert_eq!(partition_of("us-isob-east-1").0, "aws-iso-b");
        assert_eq!(partition_of("us-iso-east-1").0, "aws-iso");
        let v = partition_value("us-east-1");
        assert_eq!(get_str(&v, "id"), Some("aws"));
        assert_eq!(get_str(&v, "dns_suffix"), Some("amazonaws.com"));
    }

    #[test]
    fn policy_document_reads_without_a_provider() {
        let cfg = Value::Map(BTreeMap::from([(
            "statement".to_string(),
            Value::List(vec![Value::Map(BTreeMap::from([("actions".to_string(), Value::List(vec![Value::string("s3:GetObject")]))]))]),
        )]));
        let v = read_pure(IAM_POLICY_DOCUMENT, &cfg).unwrap().unwrap();
        assert_eq!(get_str(&v, "json"), Some("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\"\n    }\n  ]\n}"));
        assert!(read_pure(PARTITION, &cfg).is_none());
        let bad = Value::Map(BTreeMap::from([("version".to_string(), Value::string("1999"))]));
        assert!(matches!(read_pure(IAM_POLICY_DOCUMENT, &bad), Some(Err(ProviderError::Invalid(m))) if m.contains("version")));
    }
}
