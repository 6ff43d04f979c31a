//! Tests of `parse_files`: the typed model and every diagnostic it reports.

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

/// One line per diagnostic: `file:line:col: summary [related…]`.
fn problems(files: &[(&str, &str)]) -> Vec<String> {
    let (config, diags) = parse(files);
    diags
        .iter()
        .map(|d| {
            let at = d
                .loc
                .as_ref()
                .map_or("?".to_string(), |l| config.sources.describe(l));
            let related: Vec<String> = d
                .related
                .iter()
                .map(|(label, l)| format!(" [{label} {}]", config.sources.describe(l)))
                .collect();
            format!("{at}: {}{}", d.summary, related.concat())
        })
        .collect()
}

const GOOD: &str = r#"
terraform {
  required_version = ">= 1.0"
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
  backend "local" {
    path = "x.json"
  }
}

variable "env" {
  type        = string
  default     = "prod"
  description = "the env"
  sensitive   = true
  nullable    = false
  validation {
    condition     = length(var.env) > 0
    error_message = "empty"
  }
}

locals {
  tags = { env = var.env }
}
locals {
  n = 2
}

provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = local.tags
}

resource "aws_instance" "gw" {
  count      = 2
  provider   = aws.west
  depends_on = [aws_vpc.main, data.aws_ami.ubuntu]
  ami        = "ami-123"
  ebs_block_device {
    device_name = "/dev/sda"
  }
  lifecycle {
    prevent_destroy       = true
    create_before_destroy = true
    ignore_changes        = [tags, ami]
  }
}

data "aws_ami" "ubuntu" {
  for_each = toset(["a"])
}

output "ids" {
  value       = aws_instance.gw[*].id
  description = "ids"
  sensitive   = true
  depends_on  = [aws_vpc.main]
}
"#;

