//! `aws_ec2_managed_prefix_list`: a customer-managed prefix list (EC2
//! CreateManagedPrefixList / ModifyManagedPrefixList).
//!
//! Entries change in place (add and remove in one modify call, against the
//! list's current version), as do the name and `max_entries`; the address
//! family replaces the list. Crash safety: the list carries the bookkeeping
//! tags from creation (and a `ClientToken`) and a re-run adopts it by them.

use crate::network::sync_tags;
use crate::util::*;
use crate::Inner;
use aws_sdk_ec2::types::{AddPrefixListEntry, Filter, ManagedPrefixList, PrefixListState, RemovePrefixListEntry, ResourceType};
use contin_provider::{AttrSchema as A, AttrType as T, BlockSchema, NestedBlockSchema, Nesting, OpContext, ProviderError};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::collections::BTreeMap;

pub const MANAGED_PREFIX_LIST: &str = "aws_ec2_managed_prefix_list";

/// Entries read back from one list at most (AWS allows 1,000).
const MAX_ENTRIES: usize = 5_000;

pub fn schema() -> BlockSchema {
    let entry = BlockSchema::default().attr("cidr", A::required(T::String)).attr("description", A::optional(T::String));
    BlockSchema::default()
        .attr("name", A::required(T::String).describe("changed in place"))
        .attr("address_family", A::required(T::String).force_new().describe("IPv4 or IPv6"))
        .attr("max_entries", A::required(T::Number).describe("changed in place"))
        .attr("tags", A::optional(T::Map(Box::new(T::String))))
        .attr("id", A::computed(T::String))
        .attr("arn", A::computed(T::String))
        .attr("owner_id", A::computed(T::String))
        .attr("version", A::computed(T::Number))
        .block("entry", NestedBlockSchema { nesting: Nesting::Set, block: entry, min_items: 0, max_items: None, force_new: false })
}

pub(crate) fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if ty != MANAGED_PREFIX_LIST {
        return d;
    }
    if let Some(f) = get_str(cfg, "address_family") {
        if f != "IPv4" && f != "IPv6" {
            d.push(Diagnostic::error(format!("address_family: {f:?} is not one of IPv4, IPv6")));
        }
    }
    if let Some(n) = get_i64(cfg, "max_entries") {
        if !(1..=1000).contains(&n) {
            d.push(Diagnostic::error(format!("max_entries: {n} is not between 1 and 1000")));
        }
        let count = get_blocks(cfg, "entry").len() as i64;
        if count > n {
            d.push(Diagnostic::error(format!("entry: {count} entries do not fit max_entries = {n}")));
        }
    }
    d
}

fn entries_of(v: &Value) -> BTreeMap<String, Option<String>> {
    get_blocks(v, "entry")
        .into_iter()
        .filter_map(|e| Some((get_str(e, "cidr")?.to_string(), get_str(e, "description").filter(|d| !d.is_empty()).map(String::from))))
        .collect()
}

async fn describe(inner: &Inner, what: &str, id: &str) -> Result<Option<ManagedPrefixList>, ProviderError> {
    match inner.ec2.describe_managed_prefix_lists().prefix_list_ids(id).send().await.map_err(|e| api_err(what, e)) {
        Ok(o) => Ok(o.prefix_lists().first().filter(|p| !matches!(p.state(), Some(PrefixListState::DeleteComplete))).cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn read_id(inner: &Inner, id: &str, shape: &Value) -> Result<Option<Value>, ProviderError> {
    let what = format!("{MANAGED_PREFIX_LIST} {id}");
    let Some(pl) = describe(inner, &what, id).await? else { return Ok(None) };
    let mut entries = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = inner
            .ec2
            .get_managed_prefix_list_entries()
            .prefix_list_id(id)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| api_err(&what, e))?;
        for e in page.entries() {
            entries.push(Value::map([("cidr", opt_string(e.cidr())), ("description", opt_string(e.description().filter(|d| !d.is_empty())))]));
        }
        if entries.len() > MAX_ENTRIES {
            return Err(ProviderError::Failed(format!("{what}: more than {MAX_ENTRIES} entries")));
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(String::from);
        if token.is_none() {
            break;
        }
    }
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(id));
    m.insert("name".into(), opt_string(pl.prefix_list_name()));
    m.insert("address_family".into(), opt_string(pl.address_family()));
    m.insert("max_entries".into(), pl.max_entries().map_or(Value::Null, |n| Value::int(i64::from(n))));
    m.insert("arn".into(), opt_string(pl.prefix_list_arn()));
    m.insert("owner_id".into(), opt_string(pl.owner_id()));
    m.insert("version".into(), pl.version().map_or(Value::Null, Value::int));
    m.insert("tags".into(), tags_value(pl.tags(), &inner.default_tags, shape));
    m.insert("entry".into(), Value::set(entries));
    Ok(Some(complete(&schema(), m)))
}

pub(crate) async fn read(inner: &Inner, state: &Value) -> Result<Option<Value>, ProviderError> {
    match get_str(state, "id") {
        Some(id) => read_id(inner, id, state).await,
        None => Ok(None),
    }
}

pub(crate) async fn create(inner: &Inner, planned: &Value, ctx: &OpContext) -> Result<Value, ProviderError> {
    let addr = ctx.address.to_string();
    let what = addr.as_str();
    // One server-side tag filter, the rest checked here (moto fails on several
    // tag filters for prefix lists; AWS is fine either way).
    let lineage = Filter::builder().name(format!("tag:{TAG_LINEAGE}")).values(&ctx.lineage).build();
    let found = inner.ec2.describe_managed_prefix_lists().filters(lineage).send().await.map_err(|e| api_err(what, e))?;
    let mine = |p: &&ManagedPrefixList| {
        let tags = tag_map(p.tags());
        bookkeeping_tags(ctx).iter().all(|(k, v)| tags.get(k) == Some(v))
    };
    let adopted = found
        .prefix_lists()
        .iter()
        .filter(mine)
        .find(|p| !matches!(p.state(), Some(PrefixListState::DeleteComplete | PrefixListState::DeleteInProgress)))
        .and_then(|p| p.prefix_list_id().map(String::from));
    let id = match adopted {
        Some(id) => id,
        None => {
            let tags = effective_tags(&inner.default_tags, planned);
            let entries: Vec<AddPrefixListEntry> = entries_of(planned)
                .into_iter()
                .map(|(cidr, desc)| AddPrefixListEntry::builder().cidr(cidr).set_description(desc).build())
                .collect();
            let o = inner
                .ec2
                .create_managed_prefix_list()
                .set_prefix_list_name(get_str(planned, "name").map(String::from))
                .set_address_family(get_str(planned, "address_family").map(String::from))
                .set_max_entries(get_i64(planned, "max_entries").map(|n| n as i32))
                .set_entries(Some(entries))
                .client_token(client_token(ctx))
                .tag_specifications(tag_spec(ResourceType::PrefixList, &tags, ctx))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
            kill_hook(ctx);
            o.prefix_list()
                .and_then(|p| p.prefix_list_id())
                .map(String::from)
                .ok_or_else(|| ProviderError::Failed(format!("{what}: CreateManagedPrefixList returned no id")))?
        }
    };
    let current = read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))?;
    converge(inner, what, &id, &current, planned).await?;
    read_id(inner, &id, planned).await?.ok_or_else(|| vanished(what, &id))
}

