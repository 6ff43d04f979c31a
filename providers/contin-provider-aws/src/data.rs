//! Data sources: `aws_ami` and `aws_availability_zones`.

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
    let mut req = inner.ec2.describe_availability_zones();
    if let Some(s) = get_str(cfg, "state") {
        req = req.filters(Filter::builder().name("state").values(s).build());
    }
    let out = req.send().await.map_err(|e| api_err(what, e))?;
    let mut zones: Vec<(String, String)> = out
        .availability_zones()
        .iter()
        .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id().unwrap_or("").to_string())))
        .collect();
    zones.sort();
    let block = schema::availability_zones();
    let mut m = inputs(&block, cfg);
    m.insert("id".into(), Value::string(inner.region.clone()));
    m.insert("names".into(), str_list(zones.iter().map(|z| z.0.clone())));
    m.insert("zone_ids".into(), str_list(zones.into_iter().map(|z| z.1)));
    Ok(complete(&block, m))
}
