//! `contin state list|show|rm|mv`, and the human/JSON rendering of a state
//! used by `contin show`. Sensitive values are never printed.

use super::{engine_err, Ctx, StateLock};
use crate::engine;
use crate::ui::{format_value, quote};
use anyhow::{bail, Context as _};
use contin_state::{ResourceState, State};
use contin_types::{InstanceKey, ResourceAddr, ResourceMode, Value};

/// True when `addr` is `pattern` or one of its instances / members.
pub fn addr_matches(addr: &ResourceAddr, pattern: &str) -> bool {
    let s = addr.to_string();
    s == pattern || s.strip_prefix(pattern).is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
}

pub async fn list(ctx: &Ctx, prefixes: &[String]) -> anyhow::Result<i32> {
    let ws = super::load_state_workspace(ctx).await?;
    let state = engine::load_state(&ws).await.map_err(engine_err)?;
    for line in list_lines(state.as_ref(), prefixes) {
        println!("{line}");
    }
    if let Some(state) = state.as_ref().filter(|s| prefixes.is_empty() && !s.sites.is_empty()) {
        print!("\n{}", render_sites(state));
    }
    Ok(0)
}

pub fn list_lines(state: Option<&State>, prefixes: &[String]) -> Vec<String> {
    let Some(state) = state else { return Vec::new() };
    state
        .resources
        .keys()
        .filter(|a| prefixes.is_empty() || prefixes.iter().any(|p| addr_matches(a, p)))
        .map(ToString::to_string)
        .collect()
}

pub async fn show(ctx: &Ctx, addr: &str) -> anyhow::Result<i32> {
    let ws = super::load_state_workspace(ctx).await?;
    let state = engine::load_state(&ws).await.map_err(engine_err)?;
    let state = state.unwrap_or_default();
    print!("{}", render_one(&state, addr)?);
    Ok(0)
}

