//! `kill -9` at a random moment, in a loop: during an import, during a
//! sync, and of `serve` while clients POST. After each kill the store
//! passes `PRAGMA integrity_check`; the next run resumes; at the end every
//! acknowledged write is there, once.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Dice, Outcome, bundle_file, counts, ids, indicators, intact, local_collection, post};
use crate::harness::{BOUND, Node, command, ok, serve, user_token};

/// Kills a started command after `ms` milliseconds (or lets it finish).
fn kill_after(mut cmd: std::process::Command, ms: u64) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start concord");
    std::thread::sleep(Duration::from_millis(ms));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn kill_9_during_import() {
    let root = tempfile::tempdir().expect("tmp");
    let n = Node::new(root.path(), "imp");
    let objects = indicators("imported", 4000);
    let file = root.path().join("big.json");
    bundle_file(&file, &objects);
    let (before, _) = counts(&n.dir);
    let mut dice = Dice::new();
    let runs = 5;
    for _ in 0..runs {
        let mut cmd = command(&n.dir);
        cmd.args(["import", file.to_str().expect("path")]);
        kill_after(cmd, dice.between(150, 1500));
        intact(&n.dir);
    }
    // The next run resumes: what is stored is skipped, the rest stored.
    ok(&n.dir, &["import", file.to_str().expect("path")]);
    intact(&n.dir);
    let (objects_held, versions) = counts(&n.dir);
    let want = before + objects.len() as u64;
    Outcome {
        case: "kill-9-import",
        runs,
        lost: want.saturating_sub(objects_held) as usize,
        duplicated: (versions - objects_held + objects_held.saturating_sub(want)) as usize,
    }
    .report();
}

#[test]
fn kill_9_during_sync() {
    let root = tempfile::tempdir().expect("tmp");
    let mut a = Node::new(root.path(), "author");
    let b = Node::new(root.path(), "reader");
    a.import(&indicators("synced", 1500), "green", &[]);
    a.serve();
    b.peer(&a);
    ok(
        &a.dir,
        &[
            "peer",
            "add",
            "reader",
            "--url",
            "http://127.0.0.1:9/taxii2/",
            "--key",
            &b.key,
            "--member",
            &b.member,
            "--no-pull",
        ],
    );
    // A serving node reads its peers every 2 s.
    std::thread::sleep(Duration::from_millis(2500));
    let mut dice = Dice::new();
    let runs = 5;
    for _ in 0..runs {
        let mut cmd = command(&b.dir);
        cmd.args(["sync"]);
        kill_after(cmd, dice.between(200, 2500));
        intact(&b.dir);
    }
    let want: BTreeSet<String> = super::names(&a.dir);
    b.sync_until("b holds a's share", || super::names(&b.dir) == want);
    intact(&b.dir);
    let got = super::names(&b.dir);
    let (objects_held, versions) = counts(&b.dir);
    Outcome {
        case: "kill-9-sync",
        runs,
        lost: want.difference(&got).count(),
        duplicated: got.difference(&want).count() + (versions - objects_held) as usize,
    }
    .report();
}

#[test]
fn kill_9_of_serve_under_post_load() {
    let root = tempfile::tempdir().expect("tmp");
    let n = Node::new(root.path(), "srv");
    let token = user_token(&n.dir, "loader", &["--admin"]);
    let collection = local_collection(&n.dir);
    let acked = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let addr = Arc::new(Mutex::new(String::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let (acked, addr, stop, token, collection) = (
                acked.clone(),
                addr.clone(),
                stop.clone(),
                token.clone(),
                collection.clone(),
            );
            std::thread::spawn(move || {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) {
                    round += 1;
                    let at = addr.lock().expect("addr").clone();
                    let batch = indicators(&format!("posted {c}-{round}"), 20);
                    let stored = post(&at, &token, &collection, &batch);
                    acked.lock().expect("acked").extend(stored);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    let mut dice = Dice::new();
    let runs = 4;
    for _ in 0..runs {
        let mut s = serve(&n.dir);
        *addr.lock().expect("addr") = s.addr();
        std::thread::sleep(Duration::from_millis(dice.between(400, 1500)));
        let _ = s.child.kill();
        let _ = s.child.wait();
        intact(&n.dir);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    // The next run serves again.
    let s = serve(&n.dir);
    let start = Instant::now();
    while post(&s.addr(), &token, &collection, &indicators("after", 1)).is_empty() {
        assert!(
            start.elapsed() < BOUND,
            "the restarted server never stored a POST"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(s);
    intact(&n.dir);
    let acked = acked.lock().expect("acked").clone();
    assert!(
        acked.len() >= 20,
        "no POST was acknowledged: {}",
        acked.len()
    );
    let held = ids(&n.dir);
    let (objects_held, versions) = counts(&n.dir);
    Outcome {
        case: "kill-9-serve-under-post",
        runs,
        lost: acked.difference(&held).count(),
        duplicated: (versions - objects_held) as usize,
    }
    .report();
}
