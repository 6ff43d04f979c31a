//! The apply DAG: one or two nodes per changing instance, edges for
//! dependency order (creates/updates) and reverse order (deletes).
//!
//! Dependencies name resource blocks (`a`, not `a[0]`…`a[K-1]`). An edge
//! "between blocks" goes through a gate node of the dependency's block (a
//! fan-in or fan-out point with no work), so `b[i]` depending on all of `a`
//! costs K + K edges, not K × K. "X → Y" below means "every node of X's
//! instances → the gate → every node of Y's instances" where X or Y is a block.
//!
//! Nodes: `Create`/`Update`/`Read` → one forward node; `Delete` → one destroy
//! node; `Replace` → a forward node (create the new object) and a destroy node
//! (delete the old one). Destroy-then-create replaces run destroy → create;
//! `create_before_destroy` replaces run create → (dependants' forward nodes)
//! → destroy of the old ("deposed") object, as Terraform does.
//!
//! Edge rules (A → B: B waits for A):
//! 1. forward(dep) → forward(C) for every `dep` in `C.depends_on` that has a
//!    forward node (NoOp dependencies are satisfied already).
//! 2. destroy(C) → destroy(dep) for every `dep` C depended on (its
//!    `depends_on` ∪ the prior state's `dependencies`): dependants go first.
//! 3. forward(C) → destroy(dep) when `dep` is deleted outright and C (which
//!    stays) used to depend on it: C stops using `dep` before it goes.
//! 4. create_before_destroy X: forward(Z) → destroy(X) for every Z whose
//!    `depends_on` names X, so dependants move to the new object first.
//! 5. Replace X: destroy(X) → forward(X) (default) or forward(X) → destroy(X)
//!    (create_before_destroy).
//!
//! Deposed objects (`Plan::deposed`, old objects of an earlier
//! create_before_destroy replace) get one destroy node each, a member of
//! their block's `Destroy` gate (dependants' destroys go first) with rule 2
//! edges to what the instance depended on. When the instance's own change
//! has a destroy node too, the deposed destroys run after it.
//!
//! `create_before_destroy` propagates to replaced dependencies of a
//! create_before_destroy change (Terraform does the same); without that,
//! rule 4 and rule 2 can form a cycle.

use contin_planner::{Action, Plan, ResourceChange};
use contin_state::State;
use contin_types::ResourceAddr;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// Create / update / read, or the create part of a replace.
    Forward,
    /// Delete, or the delete part of a replace.
    Destroy,
    /// A per-block fan-in point with no work of its own (see `Gate`); it
    /// finishes as soon as its predecessors have.
    Gate,
}

/// What a gate node of one block stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Gate {
    /// Every forward node of the block finished (rule 1).
    ForwardDone,
    /// Dependants moved to the new objects; cbd destroys may start (rule 4).
    CbdDestroy,
    /// Dependants' destroys finished; the block's destroys may start (rule 2).
    Destroy,
    /// Staying dependants stopped using it; its deletes may start (rule 3).
    Delete,
}

#[derive(Debug)]
pub(crate) struct Node {
    /// Index into `all_changes(plan)` (for a gate: some change of its block).
    pub change: usize,
    pub kind: NodeKind,
    /// Nodes waiting for this one.
    pub succ: Vec<usize>,
    /// Number of nodes this one waits for.
    pub preds: usize,
}

#[derive(Debug)]
pub(crate) struct ApplyGraph {
    pub nodes: Vec<Node>,
    /// Per change: (forward node, destroy node).
    pub change_nodes: Vec<(Option<usize>, Option<usize>)>,
    /// Per change: create_before_destroy in effect (after propagation).
    pub cbd: Vec<bool>,
}

/// Every change an apply runs: the plan's instance changes, then a `Delete`
/// per deposed object, paired with the deposed object's key.
pub(crate) fn all_changes(plan: &Plan) -> (Vec<&ResourceChange>, Vec<Option<&str>>) {
    let mut changes: Vec<&ResourceChange> = plan.changes.iter().collect();
    let mut keys: Vec<Option<&str>> = vec![None; changes.len()];
    for d in &plan.deposed {
        changes.push(&d.change);
        keys.push(Some(d.key.as_str()));
    }
    (changes, keys)
}

