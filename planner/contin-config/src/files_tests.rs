//! Tests of the Terraform file forms: `.tf.json`, override files, the
//! `terraform {}` block and heredoc literal strings.

use crate::model::*;
use crate::parse_files;
use contin_types::{Diagnostics, ResourceMode};

fn parse(files: &[(&str, &str)]) -> (Config, Diagnostics) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    parse_files(&files)
}

/// `file:line:col: severity: summary` per diagnostic.
fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let (config, diags) = parse(files);
    diags
        .iter()
        .map(|d| {
            let at = d
                .loc
                .as_ref()
                .map_or("?".to_string(), |l| config.sources.describe(l));
            let sev = if d.is_error() { "error" } else { "warning" };
            format!("{at}: {sev}: {}", d.summary)
        })
        .collect()
}

fn text_of(config: &Config, e: &Expr) -> String {
    let loc = e.loc();
    let file = config.sources.text(&loc.file).unwrap_or_default();
    file.get(loc.span).unwrap_or_default().to_string()
}

const JSON: &str = r#"{
  "//": "a comment",
  "terraform": {
    "required_version": ">= 1.0",
    "required_providers": { "aws": { "source": "hashicorp/aws", "version": "~> 5.0" } }
  },
  "variable": {
    "region": { "type": "string", "default": "eu-west-1", "description": "Where" },
    "names": { "type": "list(string)", "default": ["a", "${literal}"] }
  },
  "locals": { "prefix": "${var.region}-x", "n": 3 },
  "provider": { "aws": [ { "region": "${var.region}" }, { "alias": "west", "region": "us-west-2" } ] },
  "resource": {
    "aws_instance": {
      "web": {
        "count": 2,
        "ami": "ami-${local.prefix}",
        "tags": { "Name": "web" },
        "root_block_device": { "volume_size": 8 },
        "provider": "aws.west",
        "depends_on": ["aws_vpc.main"],
        "lifecycle": { "ignore_changes": ["tags"], "create_before_destroy": true }
      }
    },
    "aws_vpc": { "main": { "cidr_block": "10.0.0.0/16" } }
  },
  "data": { "aws_ami": { "ubuntu": { "most_recent": true } } },
  "output": { "ids": { "value": "${aws_instance.web[*].id}", "sensitive": false } }
}
"#;

#[test]
fn tf_json_maps_to_the_same_blocks_as_hcl() {
    let (config, diags) = parse(&[("main.tf.json", JSON)]);
    assert!(diags.is_empty(), "{diags:?}");
    let region = &config.variables["region"];
    assert_eq!(region.description.as_deref(), Some("Where"));
    assert_eq!(
        region.ty.as_ref().map(|t| text_of(&config, t)).as_deref(),
        Some("string")
    );
    assert_eq!(config.sources.describe(&region.loc), "main.tf.json:8:5");
    assert_eq!(
        config.locals["prefix"].expr.expr.to_string().trim(),
        "\"${var.region}-x\""
    );
    assert_eq!(config.providers.len(), 2);
    assert_eq!(config.providers["aws.west"].alias.as_deref(), Some("west"));
    let web = config
        .resources
        .iter()
        .find(|r| r.name == "web")
        .unwrap_or_else(|| panic!("web"));
    assert_eq!(web.provider.as_deref(), Some("aws.west"));
    assert_eq!(web.depends_on.len(), 1);
    assert!(web.count.is_some());
    assert!(web.lifecycle.create_before_destroy);
    assert_eq!(
        web.lifecycle.ignore_changes,
        IgnoreChanges::Attrs(vec!["tags".into()])
    );
    // Without a schema, an object is an argument unless it is a meta block.
    assert!(web.body.attributes.contains_key("tags"));
    assert!(web.body.attributes.contains_key("root_block_device"));
    let ami = &web.body.attributes["ami"];
    assert_eq!(text_of(&config, &ami.expr), "\"ami-${local.prefix}\"");
    assert_eq!(config.sources.describe(&ami.loc), "main.tf.json:17:10");
    assert_eq!(config.sources.describe(&web.loc), "main.tf.json:14:5");
    assert!(config
        .resources
        .iter()
        .any(|r| r.mode == ResourceMode::Data && r.ty == "aws_ami"));
    assert_eq!(
        config.terraform.required_providers["aws"].source,
        "hashicorp/aws"
    );
    assert!(config.outputs.contains_key("ids"));
    // A variable default is literal: "${literal}" is not a template.
    let default = config.variables["names"]
        .default
        .as_ref()
        .map(|d| d.expr.to_string())
        .unwrap_or_default();
    assert!(
        default.contains("$${literal}") || default.contains("${literal}"),
        "{default}"
    );
    assert!(!matches!(
        config.variables["names"].default.as_ref().map(|d| &d.expr),
        Some(hcl_edit::expr::Expression::StringTemplate(_))
    ));
}

