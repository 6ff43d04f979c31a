//! Terminal output: colour decisions, styled text, and HCL-like rendering of
//! values for `output`, `state show` and apply summaries.

use contin_types::Value;
use std::io::IsTerminal;

/// How to write to the terminal.
#[derive(Clone, Copy, Debug)]
pub struct Ui {
    pub color: bool,
}

impl Ui {
    /// Colour only when stdout is a terminal, not in CI and not asked off
    /// (see [`Ui::wants_color`]).
    pub fn detect(no_color_flag: bool) -> Ui {
        Ui { color: Ui::wants_color(no_color_flag, &|k| std::env::var(k).ok(), std::io::stdout().is_terminal()) }
    }

    /// The colour rule: a terminal, no `--no-color`, no `NO_COLOR` (any
    /// non-empty value, no-color.org) and no `CI` (set by GitHub Actions,
    /// GitLab CI and most runners; any value but empty, `false` or `0`):
    /// a CI log gets plain lines even when the runner gives it a TTY.
    pub fn wants_color(no_color_flag: bool, env: &dyn Fn(&str) -> Option<String>, stdout_is_tty: bool) -> bool {
        let no_color_env = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let ci = env("CI").is_some_and(|v| {
            let v = v.trim();
            !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0"
        });
        !no_color_flag && !no_color_env && !ci && stdout_is_tty
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn bold_green(&self, t: &str) -> String {
        self.paint("1;32", t)
    }
    pub fn bold_red(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }

    /// `Error: <msg>` on stderr.
    pub fn error(&self, msg: &str) {
        eprintln!("{} {msg}", self.bold_red("Error:"));
    }
    /// `Warning: <msg>` on stderr.
    pub fn warn(&self, msg: &str) {
        eprintln!("{} {msg}", self.yellow("Warning:"));
    }
}

/// Renders a value the way `terraform output` does (multi-line lists and maps,
/// quoted strings, `<sensitive>` for marked values, `(known after apply)`).
pub fn format_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::Sensitive(_) => out.push_str("<sensitive>"),
        Value::List(items) | Value::Set(items) if items.is_empty() => out.push_str("[]"),
        Value::List(items) | Value::Set(items) => {
            let open = if matches!(v, Value::Set(_)) { "toset([\n" } else { "[\n" };
            out.push_str(open);
            for item in items {
                out.push_str(&pad);
                write_value(out, item, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&"  ".repeat(indent));
            out.push_str(if matches!(v, Value::Set(_)) { "])" } else { "]" });
        }
        Value::Map(m) if m.is_empty() => out.push_str("{}"),
        Value::Map(m) => {
            out.push_str("{\n");
            for (k, item) in m {
                out.push_str(&pad);
                out.push_str(&quote(k));
                out.push_str(" = ");
                write_value(out, item, indent + 1);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
    }
}

/// A string literal as HCL writes it (JSON escaping, `${` and `%{` kept literal).
pub fn quote(s: &str) -> String {
    let mut q = serde_json::Value::String(s.to_string()).to_string();
    if q.contains("${") {
        q = q.replace("${", "$${");
    }
    if q.contains("%{") {
        q = q.replace("%{", "%%{");
    }
    q
}

/// `0s`, `12s`, `2m3s`: Terraform's elapsed-time style.
pub fn elapsed(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_render_like_terraform_output() {
        let v = Value::map([
            ("files", Value::List(vec![Value::string("out/a.txt"), Value::string("out/b.txt")])),
            ("n", Value::int(3)),
            ("pw", Value::string("x").mark_sensitive()),
            ("empty", Value::List(vec![])),
        ]);
        let expected = "{\n  \"empty\" = []\n  \"files\" = [\n    \"out/a.txt\",\n    \"out/b.txt\",\n  ]\n  \"n\" = 3\n  \"pw\" = <sensitive>\n}";
        assert_eq!(format_value(&v), expected);
        assert_eq!(format_value(&Value::Unknown), "(known after apply)");
        assert_eq!(format_value(&Value::string("a\"b${x}")), "\"a\\\"b$${x}\"");
    }

    #[test]
    fn elapsed_is_compact() {
        assert_eq!(elapsed(std::time::Duration::from_millis(900)), "0s");
        assert_eq!(elapsed(std::time::Duration::from_secs(125)), "2m5s");
    }

    #[test]
    fn colour_only_on_a_terminal_outside_ci_unless_asked_off() {
        let wants = |flag: bool, pairs: &[(&str, &str)], tty: bool| {
            let env = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
            Ui::wants_color(flag, &env, tty)
        };
        assert!(wants(false, &[], true));
        assert!(!wants(false, &[], false), "not a TTY");
        assert!(!wants(true, &[], true), "--no-color");
        assert!(!wants(false, &[("NO_COLOR", "1")], true));
        assert!(wants(false, &[("NO_COLOR", "")], true), "an empty NO_COLOR does not count");
        for ci in ["true", "1", "yes", "TRUE"] {
            assert!(!wants(false, &[("CI", ci)], true), "CI={ci}");
        }
        for not_ci in ["false", "0", "", "False"] {
            assert!(wants(false, &[("CI", not_ci)], true), "CI={not_ci:?}");
        }
    }

    #[test]
    fn no_color_means_plain_text() {
        let ui = Ui { color: false };
        assert_eq!(ui.bold_red("Error:"), "Error:");
        let ui = Ui { color: true };
        assert_eq!(ui.bold("x"), "\x1b[1mx\x1b[0m");
    }
}
