//! End-to-end: the real binary's dashboard in a real terminal (tmux, on a
//! private server socket): open, switch views, expand a change, filter,
//! quit; approve and follow an apply; a SIGTERM. After each, the terminal
//! must be restored: no alternate screen left, cursor visible. A marker
//! secret must never be on screen.

use contin_e2e::{contin_bin, Project};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MARKER: &str = "MARKER-S3CR3T-e2e-91c4";

/// One tmux server (own socket) with one session; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, name: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            return None;
        }
        let socket = format!("contin-e2e-{name}-{}", std::process::id());
        let t = Tmux { socket };
        // A plain shell with a fixed prompt; remain-on-exit keeps a dead pane
        // readable (its screen state and exit status) after a signal test.
        let shell = format!("cd '{}' && env PS1='$ ' TERM=xterm-256color sh", dir.display());
        t.tmux(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "40", &shell]);
        t.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().unwrap_or_else(|e| panic!("tmux {args:?}: {e}"));
        assert!(out.status.success(), "tmux {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` literally (no key names).
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "t", key]);
    }

    fn screen(&self) -> String {
        let s = self.tmux(&["capture-pane", "-p", "-t", "t"]);
        assert!(!s.contains(MARKER), "the marker secret is on screen:\n{s}");
        s
    }

    /// Waits until the screen contains `want` (30 s), returns the screen.
    #[track_caller]
    fn wait_for(&self, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(want) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {want:?}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `alternate_on cursor_flag` of the pane: "0 1" is a restored terminal.
    fn terminal_state(&self) -> String {
        self.tmux(&["display", "-p", "-t", "t", "#{alternate_on} #{cursor_flag}"]).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

fn project() -> Project {
    let p = Project::with_main(&format!(
        r#"
variable "pw" {{
  type      = string
  sensitive = true
  default   = "{MARKER}"
}}

edge_site "eu" {{
  kind = "region"
}}

edge_site "fra" {{
  parent = edge_site.eu
}}

edge_site "fra_line1" {{
  parent = edge_site.fra
  kind   = "subsite"
}}

resource "fake_resource" "db" {{
  name  = "db"
  value = {{ password = var.pw }}
}}

resource "fake_resource" "app" {{
  name = "app"
  tags = {{ db = fake_resource.db.id }}
}}
"#
    ));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    // Changes for the Plan view: an update (with the secret) and a create.
    let main = p.read("main.hcl").replace("name  = \"db\"", "name  = \"db2\"")
        + "\nresource \"fake_resource\" \"cache\" {\n  name  = \"cache\"\n  value = { password = var.pw }\n  tags  = { app = fake_resource.app.id }\n}\n";
    p.write("main.hcl", &main);
    p
}

fn bin() -> String {
    contin_bin().display().to_string()
}

#[test]
fn open_switch_expand_filter_quit_restores_the_terminal() {
    let p = project();
    let Some(t) = Tmux::start(p.path(), "nav") else {
        eprintln!("tmux is not installed: skipped");
        return;
    };
    t.wait_for("$");
    t.type_text(&format!("{} dashboard; echo EXIT=$?", bin()));
    t.key("Enter");
    let s = t.wait_for("Plan: 1 to add, 1 to change");
    assert_eq!(t.terminal_state(), "1 0", "the dashboard runs in the alternate screen with the cursor hidden\n{s}");

    // Switch to the fleet: the site tree from the state.
    t.type_text(":fleet");
    t.key("Enter");
    let s = t.wait_for("fra_line1");
    assert!(s.contains("3 site(s)"), "{s}");
    assert!(s.contains("eu") && s.contains("fra"), "{s}");

    // Back to the plan, expand the update (it carries the secret).
    t.type_text(":plan");
    t.key("Enter");
    t.wait_for("▸ ~ fake_resource.db");
    // Rows: create group, cache, update group, db. Expand the create (it
    // carries the secret), then the update (the last row).
    t.type_text("j");
    t.key("Enter");
    let s = t.wait_for("(sensitive value)");
    assert!(s.contains("▾ + fake_resource.cache"), "{s}");
    t.type_text("G");
    t.key("Enter");
    let s = t.wait_for("▾ ~ fake_resource.db");
    assert!(s.contains("name: \"db\" -> \"db2\""), "{s}");

    // Filter: only the cache resource stays.
    t.type_text("/cache");
    t.key("Enter");
    let s = t.wait_for("[/cache]");
    assert!(s.contains("fake_resource.cache") && !s.contains("fake_resource.db"), "{s}");
    t.type_text("/");
    t.key("BSpace");
    t.key("BSpace");
    t.key("BSpace");
    t.key("BSpace");
    t.key("BSpace");
    t.type_text("!cache");
    t.key("Enter");
    let s = t.wait_for("[/!cache]");
    assert!(!s.contains("fake_resource.cache") && s.contains("fake_resource.db"), "{s}");

    // The graph of the selected resource, help, back.
    t.type_text(":graph");
    t.key("Enter");
    t.wait_for("Neighbourhood");
    t.type_text("?");
    t.wait_for("select a resource");
    t.key("Escape");

    t.type_text("q");
    let s = t.wait_for("EXIT=0");
    assert_eq!(t.terminal_state(), "0 1", "terminal not restored after q\n{s}");
}

#[test]
fn apply_dashboard_approves_follows_and_prints_the_summary() {
    let p = project();
    let Some(t) = Tmux::start(p.path(), "apply") else {
        eprintln!("tmux is not installed: skipped");
        return;
    };
    t.wait_for("$");
    t.type_text(&format!("{} apply -dashboard; echo EXIT=$?", bin()));
    t.key("Enter");
    t.wait_for("Apply these changes? y = apply, n = cancel");
    t.type_text("y");
    let s = t.wait_for("apply complete (q to quit)");
    assert!(s.contains("2/2 done (100%)"), "{s}");
    t.type_text("q");
    let s = t.wait_for("EXIT=0");
    assert!(s.contains("Apply complete! Resources: 1 added, 1 changed, 0 destroyed."), "{s}");
    assert_eq!(t.terminal_state(), "0 1", "terminal not restored after the apply\n{s}");
    let state = p.state().to_string();
    assert!(state.contains("fake_resource.cache") || state.contains("\"cache\""), "the apply ran: {state}");
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    let p = project();
    let Some(t) = Tmux::start(p.path(), "term") else {
        eprintln!("tmux is not installed: skipped");
        return;
    };
    t.wait_for("$");
    // The dashboard replaces a child shell that wrote its pid; the pane's
    // shell stays, so the terminal state is read from a live pane.
    t.type_text(&format!("sh -c 'echo $$ > dash.pid; exec {} dashboard -readonly -view fleet'; echo EXIT=$?", bin()));
    t.key("Enter");
    t.wait_for("READONLY");
    t.wait_for("fra_line1");
    assert_eq!(t.terminal_state(), "1 0");
    let pid = p.read("dash.pid").trim().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().map(|s| s.success()).unwrap_or(false);
    assert!(killed, "kill -TERM {pid}");
    t.wait_for("EXIT=143");
    assert_eq!(t.terminal_state(), "0 1", "terminal not restored after SIGTERM");
}

/// On a terminal the plan is coloured; `CI=true` or `NO_COLOR` give plain
/// text on the same terminal (a CI runner with a TTY logs no escapes).
#[test]
fn plan_is_coloured_on_a_terminal_but_plain_under_ci_or_no_color() {
    let p = project();
    let Some(t) = Tmux::start(p.path(), "color") else {
        eprintln!("tmux is not installed: skipped");
        return;
    };
    t.wait_for("$");
    let escaped = |t: &Tmux| t.tmux(&["capture-pane", "-p", "-e", "-t", "t"]);
    for (env, coloured) in [("", true), ("CI=true", false), ("NO_COLOR=1", false), ("CI=false", true)] {
        t.type_text("clear");
        t.key("Enter");
        t.type_text(&format!("env -u CI -u NO_COLOR {env} {} plan; echo EXIT=$?", bin()));
        t.key("Enter");
        let s = t.wait_for("EXIT=0");
        assert!(s.contains("Plan: 1 to add, 1 to change"), "{env}: {s}");
        let raw = escaped(&t);
        let plan = &raw[raw.find("contin").unwrap_or(0)..];
        assert_eq!(plan.contains('\u{1b}'), coloured, "{env:?}: coloured = {coloured} expected; the pane with escapes:\n{raw:?}");
    }
}

/// Workload processes (they outlive their agent by design) of `site`, by
/// the `CONTIN_SITE` the agent gives them.
fn workload_pids(site: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|v| v == format!("CONTIN_SITE={site}").as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// A real agent enrolled on a site, and whatever it started: killed on drop.
struct RealAgent {
    child: std::process::Child,
    site: String,
}

impl Drop for RealAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for _ in 0..3 {
            for pid in workload_pids(&self.site) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The Fleet view shows what a real agent reports through the mailbox: the
/// agent row, its acknowledged generation and the workload running.
#[test]
fn fleet_shows_a_real_agent_and_its_workload() {
    let site = format!("dash{}", std::process::id());
    let p = Project::with_main(&format!(
        r#"
edge_site "eu" {{
  kind = "region"
}}

edge_site "{site}" {{
  parent = edge_site.eu
}}

workload "web" {{
  command   = ["/bin/sleep", "300"]
  placement {{ sites = [edge_site.{site}] }}
}}
"#
    ));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let token = p.run(&["edge", "token", "create", &site]);
    token.expect_code(0);
    let token = token.stdout.lines().last().expect("the token line").trim().to_string();
    let data = p.file("agent-data");
    std::fs::create_dir_all(&data).expect("data dir");
    let child = Command::new(contin_bin())
        .args(["agent", "run", "--poll", "200ms", "--data-dir"])
        .arg(&data)
        .env("CONTIN_AGENT_TOKEN", &token)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the agent");
    let _agent = RealAgent { child, site: site.clone() };
    let Some(t) = Tmux::start(p.path(), "fleet") else {
        eprintln!("tmux is not installed: skipped");
        return;
    };
    t.wait_for("$");
    t.type_text(&format!("{} dashboard -readonly -view fleet; echo EXIT=$?", bin()));
    t.key("Enter");
    t.wait_for("READONLY");
    // The site with its agent and workload rows: generation 1 of 1
    // acknowledged and 1 of 1 replicas running once the agent reported.
    let deadline = Instant::now() + Duration::from_secs(60);
    let s = loop {
        t.type_text("r");
        let s = t.screen();
        let row = s.lines().find(|l| l.contains(&format!(" {site} "))).unwrap_or_default().to_string();
        let web = s.lines().find(|l| l.contains(" web ")).unwrap_or_default().to_string();
        if row.contains("healthy") && row.contains("1/1     1/1") && web.contains("healthy") {
            break s;
        }
        assert!(Instant::now() < deadline, "the agent's report never showed; the screen:\n{s}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(!s.contains("agent status unknown") && !s.contains("agent data"), "no stale badge: {s}");
    t.type_text("q");
    let s = t.wait_for("EXIT=0");
    assert_eq!(t.terminal_state(), "0 1", "terminal not restored\n{s}");
}
