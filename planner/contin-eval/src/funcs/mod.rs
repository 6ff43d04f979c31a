//! Terraform's built-in functions: the registry (names, parameters, how
//! unknown and sensitive arguments are treated) and argument helpers.
//! `try`, `can` and `templatefile` need the evaluator and live in `eval.rs`.

mod collection;
mod crypto;
mod datetime;
mod encoding;
mod extra;
mod format;
mod network;
mod string;
mod tfprovider;
mod yaml;

pub use encoding::json_text;

use crate::eval::{remark, unmark, unmark_shallow};
use crate::Scope;
use contin_types::{Number, Value};
use std::collections::BTreeMap;

/// Why a function call failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FuncError {
    /// Argument `i` is unsuitable; the message says why (no trailing period).
    Arg(usize, String),
    /// The call failed as a whole.
    Call(String),
    NotEnough { expected: usize, missing: String },
    TooMany { expected: usize },
}

impl FuncError {
    pub(crate) fn arity(expected: usize, got: usize) -> FuncError {
        if got < expected {
            FuncError::NotEnough { expected, missing: String::new() }
        } else {
            FuncError::TooMany { expected }
        }
    }
}

pub(crate) type FnResult = Result<Value, FuncError>;
type Impl = fn(Vec<Value>, &dyn Scope) -> FnResult;

/// How arguments reach the implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Every sensitive mark removed (the result is marked if any was
    /// present); any unknown anywhere in the arguments gives an unknown result.
    Strict,
    /// Only top-level marks and unknowns are handled; the function moves
    /// nested values (keeping their marks and unknowns) or inspects them.
    Shallow,
    /// The function sees the arguments exactly as evaluated.
    Raw,
}

/// One built-in function.
pub struct FuncSpec {
    pub name: &'static str,
    params: &'static [&'static str],
    variadic: Option<&'static str>,
    mode: Mode,
    imp: Impl,
}

impl FuncSpec {
    pub(crate) fn param_name(&self, i: usize) -> &'static str {
        self.params.get(i).copied().or(self.variadic).unwrap_or("argument")
    }
}

macro_rules! f {
    ($name:literal, [$($p:literal),*], $var:expr, $mode:ident, $imp:expr) => {
        FuncSpec { name: $name, params: &[$($p),*], variadic: $var, mode: Mode::$mode, imp: $imp }
    };
}