pub(crate) fn build(plan: &Plan, prior: &State) -> ApplyGraph {
    let (changes, deposed) = all_changes(plan);
    // A deposed object's destroy is only a destroy, whatever its change says.
    let is_deposed = |i: usize| deposed[i].is_some();
    // Blocks (`a` for `a[0]`, `a[1]`, …) and their changes.
    let mut block_ids: HashMap<ResourceAddr, usize> = HashMap::new();
    let mut block_changes: Vec<Vec<usize>> = Vec::new();
    let mut block_of = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let next = block_changes.len();
        let b = *block_ids.entry(c.addr.resource()).or_insert(next);
        if b == next {
            block_changes.push(Vec::new());
        }
        block_changes[b].push(i);
        block_of.push(b);
    }
    // Dependencies name blocks; plans and states written before that named
    // instances: both are reduced to blocks here.
    let blocks = |i: usize, deps: &mut dyn Iterator<Item = &ResourceAddr>| -> Vec<usize> {
        let mut out: Vec<usize> =
            deps.filter_map(|d| block_ids.get(&d.resource()).copied()).filter(|&b| b != block_of[i]).collect();
        out.sort_unstable();
        out.dedup();
        out
    };
    let new_deps: Vec<Vec<usize>> = changes.iter().enumerate().map(|(i, c)| blocks(i, &mut c.depends_on.iter())).collect();
    // Old dependencies of each change: what it depended on when last applied.
    let old_deps: Vec<Vec<usize>> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let recorded = prior.resources.get(&c.addr).map(|rs| rs.dependencies.as_slice()).unwrap_or_default();
            blocks(i, &mut c.depends_on.iter().chain(recorded))
        })
        .collect();

    // create_before_destroy propagates to replaced dependencies.
    let mut cbd: Vec<bool> =
        changes.iter().enumerate().map(|(i, c)| !is_deposed(i) && c.action == Action::Replace && c.create_before_destroy).collect();
    let mut block_seen = vec![false; block_changes.len()];
    let mut work: Vec<usize> = (0..changes.len()).filter(|&i| cbd[i]).collect();
    while let Some(i) = work.pop() {
        for &b in new_deps[i].iter().chain(&old_deps[i]) {
            if std::mem::replace(&mut block_seen[b], true) {
                continue;
            }
            for &d in &block_changes[b] {
                if changes[d].action == Action::Replace && !cbd[d] && !is_deposed(d) {
                    cbd[d] = true;
                    work.push(d);
                }
            }
        }
    }

    let mut nodes = Vec::new();
    let mut change_nodes = vec![(None, None); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        let (fwd, destroy) = match c.action {
            _ if is_deposed(i) => (false, true),
            Action::NoOp => (false, false),
            Action::Create | Action::Update | Action::Read => (true, false),
            Action::Delete => (false, true),
            Action::Replace => (true, true),
        };
        let mut new_node = |kind| {
            nodes.push(Node { change: i, kind, succ: Vec::new(), preds: 0 });
            Some(nodes.len() - 1)
        };
        change_nodes[i] = (if fwd { new_node(NodeKind::Forward) } else { None }, if destroy { new_node(NodeKind::Destroy) } else { None });
    }

    // The nodes of block `b` a gate joins: its fan-in for `ForwardDone`,
    // its fan-out for the others. Empty: no gate needed.
    let members = |b: usize, gate: Gate| -> Vec<usize> {
        block_changes[b]
            .iter()
            .filter_map(|&d| match gate {
                Gate::ForwardDone => change_nodes[d].0,
                Gate::CbdDestroy => change_nodes[d].1.filter(|_| cbd[d]),
                Gate::Destroy => change_nodes[d].1,
                // Staying dependants moved off a deposed object when it was replaced.
                Gate::Delete => change_nodes[d].1.filter(|_| changes[d].action == Action::Delete && !is_deposed(d)),
            })
            .collect()
    };
    let mut gates: HashMap<(usize, Gate), Option<usize>> = HashMap::new();
    // The gate node (created on first use with its block-side edges), or
    // `None` when the block has no node it would join.
    let mut gate = |nodes: &mut Vec<Node>, b: usize, kind: Gate| -> Option<usize> {
        *gates.entry((b, kind)).or_insert_with(|| {
            let m = members(b, kind);
            if m.is_empty() {
                return None;
            }
            nodes.push(Node { change: block_changes[b][0], kind: NodeKind::Gate, succ: Vec::new(), preds: 0 });
            let g = nodes.len() - 1;
            for n in m {
                if kind == Gate::ForwardDone {
                    nodes[n].succ.push(g);
                } else {
                    nodes[g].succ.push(n);
                }
            }
            Some(g)
        })
    };

    let edge = |nodes: &mut Vec<Node>, from: usize, to: usize| {
        if from != to {
            nodes[from].succ.push(to);
        }
    };
    for i in 0..changes.len() {
        let (fwd, destroy) = change_nodes[i];
        if let Some(f) = fwd {
            for &b in &new_deps[i] {
                // Rule 1.
                if let Some(g) = gate(&mut nodes, b, Gate::ForwardDone) {
                    edge(&mut nodes, g, f);
                }
                // Rule 4.
                if let Some(g) = gate(&mut nodes, b, Gate::CbdDestroy) {
                    edge(&mut nodes, f, g);
                }
            }
        }
        match destroy {
            Some(x) => {
                // Rule 2.
                for &b in &old_deps[i] {
                    if let Some(g) = gate(&mut nodes, b, Gate::Destroy) {
                        edge(&mut nodes, x, g);
                    }
                }
            }
            None => {
                // Rule 3.
                if let Some(f) = fwd {
                    for &b in &old_deps[i] {
                        if let Some(g) = gate(&mut nodes, b, Gate::Delete) {
                            edge(&mut nodes, f, g);
                        }
                    }
                }
            }
        }
        // Rule 5.
        if let (Some(f), Some(x)) = (fwd, destroy) {
            if cbd[i] {
                edge(&mut nodes, f, x);
            } else {
                edge(&mut nodes, x, f);
            }
        }
    }

    // Deposed objects go after the instance's own destroy (if any).
    let own: HashMap<&ResourceAddr, usize> = if plan.deposed.is_empty() {
        HashMap::new()
    } else {
        (0..changes.len()).filter(|&i| !is_deposed(i)).map(|i| (&changes[i].addr, i)).collect()
    };
    for i in (0..changes.len()).filter(|&i| is_deposed(i)) {
        let own_destroy = own.get(&changes[i].addr).and_then(|&o| change_nodes[o].1);
        if let (Some(x), Some(d)) = (own_destroy, change_nodes[i].1) {
            edge(&mut nodes, x, d);
        }
    }

    let mut preds = vec![0usize; nodes.len()];
    for node in &mut nodes {
        node.succ.sort_unstable();
        node.succ.dedup();
        for &t in &node.succ {
            preds[t] += 1;
        }
    }
    for (node, p) in nodes.iter_mut().zip(preds) {
        node.preds = p;
    }
    ApplyGraph { nodes, change_nodes, cbd }
}
