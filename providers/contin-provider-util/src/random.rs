//! The `random` provider: Terraform's `hashicorp/random` resources. Values
//! are drawn from the operating system's generator at create and kept in
//! state; `keepers` (and every other argument) force a new value.

use crate::{default, get, get_bool, get_int, get_str, int, keepers_attr, random_bytes, set, unsupported, unsupported_plan, Source};
use async_trait::async_trait;
use base64::Engine;
use contin_provider::schema::plan_change_from_schema;
use contin_provider::{AttrSchema, AttrType, BlockSchema, OpContext, PlannedChange, Provider, ProviderError, ProviderSchema};
use contin_types::{Diagnostic, Diagnostics, Value};
use std::sync::LazyLock;

/// Longest `random_string`/`random_password` and `random_id` byte_length,
/// `random_pet` length and `random_shuffle` input (a typo like 1e9 must not
/// exhaust memory).
pub const MAX_LENGTH: i64 = 65_536;
/// bcrypt's cost for `random_password.bcrypt_hash` (Go's `bcrypt.DefaultCost`, as Terraform).
const BCRYPT_COST: u32 = 10;

pub(crate) const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub(crate) const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub(crate) const NUMERIC: &str = "0123456789";
/// Terraform's default special characters.
pub(crate) const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

const TYPES: &[&str] = &["random_id", "random_string", "random_password", "random_pet", "random_integer", "random_shuffle", "random_uuid"];

static SCHEMAS: LazyLock<ProviderSchema> = LazyLock::new(|| {
    let mut s = ProviderSchema::default();
    for t in TYPES {
        s.resources.insert(t.to_string(), schema(t));
    }
    s
});

fn schema(ty: &str) -> BlockSchema {
    use AttrType as T;
    let keepers = keepers_attr("arbitrary values; a change generates a new value");
    let b = BlockSchema::default().attr("keepers", keepers).attr("id", AttrSchema::computed(T::String));
    match ty {
        "random_id" => b
            .attr("byte_length", AttrSchema::required(T::Number).force_new().describe("number of random bytes (at least 1)"))
            .attr("prefix", AttrSchema::optional(T::String).force_new().describe("prepended to hex, dec, b64_url and b64_std"))
            .attr("b64_url", AttrSchema::computed(T::String))
            .attr("b64_std", AttrSchema::computed(T::String))
            .attr("hex", AttrSchema::computed(T::String))
            .attr("dec", AttrSchema::computed(T::String)),
        "random_string" | "random_password" => {
            let mut b = b
                .attr("length", AttrSchema::required(T::Number).force_new().describe("number of characters"))
                .attr("override_special", AttrSchema::optional(T::String).force_new().describe("the special characters to use instead of the default set"));
            for a in ["special", "upper", "lower", "numeric", "number"] {
                b = b.attr(a, AttrSchema::optional_computed(T::Bool).force_new().describe("include this character class (default true)"));
            }
            for a in ["min_upper", "min_lower", "min_numeric", "min_special"] {
                b = b.attr(a, AttrSchema::optional_computed(T::Number).force_new().describe("at least this many of the class (default 0)"));
            }
            if ty == "random_password" {
                b.attr("result", AttrSchema::computed(T::String).sensitive()).attr("bcrypt_hash", AttrSchema::computed(T::String).sensitive())
            } else {
                b.attr("result", AttrSchema::computed(T::String))
            }
        }
        "random_pet" => b
            .attr("length", AttrSchema::optional_computed(T::Number).force_new().describe("number of words (default 2)"))
            .attr("prefix", AttrSchema::optional(T::String).force_new())
            .attr("separator", AttrSchema::optional_computed(T::String).force_new().describe("between words (default \"-\")")),
        "random_integer" => b
            .attr("min", AttrSchema::required(T::Number).force_new())
            .attr("max", AttrSchema::required(T::Number).force_new())
            .attr("seed", AttrSchema::optional(T::String).force_new().describe("the same seed gives the same result"))
            .attr("result", AttrSchema::computed(T::Number)),
        "random_shuffle" => b
            .attr("input", AttrSchema::required(T::List(Box::new(T::String))).force_new())
            .attr("result_count", AttrSchema::optional(T::Number).force_new().describe("number of results (default: as many as input)"))
            .attr("seed", AttrSchema::optional(T::String).force_new())
            .attr("result", AttrSchema::computed(T::List(Box::new(T::String)))),
        "random_uuid" => b.attr("result", AttrSchema::computed(T::String)),
        _ => b,
    }
}

