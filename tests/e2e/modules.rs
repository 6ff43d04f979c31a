//! `module` blocks through the binary: local and nested modules with
//! count/for_each (apply, no-op replan, module addresses in state, -target,
//! state mv, destroy), a directory initialised by `terraform init` (its
//! `.terraform/modules/modules.json`), and `contin init` installing a git
//! source (a bare repository behind a file:// URL) and a registry source
//! (a module registry fake on loopback, answering the registry protocol).

use contin_e2e::{insta_settings, Project};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::empty();
    for (f, t) in files {
        p.write(f, t);
    }
    p
}

const ROOT: &str = r#"variable "sites" {
  default = { a = "x", b = "y" }
}
module "net" {
  source = "./modules/net"
  name   = "edge"
}
module "site" {
  source     = "./modules/site"
  for_each   = var.sites
  label      = "${each.key}-${each.value}"
  depends_on = [module.net]
}
module "spare" {
  source = "./modules/site"
  count  = 2
  label  = "spare${count.index}"
}
output "file" {
  value = module.net.file
}
output "labels" {
  value = { for k, m in module.site : k => m.label }
}
"#;

const NET: &str = r#"variable "name" {
  type = string
}
resource "local_file" "f" {
  filename = "${path.module}/${var.name}.txt"
  content  = "net ${var.name}"
}
module "inner" {
  source = "../site"
  label  = local_file.f.filename
}
output "file" {
  value = local_file.f.filename
}
"#;

const SITE: &str = r#"variable "label" {
  type = string
}
resource "null_resource" "r" {
  triggers = {
    label = var.label
  }
}
output "label" {
  value = null_resource.r.triggers.label
}
"#;

fn local_project() -> Project {
    project(&[("main.tf", ROOT), ("modules/net/main.tf", NET), ("modules/site/main.tf", SITE)])
}

fn state_list(p: &Project) -> Vec<String> {
    let out = p.run(&["state", "list"]);
    out.expect_code(0);
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn local_modules_apply_replan_target_move_and_destroy() {
    let p = local_project();
    let plan = p.run(&["plan", "-no-color"]);
    plan.expect_code(0);
    insta_settings(&p.filters()).bind(|| insta::assert_snapshot!("modules_local_plan", plan.stdout));

    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.read("modules/net/edge.txt"), "net edge");
    let mut listed = state_list(&p);
    listed.sort();
    assert_eq!(
        listed,
        [
            "module.net.local_file.f",
            "module.net.module.inner.null_resource.r",
            "module.site[\"a\"].null_resource.r",
            "module.site[\"b\"].null_resource.r",
            "module.spare[0].null_resource.r",
            "module.spare[1].null_resource.r",
        ]
    );
    // The state file records module addresses as Terraform writes them.
    let state = p.state();
    let text = state.to_string();
    assert!(text.contains("module.site[\\\"a\\\"].null_resource.r"), "{text}");

    let again = p.run(&["plan", "-detailed-exitcode"]);
    again.expect_code(0);
    assert!(again.stdout.contains("No changes") || again.stdout.contains("no differences"), "{}", again.stdout);

    // A change inside one module instance, planned with -target on the module.
    p.write("main.tf", &ROOT.replace("label  = \"spare${count.index}\"", "label  = \"extra${count.index}\""));
    let targeted = p.run(&["plan", "-no-color", "-target=module.spare[1]"]);
    targeted.expect_code(0);
    assert!(targeted.stdout.contains("module.spare[1].null_resource.r must be replaced"), "{}", targeted.stdout);
    assert!(!targeted.stdout.contains("module.spare[0]"), "{}", targeted.stdout);
    p.write("main.tf", ROOT);

    // state mv of a whole module instance, then back: no change after.
    p.run(&["state", "mv", "module.spare[1]", "module.spare[7]"]).expect_code(0);
    assert!(state_list(&p).contains(&"module.spare[7].null_resource.r".to_string()));
    let moved = p.run(&["plan", "-no-color"]);
    assert!(moved.stdout.contains("module.spare[7].null_resource.r will be destroyed"), "{}", moved.stdout);
    p.run(&["state", "mv", "module.spare[7]", "module.spare[1]"]).expect_code(0);
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    let shown = p.run(&["state", "show", "module.site[\"b\"].null_resource.r"]);
    shown.expect_code(0);
    assert!(shown.stdout.contains("b-y"), "{}", shown.stdout);
    let json = p.run(&["show", "-json"]);
    assert!(json.stdout.contains("\"module_address\": \"module.net\""), "{}", json.stdout);

    // A saved plan applies from its own recorded sources (modules included).
    p.write("main.tf", &ROOT.replace("name   = \"edge\"", "name   = \"core\""));
    p.run(&["plan", "-out=tf.plan"]).expect_code(0);
    p.run(&["apply", "tf.plan"]).expect_code(0);
    assert_eq!(p.read("modules/net/core.txt"), "net core");
    assert!(!p.exists("modules/net/edge.txt"));

    p.run(&["destroy", "-auto-approve"]).expect_code(0);
    assert!(state_list(&p).is_empty());
    assert!(!p.exists("modules/net/core.txt"));
}

