//! Data sources: `aws_ami`, `aws_availability_zones`, `aws_vpc`, `aws_subnets`,
//! `aws_region` and `aws_caller_identity` (STS GetCallerIdentity).

use crate::schema;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::Filter;
use contin_provider::ProviderError;
use contin_types::Value;
use std::collections::BTreeMap;

/// The inputs of `cfg` for every schema attribute that is not computed-only.
fn inputs(block: &contin_provider::BlockSchema, cfg: &Value) -> BTreeMap<String, Value> {
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

pub(crate) async fn ami(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_ami";
    let mut req = inner.ec2.describe_images();
    let owners = get_strs(cfg, "owners");
    if !owners.is_empty() {
        req = req.set_owners(Some(owners));
    }
    for f in get_blocks(cfg, "filter") {
        let name = get_str(f, "name").unwrap_or_default();
        req = req.filters(Filter::builder().name(name).set_values(Some(get_strs(f, "values"))).build());
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let mut images: Vec<_> = out.images().iter().collect();
    if images.is_empty() {
        return Err(ProviderError::Failed(format!("{what}: no AMI matches the owners and filters; make the search less specific")));
    }
    if images.len() > 1 && get_bool(cfg, "most_recent") != Some(true) {
        return Err(ProviderError::Failed(format!(
            "{what}: the search returned {} AMIs; make it more specific or set most_recent = true",
            images.len()
        )));
    }
    images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
    let img = images.last().copied().expect("non-empty");
    let block = schema::ami();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), opt_string(img.image_id()));
    m.insert("image_id".into(), opt_string(img.image_id()));
    m.insert("name".into(), opt_string(img.name()));
    m.insert("description".into(), opt_string(img.description()));
    m.insert("architecture".into(), opt_string(img.architecture().map(|a| a.as_str())));
    m.insert("owner_id".into(), opt_string(img.owner_id()));
    m.insert("creation_date".into(), opt_string(img.creation_date()));
    m.insert("root_device_name".into(), opt_string(img.root_device_name()));
    m.insert("state".into(), opt_string(img.state().map(|s| s.as_str())));
    Ok(complete(&block, m))
}

pub(crate) async fn availability_zones(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_availability_zones";
    let mut req = inner.ec2.describe_availability_zones().set_all_availability_zones(get_bool(cfg, "all_availability_zones"));
    if let Some(s) = get_str(cfg, "state") {
        req = req.filters(Filter::builder().name("state").values(s).build());
    }
    for f in filters(cfg) {
        req = req.filters(f);
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let (exclude_names, exclude_ids) = (get_strs(cfg, "exclude_names"), get_strs(cfg, "exclude_zone_ids"));
    let mut zones: Vec<(String, String, String)> = out
        .availability_zones()
        .iter()
        .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id().unwrap_or("").to_string(), z.group_name().unwrap_or("").to_string())))
        .filter(|(name, id, _)| !exclude_names.contains(name) && !exclude_ids.contains(id))
        .collect();
    zones.sort();
    let block = schema::availability_zones();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::string(inner.region.clone()));
    m.insert("names".into(), str_list(zones.iter().map(|z| z.0.clone())));
    m.insert("zone_ids".into(), str_list(zones.iter().map(|z| z.1.clone())));
    let mut groups: Vec<String> = zones.into_iter().map(|z| z.2).filter(|g| !g.is_empty()).collect();
    groups.sort();
    groups.dedup();
    m.insert("group_names".into(), Value::set(groups.into_iter().map(Value::String).collect()));
    Ok(complete(&block, m))
}

/// `filter { name values }` blocks and `tags` (as `tag:KEY` filters) of a data source configuration.
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

