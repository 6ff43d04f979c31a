//! Evaluator behaviour that the Terraform corpus cannot show: references
//! through a scope, unknown and sensitive propagation, heredocs, error
//! wording and locations, static reference analysis.

use contin_config::{Attribute, Body, Expr, NestedBlock};
use contin_eval::{body_references, eval, eval_body, parse_expr, references, Reference, Scope};
use contin_types::{Diagnostic, ResourceMode, SourceLoc, SourceMap, Value};
use std::collections::BTreeMap;

/// A scope with a few variables and resources.
struct TestScope;

fn obj(items: &[(&str, Value)]) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

impl Scope for TestScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        Ok(match r {
            Reference::Var(n) if n == "name" => Value::string("web"),
            Reference::Var(n) if n == "count" => Value::int(3),
            Reference::Var(n) if n == "secret" => Value::string("hunter2").mark_sensitive(),
            Reference::Var(n) if n == "tags" => obj(&[("env", Value::string("prod")), ("team", Value::string("core"))]),
            Reference::Local(n) if n == "pending" => Value::Unknown,
            Reference::Resource { ty, name, .. } if ty == "aws_vpc" && name == "main" => {
                obj(&[("id", Value::Unknown), ("cidr_block", Value::string("10.0.0.0/16"))])
            }
            Reference::Resource { ty, name, .. } if ty == "aws_instance" && name == "gw" => Value::List(vec![
                obj(&[("id", Value::string("i-1")), ("ip", Value::string("10.0.0.1"))]),
                obj(&[("id", Value::string("i-2")), ("ip", Value::Unknown)]),
            ]),
            Reference::Resource { ty, name, .. } if ty == "aws_subnet" && name == "by_az" => Value::Map(BTreeMap::from([
                ("a".to_string(), obj(&[("id", Value::string("s-a"))])),
                ("b".to_string(), obj(&[("id", Value::string("s-b"))])),
            ])),
            Reference::CountIndex => Value::int(1),
            Reference::EachKey => Value::string("k"),
            other => {
                return Err(Diagnostic::error("Reference to undeclared input variable")
                    .with_detail(format!("{other} is not declared"))
                    .at(loc.clone()))
            }
        })
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        match path {
            "t.tpl" => Ok("%{ for s in subnets ~}\n${s}\n%{ endfor ~}\nby ${owner}".into()),
            _ => Err(format!("no such file {path}")),
        }
    }
}

fn expr(src: &str) -> Expr {
    parse_expr(src, "main.hcl").expect("test expression parses")
}

fn ev(src: &str) -> Value {
    eval(&expr(src), &TestScope).unwrap_or_else(|d| panic!("{src}: {d:?}"))
}

fn err(src: &str) -> Diagnostic {
    let d = eval(&expr(src), &TestScope).expect_err("expected an error");
    d.0.into_iter().next().expect("one diagnostic")
}

fn json(v: &Value) -> String {
    contin_eval::funcs::json_text(v)
}

