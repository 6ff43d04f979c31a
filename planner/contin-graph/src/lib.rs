//! Block-level dependency graph of a configuration: one node per variable,
//! local, resource/data block and output; an edge per reference, carrying
//! the reference's source location. Reports undeclared references and
//! cycles (every edge of the cycle with its location), gives a topological
//! order for evaluation, and prints DOT.
//! Architecture invariant: no IO; deterministic order for equal configs.

use contin_config::{Config, Resource};
use contin_eval::{RefSite, Reference};
use contin_types::{Diagnostic, Diagnostics, ResourceMode, SourceLoc};
use petgraph::graph::DiGraph;
pub use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// A graph node. `Resource` holds the index into `Config::resources`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Variable(String),
    Local(String),
    Resource(usize),
    Output(String),
}

/// The dependency graph; edges point from a dependency to its dependant.
pub struct DepGraph {
    pub graph: DiGraph<Node, SourceLoc>,
    index: HashMap<Node, NodeIndex>,
    /// Topological order (dependencies first), ties broken by source order.
    pub order: Vec<NodeIndex>,
    /// Human names of nodes (`var.x`, `local.y`, `aws_vpc.main`, `output.z`).
    names: Vec<String>,
}

/// Key identifying a resource block: (mode, type, block name), the block
/// name carrying the module path inside a module (`module.net.main`,
/// `Resource::block_name`), as rewritten references do.
pub type BlockKey = (ResourceMode, String, String);

pub fn block_key(r: &Resource) -> BlockKey {
    (r.mode, r.ty.clone(), r.block_name())
}

/// `aws_vpc.main` / `data.aws_ami.u` / `module.net.aws_vpc.main` for a block.
pub fn block_name(r: &Resource) -> String {
    let module = if r.module.is_empty() { String::new() } else { format!("{}.", r.module) };
    match r.mode {
        ResourceMode::Managed => format!("{module}{}.{}", r.ty, r.name),
        ResourceMode::Data => format!("{module}data.{}.{}", r.ty, r.name),
    }
}

impl DepGraph {
    pub fn node(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }
    pub fn name(&self, ix: NodeIndex) -> &str {
        &self.names[ix.index()]
    }
    /// Resource blocks `ix` depends on, directly or through locals/variables
    /// (not through other resources: those carry their own dependencies).
    pub fn resource_dependencies(&self, ix: NodeIndex) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = vec![ix];
        while let Some(n) = stack.pop() {
            for dep in self.graph.neighbors_directed(n, Direction::Incoming) {
                if !seen.insert(dep) {
                    continue;
                }
                match &self.graph[dep] {
                    Node::Resource(i) => {
                        out.insert(*i);
                    }
                    _ => stack.push(dep),
                }
            }
        }
        out
    }
    /// How many nodes use `ix` directly (its dependants).
    pub fn dependant_count(&self, ix: NodeIndex) -> usize {
        self.graph.neighbors_directed(ix, Direction::Outgoing).count()
    }
    /// The nodes `ix` uses directly.
    pub fn direct_dependencies(&self, ix: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(ix, Direction::Incoming)
    }
    /// The graph in Graphviz DOT, nodes and edges sorted by name.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph contin {\n  rankdir = \"RL\";\n");
        let mut nodes: Vec<&str> = self.names.iter().map(String::as_str).collect();
        nodes.sort_unstable();
        for n in nodes {
            let _ = writeln!(out, "  \"{n}\";");
        }
        let mut edges: BTreeSet<(&str, &str)> = BTreeSet::new();
        for e in self.graph.edge_references() {
            edges.insert((self.name(e.target()), self.name(e.source())));
        }
        for (from, to) in edges {
            let _ = writeln!(out, "  \"{from}\" -> \"{to}\";");
        }
        out.push_str("}\n");
        out
    }
}

