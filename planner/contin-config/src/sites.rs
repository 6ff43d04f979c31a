//! The `edge_site` tree (ARCHITECTURE §8): each site names its parent with
//! `parent = edge_site.NAME` (or the string `"NAME"`). Checked statically so
//! an unknown parent or a loop is reported at the `parent` argument, before
//! any evaluation.

use crate::check::{static_path, suggest};
use crate::model::{Config, Resource};
use contin_types::{Diagnostic, SourceLoc};
use hcl_edit::expr::Expression;
use std::collections::BTreeMap;

pub const EDGE_SITE: &str = "edge_site";

/// The parent named by a site's `parent` argument, with the argument's location.
/// `Err` carries a diagnostic when the expression is not a site reference.
fn parent_of(site: &Resource) -> Option<Result<(String, SourceLoc), Diagnostic>> {
    let attr = site.body.attributes.get("parent")?;
    let loc = attr.expr.loc();
    let name = match &attr.expr.expr {
        Expression::String(s) => Some(s.value().to_string()),
        e => match static_path(e).as_deref() {
            Some([EDGE_SITE, name]) | Some([EDGE_SITE, name, "name"]) => Some(name.to_string()),
            _ => None,
        },
    };
    Some(match name {
        Some(n) => Ok((n, loc)),
        None => Err(Diagnostic::error("Invalid parent site")
            .with_detail(format!(
                "edge_site \"{}\": parent must name another site, as edge_site.NAME or \"NAME\".",
                site.name
            ))
            .at(loc)),
    })
}