pub(crate) async fn vpc(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_vpc";
    let mut f = filters(cfg);
    if let Some(b) = get_bool(cfg, "default") {
        f.push(Filter::builder().name("is-default").values(b.to_string()).build());
    }
    if let Some(c) = get_str(cfg, "cidr_block") {
        f.push(Filter::builder().name("cidr-block-association.cidr-block").values(c).build());
    }
    if let Some(s) = get_str(cfg, "state") {
        f.push(Filter::builder().name("state").values(s).build());
    }
    let mut req = inner.ec2.describe_vpcs();
    if let Some(id) = get_str(cfg, "id") {
        req = req.vpc_ids(id);
    }
    if !f.is_empty() {
        req = req.set_filters(Some(f));
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let vpcs = out.vpcs();
    let v = match vpcs {
        [v] => v,
        [] => return Err(ProviderError::Failed(format!("{what}: no VPC matches the id, default, cidr_block, filters and tags"))),
        many => return Err(ProviderError::Failed(format!("{what}: {} VPCs match; make the search match exactly one", many.len()))),
    };
    let id = v.vpc_id().unwrap_or_default().to_string();
    let attr = |name: aws_sdk_ec2::types::VpcAttributeName| {
        let ec2 = inner.ec2.clone();
        let id = id.clone();
        async move {
            let o = ec2.describe_vpc_attribute().vpc_id(id).attribute(name.clone()).send().await.map_err(|e| api_err(what, e))?;
            let b = match name {
                aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames => o.enable_dns_hostnames().and_then(|a| a.value()),
                _ => o.enable_dns_support().and_then(|a| a.value()),
            };
            Ok::<_, ProviderError>(Value::Bool(b.unwrap_or(false)))
        }
    };
    let rts = inner
        .ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&id).build())
        .filters(Filter::builder().name("association.main").values("true").build())
        .send()
        .await
        .map_err(|e| api_err(what, e))?;
    let block = schema::data_vpc();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::String(id.clone()));
    m.insert("default".into(), Value::Bool(v.is_default().unwrap_or(false)));
    m.insert("cidr_block".into(), opt_string(v.cidr_block()));
    m.insert("state".into(), opt_string(v.state().map(|s| s.as_str())));
    let tags: BTreeMap<String, Value> = tag_map(v.tags()).into_iter().filter(|(k, _)| !k.starts_with("contin:")).map(|(k, v)| (k, Value::String(v))).collect();
    m.insert("tags".into(), Value::Map(tags));
    m.insert("owner_id".into(), opt_string(v.owner_id()));
    m.insert("arn".into(), Value::String(format!("arn:aws:ec2:{}:{}:vpc/{id}", inner.region, v.owner_id().unwrap_or(""))));
    m.insert("main_route_table_id".into(), opt_string(rts.route_tables().first().and_then(|r| r.route_table_id())));
    m.insert("enable_dns_support".into(), attr(aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport).await?);
    m.insert("enable_dns_hostnames".into(), attr(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames).await?);
    Ok(complete(&block, m))
}

pub(crate) async fn subnets(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_subnets";
    let f = filters(cfg);
    let mut ids: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = inner.ec2.describe_subnets().set_next_token(token.clone());
        if !f.is_empty() {
            req = req.set_filters(Some(f.clone()));
        }
        let out = req.send().await.map_err(|e| api_err(what, e))?;
        ids.extend(out.subnets().iter().filter_map(|s| s.subnet_id().map(String::from)));
        token = out.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() {
            break;
        }
    }
    ids.sort();
    let block = schema::data_subnets();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::string(inner.region.clone()));
    m.insert("ids".into(), str_list(ids));
    Ok(complete(&block, m))
}

pub(crate) async fn region(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_region";
    let name = get_str(cfg, "region").or_else(|| get_str(cfg, "name")).unwrap_or(&inner.region).to_string();
    let out = inner.ec2.describe_regions().region_names(&name).send().await.map_err(|e| api_err(what, e))?;
    let Some(r) = out.regions().first() else {
        return Err(ProviderError::Failed(format!("{what}: no region named {name:?}")));
    };
    let block = schema::data_region();
    let mut m = inputs(&block, cfg);
    m.insert("name".into(), Value::String(name.clone()));
    m.insert("id".into(), Value::String(name.clone()));
    m.insert("region".into(), Value::String(name.clone()));
    m.insert("endpoint".into(), Value::String(r.endpoint().map_or_else(|| format!("ec2.{name}.amazonaws.com"), String::from)));
    m.insert("description".into(), Value::String(name));
    Ok(complete(&block, m))
}

pub(crate) async fn caller_identity(inner: &Inner, cfg: &Value) -> Result<Value, ProviderError> {
    let what = "data.aws_caller_identity";
    let out = inner.sts.get_caller_identity().send().await.map_err(|e| api_err(what, e))?;
    let block = schema::data_caller_identity();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), opt_string(out.account()));
    m.insert("account_id".into(), opt_string(out.account()));
    m.insert("arn".into(), opt_string(out.arn()));
    m.insert("user_id".into(), opt_string(out.user_id()));
    Ok(complete(&block, m))
}
