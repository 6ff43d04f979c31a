//! `contin state list|show|rm|mv|push`, and the human rendering of a state
//! used by `contin show`. The engine does the work; sensitive values are never printed.

use super::{engine_err, Ctx};
use crate::ui::{format_value, quote};
use contin_engine::state_ops::marked_attributes;
use contin_engine::{PushOptions, StateView};
use contin_state::ResourceState;
use contin_types::{ResourceMode, Value};
use std::path::PathBuf;

pub async fn list(ctx: &Ctx, prefixes: &[String]) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let view = ws.state_view().await.map_err(engine_err)?;
    for line in list_lines(&view, prefixes) {
        println!("{line}");
    }
    if prefixes.is_empty() && view.state.as_ref().is_some_and(|s| !s.sites.is_empty()) {
        print!("\n{}", render_sites(&view));
    }
    Ok(0)
}

pub async fn show(ctx: &Ctx, addr: &str) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let view = ws.state_view().await.map_err(engine_err)?;
    print!("{}", render_resource(view.resource(addr).map_err(engine_err)?));
    Ok(0)
}

pub async fn rm(ctx: &Ctx, addrs: &[String]) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let lines = ws.state_rm(addrs.to_vec()).await.map_err(engine_err)?;
    for l in &lines {
        println!("Removed {l}");
    }
    println!("Successfully removed {} resource instance(s).", lines.len());
    Ok(0)
}

pub async fn mv(ctx: &Ctx, src: &str, dst: &str) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let moved = ws.state_mv(src.to_string(), dst.to_string()).await.map_err(engine_err)?;
    println!("Move {} to {}", quote(src), quote(dst));
    println!("Successfully moved {} object(s).", moved.len());
    Ok(0)
}

pub async fn push(ctx: &Ctx, file: PathBuf, force: bool) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let serial = ws.state_push(file.clone(), PushOptions { force }).await.map_err(engine_err)?;
    println!("Pushed {} to {} (serial {serial}).", file.display(), ws.backend.describe());
    Ok(0)
}

/// `state list`: the engine's instance addresses, each followed by its
/// deposed objects as `ADDR (deposed object KEY)` (an instance whose
/// current object is gone shows only those).
pub fn list_lines(view: &StateView, prefixes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for line in view.list(prefixes) {
        let r = line.parse().ok().and_then(|a| view.state.as_ref()?.resources.get(&a));
        match r {
            Some(r) if !r.deposed.is_empty() => {
                if !r.attributes.is_null() {
                    out.push(line.clone());
                }
                out.extend(r.deposed.iter().map(|d| contin_planner::deposed_display(&r.addr, &d.key)));
            }
            _ => out.push(line),
        }
    }
    out
}

/// `# addr:` then a `resource "type" "name" { … }` block, like `terraform state show`;
/// then one such block per deposed object (`# addr: (deposed object KEY)`).
pub fn render_resource(r: &ResourceState) -> String {
    let mut out = String::new();
    // A record kept only for its deposed objects has no current object to show.
    let only_deposed = r.attributes.is_null() && !r.deposed.is_empty();
    if !only_deposed {
        out.push_str(&render_object(r, &format!("# {}:", r.addr), &marked_attributes(r)));
    }
    for d in &r.deposed {
        let attrs = Value::from_json(&d.attributes).mark_paths(&d.sensitive_paths);
        out.push_str(&render_object(r, &format!("# {}: (deposed object {})", r.addr, d.key), &attrs));
    }
    out
}