static FUNCS: &[FuncSpec] = &[
    // strings
    f!("format", ["format"], Some("args"), Strict, format::format),
    f!("formatlist", ["format"], Some("args"), Strict, format::formatlist),
    f!("join", ["separator"], Some("lists"), Strict, string::join),
    f!("split", ["separator", "str"], None, Strict, string::split),
    f!("replace", ["str", "substr", "replace"], None, Strict, string::replace),
    f!("upper", ["str"], None, Strict, string::upper),
    f!("lower", ["str"], None, Strict, string::lower),
    f!("title", ["str"], None, Strict, string::title),
    f!("trimspace", ["str"], None, Strict, string::trimspace),
    f!("trim", ["str", "cutset"], None, Strict, string::trim),
    f!("trimprefix", ["str", "prefix"], None, Strict, string::trimprefix),
    f!("trimsuffix", ["str", "suffix"], None, Strict, string::trimsuffix),
    f!("chomp", ["str"], None, Strict, string::chomp),
    f!("indent", ["spaces", "str"], None, Strict, string::indent),
    f!("startswith", ["str", "prefix"], None, Strict, string::startswith),
    f!("endswith", ["str", "suffix"], None, Strict, string::endswith),
    f!("strcontains", ["str", "substr"], None, Strict, string::strcontains),
    f!("strrev", ["str"], None, Strict, string::strrev),
    f!("substr", ["str", "offset", "length"], None, Strict, string::substr),
    f!("regex", ["pattern", "string"], None, Strict, string::regex_fn),
    f!("regexall", ["pattern", "string"], None, Strict, string::regexall),
    // collections
    f!("length", ["value"], None, Shallow, collection::length),
    f!("keys", ["inputMap"], None, Shallow, collection::keys),
    f!("values", ["mapping"], None, Shallow, collection::values),
    f!("merge", [], Some("maps"), Shallow, collection::merge),
    f!("concat", [], Some("seqs"), Shallow, collection::concat),
    f!("flatten", ["list"], None, Strict, collection::flatten),
    f!("distinct", ["list"], None, Strict, collection::distinct),
    f!("sort", ["list"], None, Strict, collection::sort),
    f!("reverse", ["list"], None, Shallow, collection::reverse),
    f!("slice", ["list", "start_index", "end_index"], None, Shallow, collection::slice),
    f!("range", [], Some("params"), Strict, collection::range),
    f!("zipmap", ["keys", "values"], None, Shallow, collection::zipmap),
    f!("element", ["list", "index"], None, Shallow, collection::element),
    f!("index", ["list", "value"], None, Strict, collection::index_fn),
    f!("lookup", ["inputMap", "key"], Some("default"), Shallow, collection::lookup),
    f!("contains", ["list", "value"], None, Strict, collection::contains),
    f!("coalesce", [], Some("vals"), Strict, collection::coalesce),
    f!("coalescelist", [], Some("vals"), Strict, collection::coalescelist),
    f!("compact", ["list"], None, Strict, collection::compact),
    f!("min", [], Some("numbers"), Strict, collection::min),
    f!("max", [], Some("numbers"), Strict, collection::max),
    f!("sum", ["list"], None, Strict, collection::sum),
    f!("setunion", ["first_set"], Some("other_sets"), Strict, collection::setunion),
    f!("setintersection", ["first_set"], Some("other_sets"), Strict, collection::setintersection),
    f!("setsubtract", ["a", "b"], None, Strict, collection::setsubtract),
    // numbers
    f!("abs", ["num"], None, Strict, collection::abs),
    f!("ceil", ["num"], None, Strict, collection::ceil),
    f!("floor", ["num"], None, Strict, collection::floor),
    f!("signum", ["num"], None, Strict, collection::signum),
    f!("pow", ["num", "power"], None, Strict, collection::pow),
    f!("parseint", ["number", "base"], None, Strict, collection::parseint),
    // encoding
    f!("jsonencode", ["val"], None, Strict, encoding::jsonencode),
    f!("jsondecode", ["str"], None, Strict, encoding::jsondecode),
    f!("base64encode", ["str"], None, Strict, encoding::base64encode),
    f!("base64decode", ["str"], None, Strict, encoding::base64decode),
    // network
    f!("cidrsubnet", ["prefix", "newbits", "netnum"], None, Strict, network::cidrsubnet),
    f!("cidrhost", ["prefix", "hostnum"], None, Strict, network::cidrhost),
    f!("cidrnetmask", ["prefix"], None, Strict, network::cidrnetmask),
    // conversion
    f!("tostring", ["v"], None, Strict, collection::tostring),
    f!("tonumber", ["v"], None, Strict, collection::tonumber),
    f!("tobool", ["v"], None, Strict, collection::tobool),
    f!("tolist", ["v"], None, Shallow, collection::tolist),
    f!("toset", ["v"], None, Strict, collection::toset),
    f!("tomap", ["v"], None, Shallow, collection::tomap),
    f!("sensitive", ["value"], None, Raw, collection::sensitive),
    f!("nonsensitive", ["value"], None, Raw, collection::nonsensitive),
    // files (through Scope::read_file)
    f!("file", ["path"], None, Strict, file),
    f!("templatefile", ["path", "vars"], None, Strict, unreachable_templatefile),
    f!("templatestring", ["template", "vars"], None, Strict, unreachable_templatefile),
    f!("filebase64", ["path"], None, Strict, crypto::filebase64),
    f!("filemd5", ["path"], None, Strict, crypto::filemd5),
    f!("filesha1", ["path"], None, Strict, crypto::filesha1),
    f!("filesha256", ["path"], None, Strict, crypto::filesha256),
    f!("filesha512", ["path"], None, Strict, crypto::filesha512),
    f!("filebase64sha256", ["path"], None, Strict, crypto::filebase64sha256),
    f!("filebase64sha512", ["path"], None, Strict, crypto::filebase64sha512),
    f!("fileexists", ["path"], None, Strict, extra::fileexists),
    f!("fileset", ["path", "pattern"], None, Strict, extra::fileset),
    f!("basename", ["path"], None, Strict, extra::basename),
    f!("dirname", ["path"], None, Strict, extra::dirname),
    f!("abspath", ["path"], None, Strict, extra::abspath),
    f!("pathexpand", ["path"], None, Strict, extra::pathexpand),
    // hashes and crypto
    f!("md5", ["str"], None, Strict, crypto::md5),
    f!("sha1", ["str"], None, Strict, crypto::sha1),
    f!("sha256", ["str"], None, Strict, crypto::sha256),
    f!("sha512", ["str"], None, Strict, crypto::sha512),
    f!("base64sha256", ["str"], None, Strict, crypto::base64sha256),
    f!("base64sha512", ["str"], None, Strict, crypto::base64sha512),
    f!("bcrypt", ["str"], Some("cost"), Strict, crypto::bcrypt),
    f!("rsadecrypt", ["ciphertext", "privatekey"], None, Strict, crypto::rsadecrypt),
    f!("uuid", [], None, Strict, crypto::uuid),
    f!("uuidv5", ["namespace", "name"], None, Strict, crypto::uuidv5),
    // encodings
    f!("base64gzip", ["str"], None, Strict, extra::base64gzip),
    f!("textencodebase64", ["string", "encoding"], None, Strict, extra::textencodebase64),
    f!("textdecodebase64", ["source", "encoding"], None, Strict, extra::textdecodebase64),
    f!("urlencode", ["str"], None, Strict, extra::urlencode),
    f!("csvdecode", ["str"], None, Strict, extra::csvdecode),
    f!("yamldecode", ["src"], None, Strict, yaml::yamldecode),
    f!("yamlencode", ["value"], None, Strict, yaml::yamlencode),
    // time
    f!("formatdate", ["format", "time"], None, Strict, datetime::formatdate),
    f!("timeadd", ["timestamp", "duration"], None, Strict, datetime::timeadd),
    f!("timecmp", ["timestamp_a", "timestamp_b"], None, Strict, datetime::timecmp),
    f!("timestamp", [], None, Strict, datetime::timestamp),
    f!("plantimestamp", [], None, Strict, datetime::plantimestamp),
    // more collections and numbers
    f!("one", ["list"], None, Shallow, extra::one),
    f!("alltrue", ["list"], None, Strict, extra::alltrue),
    f!("anytrue", ["list"], None, Strict, extra::anytrue),
    f!("chunklist", ["list", "size"], None, Shallow, extra::chunklist),
    f!("matchkeys", ["values", "keys", "searchset"], None, Strict, extra::matchkeys),
    f!("transpose", ["values"], None, Strict, extra::transpose),
    f!("setproduct", [], Some("sets"), Strict, extra::setproduct),
    f!("log", ["num", "base"], None, Strict, extra::log),
    f!("cidrsubnets", ["prefix"], Some("newbits"), Strict, extra::cidrsubnets),
    // marks
    f!("issensitive", ["value"], None, Raw, extra::issensitive),
    f!("ephemeralasnull", ["value"], None, Raw, extra::ephemeralasnull),
];

