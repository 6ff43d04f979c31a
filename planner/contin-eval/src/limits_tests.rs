//! Every limit of `limits.rs` with its exact message, and sensitive values
//! kept out of every error that used to print them.

use crate::{eval, parse_expr, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};

const MARKER: &str = "hunter2-MARKER";

/// `var.secret` is a sensitive marker string; `var.big` a 10 MiB string;
/// files: `self.tpl` calls templatefile on itself.
struct S;

impl Scope for S {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(n) if n == "secret" => Ok(Value::string(MARKER).mark_sensitive()),
            Reference::Var(n) if n == "secret_map" => {
                Ok(Value::map([("k", Value::string(MARKER))]).mark_sensitive())
            }
            Reference::Var(n) if n == "big" => Ok(Value::string("x".repeat(10 << 20))),
            _ => Err(Diagnostic::error("unknown").at(loc.clone())),
        }
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        match path {
            "self.tpl" => Ok("a${templatefile(\"self.tpl\", {})}".into()),
            "deep.tpl" => Ok(format!("${{{}templatefile(\"deep.tpl\", {{}}){}}}", "(".repeat(60), ")".repeat(60))),
            p if p.starts_with("deep-") => {
                // deep-K: 60 levels of construct K around a call to the same template.
                let k: usize = p[5..].parse().unwrap_or(0);
                let (open, close) = DEEP_KINDS[k % DEEP_KINDS.len()];
                let call = format!("templatefile(\"{p}\", {{}})");
                Ok(format!("${{{}{call}{}}}", open.repeat(60), close.repeat(60)))
            }
            "huge" => Err(crate::limits::file_too_large("huge", 5 << 30)),
            _ => Err(format!("cannot read {path}: no such file.")),
        }
    }
}

/// The first diagnostic as `summary: detail`, and the source it points at.
fn err(src: &str) -> (String, String) {
    let e = parse_expr(src, "main.hcl").expect("parses");
    let d = eval(&e, &S).expect_err("expected an error").0.remove(0);
    let at = d.loc.as_ref().and_then(|l| src.get(l.span.clone())).unwrap_or("").to_string();
    (format!("{}: {}", d.summary, d.detail), at)
}

fn ok(src: &str) -> Value {
    let e = parse_expr(src, "main.hcl").expect("parses");
    eval(&e, &S).unwrap_or_else(|d| panic!("{src}: {d:?}"))
}

