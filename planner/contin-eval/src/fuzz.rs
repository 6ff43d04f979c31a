//! Fuzzing on stable Rust, without extra crates: seeded random inputs from
//! small grammars, run under `catch_unwind`. Property: evaluation and the
//! cycle check never panic; they return a value or located diagnostics.
//!
//! Normal test runs try `CONTIN_FUZZ_CASES` inputs per target (default 256).
//! `CONTIN_FUZZ_SECS=600` runs each target until the time is up;
//! `CONTIN_FUZZ_SEED` picks the seed (printed on failure, so a crash can be
//! replayed and turned into a named regression test); `CONTIN_FUZZ_DUMP=1`
//! prints every input.

/// A small xorshift generator (deterministic per seed).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Runs `case(seed)` for the configured number of cases or seconds; panics
/// (failing the test) with the seed of the first input that panicked.
pub(crate) fn run(name: &str, case: impl Fn(u64) + std::panic::RefUnwindSafe) {
    let base: u64 = std::env::var("CONTIN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let secs: Option<u64> = std::env::var("CONTIN_FUZZ_SECS").ok().and_then(|s| s.parse().ok());
    let cases: u64 = std::env::var("CONTIN_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    let started = std::time::Instant::now();
    let mut n = 0u64;
    loop {
        let done = match secs {
            Some(s) => started.elapsed().as_secs() >= s,
            None => n >= cases,
        };
        if done {
            break;
        }
        let seed = base.wrapping_add(n);
        if std::panic::catch_unwind(|| case(seed)).is_err() {
            panic!("fuzz target {name}: input with seed {seed} panicked (replay: CONTIN_FUZZ_SEED={seed} CONTIN_FUZZ_CASES=1)");
        }
        n += 1;
    }
    eprintln!("fuzz target {name}: {n} cases in {:?}, no panic", started.elapsed());
}

/// Extreme and ordinary literals.
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "3", "1.5", "1e9", "1e99999999999", "1e-99999999999", "9999999999999999999999999", "0.1", "1e400",
    "65535", "65536", "100001", "-0", "1e10000", "1e-10000",
];
const STRINGS: &[&str] = &[
    "\"\"", "\"a\"", "\"a\\nb\"", "\"%.999999999f\"", "\"%999999999999d\"", "\"%s\"", "\"%d\"", "\"%v\"", "\"%[3]s\"",
    "\"%\"", "\"1e99999999999\"", "\"10.0.0.0/8\"", "\"/x*/\"", "\"é\"", "\"${1}\"", "\"%{for x in [1,2]}${x}%{endfor}\"",
    "\"hunter2\"", "\"true\"", "\"-\"", "\"\\u0000\"", "\"%-#+ 0100.50g\"", "\"%[0]d\"", "\"%[99999999999999999999]d\"",
    "\"2018-01-02T23:12:01Z\"", "\"9999-12-31T23:59:59-23:59\"", "\"-2562047h\"", "\"1.5h30m\"", "\"YYYY'x\"",
    "\"UTF-16LE\"", "\"{a: &a [1, *a]}\"", "\"[[[[[[[[[[\"", "\"a,b\\n1\"", "\"a,\\\"b\\n1\"", "\"~/x\"", "\"**/*\"",
    "\"dns\"", "\"a = 1\"", "\"-----BEGIN RSA PRIVATE KEY-----\"", "\"::/0\"", "\"!!binary x\"", "\"<<: *a\"",
];
const FUNCS: &[(&str, usize)] = &[
    ("format", 2), ("format", 3), ("formatlist", 2), ("tonumber", 1), ("tostring", 1), ("indent", 2), ("range", 1),
    ("range", 3), ("join", 2), ("split", 2), ("replace", 3), ("strrev", 1), ("substr", 3), ("concat", 2), ("flatten", 1),
    ("distinct", 1), ("sort", 1), ("slice", 3), ("element", 2), ("lookup", 3), ("merge", 2), ("zipmap", 2), ("keys", 1),
    ("length", 1), ("upper", 1), ("title", 1), ("pow", 2), ("parseint", 2), ("abs", 1), ("ceil", 1), ("floor", 1),
    ("min", 2), ("max", 2), ("sum", 1), ("jsonencode", 1), ("jsondecode", 1), ("base64decode", 1), ("cidrsubnet", 3),
    ("cidrhost", 2), ("cidrnetmask", 1), ("regex", 2), ("regexall", 2), ("tolist", 1), ("toset", 1), ("tomap", 1),
    ("sensitive", 1), ("nonsensitive", 1), ("try", 2), ("can", 1), ("coalesce", 2), ("setproduct", 2), ("file", 1),
    ("templatefile", 2), ("trim", 2), ("signum", 1), ("contains", 2), ("index", 2), ("reverse", 1), ("compact", 1),
    ("yamldecode", 1), ("yamlencode", 1), ("csvdecode", 1), ("formatdate", 2), ("timeadd", 2), ("timecmp", 2),
    ("cidrsubnets", 3), ("setproduct", 3), ("chunklist", 2), ("matchkeys", 3), ("transpose", 1), ("one", 1),
    ("alltrue", 1), ("anytrue", 1), ("log", 2), ("textencodebase64", 2), ("textdecodebase64", 2), ("base64gzip", 1),
    ("urlencode", 1), ("md5", 1), ("sha512", 1), ("base64sha256", 1), ("uuidv5", 2), ("bcrypt", 2), ("rsadecrypt", 2),
    ("basename", 1), ("dirname", 1), ("abspath", 1), ("pathexpand", 1), ("fileexists", 1), ("fileset", 2),
    ("filemd5", 1), ("filebase64", 1), ("templatestring", 2), ("issensitive", 1), ("ephemeralasnull", 1),
    ("provider::terraform::encode_expr", 1), ("provider::terraform::encode_tfvars", 1),
    ("provider::terraform::decode_tfvars", 1),
];
const OPS: &[&str] = &["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"];

/// A random expression of the evaluator's grammar, at most `depth` deep.
pub(crate) fn expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 || r.chance(25) {
        return match r.below(6) {
            0 | 1 => r.pick(NUMBERS).to_string(),
            2 | 3 => r.pick(STRINGS).to_string(),
            4 => r.pick(&["true", "false", "null", "var.secret", "var.list", "var.map", "local.x"]).to_string(),
            _ => r.pick(&["[]", "{}", "[1, 2, 3]", "{a = 1}", "var.unknown"]).to_string(),
        };
    }
    let d = depth - 1;
    match r.below(10) {
        0..=3 => {
            let (name, arity) = FUNCS[r.below(FUNCS.len())];
            let n = if r.chance(10) { r.below(5) } else { arity };
            let args: Vec<String> = (0..n).map(|_| expr(r, d)).collect();
            let expand = if n > 0 && r.chance(5) { "..." } else { "" };
            format!("{name}({}{expand})", args.join(", "))
        }
        4 => format!("({} {} {})", expr(r, d), r.pick(OPS), expr(r, d)),
        5 => format!("[{}]", (0..r.below(4)).map(|_| expr(r, d)).collect::<Vec<_>>().join(", ")),
        6 => format!("{{ k{} = {}, \"x\" = {} }}", r.below(3), expr(r, d), expr(r, d)),
        7 => format!("({} ? {} : {})", expr(r, d), expr(r, d), expr(r, d)),
        8 => format!("[for i, v in {} : {} if {}]", expr(r, d), expr(r, d), r.pick(&["true", "v != null", "i < 2"])),
        _ => format!("\"a${{{}}}%{{ if {} }}b%{{ else }}c%{{ endif }}\"", expr(r, d), expr(r, d)),
    }
}
