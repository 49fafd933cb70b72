//! Dependency order.

use std::collections::{BTreeMap, BTreeSet};

/// Kahn's algorithm over `nodes` (sorted, so the result is deterministic).
/// Edges to nodes outside the set are ignored; cycles are broken by name.
pub(super) fn topo<T: Ord + Clone>(nodes: Vec<T>, deps: impl Fn(&T) -> Vec<T>) -> Vec<T> {
    let set: BTreeSet<T> = nodes.into_iter().collect();
    let mut remaining: BTreeMap<T, BTreeSet<T>> = set
        .iter()
        .map(|n| {
            (
                n.clone(),
                deps(n)
                    .into_iter()
                    .filter(|d| set.contains(d) && d != n)
                    .collect(),
            )
        })
        .collect();
    let mut out = Vec::with_capacity(set.len());
    while !remaining.is_empty() {
        let ready: Vec<T> = remaining
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(n, _)| n.clone())
            .collect();
        let batch = if ready.is_empty() {
            // A cycle: take the first by order.
            vec![remaining.keys().next().cloned().expect("non-empty")]
        } else {
            ready
        };
        for n in &batch {
            remaining.remove(n);
        }
        for d in remaining.values_mut() {
            for n in &batch {
                d.remove(n);
            }
        }
        out.extend(batch);
    }
    out
}