/// Builds the graph, reporting undeclared references, misplaced
/// `count.index`/`each.*`, and cycles.
pub fn build(config: &Config) -> Result<DepGraph, Diagnostics> {
    let mut graph: DiGraph<Node, SourceLoc> = DiGraph::new();
    let mut index = HashMap::new();
    let mut names = Vec::new();
    let mut add = |graph: &mut DiGraph<Node, SourceLoc>, node: Node, name: String| {
        let ix = graph.add_node(node.clone());
        index.insert(node, ix);
        names.push(name);
        ix
    };
    for name in config.variables.keys() {
        add(&mut graph, Node::Variable(name.clone()), format!("var.{name}"));
    }
    for name in config.locals.keys() {
        add(&mut graph, Node::Local(name.clone()), format!("local.{name}"));
    }
    let mut blocks: HashMap<BlockKey, usize> = HashMap::new();
    for (i, r) in config.resources.iter().enumerate() {
        blocks.insert(block_key(r), i);
        add(&mut graph, Node::Resource(i), block_name(r));
    }
    for name in config.outputs.keys() {
        add(&mut graph, Node::Output(name.clone()), format!("output.{name}"));
    }

    let mut diags = Diagnostics::new();
    let resolver = Resolver { config, blocks: &blocks, suggestions_left: std::cell::Cell::new(MAX_SUGGESTIONS) };
    let mut edges: Vec<(Node, Node, SourceLoc)> = Vec::new();

    for v in config.variables.values() {
        if let Some(d) = &v.default {
            if let Some(site) = contin_eval::references(d).into_iter().next() {
                diags.push(
                    Diagnostic::error("Variables not allowed")
                        .with_detail(format!("The default value of variable \"{}\" must be a literal; references are not allowed here.", v.name))
                        .at(site.loc),
                );
            }
        }
    }
    for l in config.locals.values() {
        let me = Node::Local(l.name.clone());
        for site in contin_eval::references(&l.expr) {
            resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
        }
    }
    for (i, r) in config.resources.iter().enumerate() {
        let me = Node::Resource(i);
        let ctx = if r.count.is_some() {
            Context::Count
        } else if r.for_each.is_some() {
            Context::ForEach
        } else {
            Context::Plain
        };
        // count/for_each themselves cannot use count.index/each.*.
        for e in r.count.iter().chain(r.for_each.iter()) {
            for site in contin_eval::references(e) {
                resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
            }
        }
        for site in contin_eval::body_references(&r.body) {
            resolver.edge(&me, site, ctx, &mut edges, &mut diags);
        }
        // Conditions and replace_triggered_by are evaluated per instance
        // too; `self` (postconditions) is not a reference.
        let lc = &r.lifecycle;
        let conditions = lc.preconditions.iter().chain(lc.postconditions.iter());
        let exprs = conditions.flat_map(|c| [&c.condition, &c.error_message]).chain(lc.replace_triggered_by.iter());
        for e in exprs {
            for site in contin_eval::references(e) {
                resolver.edge(&me, site, ctx, &mut edges, &mut diags);
            }
        }
        for d in &r.depends_on {
            let site = RefSite {
                reference: Reference::Resource { mode: d.mode, ty: d.ty.clone(), name: d.name.clone() },
                loc: d.loc.clone(),
            };
            resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
        }
    }
    for o in config.outputs.values() {
        let me = Node::Output(o.name.clone());
        for site in contin_eval::references(&o.value) {
            resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
        }
        for c in &o.preconditions {
            for site in contin_eval::references(&c.condition).into_iter().chain(contin_eval::references(&c.error_message)) {
                resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
            }
        }
        for d in &o.depends_on {
            let site = RefSite {
                reference: Reference::Resource { mode: d.mode, ty: d.ty.clone(), name: d.name.clone() },
                loc: d.loc.clone(),
            };
            resolver.edge(&me, site, Context::Plain, &mut edges, &mut diags);
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    // One edge per (dependency, dependant) pair: the first reference site.
    let mut seen = BTreeSet::new();
    for (from, to, loc) in edges {
        let (f, t) = (index[&from], index[&to]);
        if seen.insert((f, t)) {
            graph.add_edge(f, t, loc);
        }
    }
    let mut dg = DepGraph { graph, index, order: Vec::new(), names };
    match topo_order(&dg) {
        Ok(order) => {
            dg.order = order;
            Ok(dg)
        }
        Err(cycles) => Err(cycle_diagnostics(&dg, cycles)),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Plain,
    Count,
    ForEach,
}

struct Resolver<'a> {
    config: &'a Config,
    blocks: &'a HashMap<BlockKey, usize>,
    /// "Did you mean" searches left: each scans every declared name, so
    /// they are bounded to keep many undeclared references linear.
    suggestions_left: std::cell::Cell<usize>,
}

/// Undeclared references that get a "Did you mean" suggestion; the rest are
/// reported without one.
const MAX_SUGGESTIONS: usize = 20;

impl Resolver<'_> {
    /// True while suggestions may still be searched for (and uses one).
    fn suggest(&self) -> bool {
        let left = self.suggestions_left.get();
        self.suggestions_left.set(left.saturating_sub(1));
        left > 0
    }

    fn edge(&self, me: &Node, site: RefSite, ctx: Context, edges: &mut Vec<(Node, Node, SourceLoc)>, diags: &mut Diagnostics) {
        let RefSite { reference, loc } = site;
        let target = match &reference {
            Reference::Var(name) => {
                if !self.config.variables.contains_key(name) {
                    let ok = self.suggest();
                    let candidates = self.config.variables.keys().filter(|_| ok);
                    diags.push(undeclared("input variable", &format!("var.{name}"), name, candidates, loc, |n| format!("var.{n}")));
                    return;
                }
                // Ephemeral values must not reach what is persisted: resource
                // arguments (state) and outputs (state).
                let persisted = match me {
                    Node::Resource(i) => self.config.resources.get(*i).is_some_and(|r| r.mode == contin_types::ResourceMode::Managed),
                    Node::Output(_) => true,
                    _ => false,
                };
                if persisted && self.config.variables.get(name).is_some_and(|v| v.ephemeral) {
                    diags.push(
                        Diagnostic::error("Invalid use of ephemeral value")
                            .with_detail(format!("var.{name} is ephemeral: ephemeral values are not valid in resource arguments or outputs, because those are saved in the state."))
                            .at(loc),
                    );
                    return;
                }
                Node::Variable(name.clone())
            }
            Reference::Local(name) => {
                if !self.config.locals.contains_key(name) {
                    let ok = self.suggest();
                    let candidates = self.config.locals.keys().filter(|_| ok);
                    diags.push(undeclared("local value", &format!("local.{name}"), name, candidates, loc, |n| format!("local.{n}")));
                    return;
                }
                Node::Local(name.clone())
            }
            Reference::Resource { mode, ty, name } => {
                let key = (*mode, ty.clone(), name.clone());
                match self.blocks.get(&key) {
                    Some(i) => Node::Resource(*i),
                    None => {
                        let what = if *mode == ResourceMode::Data { "data resource" } else { "managed resource" };
                        let written = if *mode == ResourceMode::Data { format!("data.{ty}.{name}") } else { format!("{ty}.{name}") };
                        let candidates: Vec<String> = if self.suggest() {
                            self.config.resources.iter().filter(|r| r.mode == *mode).map(block_name).collect()
                        } else {
                            Vec::new()
                        };
                        diags.push(undeclared(what, &written, &written, candidates.iter(), loc, |n| n.to_string()));
                        return;
                    }
                }
            }
            Reference::CountIndex => {
                if ctx != Context::Count {
                    diags.push(
                        Diagnostic::error("Reference to \"count\" in non-counted context")
                            .with_detail("The \"count\" object can only be used in resource blocks that set the \"count\" argument.")
                            .at(loc),
                    );
                }
                return;
            }
            Reference::EachKey | Reference::EachValue => {
                if ctx != Context::ForEach {
                    diags.push(
                        Diagnostic::error("Reference to \"each\" in context without for_each")
                            .with_detail("The \"each\" object can be used only in resource blocks that set the \"for_each\" argument.")
                            .at(loc),
                    );
                }
                return;
            }
            Reference::Path(_) | Reference::TerraformWorkspace => return,
        };
        if &target == me {
            diags.push(
                Diagnostic::error("Self-referential block")
                    .with_detail("A block cannot refer to itself; a resource's own attributes are not available while it is being configured.")
                    .at(loc),
            );
            return;
        }
        edges.push((target, me.clone(), loc));
    }
}

fn undeclared<'a, S: AsRef<str> + 'a>(
    what: &str,
    written: &str,
    name: &str,
    candidates: impl Iterator<Item = S>,
    loc: SourceLoc,
    show: impl Fn(&str) -> String,
) -> Diagnostic {
    let mut detail = format!("A {what} \"{written}\" has not been declared.");
    if let Some(best) = closest(name, candidates) {
        let _ = write!(detail, " Did you mean {}?", show(&best));
    }
    let summary = match what {
        "input variable" => "Reference to undeclared input variable",
        "local value" => "Reference to undeclared local value",
        _ => "Reference to undeclared resource",
    };
    Diagnostic::error(summary).with_detail(detail).at(loc)
}

/// The candidate within edit distance ⅓ of the name's length, if any.
pub fn closest<S: AsRef<str>>(name: &str, candidates: impl Iterator<Item = S>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| (contin_types::suggest::edit_distance(name, c.as_ref()), c.as_ref().to_string()))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Kahn's algorithm with a source-ordered ready set; on failure returns the
/// strongly connected components that form cycles.
fn topo_order(g: &DepGraph) -> Result<Vec<NodeIndex>, Vec<Vec<NodeIndex>>> {
    let n = g.graph.node_count();
    let mut indeg: Vec<usize> = (0..n).map(|i| g.graph.neighbors_directed(NodeIndex::new(i), Direction::Incoming).count()).collect();
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> =
        (0..n).filter(|&i| indeg[i] == 0).map(std::cmp::Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        let ix = NodeIndex::new(i);
        order.push(ix);
        for d in g.graph.neighbors_directed(ix, Direction::Outgoing) {
            indeg[d.index()] -= 1;
            if indeg[d.index()] == 0 {
                ready.push(std::cmp::Reverse(d.index()));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    let cycles = petgraph::algo::tarjan_scc(&g.graph).into_iter().filter(|scc| scc.len() > 1).collect();
    Err(cycles)
}

/// One diagnostic per cycle, naming every edge in order with its location.
fn cycle_diagnostics(g: &DepGraph, cycles: Vec<Vec<NodeIndex>>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for scc in cycles {
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        // Start from the smallest name for determinism, follow edges inside the SCC.
        let start = *members.iter().min_by_key(|ix| g.name(**ix)).unwrap_or(&scc[0]);
        let path = find_cycle(g, start, &members);
        let mut names: Vec<&str> = path.iter().map(|(ix, _)| g.name(*ix)).collect();
        names.push(g.name(start));
        let mut d = Diagnostic::error("Cycle in dependency graph").with_detail(format!(
            "These blocks depend on each other in a loop: {}. Break the cycle by removing one of the references below.",
            names.join(" → ")
        ));
        for (_, edge_loc) in &path {
            if let Some((label, loc)) = edge_loc {
                d = d.with_related(label.clone(), loc.clone());
            }
        }
        d.loc = d.related.first().map(|(_, l)| l.clone());
        diags.push(d);
    }
    diags
}

type CycleStep = (NodeIndex, Option<(String, SourceLoc)>);

/// A simple cycle through `start` within `members` (DFS); each step carries
/// the label and location of the reference that makes the next node depend on it.
fn find_cycle(g: &DepGraph, start: NodeIndex, members: &BTreeSet<NodeIndex>) -> Vec<CycleStep> {
    // Walk "depends on" direction: from a node to the node it references (edge source).
    let mut stack: Vec<NodeIndex> = vec![start];
    let mut visited = BTreeSet::new();
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    while let Some(n) = stack.pop() {
        let mut deps: Vec<NodeIndex> =
            g.graph.neighbors_directed(n, Direction::Incoming).filter(|d| members.contains(d)).collect();
        deps.sort_by_key(|d| g.name(*d).to_string());
        for d in deps {
            if d == start {
                // Reconstruct start → … → n → start.
                let mut chain = vec![n];
                let mut cur = n;
                while let Some(p) = parent.get(&cur) {
                    chain.push(*p);
                    cur = *p;
                }
                chain.reverse();
                let mut steps = Vec::new();
                for (k, node) in chain.iter().enumerate() {
                    let next = if k + 1 < chain.len() { chain[k + 1] } else { start };
                    // `node` depends on `next`: the edge next → node holds the reference site.
                    let label = g
                        .graph
                        .find_edge(next, *node)
                        .map(|e| (format!("{} refers to {}", g.name(*node), g.name(next)), g.graph[e].clone()));
                    steps.push((*node, label));
                }
                return steps;
            }
            if visited.insert(d) {
                parent.insert(d, n);
                stack.push(d);
            }
        }
    }
    vec![(start, None)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hcl: &str) -> Config {
        let (c, d) = contin_config::parse_files(&[("main.hcl".to_string(), hcl.to_string())]);
        assert!(!d.has_errors(), "{d}");
        c
    }

    #[test]
    fn undeclared_references_are_suggested_a_bounded_number_of_times() {
        // Each suggestion scans every declared resource: bounded, so many
        // bad references stay linear.
        let mut hcl = String::new();
        for i in 0..200 {
            hcl.push_str(&format!("resource \"fake_resource\" \"r{i}\" {{\n  value = fake_resource.rr{i}.id\n}}\n"));
        }
        let Err(d) = build(&config(&hcl)) else { panic!("undeclared references must fail") };
        assert_eq!(d.0.len(), 200);
        let suggested = d.0.iter().filter(|x| x.detail.contains("Did you mean")).count();
        assert_eq!(suggested, MAX_SUGGESTIONS, "{:?}", d.0[0]);
        assert!(d.0[0].detail.contains("Did you mean fake_resource.r"), "{}", d.0[0].detail);
    }
}
