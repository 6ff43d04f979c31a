//! The `sites` section of state (ARCHITECTURE §4, §8): the edge site tree
//! with the hosts and enrolled clusters of each site, derived from the
//! `edge_site`, `host` and `cluster` resources whenever state is written, so
//! it never disagrees with them. Later issues (agents, placement) read it.

use crate::{ResourceState, State};
use contin_types::value::{PathStep, ValuePath};
use serde_json::{json, Map, Value as Json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Name of the site an attribute refers to: the site object (`edge_site.X`)
/// or its bare name.
fn site_name(v: Option<&Json>) -> Option<String> {
    match v? {
        Json::String(s) => Some(s.clone()),
        Json::Object(o) => o.get("name").and_then(Json::as_str).map(str::to_string),
        _ => None,
    }
}

fn pick(attrs: &Json, keys: &[&str]) -> Map<String, Json> {
    keys.iter()
        .filter_map(|k| attrs.get(*k).filter(|v| !v.is_null()).map(|v| (k.to_string(), v.clone())))
        .collect()
}

/// `attrs` with the value at each of `paths` replaced by null.
fn without_paths(attrs: &Json, paths: &[ValuePath]) -> Json {
    let mut out = attrs.clone();
    for p in paths {
        let mut cur = Some(&mut out);
        for step in p {
            cur = match (cur, step) {
                (Some(Json::Object(m)), PathStep::Key(k)) => m.get_mut(k),
                (Some(Json::Array(a)), PathStep::Index(i)) => a.get_mut(*i),
                _ => None,
            };
        }
        if let Some(v) = cur {
            *v = Json::Null;
        }
    }
    out
}

/// The resources' attributes with every sensitive value removed: the site
/// index is derived from these, so it never holds a secret (nothing in it
/// marks values sensitive).
fn redacted(r: &ResourceState) -> Cow<'_, Json> {
    if r.sensitive_paths.is_empty() {
        Cow::Borrowed(&r.attributes)
    } else {
        Cow::Owned(without_paths(&r.attributes, &r.sensitive_paths))
    }
}

/// Builds the `sites` document from the resources in `state`, leaving out
/// every sensitive value (a site named by a secret is keyed by its address name).
pub fn derive(state: &State) -> BTreeMap<String, Json> {
    let mut sites: BTreeMap<String, Map<String, Json>> = BTreeMap::new();
    let managed = || state.resources.values().filter(|r| r.addr.mode == contin_types::ResourceMode::Managed);
    for r in managed().filter(|r| r.addr.ty == "edge_site") {
        let a = &*redacted(r);
        let name = a.get("name").and_then(Json::as_str).unwrap_or(&r.addr.name).to_string();
        let mut doc = pick(a, &["kind", "labels", "latency_ms", "latency_total_ms", "cost_per_hour", "capacity", "power", "path"]);
        doc.insert("address".into(), json!(r.addr.to_string()));
        doc.insert("parent".into(), a.get("parent_name").cloned().unwrap_or(Json::Null));
        doc.insert("children".into(), json!([]));
        doc.insert("hosts".into(), json!([]));
        doc.insert("clusters".into(), json!({}));
        sites.insert(name, doc);
    }
    let parents: Vec<(String, String)> = sites
        .iter()
        .filter_map(|(n, d)| d.get("parent").and_then(Json::as_str).map(|p| (p.to_string(), n.clone())))
        .collect();
    for (parent, child) in parents {
        if let Some(Json::Array(c)) = sites.get_mut(&parent).and_then(|d| d.get_mut("children")) {
            c.push(json!(child));
        }
    }
    for r in managed().filter(|r| r.addr.ty == "host") {
        let a = &*redacted(r);
        let Some(site) = site_name(a.get("site")) else { continue };
        let name = a.get("name").and_then(Json::as_str).unwrap_or(&r.addr.name);
        if let Some(Json::Array(h)) = sites.get_mut(&site).and_then(|d| d.get_mut("hosts")) {
            h.push(json!(name));
        }
    }
    for r in managed().filter(|r| r.addr.ty == "cluster") {
        let a = &*redacted(r);
        let Some(site) = site_name(a.get("site_name")).or_else(|| site_name(a.get("site"))) else { continue };
        let mut enrolled = pick(a, &["id", "flavor", "installed_version", "node_count", "nodes", "api_endpoint"]);
        enrolled.insert("address".into(), json!(r.addr.to_string()));
        let name = a.get("name").and_then(Json::as_str).unwrap_or(&r.addr.name).to_string();
        if let Some(Json::Object(c)) = sites.get_mut(&site).and_then(|d| d.get_mut("clusters")) {
            c.insert(name, Json::Object(enrolled));
        }
    }
    // Workloads under the sites they are placed on (`site_names`, else
    // `placement.sites`); the key is present only on sites with workloads.
    for r in managed().filter(|r| r.addr.ty == "workload") {
        let a = &*redacted(r);
        let names: Vec<String> = match a.get("site_names") {
            Some(Json::Array(v)) => v.iter().filter_map(|s| site_name(Some(s))).collect(),
            _ => a
                .get("placement")
                .and_then(|p| p.get("sites"))
                .and_then(Json::as_array)
                .map(|v| v.iter().filter_map(|s| site_name(Some(s))).collect())
                .unwrap_or_default(),
        };
        let label = r.addr.to_string();
        let label = label.strip_prefix("workload.").unwrap_or(&label).to_string();
        for site in names {
            if let Some(d) = sites.get_mut(&site) {
                if let Json::Array(w) = d.entry("workloads").or_insert_with(|| json!([])) {
                    w.push(json!(label));
                }
            }
        }
    }
    sites.into_iter().map(|(k, v)| (k, Json::Object(v))).collect()
}