/// Names handled by the evaluator itself.
const SPECIAL: &[&str] = &["try", "can"];

pub(crate) fn lookup(name: &str) -> Option<&'static FuncSpec> {
    FUNCS.iter().find(|f| f.name == name)
}

/// A namespaced function: `core::NAME` (the built-ins) or
/// `provider::terraform::NAME` (the built-in `terraform` provider's).
pub(crate) fn lookup_namespaced(namespace: &[&str], name: &str) -> Option<&'static FuncSpec> {
    match namespace {
        ["core"] => lookup(name),
        ["provider", "terraform"] => tfprovider::lookup(name),
        _ => None,
    }
}

/// Every function name, sorted (for documentation and suggestions).
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = FUNCS.iter().map(|f| f.name).chain(SPECIAL.iter().copied()).collect();
    v.sort_unstable();
    v
}

/// The closest known function name, for "did you mean".
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    let names = names();
    closest(name, names.iter().copied())
}

/// The candidate within edit distance 3 (and less than the name's length) closest to `name`.
pub(crate) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = contin_types::suggest::edit_distance(&name.to_lowercase(), &c.to_lowercase());
        if d <= 3 && d < name.chars().count().max(2) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Calls a function with evaluated arguments. The result is checked against
/// the size limits ([`crate::limits`]); when an argument is sensitive, an
/// error never repeats argument text (it may contain the secret).
pub(crate) fn call(spec: &FuncSpec, args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let sensitive = args.iter().any(Value::contains_sensitive);
    let v = match call_inner(spec, args, scope) {
        Err(e) if sensitive => return Err(redact(spec.name, e)),
        other => other?,
    };
    // The size check names only sizes and the limit: safe to show either way.
    crate::limits::check_value(&v).map_err(FuncError::Call)?;
    Ok(v)
}