fn render_object(r: &ResourceState, title: &str, attrs: &Value) -> String {
    let header = match (r.addr.mode, r.addr.ty.as_str()) {
        (ResourceMode::Managed, ty @ ("edge_site" | "host" | "cluster")) => format!("{ty} {}", quote(&r.addr.name)),
        (ResourceMode::Data, _) => format!("data {} {}", quote(&r.addr.ty), quote(&r.addr.name)),
        _ => format!("resource {} {}", quote(&r.addr.ty), quote(&r.addr.name)),
    };
    let mut out = format!("{title}\n{header} {{\n");
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
pub fn render_sites(view: &StateView) -> String {
    let sites = view.redacted_sites();
    use serde_json::Value as J;
    let mut out = String::from("Edge sites:\n");
    let num = |v: Option<&J>| v.and_then(J::as_f64).map(|f| format!("{f}"));
    for (depth, name) in contin_state::sites::tree_order(&sites) {
        let Some(d) = sites.get(name) else { continue };
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
        let workloads: Vec<&str> = d.get("workloads").and_then(J::as_array).map(|w| w.iter().filter_map(J::as_str).collect()).unwrap_or_default();
        if !workloads.is_empty() {
            out.push_str(&format!("{indent}  workloads: {}\n", workloads.join(", ")));
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
pub fn render_state(view: &StateView) -> String {
    let Some(state) = &view.state else { return String::new() };
    let mut out = String::new();
    for r in state.resources.values() {
        out.push_str(&render_resource(r));
        out.push('\n');
    }
    if !state.sites.is_empty() {
        out.push('\n');
        out.push_str(&render_sites(view));
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

#[cfg(test)]
mod tests {
    use super::*;
    use contin_state::State;

    fn state() -> State {
        let doc = serde_json::json!({
            "version": 1, "lineage": "l-1", "serial": 4,
            "resources": [
                {"addr": "local_file.a[0]", "provider": "local", "attributes": {"filename": "out/0.txt", "content": "x", "id": "h0"}},
                {"addr": "fake_resource.s", "provider": "fake", "attributes": {"name": "s", "sensitive_value": "hunter2", "tags": {"env": "dev"}},
                 "sensitive_paths": [[{"Key": "sensitive_value"}]], "dependencies": ["local_file.a[0]"]},
            ],
            "outputs": {"pw": {"value": "hunter2", "sensitive": true}, "n": {"value": 2}},
        });
        serde_json::from_value(doc).unwrap_or_else(|e| panic!("fixture: {e}"))
    }

    #[test]
    fn show_hides_sensitive_values() {
        let view = StateView { state: Some(state()) };
        let out = render_resource(view.resource("fake_resource.s").unwrap_or_else(|e| panic!("{e}")));
        assert!(!out.contains("hunter2"), "{out}");
        assert_eq!(
            out,
            "# fake_resource.s:\nresource \"fake_resource\" \"s\" {\n    name            = \"s\"\n    sensitive_value = (sensitive value)\n    tags            = {\n      \"env\" = \"dev\"\n    }\n}\n"
        );
        let whole = render_state(&view);
        assert!(!whole.contains("hunter2") && whole.contains("pw = <sensitive>") && whole.contains("n = 2"), "{whole}");
        let json = view.json().to_string();
        assert!(!json.contains("hunter2"), "{json}");
    }

    #[test]
    fn deposed_objects_are_listed_and_shown_without_their_secrets() {
        let mut st = state();
        let deposed = serde_json::json!([{"key": "0badf00d", "attributes": {"name": "old", "sensitive_value": "hunter3"},
            "sensitive_paths": [[{"Key": "sensitive_value"}]], "generation": 1}]);
        let mut only = serde_json::json!({"addr": "fake_resource.gone", "provider": "fake", "attributes": null});
        only["deposed"] = serde_json::json!([{"key": "0000abcd", "attributes": {"name": "gone"}}]);
        st.resources.get_mut(&"fake_resource.s".parse().unwrap()).unwrap().deposed = serde_json::from_value(deposed).unwrap();
        let only: ResourceState = serde_json::from_value(only).unwrap();
        st.resources.insert(only.addr.clone(), only);
        let view = StateView { state: Some(st) };
        assert_eq!(
            list_lines(&view, &[]),
            vec![
                "fake_resource.gone (deposed object 0000abcd)",
                "fake_resource.s",
                "fake_resource.s (deposed object 0badf00d)",
                "local_file.a[0]",
            ]
        );
        let out = render_resource(view.resource("fake_resource.s").unwrap_or_else(|e| panic!("{e}")));
        assert!(out.contains("# fake_resource.s: (deposed object 0badf00d)\nresource \"fake_resource\" \"s\" {\n    name            = \"old\"\n    sensitive_value = (sensitive value)\n}\n"), "{out}");
        assert!(!out.contains("hunter"), "{out}");
        let gone = render_resource(view.resource("fake_resource.gone").unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(gone, "# fake_resource.gone: (deposed object 0000abcd)\nresource \"fake_resource\" \"gone\" {\n    name = \"gone\"\n}\n");
    }
}