async fn converge(inner: &Inner, what: &str, id: &str, current: &Value, planned: &Value) -> Result<(), ProviderError> {
    let (old, new) = (entries_of(current), entries_of(planned));
    let remove: Vec<RemovePrefixListEntry> =
        old.iter().filter(|(c, d)| new.get(*c) != Some(*d)).map(|(c, _)| RemovePrefixListEntry::builder().cidr(c).build()).collect();
    let add: Vec<AddPrefixListEntry> = new
        .iter()
        .filter(|(c, d)| old.get(*c) != Some(*d))
        .map(|(c, d)| AddPrefixListEntry::builder().cidr(c).set_description(d.clone()).build())
        .collect();
    let name_changed = get_str(planned, "name").is_some() && get_str(planned, "name") != get_str(current, "name");
    let max_changed = get_i64(planned, "max_entries").is_some() && get_i64(planned, "max_entries") != get_i64(current, "max_entries");
    if !remove.is_empty() || !add.is_empty() || name_changed || max_changed {
        let version = get_i64(current, "version");
        // A description change is a remove and an add of the same CIDR, in one call.
        let call = inner
            .ec2
            .modify_managed_prefix_list()
            .prefix_list_id(id)
            .set_current_version(version.filter(|_| !remove.is_empty() || !add.is_empty()))
            .set_prefix_list_name(get_str(planned, "name").filter(|_| name_changed).map(String::from))
            .set_add_entries(if add.is_empty() { None } else { Some(add) })
            .set_remove_entries(if remove.is_empty() { None } else { Some(remove) });
        if max_changed {
            // EC2 takes max_entries alone (no entry changes in the same call).
            inner
                .ec2
                .modify_managed_prefix_list()
                .prefix_list_id(id)
                .set_max_entries(get_i64(planned, "max_entries").map(|n| n as i32))
                .send()
                .await
                .map_err(|e| api_err(what, e))?;
        }
        if name_changed || call.get_add_entries().is_some() || call.get_remove_entries().is_some() {
            call.send().await.map_err(|e| api_err(what, e))?;
        }
    }
    sync_tags(inner, what, id, current, planned).await
}

pub(crate) async fn update(inner: &Inner, addr: &str, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Err(ProviderError::Failed(format!("{addr}: no id in state"))) };
    let current = read_id(inner, id, planned).await?.ok_or_else(|| vanished(addr, id))?;
    converge(inner, addr, id, &current, planned).await?;
    read_id(inner, id, planned).await?.ok_or_else(|| vanished(addr, id))
}

pub(crate) async fn delete(inner: &Inner, addr: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(id) = get_str(prior, "id") else { return Ok(()) };
    match delete_with_retry(|| async { inner.ec2.delete_managed_prefix_list().prefix_list_id(id).send().await.map(|_| ()).map_err(|e| api_err(addr, e)) })
        .await
    {
        Err(e) if is_not_found(&e) => Ok(()),
        other => other,
    }
}

pub(crate) async fn import(inner: &Inner, id: &str) -> Result<Option<Value>, ProviderError> {
    read_id(inner, id, &Value::map::<&str>([])).await
}

/// An entry change makes a new version of the list: planned unknown.
pub(crate) fn adjust(ty: &str, prior: Option<&Value>, change: &mut contin_provider::PlannedChange) {
    let (MANAGED_PREFIX_LIST, Some(prior)) = (ty, prior) else { return };
    if change.requires_replace.is_empty() && entries_of(prior) != entries_of(&change.planned) {
        if let Value::Map(m) = &mut change.planned {
            m.insert("version".into(), Value::Unknown);
        }
    }
}