/// The `random` provider (stateless).
#[derive(Debug, Clone, Default)]
pub struct RandomProvider;

impl RandomProvider {
    pub fn new() -> Self {
        RandomProvider
    }
}

/// The configuration with Terraform's defaults filled in, so plans show them.
pub(crate) fn with_defaults(ty: &str, desired: &Value) -> Value {
    let mut v = desired.clone();
    match ty {
        "random_string" | "random_password" => {
            // `number` is the deprecated spelling of `numeric`: one set fills the other.
            let numeric = get_bool(&v, "numeric").or_else(|| get_bool(&v, "number")).unwrap_or(true);
            for a in ["special", "upper", "lower"] {
                default(&mut v, a, Value::Bool(true));
            }
            default(&mut v, "numeric", Value::Bool(numeric));
            default(&mut v, "number", Value::Bool(numeric));
            for a in ["min_upper", "min_lower", "min_numeric", "min_special"] {
                default(&mut v, a, int(0));
            }
        }
        "random_pet" => {
            default(&mut v, "length", int(2));
            default(&mut v, "separator", Value::string("-"));
        }
        _ => {}
    }
    v
}

fn length_in(v: &Value, name: &str, min: i64, d: &mut Diagnostics) -> Option<i64> {
    match get_int(v, name) {
        Err(e) => {
            d.push(Diagnostic::error(e));
            None
        }
        Ok(Some(n)) if !(min..=MAX_LENGTH).contains(&n) => {
            d.push(Diagnostic::error(format!("{name}: {n} is out of range")).with_detail(format!("{name} must be between {min} and {MAX_LENGTH}.")));
            None
        }
        Ok(n) => n,
    }
}

fn validate(ty: &str, cfg: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let cfg = with_defaults(ty, cfg);
    match ty {
        "random_id" => {
            length_in(&cfg, "byte_length", 1, &mut d);
        }
        "random_string" | "random_password" => {
            let length = length_in(&cfg, "length", 1, &mut d);
            let mut mins = 0i64;
            for a in ["min_upper", "min_lower", "min_numeric", "min_special"] {
                mins = mins.saturating_add(length_in(&cfg, a, 0, &mut d).unwrap_or(0));
            }
            if let Some(l) = length {
                if mins > l {
                    d.push(
                        Diagnostic::error(format!("length: {l} is less than the sum of the min_* arguments ({mins})"))
                            .with_detail(format!("{ty}: length must be at least min_upper + min_lower + min_numeric + min_special.")),
                    );
                }
            }
            if let Ok(classes) = charset(&cfg) {
                if classes.is_empty() && length.is_some() {
                    d.push(Diagnostic::error(format!("{ty}: no characters to choose from")).with_detail("At least one of upper, lower, numeric or special (with a non-empty set) must be true."));
                }
            }
        }
        "random_pet" => {
            length_in(&cfg, "length", 1, &mut d);
        }
        "random_integer" => match (get_int(&cfg, "min"), get_int(&cfg, "max")) {
            (Ok(Some(lo)), Ok(Some(hi))) if lo > hi => d.push(Diagnostic::error(format!("min: {lo} is greater than max ({hi})"))),
            (Err(e), _) | (_, Err(e)) => d.push(Diagnostic::error(e)),
            _ => {}
        },
        "random_shuffle" => {
            if let Some(Value::List(items)) = get(&cfg, "input") {
                if items.len() as i64 > MAX_LENGTH {
                    d.push(Diagnostic::error(format!("input: {} elements, more than the limit of {MAX_LENGTH}", items.len())));
                }
            }
            length_in(&cfg, "result_count", 0, &mut d);
        }
        _ => {}
    }
    d
}