#[test]
fn resources_and_splats() {
    assert_eq!(ev("aws_instance.gw[0].id"), Value::string("i-1"));
    assert_eq!(json(&ev("aws_instance.gw[*].id")), r#"["i-1","i-2"]"#);
    assert_eq!(json(&ev("aws_instance.gw.*.id")), r#"["i-1","i-2"]"#);
    assert_eq!(ev("aws_instance.gw[*].ip"), Value::List(vec![Value::string("10.0.0.1"), Value::Unknown]));
    assert_eq!(ev("aws_subnet.by_az[\"b\"].id"), Value::string("s-b"));
    assert_eq!(json(&ev("[for k, s in aws_subnet.by_az : s.id]")), r#"["s-a","s-b"]"#);
    assert_eq!(ev("length(aws_instance.gw)"), Value::int(2));
    assert_eq!(ev("aws_vpc.main.cidr_block"), Value::string("10.0.0.0/16"));
    assert_eq!(ev("\"${var.name}-${count.index}\""), Value::string("web-1"));
}

#[test]
fn unknown_propagates() {
    assert_eq!(ev("aws_vpc.main.id"), Value::Unknown);
    assert_eq!(ev("\"vpc-${aws_vpc.main.id}\""), Value::Unknown);
    assert_eq!(ev("upper(aws_vpc.main.id)"), Value::Unknown);
    assert_eq!(ev("aws_vpc.main.id == \"x\""), Value::Unknown);
    assert_eq!(ev("local.pending ? 1 : 2"), Value::Unknown);
    assert_eq!(ev("[for x in local.pending : x]"), Value::Unknown);
    assert_eq!(ev("local.pending.anything[3]"), Value::Unknown);
    assert_eq!(ev("join(\",\", aws_instance.gw[*].ip)"), Value::Unknown);
    // Terraform knows these even with unknowns inside.
    assert_eq!(ev("length([aws_vpc.main.id, 1])"), Value::int(2));
    assert_eq!(ev("keys({a = aws_vpc.main.id})"), Value::List(vec![Value::string("a")]));
    assert_eq!(ev("concat([aws_vpc.main.id], [1])"), Value::List(vec![Value::Unknown, Value::int(1)]));
    assert_eq!(ev("can(aws_vpc.main.id)"), Value::Unknown);
    assert_eq!(ev("try(aws_vpc.main.id, \"x\")"), Value::Unknown);
    assert_eq!(ev("[aws_vpc.main.id, 2][1]"), Value::int(2));
}

#[test]
fn sensitive_propagates() {
    assert!(ev("var.secret").is_sensitive());
    assert!(ev("\"pw=${var.secret}\"").is_sensitive());
    assert!(ev("upper(var.secret)").is_sensitive());
    assert!(ev("length(var.secret)").is_sensitive());
    assert!(ev("var.secret == \"x\"").is_sensitive());
    let v = ev("{user = \"u\", pass = var.secret}");
    assert!(!v.is_sensitive() && v.contains_sensitive());
    assert!(ev("merge({a = 1}, sensitive({b = 2}))").is_sensitive());
    assert!(!ev("nonsensitive(var.secret)").contains_sensitive());
    assert!(ev("sensitive({a = 1}).a").is_sensitive());
}

#[test]
fn heredocs_and_templatefile() {
    assert_eq!(ev("<<EOT\nhello ${var.name}\nEOT"), Value::string("hello web\n"));
    assert_eq!(ev("<<-EOT\n    a\n      b\n    EOT"), Value::string("a\n  b\n"));
    assert_eq!(
        ev("<<EOT\n%{ for k, v in var.tags ~}\n${k}=${v}\n%{ endfor ~}\nEOT"),
        Value::string("env=prod\nteam=core\n")
    );
    assert_eq!(ev("templatefile(\"t.tpl\", {subnets = [\"a\", \"b\"], owner = \"me\"})"), Value::string("a\nb\nby me"));
    let d = err("templatefile(\"t.tpl\", {subnets = [], owner = var.name, x = 1}) == templatefile(\"t.tpl\", {})");
    assert!(d.detail.contains("subnets"), "{d:?}");
}

#[test]
fn errors_name_the_problem_and_place() {
    let src = "aws_vpc.main.ids";
    let d = err(src);
    assert_eq!(d.summary, "Unsupported attribute");
    assert_eq!(d.detail, "This object does not have an attribute named \"ids\". Did you mean \"id\"?");
    let loc = d.loc.expect("located");
    assert_eq!(&src[loc.span.clone()], ".ids");

    let src = "upper(1, 2) + lenght([])";
    let d = err(src);
    assert_eq!(d.summary, "Too many function arguments");
    let d = err("lenght([])");
    assert_eq!(d.summary, "Call to unknown function");
    assert_eq!(d.detail, "There is no function named \"lenght\". Did you mean \"length\"?");

    let src = "[1, 2][5]";
    let d = err(src);
    assert_eq!(d.summary, "Invalid index");
    assert_eq!(&src[d.loc.expect("located").span], "[5]");

    let src = "cidrsubnet(\"10.0.0.0/16\", \"x\", 1)";
    let d = err(src);
    assert_eq!(d.summary, "Invalid function argument");
    assert!(d.detail.starts_with("Invalid value for \"newbits\" parameter"), "{}", d.detail);
    assert_eq!(&src[d.loc.expect("located").span], "\"x\"");

    let d = err("var.nope");
    assert_eq!(d.summary, "Reference to undeclared input variable");
    let d = err("var");
    assert_eq!(d.summary, "Invalid reference");
    let d = err("count.idx");
    assert_eq!(d.summary, "Invalid \"count\" attribute");
    let d = err("true ? 1 : false");
    assert_eq!(d.summary, "Inconsistent conditional result types");
    let d = err("\"a${[1]}\"");
    assert_eq!(d.summary, "Invalid template interpolation value");
    let d = err("aws_instance.gw.id");
    assert!(d.detail.contains("[*].id"), "{}", d.detail);
}

#[test]
fn error_in_branch_not_taken_is_ignored() {
    assert_eq!(ev("var.name == \"web\" ? \"ok\" : aws_vpc.main.nope"), Value::string("ok"));
}

#[test]
fn static_references() {
    let e = expr("\"${var.name}-${aws_instance.gw[count.index].id}\" == data.aws_ami.ubuntu.id ? local.x : [for v in var.list : v.id if each.key != path.module]");
    let refs: Vec<String> = references(&e).iter().map(|r| r.reference.to_string()).collect();
    assert_eq!(
        refs,
        ["var.name", "aws_instance.gw", "count.index", "data.aws_ami.ubuntu", "local.x", "var.list", "each.key", "path.module"]
    );
    let site = &references(&e)[1];
    let text = "\"${var.name}-${aws_instance.gw[count.index].id}\"";
    assert_eq!(&text[site.loc.span.clone()], "aws_instance.gw");
    assert_eq!(
        site.reference,
        Reference::Resource { mode: ResourceMode::Managed, ty: "aws_instance".into(), name: "gw".into() }
    );
    // For-expression and template locals are not references.
    let e = expr("{for k, v in var.m : k => \"%{ for x in v }${x}${k}%{ endfor }\"}");
    let refs: Vec<String> = references(&e).iter().map(|r| r.reference.to_string()).collect();
    assert_eq!(refs, ["var.m"]);
}

fn attr(name: &str, src: &str) -> (String, Box<Attribute>) {
    let e = expr(src);
    let loc = e.loc();
    (name.to_string(), Box::new(Attribute { name: name.to_string(), expr: e, loc }))
}

#[test]
fn bodies_with_nested_blocks() {
    let inner = Body { attributes: [attr("port", "22"), attr("cidr", "var.name")].into_iter().collect(), blocks: vec![] };
    let body = Body {
        attributes: [attr("name", "\"x-${count.index}\""), attr("vpc", "aws_vpc.main.id")].into_iter().collect(),
        blocks: vec![
            NestedBlock { ty: "ingress".into(), labels: vec![], body: inner.clone(), loc: SourceLoc::new("main.hcl", 0..0) },
            NestedBlock { ty: "ingress".into(), labels: vec![], body: inner, loc: SourceLoc::new("main.hcl", 0..0) },
        ],
    };
    let v = eval_body(&body, &TestScope).expect("body evaluates");
    let ingress = obj(&[("cidr", Value::string("web")), ("port", Value::int(22))]);
    assert_eq!(
        v,
        obj(&[("ingress", Value::List(vec![ingress.clone(), ingress])), ("name", Value::string("x-1")), ("vpc", Value::Unknown)])
    );
    let refs: Vec<String> = body_references(&body).iter().map(|r| r.reference.to_string()).collect();
    assert_eq!(refs, ["count.index", "aws_vpc.main", "var.name", "var.name"]);

    let bad = Body { attributes: [attr("a", "var.nope"), attr("b", "lenght(1)")].into_iter().collect(), blocks: vec![] };
    let d = eval_body(&bad, &TestScope).expect_err("two errors");
    assert_eq!(d.0.len(), 2, "every failing attribute is reported");
    let mut map = SourceMap::default();
    map.add("main.hcl", "lenght(1)");
    assert_eq!(map.describe(d.0[1].loc.as_ref().expect("located")), "main.hcl:1:1");
}

#[test]
fn can_and_try_do_not_catch_undeclared_references() {
    // Terraform rejects a reference to something undeclared before it
    // evaluates, so neither can nor try turns it into false / a fallback.
    assert_eq!(err("can(var.nope)").summary, "Reference to undeclared input variable");
    assert_eq!(err("try(local.nope, \"fallback\")").summary, "Reference to undeclared input variable");
    assert_eq!(err("try(\"x\" + 1, var.nope.id, 2)").summary, "Reference to undeclared input variable");
    // Dynamic errors are still caught, also in a traversal after a good reference.
    assert_eq!(ev("can(var.tags.nope)"), Value::Bool(false));
    assert_eq!(ev("try(var.tags.nope, \"fallback\")"), Value::string("fallback"));
    assert_eq!(ev("try(aws_instance.gw[5].id, \"none\")"), Value::string("none"));
    assert_eq!(ev("can(tonumber(\"x\"))"), Value::Bool(false));
}

#[test]
fn conditional_results_unify_like_terraform() {
    // The type page's example: an empty tuple and a tuple of two objects
    // that unify neither as one object type nor as a map.
    let d = err("var.name == \"web\" ? [] : [{foo = \"bar\", map = {bleep = \"bloop\"}}, {beep = \"boop\"}]");
    assert_eq!(d.summary, "Inconsistent conditional result types");
    assert!(d.detail.contains("'true' tuple has length 0, but the 'false' tuple has length 2"), "{}", d.detail);
    // Unifiable results are converted to the common type.
    assert_eq!(json(&ev("true ? [1] : [\"a\", 2]")), r#"["1"]"#);
    assert_eq!(json(&ev("true ? {a = 1} : {b = \"x\"}")), r#"{"a":"1"}"#);
    assert_eq!(err("true ? 1 : false").summary, "Inconsistent conditional result types");
    // Sensitive results stay sensitive through the conversion.
    assert_eq!(ev("true ? var.secret : 1"), Value::string("hunter2").mark_sensitive());
    assert_eq!(ev("false ? \"a\" : var.count"), Value::string("3"));
}

/// A scope over a parsed configuration: variables' defaults, locals, and
/// their shapes (list or tuple, map or object).
struct ConfigScope {
    config: contin_config::Config,
    vars: BTreeMap<String, Value>,
}

impl ConfigScope {
    fn new(src: &str) -> Self {
        let (config, diags) = contin_config::parse_files(&[("main.tf".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        let vars = contin_eval::vars::resolve_variables(&config.variables, &Default::default(), &contin_eval::EmptyScope)
            .expect("defaults are valid");
        ConfigScope { config, vars }
    }
}

impl Scope for ConfigScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(n) => self.vars.get(n).cloned(),
            Reference::Local(n) => self.config.locals.get(n).and_then(|l| eval(&l.expr, self).ok()),
            _ => None,
        }
        .ok_or_else(|| Diagnostic::error(format!("no {r}")).at(loc.clone()))
    }
    fn reference_shape(&self, r: &Reference) -> contin_eval::shape::Shape {
        contin_eval::shape::config_reference_shape(&self.config, r, self)
    }
}

#[test]
fn a_list_never_equals_a_tuple() {
    // terraform 1.11.4 console in this configuration: false, true, false,
    // true, false, true, true.
    let scope = ConfigScope::new(
        r#"
variable "subnets" {
  type    = list(string)
  default = []
}
variable "untyped" {
  default = []
}
variable "tags" {
  type    = map(string)
  default = {}
}
locals {
  l = tolist([])
  t = []
}
"#,
    );
    let ev = |src: &str| eval(&expr(src), &scope).unwrap_or_else(|d| panic!("{src}: {d:?}"));
    assert_eq!(ev("var.subnets == []"), Value::Bool(false));
    assert_eq!(ev("var.untyped == []"), Value::Bool(true));
    assert_eq!(ev("local.l == []"), Value::Bool(false));
    assert_eq!(ev("local.t == []"), Value::Bool(true));
    assert_eq!(ev("var.tags == {}"), Value::Bool(false));
    assert_eq!(ev("var.tags != {}"), Value::Bool(true));
    assert_eq!(ev("length(var.subnets) == 0"), Value::Bool(true));
    // Unknown stays unknown, sensitive stays sensitive.
    assert_eq!(ev("sensitive(var.subnets) == []"), Value::Bool(false).mark_sensitive());
}
