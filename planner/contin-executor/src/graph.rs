//! The apply DAG: one or two nodes per changing instance, edges for
//! dependency order (creates/updates) and reverse order (deletes).
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
//! `create_before_destroy` propagates to replaced dependencies of a
//! create_before_destroy change (Terraform does the same); without that,
//! rule 4 and rule 2 can form a cycle.

use contin_planner::{Action, Plan};
use contin_state::State;
use contin_types::ResourceAddr;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// Create / update / read, or the create part of a replace.
    Forward,
    /// Delete, or the delete part of a replace.
    Destroy,
}

#[derive(Debug)]
pub(crate) struct Node {
    /// Index into `plan.changes`.
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

pub(crate) fn build(plan: &Plan, prior: &State) -> ApplyGraph {
    let changes = &plan.changes;
    let index: HashMap<&ResourceAddr, usize> = changes.iter().enumerate().map(|(i, c)| (&c.addr, i)).collect();
    let lookup = |a: &ResourceAddr| index.get(a).copied();

    // Old dependencies of each change: what it depended on when last applied.
    let old_deps: Vec<Vec<usize>> = changes
        .iter()
        .map(|c| {
            let mut deps: Vec<usize> = c.depends_on.iter().filter_map(lookup).collect();
            if let Some(rs) = prior.resources.get(&c.addr) {
                deps.extend(rs.dependencies.iter().filter_map(lookup));
            }
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect();
    let new_deps: Vec<Vec<usize>> = changes
        .iter()
        .map(|c| {
            let mut deps: Vec<usize> = c.depends_on.iter().filter_map(lookup).collect();
            deps.sort_unstable();
            deps.dedup();
            deps
        })
        .collect();

    // create_before_destroy propagates to replaced dependencies.
    let mut cbd: Vec<bool> = changes.iter().map(|c| c.action == Action::Replace && c.create_before_destroy).collect();
    let mut work: Vec<usize> = (0..changes.len()).filter(|&i| cbd[i]).collect();
    while let Some(i) = work.pop() {
        for &d in new_deps[i].iter().chain(&old_deps[i]) {
            if changes[d].action == Action::Replace && !cbd[d] {
                cbd[d] = true;
                work.push(d);
            }
        }
    }

    let mut nodes = Vec::new();
    let mut change_nodes = vec![(None, None); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        let (fwd, destroy) = match c.action {
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

    let edge = |nodes: &mut Vec<Node>, from: usize, to: usize| {
        if from != to {
            nodes[from].succ.push(to);
        }
    };
    for i in 0..changes.len() {
        let (fwd, destroy) = change_nodes[i];
        if let Some(f) = fwd {
            for &d in &new_deps[i] {
                // Rule 1.
                if let Some(fd) = change_nodes[d].0 {
                    edge(&mut nodes, fd, f);
                }
                // Rule 4.
                if cbd[d] {
                    if let Some(dd) = change_nodes[d].1 {
                        edge(&mut nodes, f, dd);
                    }
                }
            }
        }
        match destroy {
            Some(x) => {
                // Rule 2.
                for &d in &old_deps[i] {
                    if let Some(dd) = change_nodes[d].1 {
                        edge(&mut nodes, x, dd);
                    }
                }
            }
            None => {
                // Rule 3.
                if let Some(f) = fwd {
                    for &d in &old_deps[i] {
                        if changes[d].action == Action::Delete {
                            if let Some(dd) = change_nodes[d].1 {
                                edge(&mut nodes, f, dd);
                            }
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