/// The character classes a string draws from, with each class's minimum.
fn charset(v: &Value) -> Result<Vec<(Vec<char>, i64)>, String> {
    let special = get_str(v, "override_special").unwrap_or(SPECIAL);
    let numeric = get_bool(v, "numeric").or_else(|| get_bool(v, "number")).unwrap_or(true);
    let classes = [
        (get_bool(v, "upper").unwrap_or(true), UPPER, "min_upper"),
        (get_bool(v, "lower").unwrap_or(true), LOWER, "min_lower"),
        (numeric, NUMERIC, "min_numeric"),
        (get_bool(v, "special").unwrap_or(true), special, "min_special"),
    ];
    let mut out = Vec::new();
    for (on, chars, min) in classes {
        let min = get_int(v, min)?.unwrap_or(0);
        if on && !chars.is_empty() {
            out.push((chars.chars().collect(), min));
        }
    }
    Ok(out)
}

/// Terraform's algorithm: the minimum of each class first, the rest from
/// every enabled class, then shuffled.
fn random_string(v: &Value, ty: &str) -> Result<String, ProviderError> {
    let invalid = |m: String| ProviderError::Invalid(format!("{ty}: {m}"));
    let length = get_int(v, "length").map_err(invalid)?.ok_or_else(|| invalid("length is required".into()))?;
    if !(1..=MAX_LENGTH).contains(&length) {
        return Err(invalid(format!("length must be between 1 and {MAX_LENGTH}")));
    }
    let classes = charset(v).map_err(invalid)?;
    let all: Vec<char> = classes.iter().flat_map(|(c, _)| c.iter().copied()).collect();
    if all.is_empty() {
        return Err(invalid("no characters to choose from (every class is disabled)".into()));
    }
    let mins: i64 = classes.iter().map(|(_, m)| (*m).clamp(0, MAX_LENGTH)).sum();
    if mins > length {
        return Err(invalid(format!("length {length} is less than the sum of the min_* arguments ({mins})")));
    }
    let mut rng = Source::System;
    let mut out = Vec::with_capacity(length as usize);
    for (chars, min) in &classes {
        for _ in 0..(*min).max(0) {
            out.push(chars[rng.below(chars.len() as u64)? as usize]);
        }
    }
    while (out.len() as i64) < length {
        out.push(all[rng.below(all.len() as u64)? as usize]);
    }
    rng.shuffle(&mut out)?;
    Ok(out.into_iter().collect())
}