#[test]
fn tf_json_with_a_schema_hint_makes_nested_blocks() {
    let files = vec![("main.tf.json".to_string(), JSON.to_string())];
    let hint: std::sync::Arc<crate::tfjson::BlockHint> =
        std::sync::Arc::new(|p: &[&str]| p == ["resource", "aws_instance", "root_block_device"]);
    let (config, diags) = crate::parse_files_with(&files, Some(hint));
    assert!(diags.is_empty(), "{diags:?}");
    let web = config
        .resources
        .iter()
        .find(|r| r.name == "web")
        .unwrap_or_else(|| panic!("web"));
    assert!(!web.body.attributes.contains_key("root_block_device"));
    assert_eq!(web.body.blocks.len(), 1);
    assert_eq!(web.body.blocks[0].ty, "root_block_device");
    assert!(web.body.blocks[0]
        .body
        .attributes
        .contains_key("volume_size"));
    assert_eq!(
        config.sources.describe(&web.body.blocks[0].loc),
        "main.tf.json:19:10"
    );
}

#[test]
fn tf_json_errors_are_located_in_the_json_file() {
    let bad_template = "{\n  \"locals\": {\n    \"a\": \"${var.x +}\"\n  }\n}\n";
    let p = problems(&[("main.tf.json", bad_template)]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("main.tf.json:3:"), "{p:?}");
    assert_eq!(
        problems(&[("x.tf.json", "{\n  \"resource\": [1]\n}")]),
        ["x.tf.json:2:16: error: Invalid JSON configuration"]
    );
    assert_eq!(
        problems(&[("x.tf.json", "{\n  \"locals\": {\n}")]),
        ["x.tf.json:3:2: error: Invalid JSON syntax"]
    );
    assert_eq!(
        problems(&[("x.tf.json", "{\"module\": {\"m\": {}}}")]),
        ["x.tf.json:1:13: error: Missing required argument \"source\""]
    );
    // Unknown arguments are found the same way as in HCL.
    let p = problems(&[("x.tf.json", "{\"variable\": {\"v\": {\n  \"defualt\": 1}}}")]);
    assert_eq!(
        p,
        ["x.tf.json:2:4: error: Unsupported argument \"defualt\" in variable block"]
    );
    // Escapes HCL lacks still read, as their decoded text.
    let (config, diags) = parse(&[(
        "x.tf.json",
        r#"{"locals": {"u": "a\/b\fc", "k": {"i\/j": 1}}}"#,
    )]);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(config.locals.contains_key("u") && config.locals.contains_key("k"));
}

