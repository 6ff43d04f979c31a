//! Golden plans of configurations with `module` blocks: the module files
//! come from in-memory sources (`contin_config::modules::parse_sources`,
//! the same path `apply` takes for a saved plan), planned with the fake
//! provider and rendered as the CLI shows them.

use crate::io::NoIo;
use crate::plan::{Plan, PlanMode};
use crate::walk::{plan, PlanningInput};
use contin_provider::{Provider, ProviderSchema};
use contin_state::State;
use contin_types::{Diagnostics, ResourceAddr, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

fn run(list: &[(&str, &str)], vars: &[(&str, Value)], state: Option<&State>, targets: &[&str]) -> Result<Plan, Diagnostics> {
    let variables: BTreeMap<String, Value> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let (config, diags) = contin_config::modules::parse_sources(&files(list), &mut crate::modules::instance_keys(&variables));
    if diags.has_errors() {
        return Err(diags);
    }
    let fake: Arc<dyn Provider> = Arc::new(contin_provider_fake::FakeProvider::new());
    let west: Arc<dyn Provider> = Arc::new(contin_provider_fake::FakeProvider::new());
    let schemas: BTreeMap<String, ProviderSchema> =
        BTreeMap::from([("fake".to_string(), fake.schema()), ("fake.west".to_string(), west.schema())]);
    let providers = BTreeMap::from([("fake".to_string(), fake), ("fake.west".to_string(), west)]);
    let refreshed = BTreeMap::new();
    let targets: Vec<ResourceAddr> = targets.iter().map(|t| t.parse().unwrap()).collect();
    let input = PlanningInput {
        config: &config,
        variables: &variables,
        state,
        refreshed: &refreshed,
        providers: &providers,
        schemas: &schemas,
        io: &NoIo,
        mode: PlanMode::Normal,
        targets: &targets,
    };
    plan(&input)
}

/// Rendered plan plus each change's provider configuration.
fn shown(list: &[(&str, &str)], vars: &[(&str, Value)]) -> String {
    match run(list, vars, None, &[]) {
        Ok(p) => {
            let mut out = crate::render::render_plan(&p, false);
            out.push_str("\nproviders:\n");
            for c in p.changes.iter() {
                out.push_str(&format!("  {} -> {}\n", c.addr, c.provider));
            }
            out
        }
        Err(d) => panic!("plan failed: {d}"),
    }
}

fn errors(list: &[(&str, &str)]) -> String {
    match run(list, &[], None, &[]) {
        Ok(_) => panic!("expected errors"),
        Err(d) => {
            let mut sources = contin_types::SourceMap::default();
            for (n, t) in list {
                sources.add(*n, *t);
            }
            d.0.iter()
                .map(|d| {
                    let at = d.loc.as_ref().map(|l| sources.describe(l)).unwrap_or_default();
                    format!("{at}: {}: {}", d.summary, d.detail)
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

const NET: &str = r#"
variable "name" {
  type = string
}
variable "size" {
  type    = number
  default = 2
  validation {
    condition     = var.size < 10
    error_message = "size must be below 10"
  }
}
locals {
  full = "${var.name}-${var.size + 1}"
}
resource "fake_resource" "main" {
  name  = local.full
  value = path.module
}
module "sub" {
  source = "./sub"
  parent = fake_resource.main.name
}
output "name" {
  value = fake_resource.main.name
}
output "sub_value" {
  value = module.sub.value
}
"#;

const SUB: &str = r#"
variable "parent" {}
resource "fake_resource" "leaf" {
  name = "${var.parent}/leaf"
  tags = { where = path.module }
}
output "value" {
  value = fake_resource.leaf.name
}
"#;

#[test]
fn local_and_nested_modules() {
    let root = r#"
module "net" {
  source = "./modules/net"
  name   = "edge"
  size   = "3"
}
resource "fake_resource" "root" {
  name       = module.net.sub_value
  depends_on = [module.net]
}
output "net" {
  value = module.net
}
"#;
    insta::assert_snapshot!(shown(&[("main.tf", root), ("modules/net/main.tf", NET), ("modules/net/sub/main.tf", SUB)], &[]));
}

#[test]
fn count_and_for_each_modules() {
    let root = r#"
variable "sites" {
  type = map(string)
}
module "c" {
  source = "./m"
  count  = 2
  parent = "c${count.index}"
}
module "e" {
  source   = "./m"
  for_each = var.sites
  parent   = "${each.key}=${each.value}"
}
output "firsts" {
  value = [for m in module.c : m.value]
}
output "e_a" {
  value = module.e["a"].value
}
"#;
    let sites = Value::Map(BTreeMap::from([("a".to_string(), Value::string("x")), ("b".to_string(), Value::string("y"))]));
    insta::assert_snapshot!(shown(&[("main.tf", root), ("m/main.tf", SUB)], &[("sites", sites)]));
}

#[test]
fn providers_are_passed_and_default_ones_inherited() {
    let root = r#"
provider "fake" {}
provider "fake" {
  alias = "west"
}
module "w" {
  source    = "./m"
  providers = { fake = fake.west }
}
module "d" {
  source = "./m"
}
"#;
    let m = r#"
resource "fake_resource" "x" {}
module "inner" {
  source = "./inner"
}
"#;
    let inner = "resource \"fake_resource\" \"y\" {}\n";
    let out = shown(&[("main.tf", root), ("m/main.tf", m), ("m/inner/main.tf", inner)], &[]);
    assert!(out.contains("module.w.fake_resource.x -> fake.west"), "{out}");
    assert!(out.contains("module.w.module.inner.fake_resource.y -> fake.west"), "{out}");
    assert!(out.contains("module.d.fake_resource.x -> fake\n"), "{out}");
    assert!(out.contains("module.d.module.inner.fake_resource.y -> fake\n"), "{out}");
}

#[test]
fn installed_modules_come_from_the_manifest() {
    // As `terraform init` leaves it: a registry module under .terraform/modules.
    let manifest = r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"vpc","Source":"registry.terraform.io/acme/vpc/fake","Version":"1.2.0","Dir":".terraform/modules/vpc"},{"Key":"vpc.sub","Source":"./sub","Dir":".terraform/modules/vpc/sub"}]}"#;
    let root = r#"
module "vpc" {
  source  = "acme/vpc/fake"
  version = "~> 1.2"
  name    = "prod"
}
"#;
    let out = shown(
        &[
            ("main.tf", root),
            (".terraform/modules/modules.json", manifest),
            (".terraform/modules/vpc/main.tf", NET),
            (".terraform/modules/vpc/sub/main.tf", SUB),
        ],
        &[],
    );
    insta::assert_snapshot!(out);
}

#[test]
fn targets_select_module_instances() {
    let root = r#"
module "a" {
  source = "./m"
  count  = 2
  parent = "a"
}
module "b" {
  source = "./m"
  parent = "b"
}
"#;
    let list = [("main.tf", root), ("m/main.tf", SUB)];
    let addrs = |targets: &[&str]| -> Vec<String> {
        let p = run(&list, &[], None, targets).unwrap();
        p.changes.iter().filter(|c| c.action != crate::plan::Action::NoOp).map(|c| c.addr.to_string()).collect()
    };
    assert_eq!(addrs(&["module.a"]), ["module.a[0].fake_resource.leaf", "module.a[1].fake_resource.leaf"]);
    assert_eq!(addrs(&["module.a[1]"]), ["module.a[1].fake_resource.leaf"]);
    assert_eq!(addrs(&["module.b.fake_resource.leaf"]), ["module.b.fake_resource.leaf"]);
    assert_eq!(addrs(&[]).len(), 3);
}

#[test]
fn module_errors_are_located() {
    let m = "variable \"need\" {}\nvariable \"n\" {\n  type = number\n}\nresource \"fake_resource\" \"x\" {\n  name = \"${var.need}-${var.n}\"\n}\n";
    insta::assert_snapshot!(errors(&[("main.tf", "module \"m\" {\n  source = \"./m\"\n  n      = 1\n  bogus  = 2\n}\n"), ("m/main.tf", m)]));
    // Type conversion and validation of inputs.
    let v = "variable \"n\" {\n  type = number\n  validation {\n    condition     = var.n < 5\n    error_message = \"n is too big\"\n  }\n}\nresource \"fake_resource\" \"x\" {\n  value = var.n\n}\n";
    let e = errors(&[("main.tf", "module \"m\" {\n  source = \"./m\"\n  n      = 7\n}\n"), ("m/main.tf", v)]);
    assert!(e.contains("n is too big"), "{e}");
    let e = errors(&[("main.tf", "module \"m\" {\n  source = \"./m\"\n  n      = \"seven\"\n}\n"), ("m/main.tf", v)]);
    assert!(e.starts_with("main.tf:3") && e.contains("a number is required"), "{e}");
    // A module that includes itself, and one that is not there.
    let e = errors(&[("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n"), ("m/main.tf", "module \"again\" {\n  source = \"../m\"\n}\n")]);
    assert!(e.contains("Module calls itself") && e.starts_with("m/main.tf:2"), "{e}");
    let e = errors(&[("main.tf", "module \"m\" {\n  source = \"./nothere\"\n}\n")]);
    assert!(e.contains("Unreadable module directory"), "{e}");
    let e = errors(&[("main.tf", "module \"m\" {\n  source = \"hashicorp/consul/aws\"\n}\n")]);
    assert!(e.contains("Module not installed") && e.contains("contin init"), "{e}");
    // Resource references in a module count cannot be decided.
    let e = errors(&[("main.tf", "resource \"fake_resource\" \"r\" {}\nmodule \"m\" {\n  source = \"./m\"\n  count  = length(fake_resource.r.id)\n}\n"), ("m/main.tf", "")]);
    assert!(e.contains("Invalid count argument"), "{e}");
}

#[test]
fn module_nesting_is_bounded() {
    // Each level calls the next directory: depth limit, not a cycle.
    let depth = contin_config::modules::MAX_MODULE_DEPTH + 2;
    let texts: Vec<(String, String)> = (0..depth)
        .map(|i| {
            let dir = (0..i).map(|_| "d").collect::<Vec<_>>().join("/");
            let name = if dir.is_empty() { "main.tf".to_string() } else { format!("{dir}/main.tf") };
            (name, "module \"m\" {\n  source = \"./d\"\n}\n".to_string())
        })
        .collect();
    let list: Vec<(&str, &str)> = texts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let e = errors(&list);
    assert!(e.contains("Module nesting too deep") && e.contains("MAX_MODULE_DEPTH"), "{e}");
}

#[test]
fn sensitive_module_outputs_stay_sensitive() {
    let m = "resource \"fake_resource\" \"x\" {\n  name = \"s3cr3t\"\n}\noutput \"secret\" {\n  value     = fake_resource.x.name\n  sensitive = true\n}\n";
    let root = "module \"m\" {\n  source = \"./m\"\n}\nresource \"fake_resource\" \"y\" {\n  value = module.m.secret\n}\n";
    let out = shown(&[("main.tf", root), ("m/main.tf", m)], &[]);
    assert!(out.contains("+ value  = (sensitive value)"), "{out}");
    assert_eq!(out.matches("s3cr3t").count(), 1, "only in module.m.fake_resource.x's own name: {out}");
}