pub(crate) const ADVERBS: &[&str] = &[
    "ably", "actively", "amazingly", "apparently", "badly", "blindly", "boldly", "briefly", "brightly", "calmly", "certainly", "cleanly", "closely",
    "correctly", "deeply", "directly", "early", "easily", "equally", "evenly", "fairly", "finally", "firmly", "freely", "frankly", "fully", "gently",
    "gladly", "greatly", "happily", "highly", "honestly", "ideally", "jointly", "kindly", "largely", "lively", "loudly", "mainly", "merely",
    "mildly", "mostly", "neatly", "nicely", "openly", "partly", "politely", "poorly", "presumably", "promptly", "properly", "quickly", "quietly",
    "rapidly", "rarely", "really", "safely", "sadly", "sharply", "simply", "slowly", "smoothly", "solely", "steadily", "strongly", "surely",
    "swiftly", "totally", "truly", "usually", "vastly", "verbally", "warmly", "wholly", "widely", "wildly", "wisely",
];
pub(crate) const ADJECTIVES: &[&str] = &[
    "able", "active", "adapted", "alive", "amazed", "amused", "apt", "awake", "big", "bold", "brave", "bright", "brief", "busy", "calm", "capable",
    "careful", "casual", "charmed", "cheerful", "clean", "clear", "clever", "close", "comic", "cool", "cosmic", "crack", "crisp", "curious",
    "daring", "dear", "decent", "deep", "direct", "driven", "eager", "easy", "electric", "enabled", "epic", "equal", "exact", "fair", "famous",
    "fancy", "fast", "fine", "firm", "fit", "fleet", "flowing", "fluent", "fond", "free", "fresh", "full", "funny", "game", "gentle", "glad",
    "golden", "good", "grand", "great", "handy", "happy", "hardy", "helped", "heroic", "holy", "honest", "huge", "humble", "ideal", "immense",
    "innocent", "intent", "joint", "just", "keen", "key", "kind", "large", "legal", "liberal", "light", "live", "logical", "loved", "loyal",
    "lucky", "magical", "main", "major", "massive", "merry", "mighty", "modest", "moral", "musical", "mutual", "natural", "neat", "needed",
    "new", "nice", "noble", "normal", "notable", "novel", "open", "optimal", "organic", "patient", "perfect", "pleasant", "polite", "possible",
    "precious", "present", "pretty", "prompt", "proper", "proud", "quick", "quiet", "rapid", "rare", "ready", "real", "relaxed", "renewed",
    "rich", "right", "robust", "romantic", "safe", "saved", "secure", "select", "sharp", "shining", "simple", "singular", "smart", "smooth",
    "solid", "sound", "special", "stable", "steady", "still", "striking", "strong", "sunny", "super", "sure", "sweet", "swift", "tender",
    "thankful", "tidy", "tight", "topical", "touched", "tough", "true", "trusted", "united", "up", "upward", "usable", "useful", "valid",
    "verified", "vital", "warm", "welcome", "well", "whole", "wired", "wise", "witty", "worthy",
];
pub(crate) const NAMES: &[&str] = &[
    "aardvark", "alpaca", "anchovy", "ant", "antelope", "ape", "baboon", "badger", "bass", "bat", "bear", "beagle", "bee", "beetle", "bird",
    "bison", "boa", "boar", "bobcat", "buck", "buffalo", "bug", "bull", "calf", "camel", "cardinal", "cat", "catfish", "cattle", "chamois",
    "cheetah", "chicken", "chimp", "chipmunk", "cicada", "clam", "cobra", "cod", "collie", "condor", "coral", "cow", "coyote", "crab", "crane",
    "crow", "cub", "deer", "dingo", "dodo", "doe", "dog", "dolphin", "donkey", "dove", "dragon", "duck", "eagle", "eel", "egret", "elephant",
    "elk", "emu", "falcon", "ferret", "finch", "fish", "flamingo", "fly", "foal", "fox", "frog", "gannet", "gar", "gazelle", "gecko", "gibbon",
    "giraffe", "gnat", "gnu", "goat", "goose", "gopher", "gorilla", "grouse", "gull", "haddock", "hamster", "hare", "hawk", "hen", "heron",
    "herring", "hippo", "hog", "hornet", "horse", "hound", "husky", "hyena", "ibex", "iguana", "impala", "insect", "jackal", "jaguar", "jay",
    "kingfish", "kit", "kite", "kitten", "koala", "krill", "lab", "lamb", "lark", "leech", "lemming", "lemur", "leopard", "lion", "lizard",
    "llama", "lobster", "locust", "loon", "louse", "lynx", "macaque", "macaw", "mako", "mallard", "mammal", "mantis", "marlin", "marmot",
    "marten", "martin", "mastiff", "mayfly", "midge", "mink", "mite", "mole", "mollusk", "molly", "monarch", "monkey", "moose", "moth",
    "mouse", "mule", "mustang", "mutt", "newt", "nuthatch", "ocelot", "octopus", "orca", "oriole", "osprey", "ostrich", "otter", "owl", "ox",
    "oyster", "panda", "panther", "parrot", "peacock", "pegasus", "pelican", "penguin", "perch", "pheasant", "pig", "pigeon", "piranha",
    "platypus", "polecat", "pony", "poodle", "porpoise", "possum", "prawn", "puma", "pup", "python", "quail", "rabbit", "raccoon", "ram",
    "rat", "raven", "ray", "redbird", "reindeer", "reptile", "rhino", "robin", "rooster", "sailfish", "salmon", "sawfish", "seal", "shad",
    "shark", "sheep", "shepherd", "shrew", "shrimp", "skink", "skunk", "sloth", "slug", "snail", "snake", "snapper", "snipe", "sparrow",
    "spider", "squid", "squirrel", "stag", "starfish", "stingray", "stork", "sturgeon", "swan", "swift", "tahr", "tapir", "tarpon", "teal",
    "termite", "terrier", "tetra", "thrush", "tick", "tiger", "titmouse", "toad", "tomcat", "tortoise", "toucan", "trout", "tuna", "turkey",
    "turtle", "unicorn", "urchin", "viper", "vulture", "wahoo", "walleye", "walrus", "warthog", "wasp", "weasel", "whale", "whippet",
    "wildcat", "wolf", "wombat", "worm", "wren", "yak", "zebra",
];