#[test]
fn module_errors_name_the_call() {
    let p = project(&[
        ("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"),
        ("m/main.tf", "variable \"need\" {\n  type = string\n}\n"),
    ]);
    let out = p.run(&["plan", "-no-color"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Missing required argument") && out.stderr.contains("main.tf:1"), "{}", out.stderr);
    let p = project(&[("main.tf", "module \"m\" {\n  source = \"hashicorp/consul/aws\"\n}\n")]);
    let out = p.run(&["validate"]);
    out.expect_code(1);
    assert!(out.stderr.contains("Module not installed") && out.stderr.contains("contin init"), "{}", out.stderr);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A bare repository holding a module under `modules/label`, tagged v1.2.0
/// (label prefix "v1") and v2.0.0 (prefix "v2").
fn module_repo(base: &Path) -> std::path::PathBuf {
    let work = base.join("work");
    std::fs::create_dir_all(work.join("modules/label")).unwrap();
    git(&work, &["init", "-q"]);
    for v in ["1.2.0", "2.0.0"] {
        let major = &v[..1];
        std::fs::write(
            work.join("modules/label/main.tf"),
            format!("variable \"name\" {{}}\nresource \"null_resource\" \"n\" {{\n  triggers = {{ name = \"v{major}-${{var.name}}\" }}\n}}\noutput \"name\" {{\n  value = null_resource.n.triggers.name\n}}\n"),
        )
        .unwrap();
        git(&work, &["add", "."]);
        git(&work, &["commit", "-qm", v]);
        git(&work, &["tag", &format!("v{v}")]);
    }
    let bare = base.join("label.git");
    git(base, &["clone", "-q", "--bare", "work", "label.git"]);
    bare
}

#[test]
fn init_installs_git_sources() {
    let repos = tempfile::tempdir().unwrap();
    let bare = module_repo(repos.path());
    let src = format!("git::file://{}//modules/label?ref=v1.2.0", bare.display());
    let p = project(&[(
        "main.tf",
        &format!("module \"lbl\" {{\n  source = \"{src}\"\n  name   = \"x\"\n}}\noutput \"name\" {{\n  value = module.lbl.name\n}}\n"),
    )]);
    // Not installed yet: plan says what to do.
    let before = p.run(&["plan"]);
    before.expect_code(1);
    assert!(before.stderr.contains("contin init"), "{}", before.stderr);
    let init = p.run(&["init"]);
    init.expect_code(0);
    assert!(init.stdout.contains("- lbl in .contin/modules/lbl/modules/label"), "{}", init.stdout);
    let manifest: serde_json::Value = serde_json::from_str(&p.read(".contin/modules/modules.json")).unwrap();
    assert_eq!(manifest["Modules"][1]["Dir"], ".contin/modules/lbl/modules/label");
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    let out = p.run(&["output", "-raw", "name"]);
    assert_eq!(out.stdout.trim(), "v1-x");
    p.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    p.run(&["destroy", "-auto-approve"]).expect_code(0);
}

#[test]
fn terraform_init_directories_use_their_manifest() {
    // What `terraform get` (1.11) leaves behind for a git source.
    let p = project(&[
        ("main.tf", "module \"m\" {\n  source = \"git::https://example.com/mods.git?ref=v1\"\n  name   = \"tf\"\n}\noutput \"o\" {\n  value = module.m.name\n}\n"),
        (
            ".terraform/modules/modules.json",
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"m","Source":"git::https://example.com/mods.git?ref=v1","Dir":".terraform/modules/m"}]}"#,
        ),
        (".terraform/modules/m/main.tf", "variable \"name\" {}\noutput \"name\" {\n  value = \"from-${var.name}\"\n}\n"),
    ]);
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.run(&["output", "-raw", "o"]).stdout.trim(), "from-tf");
}