#[test]
fn a_valid_configuration_becomes_the_typed_model() {
    let (config, diags) = parse(&[("main.hcl", GOOD)]);
    assert!(diags.is_empty(), "{diags:?}");
    let backend = config.backend.as_ref().map(|b| b.kind.as_str());
    assert_eq!(backend, Some("local"));
    let env = &config.variables["env"];
    assert!(env.sensitive && !env.nullable);
    assert_eq!(env.description.as_deref(), Some("the env"));
    assert_eq!(env.validations.len(), 1);
    assert_eq!(config.locals.keys().collect::<Vec<_>>(), ["n", "tags"]);
    assert_eq!(
        config.providers.keys().collect::<Vec<_>>(),
        ["aws", "aws.west"]
    );
    assert_eq!(config.providers["aws.west"].alias.as_deref(), Some("west"));
    assert!(!config.providers["aws.west"]
        .body
        .attributes
        .contains_key("alias"));

    assert_eq!(config.resources.len(), 3);
    let gw = &config.resources[1];
    assert_eq!((gw.ty.as_str(), gw.name.as_str()), ("aws_instance", "gw"));
    assert!(gw.count.is_some() && gw.for_each.is_none());
    assert_eq!(gw.provider.as_deref(), Some("aws.west"));
    let deps: Vec<_> = gw
        .depends_on
        .iter()
        .map(|r| (r.mode, r.ty.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(
        deps,
        [
            (ResourceMode::Managed, "aws_vpc", "main"),
            (ResourceMode::Data, "aws_ami", "ubuntu")
        ]
    );
    assert!(gw.lifecycle.prevent_destroy && gw.lifecycle.create_before_destroy);
    assert_eq!(
        gw.lifecycle.ignore_changes,
        IgnoreChanges::Attrs(vec!["tags".into(), "ami".into()])
    );
    assert_eq!(gw.body.attributes.keys().collect::<Vec<_>>(), ["ami"]);
    assert_eq!(gw.body.blocks.len(), 1);
    assert_eq!(gw.body.blocks[0].body.attributes.len(), 1);
    assert_eq!(config.resources[2].mode, ResourceMode::Data);
    assert!(config.resources[2].for_each.is_some());

    let out = &config.outputs["ids"];
    assert!(out.sensitive);
    assert_eq!(out.depends_on.len(), 1);
    assert_eq!(config.sources.text("main.hcl"), Some(GOOD));
}

#[test]
fn spans_point_into_the_right_file() {
    let (config, diags) = parse(&[
        ("a.hcl", "locals {\n  x = 1\n}\n"),
        ("b.hcl", "\n\nresource \"t\" \"n\" {\n  a = \"v\"\n}\n"),
    ]);
    assert!(diags.is_empty());
    let r = &config.resources[0];
    assert_eq!(config.sources.describe(&r.loc), "b.hcl:3:1");
    assert_eq!(config.sources.snippet(&r.loc), Some("resource \"t\" \"n\""));
    let a = &r.body.attributes["a"];
    assert_eq!(config.sources.describe(&a.expr.loc()), "b.hcl:4:7");
    assert_eq!(config.sources.snippet(&a.loc), Some("a = \"v\""));
    assert_eq!(
        config.sources.describe(&config.locals["x"].expr.loc()),
        "a.hcl:2:7"
    );
    assert_eq!(&*config.locals["x"].expr.file, "a.hcl");
}

#[test]
fn terraform_backend_spelling_and_ignore_all() {
    let src = "resource \"a\" \"b\" {\n  lifecycle {\n    ignore_changes = all\n  }\n}\n";
    let (config, diags) = parse(&[("m.hcl", src)]);
    assert!(diags.is_empty());
    assert_eq!(
        config.resources[0].lifecycle.ignore_changes,
        IgnoreChanges::All
    );
}

#[test]
fn syntax_errors_in_several_files_are_all_reported() {
    let got = problems(&[
        ("a.hcl", "resource \"a\" \"b\" {\n  x = \n}\n"),
        ("b.hcl", "locals {\n  y = [1,\n"),
        ("c.hcl", "variable \"ok\" {}\n"),
    ]);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with("a.hcl:2:7: Syntax error: invalid expression"),
        "{got:?}"
    );
    assert_eq!(got[1], "b.hcl:2:10: Syntax error: expected `]`");
}

#[test]
fn unknown_block_types_name_the_valid_ones_and_suggest() {
    let (_, diags) = parse(&[("m.hcl", "resorce \"a\" \"b\" {}\npolicy \"eu\" {}\n")]);
    assert_eq!(diags.0.len(), 2);
    assert_eq!(diags.0[0].summary, "Unsupported block type \"resorce\"");
    assert!(
        diags.0[0].detail.contains("\"resource\", \"terraform\""),
        "{}",
        diags.0[0].detail
    );
    assert!(diags.0[0].detail.ends_with("Did you mean \"resource\"?"));
    assert_eq!(diags.0[1].summary, "Unsupported block type \"policy\"");
    assert!(!diags.0[1].detail.contains("Did you mean"));
}

#[test]
fn label_counts_and_names_are_checked() {
    let got = problems(&[(
        "m.hcl",
        "resource \"aws_vpc\" {}\nvariable {}\nlocals \"x\" {}\nresource \"aws_vpc\" \"1bad\" {}\noutput \"a.b\" {\n  value = 1\n}\n",
    )]);
    assert_eq!(
        got,
        [
            "m.hcl:1:1: resource blocks need 2 labels: type and name",
            "m.hcl:2:1: variable blocks need 1 label: name",
            "m.hcl:3:1: locals blocks take no labels",
            "m.hcl:4:20: Invalid resource name \"1bad\"",
            "m.hcl:5:8: Invalid output name \"a.b\"",
        ]
    );
}

#[test]
fn duplicates_point_at_the_first_declaration() {
    let got = problems(&[
        ("a.hcl", "resource \"t\" \"n\" {}\nvariable \"v\" {}\nlocals {\n  l = 1\n}\noutput \"o\" {\n  value = 1\n}\nprovider \"p\" {}\n"),
        ("b.hcl", "resource \"t\" \"n\" {}\nvariable \"v\" {}\nlocals {\n  l = 2\n}\noutput \"o\" {\n  value = 2\n}\nprovider \"p\" {}\ndata \"t\" \"n\" {}\n"),
    ]);
    assert_eq!(
        got,
        [
            "b.hcl:1:1: Duplicate resource \"t.n\" [first declared here a.hcl:1:1]",
            "b.hcl:2:1: Duplicate variable \"v\" [first declared here a.hcl:2:1]",
            "b.hcl:4:3: Duplicate local value \"l\" [first declared here a.hcl:4:3]",
            "b.hcl:6:1: Duplicate output \"o\" [first declared here a.hcl:6:1]",
            "b.hcl:9:1: Duplicate provider configuration \"p\" [first declared here a.hcl:9:1]",
        ]
    );
}

#[test]
fn meta_argument_errors() {
    let src = r#"resource "a" "b" {
  count      = 1
  for_each   = {}
  depends_on = [aws_vpc.main.id, "aws_vpc.x", var.y]
  provider   = "aws"
  lifecycle {
    prevent_destroy = var.x
    ignore_change   = []
  }
  lifecycle {}
}
"#;
    let got = problems(&[("m.hcl", src)]);
    assert_eq!(
        got,
        [
            "m.hcl:4:17: depends_on entries must be references",
            "m.hcl:4:34: depends_on entries must be references",
            "m.hcl:4:47: depends_on entries must be references",
            "m.hcl:5:16: Invalid provider reference",
            "m.hcl:7:23: Invalid value for \"prevent_destroy\"",
            "m.hcl:8:5: Unsupported argument \"ignore_change\" in lifecycle block",
            "m.hcl:10:3: Duplicate lifecycle block [first declared here m.hcl:6:3]",
            "m.hcl:3:16: Invalid combination of \"count\" and \"for_each\" [count is set here m.hcl:2:3]",
        ]
    );
}

