//! Static checks of the references among locals, run right after parsing
//! and before anything is evaluated (provider and backend configuration
//! included): a local that refers to itself, directly or through other
//! locals, and dependency chains too long to evaluate recursively.

use crate::{references, limits, Reference};
use contin_config::Config;
use contin_types::{Diagnostic, Diagnostics, SourceLoc};
use std::collections::{BTreeMap, VecDeque};

/// Cycles among locals (each with the location of every reference on it)
/// and chains of locals deeper than [`limits::MAX_LOCAL_CHAIN_DEPTH`].
/// Pure and linear in the number of references; callers run it right after
/// `parse_files`, before evaluating any local (e.g. for a `provider` block).
pub fn check_cycles(config: &Config) -> Diagnostics {
    let names: Vec<&str> = config.locals.keys().map(String::as_str).collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    // deps[i]: (local j that i refers to, where).
    let mut deps: Vec<Vec<(usize, SourceLoc)>> = vec![Vec::new(); names.len()];
    for (i, local) in config.locals.values().enumerate() {
        for site in references(&local.expr) {
            if let Reference::Local(n) = &site.reference {
                if let Some(&j) = index.get(n.as_str()) {
                    deps[i].push((j, site.loc));
                }
            }
        }
    }
    // Kahn's algorithm on "depends on": a local is done when all it refers to are.
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, ds) in deps.iter().enumerate() {
        for (j, _) in ds {
            dependants[*j].push(i);
        }
    }
    let mut depth = vec![1usize; names.len()];
    let mut queue: VecDeque<usize> = (0..names.len()).filter(|&i| waiting[i] == 0).collect();
    let mut done = vec![false; names.len()];
    let mut diags = Diagnostics::new();
    while let Some(j) = queue.pop_front() {
        done[j] = true;
        for &i in &dependants[j] {
            depth[i] = depth[i].max(depth[j] + 1);
            waiting[i] -= 1;
            if waiting[i] == 0 {
                queue.push_back(i);
            }
        }
    }
    for (i, local) in config.locals.values().enumerate() {
        if done[i] && depth[i] > limits::MAX_LOCAL_CHAIN_DEPTH {
            diags.push(
                Diagnostic::error("Chain of locals too deep")
                    .with_detail(format!(
                        "local.{} depends on a chain of {} locals, more than the limit of {} (MAX_LOCAL_CHAIN_DEPTH).",
                        names[i],
                        depth[i],
                        limits::MAX_LOCAL_CHAIN_DEPTH
                    ))
                    .at(local.loc.clone()),
            );
            // One report per chain is enough: the deepest local of it.
            break;
        }
    }
    // Every local left depends on another one left: following one such
    // reference from each gives a functional graph whose cycles are real cycles.
    let next: Vec<Option<usize>> =
        (0..names.len()).map(|i| if done[i] { None } else { deps[i].iter().position(|(j, _)| !done[*j]) }).collect();
    // 0 = unvisited, 1 = on the current walk, 2 = finished.
    let mut state = vec![0u8; names.len()];
    for start in 0..names.len() {
        if done[start] || state[start] != 0 {
            continue;
        }
        let mut walk = Vec::new();
        let mut at = start;
        while state[at] == 0 {
            state[at] = 1;
            walk.push(at);
            match next[at] {
                Some(k) => at = deps[at][k].0,
                None => break,
            }
        }
        if state[at] == 1 {
            // `at` is on this walk: the cycle is the walk from `at` on.
            let from = walk.iter().position(|&w| w == at).unwrap_or(0);
            diags.push(cycle_diagnostic(&walk[from..], &names, &deps, &next));
        }
        for w in walk {
            state[w] = 2;
        }
    }
    diags
}

fn cycle_diagnostic(cycle: &[usize], names: &[&str], deps: &[Vec<(usize, SourceLoc)>], next: &[Option<usize>]) -> Diagnostic {
    // Start from the smallest name for a deterministic message.
    let first = (0..cycle.len()).min_by_key(|&k| names[cycle[k]]).unwrap_or(0);
    let ordered: Vec<usize> = cycle[first..].iter().chain(&cycle[..first]).copied().collect();
    let mut path: Vec<String> = ordered.iter().map(|&i| format!("local.{}", names[i])).collect();
    path.push(format!("local.{}", names[ordered[0]]));
    let mut d = Diagnostic::error("Cycle in locals").with_detail(format!(
        "These locals refer to each other in a loop, so none of them can be evaluated: {}. Break the cycle by removing one of the references below.",
        path.join(" → ")
    ));
    for &i in &ordered {
        if let Some(k) = next[i] {
            let (j, loc) = &deps[i][k];
            d = d.with_related(format!("local.{} refers to local.{} here", names[i], names[*j]), loc.clone());
        }
    }
    d.loc = d.related.first().map(|(_, l)| l.clone());
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Vec<(String, String, Vec<String>)> {
        let (config, diags) = contin_config::parse_files(&[("main.hcl".to_string(), src.to_string())]);
        assert!(!diags.has_errors(), "{diags:?}");
        check_cycles(&config)
            .0
            .into_iter()
            .map(|d| {
                let related = d.related.iter().map(|(l, loc)| format!("{l} @ {}", config.sources.describe(loc))).collect();
                (d.summary, d.detail, related)
            })
            .collect()
    }

    #[test]
    fn a_local_referring_to_itself_is_a_cycle() {
        let got = check("locals {\n  a = local.a + 1\n}\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "Cycle in locals");
        assert_eq!(
            got[0].1,
            "These locals refer to each other in a loop, so none of them can be evaluated: local.a → local.a. Break the cycle by removing one of the references below."
        );
        assert_eq!(got[0].2, vec!["local.a refers to local.a here @ main.hcl:2:7".to_string()]);
    }

    #[test]
    fn a_cycle_through_other_locals_names_every_reference() {
        let got = check("locals {\n  ok = 1\n  b = local.c\n  c = \"${local.a}-${local.ok}\"\n  a = [local.b]\n  d = local.a\n}\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.contains("local.a → local.b → local.c → local.a"), "{}", got[0].1);
        assert_eq!(
            got[0].2,
            vec![
                "local.a refers to local.b here @ main.hcl:5:8".to_string(),
                "local.b refers to local.c here @ main.hcl:3:7".to_string(),
                "local.c refers to local.a here @ main.hcl:4:10".to_string(),
            ]
        );
    }

    #[test]
    fn no_cycle_no_diagnostic() {
        assert!(check("locals {\n  a = 1\n  b = local.a\n  c = [local.a, local.b]\n}\n").is_empty());
    }

    #[test]
    fn two_separate_cycles_are_both_reported() {
        let got = check("locals {\n  a = local.b\n  b = local.a\n  x = local.y\n  y = local.x\n}\n");
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn a_chain_longer_than_the_limit_is_reported_and_checking_it_does_not_recurse() {
        let n = 100_000;
        let mut src = String::from("locals {\n  l0 = 0\n");
        for i in 1..n {
            src.push_str(&format!("  l{i} = local.l{}\n", i - 1));
        }
        src.push_str("}\n");
        let got = check(&src);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "Chain of locals too deep");
        assert!(got[0].1.ends_with("more than the limit of 1000 (MAX_LOCAL_CHAIN_DEPTH)."), "{}", got[0].1);
        // A long cycle: found without recursion too.
        let mut src = String::from("locals {\n");
        for i in 0..n {
            src.push_str(&format!("  l{i} = local.l{}\n", (i + 1) % n));
        }
        src.push_str("}\n");
        let got = check(&src);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2.len(), n);
    }
}