/// An error of a call with a sensitive argument, without any argument text.
fn redact(name: &str, e: FuncError) -> FuncError {
    use crate::eval::REDACTED;
    match e {
        FuncError::Arg(i, _) if name == "tonumber" => FuncError::Arg(i, "cannot convert this sensitive string to number".into()),
        FuncError::Arg(i, _) => FuncError::Arg(i, format!("the given value is sensitive, so the reason is not shown {REDACTED}")),
        FuncError::Call(_) => FuncError::Call(format!("an argument is sensitive, so the reason is not shown {REDACTED}")),
        other => other,
    }
}

fn call_inner(spec: &FuncSpec, args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let n = spec.params.len();
    if args.len() < n {
        return Err(FuncError::NotEnough { expected: n, missing: spec.params[args.len()].to_string() });
    }
    if args.len() > n && spec.variadic.is_none() {
        return Err(FuncError::TooMany { expected: n });
    }
    match spec.mode {
        Mode::Raw => (spec.imp)(args, scope),
        Mode::Strict => {
            let mut marked = false;
            let mut plain = Vec::with_capacity(args.len());
            for a in args {
                let (v, m) = unmark(a);
                marked |= m;
                plain.push(v);
            }
            if !plain.iter().all(Value::is_wholly_known) {
                return Ok(remark(Value::Unknown, marked));
            }
            Ok(remark((spec.imp)(plain, scope)?, marked))
        }
        Mode::Shallow => {
            let mut marked = false;
            let mut plain = Vec::with_capacity(args.len());
            for a in args {
                let (v, m) = unmark_shallow(a);
                marked |= m;
                plain.push(v);
            }
            if plain.iter().any(|v| matches!(v, Value::Unknown)) {
                return Ok(remark(Value::Unknown, marked));
            }
            Ok(remark((spec.imp)(plain, scope)?, marked))
        }
    }
}

fn file(args: Vec<Value>, scope: &dyn Scope) -> FnResult {
    let path = string_arg(&args[0], 0)?;
    // The message goes into "Invalid value for "path" parameter: {e}.": no double period.
    scope.read_file(&path).map(Value::String).map_err(|e| FuncError::Arg(0, e.trim_end_matches('.').to_string()))
}

fn unreachable_templatefile(_args: Vec<Value>, _scope: &dyn Scope) -> FnResult {
    Err(FuncError::Call("templatefile is evaluated by the expression evaluator".into()))
}

// ---- argument helpers ----

/// A string parameter: numbers and bools convert, like Terraform.
pub(crate) fn string_arg(v: &Value, i: usize) -> Result<String, FuncError> {
    match v.unmarked() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(FuncError::Arg(i, "argument must not be null".into())),
        other => Err(FuncError::Arg(i, format!("string required, but have {}", other.type_name()))),
    }
}

pub(crate) fn number_arg(v: &Value, i: usize) -> Result<Number, FuncError> {
    match v.unmarked() {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => crate::number::parse(s)
            .ok_or_else(|| FuncError::Arg(i, format!("a number is required, but \"{s}\" is not a number"))),
        Value::Null => Err(FuncError::Arg(i, "argument must not be null".into())),
        other => Err(FuncError::Arg(i, format!("number required, but have {}", other.type_name()))),
    }
}

pub(crate) fn int_arg(v: &Value, i: usize) -> Result<i64, FuncError> {
    let n = number_arg(v, i)?;
    n.as_i64().ok_or_else(|| FuncError::Arg(i, "value must be a whole number".into()))
}

/// A list, tuple or set parameter.
pub(crate) fn list_arg(v: Value, i: usize) -> Result<Vec<Value>, FuncError> {
    match unmark_shallow(v).0 {
        Value::List(items) | Value::Set(items) => Ok(items),
        Value::Null => Err(FuncError::Arg(i, "argument must not be null".into())),
        other => Err(FuncError::Arg(i, format!("list of any single type required, but have {}", other.type_name()))),
    }
}

pub(crate) fn map_arg(v: Value, i: usize) -> Result<BTreeMap<String, Value>, FuncError> {
    match unmark_shallow(v).0 {
        Value::Map(m) => Ok(m),
        Value::Null => Err(FuncError::Arg(i, "argument must not be null".into())),
        other => Err(FuncError::Arg(i, format!("map or object required, but have {}", other.type_name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("lenght"), Some("length"));
        assert_eq!(suggest("jsonencod"), Some("jsonencode"));
        assert_eq!(suggest("zzzzzzzzzz"), None);
    }
}