#[test]
fn variable_output_and_top_level_errors() {
    let src = "variable \"v\" {\n  defualt = 1\n  sensitive = \"yes\"\n  validation {\n    condition = true\n  }\n}\noutput \"o\" {\n  description = \"no value\"\n}\nx = 1\nbackend \"local\" {}\nbackend \"s3\" {}\n";
    let (config, diags) = parse(&[("m.hcl", src)]);
    let summaries: Vec<&str> = diags.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Unsupported argument \"defualt\" in variable block",
            "Invalid value for \"sensitive\"",
            "Missing required argument \"error_message\"",
            "Missing required argument \"value\"",
            "Unexpected argument \"x\" at top level",
            "Duplicate backend configuration",
        ]
    );
    assert!(
        diags.0[0].detail.contains("Did you mean \"default\"?"),
        "{}",
        diags.0[0].detail
    );
    assert_eq!(config.backend.map(|b| b.kind), Some("local".to_string()));
}

/// 10,000 resources (~1.5 MB) parse completely. Timing is printed, never
/// asserted (performance targets live in bench/, not in unit tests).
#[test]
fn ten_thousand_resources_parse_in_linear_time() {
    let mut text = String::new();
    for i in 0..10_000usize {
        text.push_str(&format!(
            "resource \"fake_thing\" \"r{i}\" {{\n  name       = \"thing-{i}\"\n  depends_on = [fake_thing.r{}]\n  size       = {i} * 2\n  tags       = {{ layer = \"{}\", owner = \"platform\" }}\n}}\n\n",
            i.saturating_sub(1),
            i % 50
        ));
    }
    let started = std::time::Instant::now();
    let (config, diags) = parse(&[("big.hcl", &text)]);
    let elapsed = started.elapsed();
    assert!(diags.is_empty());
    assert_eq!(config.resources.len(), 10_000);
    assert!(text.len() > 1_000_000);
    eprintln!("parsed {} bytes in {elapsed:?}", text.len());
}

/// 100,000 unknown blocks in one file: 100,000 located diagnostics, each
/// described as `file:line:col`. Timings are printed, not asserted.
#[test]
fn a_hundred_thousand_diagnostics_are_linear() {
    let text = "bogus {\n}\n".repeat(100_000);
    let started = std::time::Instant::now();
    let (config, diags) = parse(&[("bad.hcl", &text)]);
    let parsed = started.elapsed();
    assert_eq!(diags.0.len(), 100_000);
    let described: Vec<String> = diags.iter().map(|d| config.sources.describe(d.loc.as_ref().expect("located"))).collect();
    let total = started.elapsed();
    assert_eq!(described[0], "bad.hcl:1:1");
    assert_eq!(described[99_999], "bad.hcl:199999:1");
    assert!(diags.iter().all(|d| d.summary == diags.0[0].summary));
    eprintln!("100,000 diagnostics: parse {parsed:?}, parse + describe {total:?}");
}