/// `length` words like golang-petname: adverbs, then an adjective, then a name.
fn pet(length: i64, separator: &str) -> Result<String, ProviderError> {
    let mut rng = Source::System;
    let mut words = Vec::new();
    let pick = |rng: &mut Source, list: &[&'static str]| -> Result<&'static str, ProviderError> { Ok(list[rng.below(list.len() as u64)? as usize]) };
    for i in 0..length {
        let list = match length - i {
            1 => NAMES,
            2 => ADJECTIVES,
            _ => ADVERBS,
        };
        words.push(pick(&mut rng, list)?);
    }
    Ok(words.join(separator))
}

pub(crate) fn create_value(ty: &str, planned: &Value) -> Result<Value, ProviderError> {
    let mut v = with_defaults(ty, planned);
    let invalid = |m: String| ProviderError::Invalid(format!("{ty}: {m}"));
    match ty {
        "random_id" => {
            let n = get_int(&v, "byte_length").map_err(invalid)?.ok_or_else(|| invalid("byte_length is required".into()))?;
            if !(1..=MAX_LENGTH).contains(&n) {
                return Err(invalid(format!("byte_length must be between 1 and {MAX_LENGTH}")));
            }
            let bytes = random_bytes(n as usize)?;
            let prefix = get_str(&v, "prefix").unwrap_or("").to_string();
            let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            let std = base64::engine::general_purpose::STANDARD.encode(&bytes);
            set(&mut v, "id", Value::String(url.clone()));
            set(&mut v, "b64_url", Value::String(format!("{prefix}{url}")));
            set(&mut v, "b64_std", Value::String(format!("{prefix}{std}")));
            set(&mut v, "hex", Value::String(format!("{prefix}{}", hex::encode(&bytes))));
            set(&mut v, "dec", Value::String(format!("{prefix}{}", decimal(&bytes))));
        }
        "random_string" | "random_password" => {
            let s = random_string(&v, ty)?;
            if ty == "random_password" {
                let salt: [u8; 16] = random_bytes(16)?.try_into().map_err(|_| ProviderError::Failed("random_password: salt".into()))?;
                let hash = bcrypt::hash_with_salt(s.as_bytes(), BCRYPT_COST, salt)
                    .map_err(|e| ProviderError::Failed(format!("random_password: bcrypt_hash: {e}")))?
                    .format_for_version(bcrypt::Version::TwoA);
                set(&mut v, "id", Value::string("none"));
                set(&mut v, "bcrypt_hash", Value::String(hash).mark_sensitive());
                set(&mut v, "result", Value::String(s).mark_sensitive());
            } else {
                set(&mut v, "id", Value::String(s.clone()));
                set(&mut v, "result", Value::String(s));
            }
        }
        "random_pet" => {
            let n = get_int(&v, "length").map_err(invalid)?.unwrap_or(2);
            if !(1..=MAX_LENGTH).contains(&n) {
                return Err(invalid(format!("length must be between 1 and {MAX_LENGTH}")));
            }
            let sep = get_str(&v, "separator").unwrap_or("-").to_string();
            let mut name = pet(n, &sep)?;
            if let Some(p) = get_str(&v, "prefix") {
                name = format!("{p}{sep}{name}");
            }
            set(&mut v, "id", Value::String(name));
        }
        "random_integer" => {
            let lo = get_int(&v, "min").map_err(invalid)?.ok_or_else(|| invalid("min is required".into()))?;
            let hi = get_int(&v, "max").map_err(invalid)?.ok_or_else(|| invalid("max is required".into()))?;
            if lo > hi {
                return Err(invalid(format!("min ({lo}) is greater than max ({hi})")));
            }
            let span = (hi as i128 - lo as i128 + 1) as u128;
            let mut rng = Source::new(get_str(&v, "seed"));
            let off = if span > u64::MAX as u128 { rng.below(u64::MAX)? } else { rng.below(span as u64)? };
            let r = (lo as i128 + off as i128) as i64;
            set(&mut v, "result", int(r));
            set(&mut v, "id", Value::String(r.to_string()));
        }
        "random_shuffle" => {
            let mut items: Vec<Value> = match get(&v, "input") {
                Some(Value::List(items)) => items.clone(),
                _ => Vec::new(),
            };
            if items.len() as i64 > MAX_LENGTH {
                return Err(invalid(format!("input has more than {MAX_LENGTH} elements")));
            }
            let mut rng = Source::new(get_str(&v, "seed"));
            rng.shuffle(&mut items)?;
            // Terraform repeats the shuffled input when result_count is larger.
            let count = match get_int(&v, "result_count").map_err(invalid)? {
                Some(c) if !(0..=MAX_LENGTH).contains(&c) => return Err(invalid(format!("result_count must be between 0 and {MAX_LENGTH}"))),
                Some(c) => c as usize,
                None => items.len(),
            };
            let result: Vec<Value> = if items.is_empty() { Vec::new() } else { (0..count).map(|i| items[i % items.len()].clone()).collect() };
            set(&mut v, "result", Value::List(result));
            set(&mut v, "id", Value::string("-"));
        }
        "random_uuid" => {
            let b: [u8; 16] = random_bytes(16)?.try_into().map_err(|_| ProviderError::Failed("random_uuid: bytes".into()))?;
            let u = uuid::Builder::from_random_bytes(b).into_uuid().to_string();
            set(&mut v, "id", Value::String(u.clone()));
            set(&mut v, "result", Value::String(u));
        }
        _ => return Err(unsupported(ty)),
    }
    Ok(v)
}

/// Big-endian bytes as a decimal string (any length).
pub(crate) fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base 10
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let x = u32::from(*d) * 256 + carry;
            *d = (x % 10) as u8;
            carry = x / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[async_trait]
impl Provider for RandomProvider {
    fn name(&self) -> &str {
        "random"
    }

    fn schema(&self) -> ProviderSchema {
        SCHEMAS.clone()
    }

    async fn configure(&self, _cfg: Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn validate(&self, ty: &str, cfg: &Value) -> Diagnostics {
        validate(ty, cfg)
    }

    fn plan_change(&self, ty: &str, prior: Option<&Value>, desired: &Value) -> PlannedChange {
        match SCHEMAS.resources.get(ty) {
            Some(s) => plan_change_from_schema(s, prior, &with_defaults(ty, desired)),
            None => unsupported_plan(ty, desired),
        }
    }

    async fn read(&self, ty: &str, state: &Value) -> Result<Option<Value>, ProviderError> {
        if !TYPES.contains(&ty) {
            return Err(unsupported(ty));
        }
        // The value lives only in state.
        Ok(Some(state.clone()))
    }

    async fn create(&self, ty: &str, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        create_value(ty, planned)
    }

    async fn update(&self, ty: &str, prior: &Value, planned: &Value, _ctx: &OpContext) -> Result<Value, ProviderError> {
        if !TYPES.contains(&ty) {
            return Err(unsupported(ty));
        }
        // Every argument forces replacement: only computed values can be
        // unknown here, and those are the prior ones.
        let mut v = planned.clone();
        if let (Value::Map(m), Value::Map(p)) = (&mut v, prior.unmarked()) {
            for (k, x) in m.iter_mut() {
                if x.is_unknown() {
                    *x = p.get(k).cloned().unwrap_or(Value::Null);
                }
            }
        }
        Ok(v)
    }

    async fn delete(&self, ty: &str, _prior: &Value, _ctx: &OpContext) -> Result<(), ProviderError> {
        if TYPES.contains(&ty) { Ok(()) } else { Err(unsupported(ty)) }
    }
}