/// Unknown parents and cycles among `edge_site` blocks.
pub(crate) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    let sites: BTreeMap<&str, &Resource> = config
        .resources
        .iter()
        .filter(|r| r.ty == EDGE_SITE && r.mode == contin_types::ResourceMode::Managed)
        .map(|r| (r.name.as_str(), r))
        .collect();
    let names: Vec<&str> = sites.keys().copied().collect();
    let mut parent: BTreeMap<&str, (String, SourceLoc)> = BTreeMap::new();
    for (name, site) in &sites {
        match parent_of(site) {
            None => {}
            Some(Err(d)) => diags.push(d),
            Some(Ok((p, loc))) => {
                if !sites.contains_key(p.as_str()) {
                    let mut detail = format!("edge_site \"{name}\" names parent \"{p}\", but no edge_site \"{p}\" is declared.");
                    if let Some(s) = suggest(&p, &names) {
                        detail.push_str(&format!(" Did you mean \"{s}\"?"));
                    }
                    diags.push(Diagnostic::error("Unknown parent site").with_detail(detail).at(loc));
                } else {
                    parent.insert(name, (p, loc));
                }
            }
        }
    }
    // Each cycle once: walk up from every site; a walk that returns to a
    // site on its own path is a cycle, reported from its smallest member.
    let mut reported: std::collections::BTreeSet<&str> = Default::default();
    for start in parent.keys() {
        let mut path: Vec<&str> = vec![start];
        let mut cur: &str = start;
        while let Some((p, _)) = parent.get(cur) {
            let p = p.as_str();
            if let Some(i) = path.iter().position(|n| *n == p) {
                let cycle: Vec<&str> = path[i..].to_vec();
                let first = *cycle.iter().min().unwrap_or(&p);
                if reported.insert(first) && cycle.iter().all(|n| !reported.contains(n) || *n == first) {
                    let rot = cycle.iter().position(|n| *n == first).unwrap_or(0);
                    let ordered: Vec<&str> = cycle[rot..].iter().chain(cycle[..rot].iter()).copied().collect();
                    let chain: Vec<String> = ordered.iter().chain(std::iter::once(&first)).map(|n| format!("edge_site.{n}")).collect();
                    let mut d = Diagnostic::error("Edge site cycle")
                        .with_detail(format!(
                            "Sites form a tree: following parent leads back to the start: {}.",
                            chain.join(" → ")
                        ))
                        .at(parent[first].1.clone());
                    for n in ordered.iter().skip(1) {
                        d = d.with_related(format!("edge_site \"{n}\" names its parent here"), parent[n].1.clone());
                    }
                    diags.push(d);
                    reported.extend(ordered.iter().copied());
                }
                break;
            }
            path.push(p);
            cur = p;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_files;

    fn errors(src: &str) -> Vec<String> {
        let (_, d) = parse_files(&[("s.hcl".to_string(), src.to_string())]);
        d.0.iter().map(|d| format!("{}: {}", d.summary, d.detail)).collect()
    }

    #[test]
    fn tree_is_accepted() {
        let e = errors("edge_site \"eu\" { kind = \"region\" }\nedge_site \"f7\" { parent = edge_site.eu }\nedge_site \"l1\" { parent = \"f7\" }\n");
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn unknown_parent_is_reported_with_suggestion() {
        let e = errors("edge_site \"europe\" {}\nedge_site \"f7\" { parent = edge_site.eurpe }\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("Unknown parent site"), "{e:?}");
        assert!(e[0].contains("Did you mean \"europe\""), "{e:?}");
    }

    #[test]
    fn cycle_is_reported_once() {
        let e = errors("edge_site \"a\" { parent = edge_site.c }\nedge_site \"b\" { parent = edge_site.a }\nedge_site \"c\" { parent = edge_site.b }\nedge_site \"d\" { parent = edge_site.d }\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().any(|m| m.contains("edge_site.a → edge_site.c → edge_site.b → edge_site.a")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("edge_site.d → edge_site.d")), "{e:?}");
    }

    #[test]
    fn duplicate_site_and_name_argument_are_errors() {
        let e = errors("edge_site \"a\" {}\nedge_site \"a\" {}\nhost \"h\" { name = \"x\" }\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().any(|m| m.contains("edge_site \"a\"")), "{e:?}");
        assert!(e.iter().any(|m| m.starts_with("Unexpected \"name\" argument in host \"h\"")), "{e:?}");
    }

    #[test]
    fn label_becomes_name_attribute() {
        let (c, d) = parse_files(&[("s.hcl".to_string(), "host \"n1\" { address = \"10.0.0.1\" }\ncluster \"c\" { flavor = \"k3s\" }\n".to_string())]);
        assert!(!d.has_errors());
        assert_eq!(c.resources.len(), 2);
        assert_eq!(c.resources[0].ty, "host");
        assert!(c.resources[0].body.attributes.contains_key("name"));
        assert_eq!(c.resources[1].ty, "cluster");
    }

    #[test]
    fn instances_get_their_own_names() {
        let (c, d) = parse_files(&[("s.hcl".to_string(), "host \"n\" {\n  for_each = {}\n}\nhost \"m\" {\n  count = 2\n}\n".to_string())]);
        assert!(!d.has_errors());
        let text = |i: usize| c.resources[i].body.attributes["name"].expr.expr.to_string();
        assert_eq!(text(0), "\"n-${each.key}\"");
        assert_eq!(text(1), "\"m-${count.index}\"");
    }

    #[test]
    fn workloads_are_one_label_resources_with_meta_arguments() {
        let text = "workload \"vision\" {\n  count = 2\n  depends_on = [edge_site.eu]\n  command = [\"/bin/true\"]\n}\n";
        let (c, d) = parse_files(&[("w.hcl".to_string(), text.to_string())]);
        assert!(!d.has_errors(), "{d}");
        let w = &c.resources[0];
        assert_eq!((w.ty.as_str(), w.name.as_str()), ("workload", "vision"));
        assert!(w.count.is_some());
        assert_eq!(w.depends_on.len(), 1);
        assert_eq!(w.body.attributes["name"].expr.expr.to_string(), "\"vision-${count.index}\"");
        let (_, d) = parse_files(&[("w.hcl".to_string(), "workload \"a\" {}\nworkload \"a\" {}\nworkload \"b\" { name = \"x\" }\n".to_string())]);
        let msgs: Vec<String> = d.0.iter().map(|d| format!("{} {}", d.summary, d.loc.as_ref().map_or(0, |l| l.span.start))).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].contains("workload \"a\""), "{msgs:?}");
        assert!(msgs[1].contains("Unexpected \"name\" argument in workload \"b\""), "{msgs:?}");
    }
}