#[test]
fn format_width_and_precision_are_bounded() {
    assert_eq!(
        err(r#"format("%.999999999f", 1.5)"#).0,
        "Error in function call: Call to function \"format\" failed: the precision 999999999 of the verb at 0 is more than the limit of 65535 (MAX_FORMAT_WIDTH)."
    );
    assert_eq!(
        err(r#"format("%999999999999d", 1)"#).0,
        "Error in function call: Call to function \"format\" failed: the width 999999999999 of the verb at 0 is more than the limit of 65535 (MAX_FORMAT_WIDTH)."
    );
    assert_eq!(
        err(r#"format("%99999999999999999999999999s", 1)"#).0,
        "Error in function call: Call to function \"format\" failed: the width 99999999999999999999999999 of the verb at 0 is more than the limit of 65535 (MAX_FORMAT_WIDTH)."
    );
    // At the limit it works, for every float verb (std formatting stops at u16::MAX).
    for verb in ["f", "e", "E"] {
        let v = ok(&format!("format(\"%.65535{verb}\", 1.5)"));
        assert!(matches!(&v, Value::String(s) if s.len() > 65_535), "{verb}");
    }
    // %g drops trailing zeros.
    assert_eq!(ok(r#"format("%.65535g", 1.5)"#), Value::string("1.5"));
    assert_eq!(ok(r#"format("%.65535G", 1.5)"#), Value::string("1.5"));
    assert_eq!(ok(r#"length(format("%65535d", 1))"#), Value::int(65_535));
}

#[test]
fn numbers_out_of_range() {
    let (msg, at) = err(r#"tonumber("1e99999999999")"#);
    assert_eq!(
        msg,
        "Invalid function argument: Invalid value for \"v\" parameter: cannot convert \"1e99999999999\" to number: the number is out of range: its decimal exponent exceeds ±10000 (MAX_NUMBER_EXPONENT)."
    );
    assert_eq!(at, "\"1e99999999999\"");
    // The parser itself refuses literals beyond float64's range (like Terraform).
    assert!(parse_expr("1 + 1e99999999999", "main.hcl").is_err());
    // A literal that underflows float64 is zero, and costs nothing.
    assert_eq!(ok("1 + 1e-99999999999"), Value::int(1));
    assert_eq!(
        err(r#"tonumber("1e9000") * tonumber("1e9000")"#).0,
        "Number out of range: The result of this arithmetic operation is out of range: the number is out of range: its decimal exponent exceeds ±10000 (MAX_NUMBER_EXPONENT)."
    );
    assert_eq!(
        ok(r#"format("%.1005e", 1.5)"#),
        Value::String(format!("1.5{}e+00", "0".repeat(1004)))
    );
    assert!(err("tonumber(\"1e-99999999999\")").0.contains("(MAX_NUMBER_EXPONENT)"));
    assert!(err("tonumber(\"1e5000\") * tonumber(\"1e6000\")").0.contains("(MAX_NUMBER_EXPONENT)"));
    // Terraform's 1e400 still works; long results are rounded to MAX_NUMBER_DIGITS.
    assert_eq!(ok(r#"tonumber("1e400") / tonumber("1e399")"#), Value::int(10));
    let Value::Number(n) = ok("(1 / 3) * (1 / 3) * 3 * 3") else { panic!() };
    assert!(n.0.digits() <= crate::limits::MAX_NUMBER_DIGITS);
    let digits = "9".repeat(600);
    assert_eq!(
        err(&format!("parseint(\"{digits}\", 10)")).0,
        format!("Invalid function argument: Invalid value for \"number\" parameter: cannot parse \"{digits}\" as a base 10 integer: more than 512 digits (MAX_NUMBER_DIGITS).")
    );
}

#[test]
fn string_results_are_bounded() {
    assert_eq!(
        err(r#"indent(1e9, "a\nb")"#).0,
        "Invalid function argument: Invalid value for \"spaces\" parameter: the result would be 1000000003 bytes long, more than the limit of 16 MiB (MAX_STRING_BYTES)."
    );
    let too_long = "the result would be 20971520 bytes long, more than the limit of 16 MiB (MAX_STRING_BYTES)";
    assert_eq!(err("join(\"\", [var.big, var.big])").0, format!("Error in function call: Call to function \"join\" failed: {too_long}."));
    assert_eq!(err("format(\"%s%s\", var.big, var.big)").0, format!("Error in function call: Call to function \"format\" failed: {too_long}."));
    assert!(err("replace(var.big, \"x\", \"xx\")").0.ends_with("(MAX_STRING_BYTES)."));
    assert!(err("replace(var.big, \"/x/\", \"xx\")").0.ends_with("(MAX_STRING_BYTES)."));
    assert!(err("formatlist(\"%s\", [var.big, var.big])").0.contains("all elements together: the result would be"));
    assert!(err("upper(\"${var.big}${var.big}\")").0.starts_with("Template result too long: The template cannot be rendered: the result would be"));
    assert!(err("\"%{for i in range(3)}${var.big}%{endfor}\"").0.ends_with("(MAX_STRING_BYTES)."));
    // strrev of a long (but allowed) string is fine.
    assert!(matches!(ok("strrev(var.big)"), Value::String(s) if s.len() == 10 << 20));
}

#[test]
fn collection_results_are_bounded() {
    assert_eq!(
        err("split(\"\", \"${var.big}\")").0,
        "Error in function call: Call to function \"split\" failed: the result would have 10485760 elements, more than the limit of 1000000 (MAX_COLLECTION_ELEMENTS)."
    );
    assert!(err("regexall(\"x\", var.big)").0.ends_with("(MAX_COLLECTION_ELEMENTS)."));
    assert_eq!(
        err("range(2000)").0,
        "Error in function call: Call to function \"range\" failed: more than 1024 values were generated; either decrease the difference between start and end or use a smaller step."
    );
}

#[test]
fn file_errors_from_the_scope_are_rendered_once() {
    assert_eq!(
        err(r#"file("huge")"#),
        (
            "Invalid function argument: Invalid value for \"path\" parameter: huge is 5368709120 bytes, more than the limit of 16 MiB (MAX_FILE_BYTES).".to_string(),
            "\"huge\"".to_string()
        )
    );
    assert_eq!(
        err(r#"templatefile("nope", {})"#).0,
        "Invalid function argument: Invalid value for \"path\" parameter: cannot read nope: no such file."
    );
}

const DEEP_KINDS: &[(&str, &str)] = &[
    ("(", ")"),
    ("[", "]"),
    ("{a = ", "}"),
    ("tostring(", ")"),
    ("true ? ", " : 1"),
    ("[for x in [1] : ", "]"),
    ("\"${", "}\""),
    ("try(", ")"),
    ("1 + ", ""),
    ("-", ""),
    ("format(\"%s\", ", ")"),
];

/// Every kind of nesting, as deep as the parser allows, repeated through
/// templatefile: an error, never a stack overflow, on a 2 MiB thread (the
/// default for spawned and tokio worker threads).
#[test]
fn no_nesting_overflows_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            for k in 0..DEEP_KINDS.len() {
                let src = format!("templatefile(\"deep-{k}\", {{}})");
                let e = parse_expr(&src, "main.hcl").expect("parses");
                let d = eval(&e, &S).expect_err("too deep");
                let text = format!("{:?}", d.0);
                assert!(
                    ["MAX_EXPRESSION_DEPTH", "MAX_EVAL_STACK_BYTES", "MAX_TEMPLATEFILE_DEPTH"].iter().any(|l| text.contains(l)),
                    "{k}: {text}"
                );
            }
        })
        .expect("thread")
        .join()
        .expect("no panic");
}

#[test]
fn evaluation_depth_is_bounded() {
    let (msg, _) = err(r#"templatefile("deep.tpl", {})"#);
    assert_eq!(msg, "Expression too deeply nested: Evaluation is nested more than 128 levels deep (MAX_EXPRESSION_DEPTH).");
}

#[test]
fn templatefile_recursion_is_bounded() {
    assert_eq!(
        err(r#"templatefile("self.tpl", {})"#).0,
        "Error in function call: Call to function \"templatefile\" failed: templates are nested more than 8 levels deep (MAX_TEMPLATEFILE_DEPTH); does a template call templatefile on itself?"
    );
}

#[test]
fn sensitive_values_stay_out_of_errors() {
    let cases = [
        ("tonumber(var.secret)", "Invalid function argument: Invalid value for \"v\" parameter: cannot convert this sensitive string to number."),
        ("file(\"${var.secret}\")", "Invalid function argument: Invalid value for \"path\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("file(var.secret)", "Invalid function argument: Invalid value for \"path\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("templatefile(var.secret, {})", "Invalid function argument: Invalid value for \"path\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("var.secret + 1", "Invalid operand: Unsuitable value for left operand: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("-var.secret", "Invalid operand: Unsuitable value for operand: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("!var.secret", "Invalid operand: Unsuitable value for operand: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("var.secret && true", "Invalid operand: Unsuitable value for left operand: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("tobool(var.secret)", "Invalid function argument: Invalid value for \"v\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("parseint(var.secret, 10)", "Invalid function argument: Invalid value for \"number\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("cidrhost(var.secret, 1)", "Invalid function argument: Invalid value for \"prefix\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("lookup({}, var.secret)", "Error in function call: Call to function \"lookup\" failed: an argument is sensitive, so the reason is not shown (sensitive value)."),
        ("format(\"%d\", var.secret)", "Error in function call: Call to function \"format\" failed: an argument is sensitive, so the reason is not shown (sensitive value)."),
        ("format(\"%999999999d${var.secret}\", 1)", "Error in function call: Call to function \"format\" failed: an argument is sensitive, so the reason is not shown (sensitive value)."),
        ("regex(var.secret, \"x\")", "Error in function call: Call to function \"regex\" failed: an argument is sensitive, so the reason is not shown (sensitive value)."),
        ("{for k in [var.secret, var.secret] : k => 1}", "Duplicate object key: Two different items produced the key (sensitive value) in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."),
        ("jsondecode(var.secret)", "Invalid function argument: Invalid value for \"str\" parameter: the given value is sensitive, so the reason is not shown (sensitive value)."),
        ("try(tonumber(var.secret))", "Error in function call: Call to function \"try\" failed: no expression succeeded:\n- Invalid function argument: Invalid value for \"v\" parameter: cannot convert this sensitive string to number.\n\nAt least one expression must produce a successful result."),
    ];
    for (src, want) in cases {
        let (got, _) = err(src);
        assert!(!got.contains("hunter2"), "{src}: {got}");
        assert_eq!(got, want, "{src}");
    }
    // A sensitive map: the key of a failed lookup is not shown either.
    let (got, _) = err("var.secret_map[\"nope\"] + tonumber(var.secret_map.k)");
    assert!(!got.contains("hunter2"), "{got}");
}

#[test]
fn type_unification_is_bounded() {
    // Mixed kinds with more than MAX_UNIFY_TYPES different types: refused,
    // not searched pairwise.
    let (msg, _) = err(r#"tolist(concat([1], [for i in range(1000) : {"a${i}" = i}]))"#);
    assert!(msg.contains("all elements must have the same type"), "{msg}");
    let (msg, _) = err(r#"true ? concat([1], [for i in range(1000) : {"a${i}" = i}]) : {}"#);
    assert!(msg.starts_with("Inconsistent conditional result types"), "{msg}");
    // Many elements of few types unify as usual.
    assert_eq!(ok(r#"length(tolist(concat(flatten([for i in range(1000) : range(20)]), ["x"])))"#), Value::int(20001));
    // A value nested deeper than MAX_TYPE_DEPTH: the rest counts as dynamic.
    // (40 literal levels around 120 decoded ones: the parser nests 64 at most.)
    let json = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let deep = format!("{}jsondecode(\"{json}\"){}", "[".repeat(40), "]".repeat(40));
    assert_eq!(ok(&format!("length(true ? {deep} : {deep})")), Value::int(1));
}
