//! A community of ten nodes, each publishing: GREEN intel for all members
//! and AMBER intel for its next neighbour only. First a ring (each node
//! pulls from its two neighbours and knows every member's key: GREEN
//! travels by relay, AMBER only from its author), then a mesh (each pulls
//! from all). Rounds are bounded: every node syncs once per round, and
//! each node holds exactly its share within the ring's diameter (plus one)
//! and within one round in the mesh.

use std::collections::BTreeSet;

use super::{Outcome, counts, indicators, names};
use crate::harness::{Node, json_of, ok, served};

const N: usize = 10;

fn add_peer(at: &Node, other: &Node, pull: bool) {
    let url = other.url();
    let mut args = vec![
        "peer",
        "add",
        other.name.as_str(),
        "--url",
        url.as_str(),
        "--key",
        other.key.as_str(),
        "--member",
        other.member.as_str(),
    ];
    if !pull {
        args.push("--no-pull");
    }
    ok(&at.dir, &args);
}

/// What node `j` may hold of everyone's intel with names `batch …`.
fn share(j: usize, batch: &str) -> BTreeSet<String> {
    let mut want = BTreeSet::new();
    for i in 0..N {
        for k in 0..3 {
            want.insert(format!("{batch} green from {i} {k}"));
        }
        if (i + 1) % N == j || i == j {
            want.insert(format!("{batch} amber from {i} to {} 0", (i + 1) % N));
        }
    }
    want
}

fn publish(nodes: &[Node], batch: &str) {
    for (i, n) in nodes.iter().enumerate() {
        n.import(
            &indicators(&format!("{batch} green from {i}"), 3),
            "green",
            &[],
        );
        let next = &nodes[(i + 1) % N];
        n.import(
            &indicators(&format!("{batch} amber from {i} to {}", (i + 1) % N), 1),
            "amber",
            &[&next.member],
        );
    }
}

/// Waits (bounded) until each node's log is covered by a checkpoint it
/// signed: peers accept what a member authored once a checkpoint of its
/// log includes it, and `serve` signs one per interval (a second here).
/// The rounds below measure the sync, not that interval: without this
/// wait, a node syncing within the second after its last peer published
/// held that peer's objects one round longer.
fn checkpointed(nodes: &[Node]) {
    for n in nodes {
        let mut covered = false;
        for _ in 0..100 {
            let s = json_of(&n.dir, &["log", "status"]);
            if s["checkpoint"]["size"].as_u64() == s["size"].as_u64() {
                covered = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(covered, "{}'s log got no checkpoint within 10 s", n.name);
    }
}

/// Syncs every node once per round until each holds exactly its share;
/// returns the rounds it took.
fn converge(nodes: &[Node], batch: &str, bound: usize) -> (usize, usize, usize) {
    for round in 1..=bound {
        for n in nodes {
            n.sync();
        }
        let done = nodes.iter().enumerate().all(|(j, n)| {
            names(&n.dir)
                .into_iter()
                .filter(|x| x.starts_with(batch))
                .collect::<BTreeSet<_>>()
                == share(j, batch)
        });
        if done {
            return (round, 0, 0);
        }
    }
    let (mut lost, mut extra) = (0, 0);
    for (j, n) in nodes.iter().enumerate() {
        let got: BTreeSet<String> = names(&n.dir)
            .into_iter()
            .filter(|x| x.starts_with(batch))
            .collect();
        lost += share(j, batch).difference(&got).count();
        extra += got.difference(&share(j, batch)).count();
    }
    (bound, lost, extra)
}

#[test]
fn ten_nodes_in_a_ring_then_a_mesh_converge_to_their_shares() {
    let root = tempfile::tempdir().expect("tmp");
    let names_: Vec<String> = (0..N).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = names_.iter().map(String::as_str).collect();
    let nodes = served(root.path(), &refs);
    // Ring: pull from both neighbours, know every member's key.
    for (i, n) in nodes.iter().enumerate() {
        for (j, other) in nodes.iter().enumerate() {
            if i != j {
                let neighbour = (i + 1) % N == j || (j + 1) % N == i;
                add_peer(n, other, neighbour);
            }
        }
    }
    publish(&nodes, "ring");
    checkpointed(&nodes);
    // Diameter 5; one more round for the order nodes sync in.
    let (ring_rounds, ring_lost, ring_extra) = converge(&nodes, "ring", N / 2 + 1);
    // Mesh: every node pulls from every other.
    for (i, n) in nodes.iter().enumerate() {
        for (j, other) in nodes.iter().enumerate() {
            if i != j {
                add_peer(n, other, true);
            }
        }
    }
    publish(&nodes, "mesh");
    checkpointed(&nodes);
    let (mesh_rounds, mesh_lost, mesh_extra) = converge(&nodes, "mesh", 2);
    let duplicated: u64 = nodes
        .iter()
        .map(|n| {
            let (objects, versions) = counts(&n.dir);
            versions - objects
        })
        .sum();
    Outcome {
        case: "community-of-10-ring",
        runs: ring_rounds,
        lost: ring_lost,
        duplicated: ring_extra,
    }
    .report();
    Outcome {
        case: "community-of-10-mesh",
        runs: mesh_rounds,
        lost: mesh_lost,
        duplicated: mesh_extra + duplicated as usize,
    }
    .report();
    assert!(mesh_rounds <= 1, "the mesh took {mesh_rounds} rounds");
}