/// A module registry fake: discovery, versions and download (204 with
/// `X-Terraform-Get` pointing at the bare repository) for acme/label/null.
struct Registry {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Registry {
    fn start(bare: &Path) -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        let repo = format!("git::file://{}", bare.display());
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
                let (mut s, _) = match listener.accept() {
                    Ok(c) => c,
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    }
                };
                s.set_nonblocking(false).unwrap();
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.push(path.clone());
                let (status, headers, body) = match path.as_str() {
                    "/.well-known/terraform.json" => ("200 OK", String::new(), r#"{"modules.v1": "/v1/modules/"}"#.to_string()),
                    "/v1/modules/acme/label/null/versions" => (
                        "200 OK",
                        String::new(),
                        r#"{"modules":[{"versions":[{"version":"1.2.0"},{"version":"2.0.0"},{"version":"1.0.0"}]}]}"#.to_string(),
                    ),
                    p if p.starts_with("/v1/modules/acme/label/null/") && p.ends_with("/download") => {
                        let v = p.trim_start_matches("/v1/modules/acme/label/null/").trim_end_matches("/download");
                        ("204 No Content", format!("X-Terraform-Get: {repo}//modules/label?ref=v{v}\r\n"), String::new())
                    }
                    _ => ("404 Not Found", String::new(), "{}".to_string()),
                };
                let _ = write!(s, "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            }
            seen
        });
        Registry { port, stop, thread: Some(thread) }
    }
    fn finish(mut self) -> Vec<String> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.take().map(|t| t.join().unwrap()).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn init_installs_registry_sources_with_version_constraints() {
    let repos = tempfile::tempdir().unwrap();
    let bare = module_repo(repos.path());
    let reg = Registry::start(&bare);
    let source = format!("127.0.0.1:{}/acme/label/null", reg.port);
    let p = project(&[(
        "main.tf",
        &format!("module \"lbl\" {{\n  source  = \"{source}\"\n  version = \"~> 1.0\"\n  name    = \"r\"\n}}\noutput \"name\" {{\n  value = module.lbl.name\n}}\n"),
    )]);
    let init = p.run(&["init"]);
    init.expect_code(0);
    assert!(init.stdout.contains("- lbl in .contin/modules/lbl/modules/label 1.2.0"), "{}", init.stdout);
    let plan = p.run(&["plan", "-no-color"]);
    plan.expect_code(0);
    let filters = {
        let mut f = p.filters();
        f.push((format!("127.0.0.1:{}", reg.port), "127.0.0.1:PORT".to_string()));
        f
    };
    insta_settings(&filters).bind(|| insta::assert_snapshot!("modules_registry_plan", plan.stdout));
    p.run(&["apply", "-auto-approve"]).expect_code(0);
    assert_eq!(p.run(&["output", "-raw", "name"]).stdout.trim(), "v1-r");

    // A constraint nothing satisfies is an error naming what exists.
    p.write("main.tf", &p.read("main.tf").replace("~> 1.0", ">= 3.0"));
    let bad = p.run(&["init"]);
    bad.expect_code(1);
    assert!(bad.stderr.contains("no version of acme/label/null") && bad.stderr.contains("1.0.0, 1.2.0, 2.0.0"), "{}", bad.stderr);
    let seen = reg.finish();
    assert!(seen.iter().any(|s| s == "/v1/modules/acme/label/null/1.2.0/download"), "{seen:?}");
}
