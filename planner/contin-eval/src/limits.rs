//! Resource limits of evaluation. Every limit is a named constant; every
//! error that enforces one names the limit and its value, so a hostile or
//! mistaken configuration gets a located error instead of a hang, a huge
//! allocation, a panic or a stack overflow.
//!
//! | constant | value | what it bounds |
//! |---|---|---|
//! | [`MAX_INSTANCES_PER_BLOCK`] | 100,000 | instances one `count` / `for_each` expands to |
//! | [`MAX_STRING_BYTES`] | 16 MiB | any string a function or template produces |
//! | [`MAX_COLLECTION_ELEMENTS`] | 1,000,000 | elements of a list/set/map a function produces (a `for` expression is bounded by its input) |
//! | [`MAX_FORMAT_WIDTH`] | 65,535 | width and precision of a `format` verb |
//! | [`MAX_NUMBER_EXPONENT`] | 10,000 | decimal exponent of any number (literal, `tonumber`, arithmetic) |
//! | [`MAX_NUMBER_DIGITS`] | 512 | significant digits kept; longer results are rounded (Terraform keeps 512 bits) |
//! | [`MAX_TEMPLATEFILE_DEPTH`] | 8 | `templatefile` calls nested inside templates |
//! | [`MAX_EXPRESSION_DEPTH`] | 128 | evaluator recursion (the parser already stops at 64 nested levels and 128 chained operators) |
//! | [`MAX_EVAL_STACK_BYTES`] | 768 KiB | stack one evaluation may use (frames are much larger in debug builds; threads often have 2 MiB) |
//! | [`MAX_LOCAL_CHAIN_DEPTH`] | 1,000 | locals depending on each other in one chain (`check_cycles`) |
//! | [`MAX_FILESET_ENTRIES`] | 100,000 | files one `fileset()` lists |
//! | [`MAX_BCRYPT_COST`] | 16 | `bcrypt` cost (Terraform: 31) |
//! | [`MAX_YAML_NODES`] | 1,000,000 | nodes one `yamldecode` produces, aliases expanded |
//! | [`MAX_DOCUMENT_DEPTH`] | 128 | nesting of `yamldecode` input / `yamlencode` output |
//! | [`MAX_FILE_BYTES`] | 16 MiB | a file read by `file()` / `templatefile()`; enforced by the `Scope::read_file` implementation |

/// Instances one `count` or `for_each` may expand to.
pub const MAX_INSTANCES_PER_BLOCK: usize = 100_000;
/// Bytes of any string produced by a function or a template.
pub const MAX_STRING_BYTES: usize = 16 << 20;
/// Elements of any collection produced by a function.
pub const MAX_COLLECTION_ELEMENTS: usize = 1_000_000;
/// Width and precision of one `format` verb (std formatting refuses more; Go stops at 1e6).
pub const MAX_FORMAT_WIDTH: usize = 65_535;
/// Largest decimal exponent (in magnitude) of a number.
pub const MAX_NUMBER_EXPONENT: i64 = 10_000;
/// Significant decimal digits a number keeps; arithmetic results are rounded to this.
pub const MAX_NUMBER_DIGITS: u64 = 512;
/// `templatefile` calls nested inside templates.
pub const MAX_TEMPLATEFILE_DEPTH: usize = 8;
/// Nesting depth of evaluation (sub-expressions, nested templates).
pub const MAX_EXPRESSION_DEPTH: usize = 128;
/// Stack one evaluation may use below its entry point, whatever the depth.
pub const MAX_EVAL_STACK_BYTES: usize = 768 << 10;
/// Longest chain of locals depending on each other (checked by `check_cycles`,
/// so evaluators that resolve locals recursively cannot overflow the stack).
pub const MAX_LOCAL_CHAIN_DEPTH: usize = 1_000;
/// Files `fileset()` may list (the `Scope::list_files` implementation enforces it).
pub const MAX_FILESET_ENTRIES: usize = 100_000;
/// Largest bcrypt cost accepted (each step doubles the work; Terraform accepts up to 31, which takes days).
pub const MAX_BCRYPT_COST: u32 = 16;
/// Nodes one `yamldecode` may produce, aliases counted each time they are expanded (alias bombs).
pub const MAX_YAML_NODES: usize = 1_000_000;
/// Nesting depth of `yamldecode` input and of `yamlencode`/`jsonencode` output.
pub const MAX_DOCUMENT_DEPTH: usize = 128;
/// Nesting depth to which a value's type is read for cty's unification
/// (conditional results); deeper parts count as the dynamic type (no conversion).
pub const MAX_TYPE_DEPTH: usize = 128;
/// Different types of mixed kinds (primitives beside collections, …) one
/// unification considers; more have no common type ("all elements must
/// have the same type").
pub const MAX_UNIFY_TYPES: usize = 256;
/// References (locals naming locals) followed to find an expression's
/// collection shape (`shape::static_shape`); past it the shape is unknown and
/// values compare by content. Also stops a cycle of locals.
pub const MAX_SHAPE_REFERENCE_DEPTH: usize = 64;
/// Largest file `file()` and `templatefile()` may read. The planner has no
/// IO: the `Scope::read_file` implementation (the engine) enforces it,
/// ideally before reading (metadata length) and while reading (take).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

fn mib(n: usize) -> String {
    format!("{} MiB", n >> 20)
}

/// The error text of a string over [`MAX_STRING_BYTES`].
pub fn string_too_long(len: usize) -> String {
    format!(
        "the result would be {len} bytes long, more than the limit of {} (MAX_STRING_BYTES)",
        mib(MAX_STRING_BYTES)
    )
}

/// The error text of a collection over [`MAX_COLLECTION_ELEMENTS`].
pub fn too_many_elements(n: usize) -> String {
    format!(
        "the result would have {n} elements, more than the limit of {MAX_COLLECTION_ELEMENTS} (MAX_COLLECTION_ELEMENTS)"
    )
}

/// The error text of a file over [`MAX_FILE_BYTES`], for `Scope::read_file` implementations.
pub fn file_too_large(path: &str, len: u64) -> String {
    format!(
        "{path} is {len} bytes, more than the limit of {} MiB (MAX_FILE_BYTES)",
        MAX_FILE_BYTES >> 20
    )
}

/// The error text of a number out of range.
pub fn number_out_of_range() -> String {
    format!("the number is out of range: its decimal exponent exceeds ±{MAX_NUMBER_EXPONENT} (MAX_NUMBER_EXPONENT)")
}

/// Checks a string length against [`MAX_STRING_BYTES`].
pub(crate) fn check_string(len: usize) -> Result<(), String> {
    if len > MAX_STRING_BYTES {
        Err(string_too_long(len))
    } else {
        Ok(())
    }
}

/// Checks a result value (top level only: nested values were checked when built).
pub(crate) fn check_value(v: &contin_types::Value) -> Result<(), String> {
    use contin_types::Value;
    match v {
        Value::String(s) => check_string(s.len()),
        Value::List(items) | Value::Set(items) if items.len() > MAX_COLLECTION_ELEMENTS => Err(too_many_elements(items.len())),
        Value::Map(m) if m.len() > MAX_COLLECTION_ELEMENTS => Err(too_many_elements(m.len())),
        Value::Sensitive(inner) => check_value(inner),
        _ => Ok(()),
    }
}
