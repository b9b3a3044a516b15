//! Clock skew between nodes. Node-signed requests carry their date and are
//! accepted within ±5 minutes of the receiver's clock. The reader's clock
//! is moved with libfaketime (Debian's `faketime` package; LD_PRELOAD on
//! the one `concord sync` process, monotonic time left alone): 2 minutes
//! ahead it still syncs, 10 minutes ahead (either way) the author refuses
//! it and the round says why; back in step it syncs again. Nothing in the
//! binary changes for this: there is no clock override to misuse.

use std::path::PathBuf;

use serde_json::Value;

use super::{Outcome, counts, indicators, names};
use crate::harness::{Node, command, served};

fn libfaketime() -> PathBuf {
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("libfaketime is missing: install Debian's faketime package (scripts/test.sh does)")
}

/// One `concord sync` of `n` with its clock `offset` away ("+120", "-600").
fn skewed_sync(n: &Node, offset: &str) -> Value {
    let out = command(&n.dir)
        .args(["--json", "sync"])
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", offset)
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("FAKETIME_DONT_RESET", "1")
        .output()
        .expect("sync");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "sync with the clock at {offset}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn round_error(report: &Value) -> Option<String> {
    report
        .as_array()
        .or_else(|| report["rounds"].as_array())
        .into_iter()
        .flatten()
        .find_map(|r| r["error"].as_str().map(str::to_string))
}

#[test]
fn signed_requests_hold_within_the_clock_window_and_fail_beyond_it() {
    let root = tempfile::tempdir().expect("tmp");
    let nodes = served(root.path(), &["author", "reader"]);
    let (a, b) = (&nodes[0], &nodes[1]);
    a.peer(b);
    b.peer(a);
    a.import(&indicators("first", 20), "amber", &[&b.member]);
    // A serving node reads its peers every 2 s.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    // The faked clock really is ahead in the synced process.
    let probe = std::process::Command::new("date")
        .arg("+%s")
        .env("LD_PRELOAD", libfaketime())
        .env("FAKETIME", "+600")
        .output()
        .expect("date");
    let faked: i64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .expect("seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(
        (faked - now - 600).abs() < 30,
        "libfaketime did not move the clock"
    );

    let within = skewed_sync(b, "+120");
    assert_eq!(round_error(&within), None, "{within}");
    assert_eq!(names(&b.dir).len(), 20, "{within}");

    a.import(&indicators("second", 20), "amber", &[&b.member]);
    let mut runs = 2;
    for beyond in ["+600", "-600"] {
        runs += 1;
        let refused = skewed_sync(b, beyond);
        let e = round_error(&refused).unwrap_or_default();
        assert!(
            e.contains("401") || e.contains("clock"),
            "{beyond}: {refused}"
        );
        assert_eq!(
            names(&b.dir).len(),
            20,
            "{beyond}: nothing new came through"
        );
    }
    b.sync_until("back in step, the reader syncs", || {
        names(&b.dir).len() == 40
    });
    let got = names(&b.dir);
    let (objects, versions) = counts(&b.dir);
    Outcome {
        case: "clock-skew-within-and-beyond-5-min",
        runs: runs + 1,
        lost: 40 - got.len().min(40),
        duplicated: got.len().saturating_sub(40) + (versions - objects) as usize,
    }
    .report();
}