impl State {
    /// Recomputes `sites` from the resources; every writer of resources
    /// (apply checkpoints, import, state rm/mv) calls it before persisting.
    pub fn refresh_sites(&mut self) {
        self.sites = derive(self);
    }
}

/// Sites in tree order (parents before children, siblings by name) with their depth.
pub fn tree_order(sites: &BTreeMap<String, Json>) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let roots = sites.iter().filter(|(_, d)| {
        d.get("parent").and_then(Json::as_str).is_none_or(|p| !sites.contains_key(p))
    });
    let mut stack: Vec<(usize, &str)> = roots.map(|(n, _)| (0, n.as_str())).collect();
    stack.reverse();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((depth, name)) = stack.pop() {
        if !seen.insert(name) {
            continue;
        }
        out.push((depth, name));
        let mut children: Vec<&str> = sites
            .get(name)
            .and_then(|d| d.get("children"))
            .and_then(Json::as_array)
            .map(|c| c.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        children.sort_unstable();
        for c in children.into_iter().rev() {
            if let Some((k, _)) = sites.get_key_value(c) {
                stack.push((depth + 1, k.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ResourceState, ResourceStatus};
    use contin_types::ResourceAddr;

    fn res(addr: &str, attrs: Json) -> ResourceState {
        ResourceState {
            addr: addr.parse::<ResourceAddr>().unwrap(),
            provider: "edge".into(),
            schema_version: 0,
            attributes: attrs,
            sensitive_paths: vec![],
            dependencies: vec![],
            status: ResourceStatus::Ready,
            create_before_destroy: false,
            generation: 1,
            deposed: Vec::new(),
        }
    }

    #[test]
    fn tree_hosts_and_clusters() {
        let mut s = State::new();
        for r in [
            res("edge_site.eu", json!({"name": "eu", "kind": "region", "parent_name": null, "latency_total_ms": 0})),
            res("edge_site.b", json!({"name": "b", "kind": "site", "parent_name": "eu"})),
            res("edge_site.a", json!({"name": "a", "kind": "site", "parent_name": "eu", "labels": {"line": "A"}})),
            res("host.n1", json!({"name": "n1", "site": {"name": "a"}})),
            res("cluster.k", json!({"name": "k", "site_name": "a", "flavor": "k3s", "id": "k3s-k", "node_count": 3, "api_endpoint": "https://10.0.0.1:6443", "kubeconfig": "secret"})),
        ] {
            s.resources.insert(r.addr.clone(), r);
        }
        let sites = derive(&s);
        assert_eq!(sites["eu"]["children"], json!(["a", "b"]));
        assert_eq!(sites["a"]["hosts"], json!(["n1"]));
        assert_eq!(sites["a"]["clusters"]["k"]["node_count"], json!(3));
        assert!(sites["a"]["clusters"]["k"].get("kubeconfig").is_none(), "no secrets in the site index");
        assert!(sites["a"].get("workloads").is_none(), "no workloads key on sites without workloads");
        let order: Vec<(usize, &str)> = tree_order(&sites);
        assert_eq!(order, vec![(0, "eu"), (1, "a"), (1, "b")]);
    }

    #[test]
    fn workloads_sit_under_their_sites() {
        let mut s = State::new();
        for r in [
            res("edge_site.eu", json!({"name": "eu", "kind": "region", "parent_name": null})),
            res("edge_site.f7", json!({"name": "f7", "parent_name": "eu"})),
            res("edge_site.f8", json!({"name": "f8", "parent_name": "eu"})),
            res("workload.vision", json!({"name": "vision", "site_names": ["f7", "f8"], "placement": {"sites": ["f7", "f8"]}})),
            res("workload.probe[0]", json!({"name": "probe", "placement": {"sites": [{"name": "f8"}]}})),
            res("workload.lost", json!({"name": "lost", "site_names": ["gone"]})),
        ] {
            s.resources.insert(r.addr.clone(), r);
        }
        let sites = derive(&s);
        assert_eq!(sites["f7"]["workloads"], json!(["vision"]));
        assert_eq!(sites["f8"]["workloads"], json!(["probe[0]", "vision"]));
        assert!(sites["eu"].get("workloads").is_none());
        assert!(!sites.contains_key("gone"), "a workload never creates a site");
    }

    #[test]
    fn sensitive_values_never_reach_the_site_index() {
        const MARKER: &str = "MARKER-S3CR3T";
        let key = |k: &str| PathStep::Key(k.into());
        let mut s = State::new();
        let mut eu = res("edge_site.eu", json!({"name": "eu", "kind": MARKER, "labels": {"token": MARKER, "line": "A"}}));
        eu.sensitive_paths = vec![vec![key("kind")], vec![key("labels"), key("token")]];
        let mut hidden = res("edge_site.x", json!({"name": MARKER, "parent_name": "eu", "path": ["eu", MARKER]}));
        hidden.sensitive_paths = vec![vec![key("name")], vec![key("path"), PathStep::Index(1)]];
        let mut host = res("host.h", json!({"name": MARKER, "site": {"name": "eu"}}));
        host.sensitive_paths = vec![vec![key("name")]];
        let mut cluster = res("cluster.k", json!({"name": "k", "site_name": "eu", "api_endpoint": MARKER}));
        cluster.sensitive_paths = vec![vec![key("api_endpoint")]];
        for r in [eu, hidden, host, cluster] {
            s.resources.insert(r.addr.clone(), r);
        }
        let sites = derive(&s);
        assert!(!serde_json::to_string(&sites).unwrap().contains(MARKER), "{sites:?}");
        assert_eq!(sites["eu"]["labels"], json!({"token": null, "line": "A"}), "the rest of a value stays");
        assert_eq!(sites["eu"]["children"], json!(["x"]), "a site named by a secret is keyed by its address name");
        assert_eq!(sites["x"]["path"], json!(["eu", null]));
        assert_eq!(sites["eu"]["hosts"], json!(["h"]));
        assert!(sites["eu"]["clusters"]["k"].get("api_endpoint").is_none_or(Json::is_null));
    }
}
