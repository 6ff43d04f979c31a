//! `contin output [NAME] [--json] [--raw]`: output values from the state.
//! Sensitive outputs are hidden everywhere except `output NAME --raw`.

use super::{engine_err, Ctx};
use crate::args::OutputArgs;
use crate::ui::format_value;
use anyhow::bail;
use contin_types::Value;
use std::collections::BTreeMap;

pub async fn output(ctx: &Ctx, args: &OutputArgs) -> anyhow::Result<i32> {
    let ws = super::open_state_workspace(ctx).await?;
    let outputs = ws.outputs().await.map_err(engine_err)?;
    let text = render(&outputs, args)?;
    if text.is_empty() && args.name.is_none() {
        ctx.ui.warn("no outputs found: the state has no output values (has the configuration been applied?)");
    }
    print!("{text}");
    Ok(0)
}

/// The text to print (errors for an unknown name or an unprintable --raw).
pub fn render(outputs: &BTreeMap<String, (Value, bool)>, args: &OutputArgs) -> anyhow::Result<String> {
    let Some(name) = &args.name else {
        if args.raw {
            bail!("--raw prints one output: give its NAME");
        }
        if args.json {
            let all: serde_json::Map<String, serde_json::Value> = outputs
                .iter()
                .map(|(k, (v, sensitive))| {
                    let value = if *sensitive { serde_json::Value::Null } else { contin_engine::state_ops::redact(v).0 };
                    (k.clone(), serde_json::json!({"sensitive": sensitive, "value": value}))
                })
                .collect();
            return Ok(format!("{}\n", serde_json::to_string_pretty(&all)?));
        }
        return Ok(outputs
            .iter()
            .map(|(k, (v, sensitive))| {
                if *sensitive {
                    format!("{k} = <sensitive>\n")
                } else {
                    format!("{k} = {}\n", format_value(v))
                }
            })
            .collect());
    };
    let Some((value, sensitive)) = outputs.get(name) else {
        let known: Vec<&str> = outputs.keys().map(String::as_str).collect();
        bail!(
            "output {name:?} not found in the state{}",
            if known.is_empty() { String::from(" (it has no outputs)") } else { format!("; outputs: {}", known.join(", ")) }
        );
    };
    if args.raw {
        return match value.unmarked() {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok(String::new()),
            other if args.json => Ok(format!("{}\n", serde_json::to_string_pretty(&other.to_json_lossy())?)),
            other => bail!("--raw prints only strings, numbers and bools; {name} is a {} (add --json)", other.type_name()),
        };
    }
    if *sensitive {
        return Ok(if args.json { "null\n".to_string() } else { "<sensitive>\n".to_string() });
    }
    if args.json {
        return Ok(format!("{}\n", serde_json::to_string_pretty(&value.to_json_lossy())?));
    }
    Ok(format!("{}\n", format_value(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs() -> BTreeMap<String, (Value, bool)> {
        BTreeMap::from([
            ("pw".to_string(), (Value::string("hunter2"), true)),
            ("files".to_string(), (Value::List(vec![Value::string("a"), Value::string("b")]), false)),
            ("name".to_string(), (Value::string("demo"), false)),
        ])
    }

    fn args(name: Option<&str>, json: bool, raw: bool) -> OutputArgs {
        OutputArgs { name: name.map(str::to_string), json, raw }
    }

    fn ok(r: anyhow::Result<String>) -> String {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn list_hides_sensitive() {
        let text = ok(render(&outputs(), &args(None, false, false)));
        assert_eq!(text, "files = [\n  \"a\",\n  \"b\",\n]\nname = \"demo\"\npw = <sensitive>\n");
        let json = ok(render(&outputs(), &args(None, true, false)));
        assert!(!json.contains("hunter2") && json.contains("\"sensitive\": true"), "{json}");
    }

    #[test]
    fn only_name_raw_reveals() {
        assert_eq!(ok(render(&outputs(), &args(Some("pw"), false, false))), "<sensitive>\n");
        assert_eq!(ok(render(&outputs(), &args(Some("pw"), true, false))), "null\n");
        assert_eq!(ok(render(&outputs(), &args(Some("pw"), false, true))), "hunter2");
        assert_eq!(ok(render(&outputs(), &args(Some("name"), false, true))), "demo");
        assert_eq!(ok(render(&outputs(), &args(Some("name"), false, false))), "\"demo\"\n");
        assert!(render(&outputs(), &args(Some("files"), false, true)).is_err());
        assert!(render(&outputs(), &args(Some("nope"), false, false)).is_err());
        assert!(render(&outputs(), &args(None, false, true)).is_err());
    }
}