#[test]
fn compact_json_parses_too() {
    let compact = JSON.split_whitespace().collect::<Vec<_>>().join("");
    let (config, diags) = parse(&[("main.tf.json", &compact)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(config.resources.len(), 3);
    assert_eq!(
        config.variables["region"].description.as_deref(),
        Some("Where")
    );
}

const BASE: &str = r#"
variable "size" {
  type    = number
  default = 1
  description = "base"
}
resource "local_file" "a" {
  filename = "a.txt"
  content  = "base"
  lifecycle {
    prevent_destroy = true
  }
  tags_block { x = 1 }
  tags_block { x = 2 }
}
locals {
  keep = 1
  swap = "base"
}
output "o" {
  value = 1
}
provider "aws" {
  region = "eu-west-1"
  profile = "p"
}
"#;

#[test]
fn override_files_replace_arguments_and_nested_blocks() {
    let over = r#"
variable "size" {
  default = 5
}
resource "local_file" "a" {
  content = "override"
  lifecycle {
    create_before_destroy = true
  }
  tags_block { x = 9 }
}
locals {
  swap = "override"
}
provider "aws" {
  region = "us-east-1"
}
"#;
    let over_json = r#"{"output": {"o": {"value": 2, "sensitive": true}}}"#;
    let (config, diags) = parse(&[
        ("main.tf", BASE),
        ("override.tf", over),
        ("z_override.tf.json", over_json),
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    let v = &config.variables["size"];
    assert_eq!(
        v.default
            .as_ref()
            .map(|d| d.expr.to_string().trim().to_string())
            .as_deref(),
        Some("5")
    );
    assert_eq!(
        v.description.as_deref(),
        Some("base"),
        "unset arguments stay"
    );
    assert!(v.ty.is_some());
    let a = &config.resources[0];
    assert_eq!(
        a.body.attributes["content"].expr.file.as_ref(),
        "override.tf"
    );
    assert_eq!(a.body.attributes["filename"].expr.file.as_ref(), "main.tf");
    assert!(
        a.lifecycle.prevent_destroy && a.lifecycle.create_before_destroy,
        "lifecycle merges per argument"
    );
    assert_eq!(
        a.body.blocks.len(),
        1,
        "nested blocks of a type are replaced whole"
    );
    assert_eq!(config.locals["swap"].expr.file.as_ref(), "override.tf");
    assert_eq!(config.locals["keep"].expr.file.as_ref(), "main.tf");
    assert_eq!(
        config.providers["aws"].body.attributes["region"]
            .expr
            .file
            .as_ref(),
        "override.tf"
    );
    assert!(config.providers["aws"]
        .body
        .attributes
        .contains_key("profile"));
    assert!(config.outputs["o"].sensitive);
    assert_eq!(
        config.outputs["o"].value.file.as_ref(),
        "z_override.tf.json"
    );
}

#[test]
fn override_files_apply_in_lexical_order_after_primary_files() {
    // `a_override.tf` sorts before `main.tf` but is still applied after it;
    // `b_override.tf` wins over `a_override.tf`.
    let a = "locals {\n  swap = \"a\"\n}\n";
    let b = "locals {\n  swap = \"b\"\n}\n";
    let (config, diags) = parse(&[
        ("a_override.tf", a),
        ("b_override.tf", b),
        ("main.tf", BASE),
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(config.locals["swap"].expr.file.as_ref(), "b_override.tf");
}

#[test]
fn an_override_without_a_base_is_an_error() {
    let p = problems(&[
        ("main.tf", BASE),
        (
            "override.tf",
            "resource \"local_file\" \"nope\" {\n  content = \"x\"\n}\nlocals {\n  ghost = 1\n}\n",
        ),
    ]);
    assert_eq!(
        p,
        [
            "override.tf:1:1: error: Missing resource to override",
            "override.tf:5:3: error: Missing local value to override"
        ]
    );
    // Without override files, a second declaration is still a duplicate.
    let p = problems(&[
        ("a.tf", "locals {\n  x = 1\n}\n"),
        ("b.tf", "locals {\n  x = 2\n}\n"),
    ]);
    assert_eq!(p, ["b.tf:2:3: error: Duplicate local value \"x\""]);
}

#[test]
fn required_version_is_checked_against_the_language_level() {
    assert!(problems(&[(
        "v.tf",
        "terraform {\n  required_version = \">= 1.2, < 2.0\"\n}\n"
    )])
    .is_empty());
    assert!(problems(&[(
        "v.tf",
        "terraform {\n  required_version = \"~> 1.11.0\"\n}\n"
    )])
    .is_empty());
    assert_eq!(
        problems(&[("v.tf", "terraform {\n  required_version = \">= 1.12\"\n}\n")]),
        ["v.tf:2:22: error: Unsupported Terraform Core version"]
    );
    assert_eq!(
        problems(&[(
            "v.tf",
            "terraform {\n  required_version = \">= banana\"\n}\n"
        )]),
        ["v.tf:2:22: error: Invalid required_version constraint"]
    );
    // An override's required_version replaces the base's.
    let p = problems(&[
        ("v.tf", "terraform {\n  required_version = \"~> 0.12\"\n}\n"),
        (
            "override.tf",
            "terraform {\n  required_version = \">= 1.0\"\n}\n",
        ),
    ]);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn terraform_block_backend_cloud_and_ignored_settings() {
    let src = "terraform {\n  experiments = []\n  backend \"local\" {\n    path = \"s.json\"\n  }\n  provider_meta \"aws\" {}\n  required_providers {\n    aws = \"~> 5.0\"\n    local = { source = \"hashicorp/local\" }\n  }\n}\n";
    let (config, diags) = parse(&[("main.tf", src)]);
    assert!(!diags.has_errors(), "{diags:?}");
    assert_eq!(
        config.backend.as_ref().map(|b| b.kind.as_str()),
        Some("local")
    );
    assert_eq!(
        config.terraform.required_providers["aws"].source,
        "hashicorp/aws"
    );
    assert_eq!(diags.iter().filter(|d| !d.is_error()).count(), 2);
    // A backend inside terraform {} and a top-level one: an error.
    let both = "terraform {\n  backend \"local\" {}\n}\nbackend \"local\" {}\n";
    assert_eq!(
        problems(&[("main.tf", both)]),
        ["main.tf:4:1: error: Duplicate backend configuration"]
    );
    let cloud = "terraform {\n  cloud {\n    organization = \"x\"\n  }\n}\n";
    assert_eq!(
        problems(&[("main.tf", cloud)]),
        ["main.tf:2:3: warning: The cloud block is ignored"]
    );
    let (_, d) = parse(&[("main.tf", cloud)]);
    assert!(
        d.iter().any(|d| d.detail.contains("contin.state.json")),
        "{d:?}"
    );
    assert_eq!(
        problems(&[("main.tf", "terraform {\n  language = 1\n}\n")]),
        ["main.tf:2:3: error: Unsupported argument \"language\" in terraform block"]
    );
}

#[test]
fn required_providers_map_to_builtins() {
    let src = "terraform {\n  required_providers {\n    aws = { source = \"registry.terraform.io/hashicorp/aws\" }\n    null = { source = \"hashicorp/null\" }\n    random = { source = \"hashicorp/random\" }\n  }\n}\n";
    let (config, diags) = parse(&[("main.tf", src)]);
    assert!(diags.is_empty(), "{diags:?}");
    let d = crate::check_required_providers(&config, &["local", "aws"]);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].summary,
        "Provider \"hashicorp/random\" is not built into contin"
    );
    assert!(d[0].detail.contains("local, aws"), "{}", d[0].detail);
    assert_eq!(
        d[0].loc
            .as_ref()
            .map(|l| config.sources.describe(l))
            .as_deref(),
        Some("main.tf:5:5")
    );
}

#[test]
fn heredocs_are_literal_strings() {
    let src = "variable \"v\" {\n  description = <<-EOT\n    Line one\n    line two\n  EOT\n}\noutput \"o\" {\n  value = 1\n  description = <<EOT\nplain\nEOT\n}\n";
    let (config, diags) = parse(&[("main.tf", src)]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        config.variables["v"].description.as_deref(),
        Some("Line one\nline two\n")
    );
    assert_eq!(config.outputs["o"].description.as_deref(), Some("plain\n"));
    let interp = "variable \"v\" {\n  description = <<EOT\n${var.x}\nEOT\n}\n";
    assert_eq!(
        problems(&[("main.tf", interp)]),
        ["main.tf:2:17: error: Invalid value for \"description\""]
    );
}

#[test]
fn mutated_tf_json_never_panics() {
    // Every byte deleted, and a hostile character inserted at every position:
    // each result parses to a config or to located diagnostics.
    let base = JSON;
    let inserts = ["\"", "{", "[", "\\", "é", "${", "}", ",", "\\u12", "-"];
    let mut cases = 0;
    for (i, _) in base.char_indices() {
        let mut deleted = base.to_string();
        deleted.remove(i);
        let (_, d) = parse(&[("m.tf.json", &deleted)]);
        assert!(d.iter().all(|d| d.loc.is_some()), "{d:?}");
        for ins in inserts {
            let mut t = base.to_string();
            t.insert_str(i, ins);
            let (_, d) = parse(&[("m.tf.json", &t)]);
            assert!(d.iter().all(|d| d.loc.is_some()), "{d:?}");
            cases += 1;
        }
    }
    assert!(cases > 5000);
    // Deep nesting is refused with the limit's name, not a stack overflow.
    let deep = format!(
        "{{\"locals\": {{\"a\": {}1{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let p = problems(&[("d.tf.json", &deep)]);
    assert!(
        p.len() == 1 && p[0].contains("Invalid JSON syntax"),
        "{p:?}"
    );
    let (_, d) = parse(&[("d.tf.json", &deep)]);
    assert!(d.iter().any(|d| d.detail.contains("MAX_JSON_DEPTH")));
    // Nesting within the limit parses.
    let ok = format!(
        "{{\"locals\": {{\"a\": {}1{}}}}}",
        "[".repeat(50),
        "]".repeat(50)
    );
    let p = problems(&[("d.tf.json", &ok)]);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn escaped_interpolations_are_rebuilt_at_their_offset() {
    // `\"` inside `${…}` is a JSON escape, not HCL: the piece is rebuilt from
    // its decoded text and still located in the file.
    let (config, diags) = parse(&[(
        "x.tf.json",
        "{\n  \"locals\": {\n    \"j\": \"${join(\\\",\\\", [\\\"a\\\"])}\"\n  }\n}\n",
    )]);
    assert!(diags.is_empty(), "{diags:?}");
    let j = &config.locals["j"];
    assert_eq!(config.sources.describe(&j.expr.loc()), "x.tf.json:3:10");
    let p = problems(&[(
        "x.tf.json",
        "{\n  \"locals\": {\n    \"j\": \"${join(\\\",\\\" +)}\"\n  }\n}\n",
    )]);
    assert_eq!(p, ["x.tf.json:3:10: error: Invalid JSON configuration"]);
}