/// The parser bounds nesting itself (hcl-edit: 64 levels, 128 chained
/// operators): 100,000-deep input is a located syntax error, not a stack overflow.
#[test]
fn deeply_nested_input_is_a_syntax_error() {
    for (open, close) in [("[", "]"), ("(", ")"), ("{a=", "}"), ("f(", ")"), ("\"${", "}\""), ("-", ""), ("!", "")] {
        let text = format!("x = {}1{}\n", open.repeat(100_000), close.repeat(100_000));
        let (_, diags) = parse(&[("deep.hcl", &text)]);
        assert_eq!(diags.0.len(), 1, "{open}");
        assert!(diags.0[0].loc.is_some(), "{open}");
    }
    let chain = format!("x = 1{}\n", " + 1".repeat(100_000));
    let (_, diags) = parse(&[("ops.hcl", &chain)]);
    assert_eq!(diags.0.len(), 1);
}

/// Fuzz crashers (contin-eval `fuzz_parser_*`): hcl-edit reported an error
/// offset inside a multi-byte character and slicing the text there panicked.
#[test]
fn fuzz_regression_error_offset_inside_a_multibyte_character() {
    for text in ["bogus {é", "E\"-- :]a37[(>283  \n5 .0<48\\\u{fffd}"] {
        let (config, diags) = parse(&[("f.hcl", text)]);
        assert_eq!(diags.0.len(), 1, "{text:?}");
        let loc = diags.0[0].loc.clone().expect("located");
        assert!(text.is_char_boundary(loc.span.start) && text.is_char_boundary(loc.span.end), "{text:?}: {loc:?}");
        assert!(config.sources.describe(&loc).starts_with("f.hcl:"));
    }
}

/// The same file parsed whole on one thread and converted, for comparison
/// with the wave parse `parse_files` uses on large files.
fn serial_parse(name: &str, text: &str) -> (Config, Vec<contin_types::Diagnostic>) {
    let mut p = crate::parse::Parser::default();
    let file: std::sync::Arc<str> = std::sync::Arc::from(name);
    for s in p.file_structures(&file, text) {
        p.top_structure(s, &file);
    }
    (p.config, p.diags)
}

fn large_file(blocks: usize) -> String {
    let mut text = String::from("variable \"v\" {\n  default = 1\n}\n\n");
    for i in 0..blocks {
        let value = if i == 0 { "\"v0\"".to_string() } else { format!("fake_resource.r{}.id", i - 1) };
        text.push_str(&format!("resource \"fake_resource\" \"r{i}\" {{\n  name  = \"r{i}\"\n  value = {value}\n}}\n\n"));
    }
    text
}

#[test]
fn a_large_file_parsed_in_waves_equals_a_serial_parse() {
    let text = large_file(60_000);
    // Several waves even on a many-core machine's chunk count.
    assert!(text.len() > 8 * crate::split::WAVE_CHUNK_BYTES, "{}", text.len());
    let (waves, diags) = parse_files(&[("main.hcl".to_string(), text.clone())]);
    assert!(!diags.has_errors(), "{diags}");
    assert_eq!(waves.resources.len(), 60_000);
    let (serial, serial_diags) = serial_parse("main.hcl", &text);
    assert!(serial_diags.is_empty());
    assert!(waves == serial, "the wave parse differs from the serial parse");
}

#[test]
fn a_syntax_error_in_a_late_wave_undoes_the_earlier_waves() {
    let mut text = large_file(60_000);
    // Damage the last block: the error is found in the last wave, after
    // earlier waves were converted.
    let at = text.rfind("value =").unwrap_or(0);
    text.insert_str(at, "= = ");
    let (waves, diags) = parse_files(&[("main.hcl".to_string(), text.clone())]);
    assert!(diags.has_errors());
    assert!(waves.resources.is_empty(), "{} resources kept from a file with a syntax error", waves.resources.len());
    assert!(waves.variables.is_empty());
    let (_, serial_diags) = serial_parse("main.hcl", &text);
    let serial: Vec<String> = serial_diags.iter().map(|d| format!("{} {} {:?}", d.summary, d.detail, d.loc)).collect();
    let got: Vec<String> = diags.iter().map(|d| format!("{} {} {:?}", d.summary, d.detail, d.loc)).collect();
    assert_eq!(got, serial);
    assert_eq!(waves.sources.files.len(), 1);
}
