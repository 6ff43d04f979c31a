//! Throughput check (ignored by default; run with
//! `cargo test --release -p contin-eval --test perf -- --ignored --nocapture`):
//! 10,000 resource bodies of 5 simple attributes each.

use contin_config::{Attribute, Body};
use contin_eval::{eval_body, parse_expr, Reference, Scope};
use contin_types::{Diagnostic, SourceLoc, Value};
use std::time::Instant;

struct PerfScope {
    vpc: Value,
}

impl Scope for PerfScope {
    fn lookup(&self, r: &Reference, loc: &SourceLoc) -> Result<Value, Diagnostic> {
        match r {
            Reference::Var(_) => Ok(Value::string("prod")),
            Reference::CountIndex => Ok(Value::int(3)),
            Reference::Resource { .. } => Ok(self.vpc.clone()),
            _ => Err(Diagnostic::error("unexpected").at(loc.clone())),
        }
    }
}

#[test]
#[ignore = "timing; run in release"]
fn ten_thousand_bodies() {
    let srcs = [
        ("name", "\"app-${var.env}-${count.index}\""),
        ("size", "count.index * 2 + 1"),
        ("vpc_id", "aws_vpc.main.id"),
        ("tags", "{ env = var.env, owner = \"platform\" }"),
        ("enabled", "var.env == \"prod\" ? true : false"),
    ];
    let bodies: Vec<Body> = (0..10_000)
        .map(|i| Body {
            attributes: srcs
                .iter()
                .map(|(n, s)| {
                    let e = parse_expr(s, &format!("f{}.hcl", i % 10)).expect("parses");
                    let loc = e.loc();
                    (n.to_string(), Box::new(Attribute { name: n.to_string(), expr: e, loc }))
                })
                .collect(),
            blocks: vec![],
        })
        .collect();
    let scope = PerfScope { vpc: Value::map([("id", Value::Unknown), ("cidr_block", Value::string("10.0.0.0/16"))]) };
    let mut n = 0;
    for round in 0..5 {
        let start = Instant::now();
        n = 0;
        for b in &bodies {
            let v = eval_body(b, &scope).expect("evaluates");
            if let Value::Map(m) = v {
                n += m.len();
            }
        }
        let hot = Instant::now();
        for _ in 0..10_000 {
            let _ = eval_body(&bodies[0], &scope).expect("evaluates");
        }
        eprintln!("round {round}: same body 10,000 times: {:?}", hot.elapsed());
        eprintln!("round {round}: evaluated {} bodies ({n} attributes) in {:?}", bodies.len(), start.elapsed());
    }
    assert_eq!(n, 50_000);
}