fn render_one(state: &State, addr: &str) -> anyhow::Result<String> {
    let parsed: ResourceAddr = addr.parse()?;
    if let Some(r) = state.resources.get(&parsed) {
        return Ok(render_resource(r));
    }
    let instances: Vec<&ResourceState> = state.resources.values().filter(|r| addr_matches(&r.addr, addr)).collect();
    match instances.as_slice() {
        [] => bail!("no resource instance {addr} in the state (see `contin state list`)"),
        [only] => Ok(render_resource(only)),
        many => bail!(
            "{addr} has {} instances; name one of them: {}",
            many.len(),
            many.iter().map(|r| r.addr.to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Attributes with their sensitive marks restored.
fn marked_attributes(r: &ResourceState) -> Value {
    Value::from_json(&r.attributes).mark_paths(&r.sensitive_paths)
}

/// `# addr:` then a `resource "type" "name" { … }` block, like `terraform state show`.
pub fn render_resource(r: &ResourceState) -> String {
    let header = match (r.addr.mode, r.addr.ty.as_str()) {
        (ResourceMode::Managed, ty @ ("edge_site" | "host" | "cluster")) => format!("{ty} {}", quote(&r.addr.name)),
        (ResourceMode::Data, _) => format!("data {} {}", quote(&r.addr.ty), quote(&r.addr.name)),
        _ => format!("resource {} {}", quote(&r.addr.ty), quote(&r.addr.name)),
    };
    let mut out = format!("# {}:\n{header} {{\n", r.addr);
    let attrs = marked_attributes(r);
    match attrs.unmarked() {
        Value::Map(m) => {
            let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
            for (k, v) in m {
                if v.is_null() && !v.is_sensitive() {
                    continue;
                }
                let value = if v.is_sensitive() { "(sensitive value)".to_string() } else { format_value(v) };
                out.push_str(&format!("    {k:<width$} = {}\n", value.replace('\n', "\n    ")));
            }
        }
        other if attrs.is_sensitive() => out.push_str(&format!("    # (sensitive value: {})\n", other.type_name())),
        other => out.push_str(&format!("    # {}\n", format_value(other))),
    }
    out.push_str("}\n");
    out
}

/// The edge site tree with each site's hosts and enrolled clusters.
pub fn render_sites(state: &State) -> String {
    use serde_json::Value as J;
    let mut out = String::from("Edge sites:\n");
    let num = |v: Option<&J>| v.and_then(J::as_f64).map(|f| format!("{f}"));
    for (depth, name) in contin_state::sites::tree_order(&state.sites) {
        let d = &state.sites[name];
        let mut facts = vec![d.get("kind").and_then(J::as_str).unwrap_or("site").to_string()];
        if let Some(l) = num(d.get("latency_total_ms")) {
            facts.push(format!("{l} ms from the cloud"));
        }
        let indent = "  ".repeat(depth + 1);
        out.push_str(&format!("{indent}{name} ({})\n", facts.join(", ")));
        let hosts: Vec<&str> = d.get("hosts").and_then(J::as_array).map(|h| h.iter().filter_map(J::as_str).collect()).unwrap_or_default();
        if !hosts.is_empty() {
            out.push_str(&format!("{indent}  hosts: {}\n", hosts.join(", ")));
        }
        if let Some(clusters) = d.get("clusters").and_then(J::as_object) {
            for (cname, c) in clusters {
                let flavor = c.get("flavor").and_then(J::as_str).unwrap_or("?");
                let nodes = c.get("node_count").and_then(J::as_u64).map_or(String::new(), |n| format!(", {n} node(s)"));
                let api = c.get("api_endpoint").and_then(J::as_str).map_or(String::new(), |a| format!(", {a}"));
                out.push_str(&format!("{indent}  cluster {cname} ({flavor}{nodes}{api})\n"));
            }
        }
    }
    out
}

/// The whole state for `contin show`: every resource, then the outputs.
pub fn render_state(state: &State) -> String {
    let mut out = String::new();
    for r in state.resources.values() {
        out.push_str(&render_resource(r));
        out.push('\n');
    }
    if !state.sites.is_empty() {
        out.push('\n');
        out.push_str(&render_sites(state));
    }
    if !state.outputs.is_empty() {
        out.push_str("\nOutputs:\n\n");
        for (name, o) in &state.outputs {
            let value = if o.sensitive { "<sensitive>".to_string() } else { format_value(&Value::from_json(&o.value)) };
            out.push_str(&format!("{name} = {value}\n"));
        }
    }
    out
}

/// `contin show --json` without a plan: the state with sensitive values replaced by null.
pub fn state_json(state: Option<&State>) -> serde_json::Value {
    let Some(state) = state else {
        return serde_json::json!({"format_version": "1", "values": null});
    };
    let resources: Vec<serde_json::Value> = state
        .resources
        .values()
        .map(|r| {
            let (attrs, _) = redact(&marked_attributes(r));
            serde_json::json!({
                "address": r.addr.to_string(),
                "mode": if r.addr.mode == ResourceMode::Data { "data" } else { "managed" },
                "type": r.addr.ty,
                "name": r.addr.name,
                "index": match &r.addr.key {
                    InstanceKey::None => serde_json::Value::Null,
                    InstanceKey::Int(i) => serde_json::json!(i),
                    InstanceKey::Str(s) => serde_json::json!(s),
                },
                "provider": r.provider,
                "status": r.status,
                "values": attrs,
                "sensitive_paths": r.sensitive_paths.iter().map(|p| contin_types::value::path_to_string(p)).collect::<Vec<_>>(),
                "depends_on": r.dependencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    let outputs: serde_json::Map<String, serde_json::Value> = state
        .outputs
        .iter()
        .map(|(k, o)| {
            let value = if o.sensitive { serde_json::Value::Null } else { o.value.clone() };
            (k.clone(), serde_json::json!({"sensitive": o.sensitive, "value": value}))
        })
        .collect();
    serde_json::json!({
        "format_version": "1",
        "lineage": state.lineage,
        "serial": state.serial,
        "values": {"resources": resources, "outputs": outputs},
        "sites": state.sites,
    })
}

/// JSON with every sensitive value replaced by null; also says whether any was.
fn redact(v: &Value) -> (serde_json::Value, bool) {
    match v {
        Value::Sensitive(_) => (serde_json::Value::Null, true),
        Value::List(items) | Value::Set(items) => {
            let mut any = false;
            let out = items
                .iter()
                .map(|i| {
                    let (j, s) = redact(i);
                    any |= s;
                    j
                })
                .collect();
            (serde_json::Value::Array(out), any)
        }
        Value::Map(m) => {
            let mut any = false;
            let out = m
                .iter()
                .map(|(k, i)| {
                    let (j, s) = redact(i);
                    any |= s;
                    (k.clone(), j)
                })
                .collect();
            (serde_json::Value::Object(out), any)
        }
        other => (other.to_json_lossy(), false),
    }
}

/// Loads the state under the lock, lets `edit` change it, writes it with a bumped serial.
async fn edit_state(
    ctx: &Ctx,
    operation: &str,
    edit: impl FnOnce(&mut State) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<Vec<String>> {
    let ws = super::load_state_workspace(ctx).await?;
    let lock = StateLock::acquire(&ws.backend, operation).await?;
    let result = async {
        let Some(mut state) = engine::load_state(&ws).await.map_err(engine_err)? else {
            bail!("there is no state yet ({})", ws.backend.describe());
        };
        let expected = state.serial;
        let lines = edit(&mut state)?;
        state.refresh_sites();
        state.serial = expected + 1;
        ws.backend.persist(&state, Some(expected)).await.context("writing the state")?;
        Ok(lines)
    }
    .await;
    lock.release(ctx.ui).await;
    result
}

pub async fn rm(ctx: &Ctx, addrs: &[String]) -> anyhow::Result<i32> {
    let addrs = addrs.to_vec();
    let lines = edit_state(ctx, "state rm", move |state| remove(state, &addrs)).await?;
    for l in &lines {
        println!("Removed {l}");
    }
    println!("Successfully removed {} resource instance(s).", lines.len());
    Ok(0)
}

/// Removes the instances matching each address; fails (changing nothing) when one matches none.
pub fn remove(state: &mut State, addrs: &[String]) -> anyhow::Result<Vec<String>> {
    let mut doomed = Vec::new();
    for a in addrs {
        a.parse::<ResourceAddr>()?;
        let matched: Vec<ResourceAddr> = state.resources.keys().filter(|k| addr_matches(k, a)).cloned().collect();
        if matched.is_empty() {
            bail!("no resource instance {a} in the state; nothing was removed");
        }
        doomed.extend(matched);
    }
    doomed.sort();
    doomed.dedup();
    for a in &doomed {
        state.resources.remove(a);
    }
    Ok(doomed.iter().map(ToString::to_string).collect())
}

pub async fn mv(ctx: &Ctx, src: &str, dst: &str) -> anyhow::Result<i32> {
    let (src, dst) = (src.to_string(), dst.to_string());
    let (s2, d2) = (src.clone(), dst.clone());
    let moved = edit_state(ctx, "state mv", move |state| move_addr(state, &s2, &d2)).await?;
    println!("Move {} to {}", quote(&src), quote(&dst));
    println!("Successfully moved {} object(s).", moved.len());
    Ok(0)
}

/// Renames one instance, or every instance of a resource (keys kept). The
/// type and mode must stay the same; dependencies pointing at moved
/// instances are renamed too.
pub fn move_addr(state: &mut State, src: &str, dst: &str) -> anyhow::Result<Vec<String>> {
    let src_addr: ResourceAddr = src.parse()?;
    let dst_addr: ResourceAddr = dst.parse()?;
    if src_addr.ty != dst_addr.ty || src_addr.mode != dst_addr.mode {
        bail!("cannot move {src} to {dst}: the resource types differ");
    }
    let renames: Vec<(ResourceAddr, ResourceAddr)> = if state.resources.contains_key(&src_addr) {
        vec![(src_addr.clone(), dst_addr.clone())]
    } else {
        if src_addr.key != InstanceKey::None {
            bail!("no resource instance {src} in the state");
        }
        if dst_addr.key != InstanceKey::None {
            bail!("cannot move all instances of {src} to the single instance {dst}");
        }
        let all: Vec<_> = state
            .resources
            .keys()
            .filter(|k| k.resource() == src_addr)
            .map(|k| (k.clone(), dst_addr.clone().with_key(k.key.clone())))
            .collect();
        if all.is_empty() {
            bail!("no resource {src} in the state");
        }
        all
    };
    for (_, to) in &renames {
        if state.resources.contains_key(to) {
            bail!("cannot move to {to}: it already exists in the state");
        }
    }
    for (from, to) in &renames {
        if let Some(mut r) = state.resources.remove(from) {
            r.addr = to.clone();
            state.resources.insert(to.clone(), r);
        }
    }
    for r in state.resources.values_mut() {
        for dep in r.dependencies.iter_mut() {
            if let Some((_, to)) = renames.iter().find(|(from, _)| from == dep) {
                *dep = to.clone();
            }
        }
    }
    Ok(renames.iter().map(|(f, t)| format!("{f} -> {t}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let doc = serde_json::json!({
            "version": 1, "lineage": "l-1", "serial": 4,
            "resources": [
                {"addr": "local_file.a[0]", "provider": "local", "attributes": {"filename": "out/0.txt", "content": "x", "id": "h0"}},
                {"addr": "local_file.a[1]", "provider": "local", "attributes": {"filename": "out/1.txt", "content": "y", "id": "h1"}},
                {"addr": "fake_resource.s", "provider": "fake", "attributes": {"name": "s", "sensitive_value": "hunter2", "tags": {"env": "dev"}},
                 "sensitive_paths": [[{"Key": "sensitive_value"}]], "dependencies": ["local_file.a[0]"]},
            ],
            "outputs": {"pw": {"value": "hunter2", "sensitive": true}, "n": {"value": 2}},
        });
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("fixture: {e}"))
    }

    #[test]
    fn list_filters_by_resource_or_instance() {
        let s = state();
        assert_eq!(list_lines(Some(&s), &[]), ["fake_resource.s", "local_file.a[0]", "local_file.a[1]"]);
        assert_eq!(list_lines(Some(&s), &["local_file.a".into()]), ["local_file.a[0]", "local_file.a[1]"]);
        assert_eq!(list_lines(Some(&s), &["local_file.a[1]".into()]), ["local_file.a[1]"]);
        assert!(list_lines(Some(&s), &["local_file.ab".into()]).is_empty());
        assert!(list_lines(None, &[]).is_empty());
    }

    #[test]
    fn show_hides_sensitive_values() {
        let out = render_one(&state(), "fake_resource.s").unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.contains("hunter2"), "{out}");
        assert_eq!(
            out,
            "# fake_resource.s:\nresource \"fake_resource\" \"s\" {\n    name            = \"s\"\n    sensitive_value = (sensitive value)\n    tags            = {\n      \"env\" = \"dev\"\n    }\n}\n"
        );
        let err = render_one(&state(), "local_file.a").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("has 2 instances"), "{err}");
        let whole = render_state(&state());
        assert!(!whole.contains("hunter2") && whole.contains("pw = <sensitive>") && whole.contains("n = 2"), "{whole}");
        let json = state_json(Some(&state())).to_string();
        assert!(!json.contains("hunter2"), "{json}");
    }

    #[test]
    fn rm_removes_instances_or_nothing() {
        let mut s = state();
        let removed = remove(&mut s, &["local_file.a".into()]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(removed, ["local_file.a[0]", "local_file.a[1]"]);
        assert_eq!(s.resources.len(), 1);
        let mut s = state();
        assert!(remove(&mut s, &["fake_resource.s".into(), "local_file.zz".into()]).is_err());
        assert_eq!(s.resources.len(), 3, "nothing removed when one address matches nothing");
    }

    #[test]
    fn mv_renames_instances_and_dependencies() {
        let mut s = state();
        let moved = move_addr(&mut s, "local_file.a", "local_file.b").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(moved.len(), 2);
        assert_eq!(list_lines(Some(&s), &[]), ["fake_resource.s", "local_file.b[0]", "local_file.b[1]"]);
        let dep = &s.resources[&"fake_resource.s".parse::<ResourceAddr>().unwrap_or_else(|e| panic!("{e}"))].dependencies;
        assert_eq!(dep[0].to_string(), "local_file.b[0]");
        assert_eq!(s.resources.values().next().map(|r| r.addr.to_string()).as_deref(), Some("fake_resource.s"));
        let mut s = state();
        move_addr(&mut s, "local_file.a[1]", "local_file.c").unwrap_or_else(|e| panic!("{e}"));
        assert!(list_lines(Some(&s), &[]).contains(&"local_file.c".to_string()));
        assert!(move_addr(&mut s, "local_file.a[0]", "null_resource.x").is_err());
        assert!(move_addr(&mut s, "local_file.a[0]", "local_file.c").is_err(), "destination exists");
    }
}
