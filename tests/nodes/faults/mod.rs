//! The fault harness: a node's bad days, each case bounded in time and all
//! on loopback. Every case prints one line (`fault case=… runs=… lost=…
//! duplicated=…`) and fails unless nothing acknowledged was lost, nothing
//! was stored twice and the store passes its integrity check.
//!
//! | case | what goes wrong |
//! | --- | --- |
//! | [`kill`] | `kill -9` during import, during sync, and of `serve` under POST load, in a loop |
//! | [`proxy`] | a TCP proxy between two nodes that resets, truncates and stalls connections |
//! | [`disk`] | the data directory's file system fills up (a few-MB tmpfs), then space is freed |
//! | [`postgres`] | PostgreSQL restarts under POST load |
//! | [`clock`] | a node's clock runs ahead, within and beyond the ±5 min of signed requests (libfaketime) |
//! | [`community`] | ten nodes in a ring, then a mesh, each publishing |
//!
//! `scripts/test.sh` runs them on their own, one at a time, with their
//! output shown (`cargo test -p concord-tests faults:: -- --nocapture
//! --test-threads=1`).

mod clock;
mod community;
mod disk;
mod kill;
mod postgres;
mod proxy;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{json_of, uuid};

/// What one case saw.
pub(crate) struct Outcome {
    pub case: &'static str,
    pub runs: usize,
    pub lost: usize,
    pub duplicated: usize,
}

impl Outcome {
    /// Prints the case's line, then fails the test if anything was lost or
    /// duplicated.
    #[expect(
        clippy::print_stderr,
        reason = "the harness's outcome line is its report (shown with --nocapture)"
    )]
    pub(crate) fn report(&self) {
        eprintln!(
            "fault case={} runs={} lost={} duplicated={}",
            self.case, self.runs, self.lost, self.duplicated
        );
        assert_eq!(
            (self.lost, self.duplicated),
            (0, 0),
            "{}: lost or duplicated writes",
            self.case
        );
    }
}

/// A small deterministic random sequence (the cases' kill times), seeded
/// per process so each run tries other moments.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new() -> Dice {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Dice(seed)
    }

    /// A number in `lo..hi`.
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo).max(1)
    }
}

/// `n` distinct unmarked indicators named `{prefix} {i}`.
pub(crate) fn indicators(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{}", uuid()),
                "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
                "name": format!("{prefix} {i}"),
                "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                "pattern_type": "stix", "valid_from": "2026-11-20T10:00:00Z"
            })
        })
        .collect()
}

/// Writes `objects` as a bundle file.
pub(crate) fn bundle_file(path: &Path, objects: &[Value]) {
    let b = json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objects});
    std::fs::write(path, b.to_string()).expect("bundle");
}

/// `PRAGMA integrity_check` of a node's embedded store (no process may be
/// writing it).
pub(crate) fn integrity(dir: &Path) -> String {
    let db = dir.join("concord.sqlite");
    let conn = rusqlite::Connection::open(&db).expect("open the store");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
        .expect("integrity_check")
}

/// Asserts the store is intact.
pub(crate) fn intact(dir: &Path) {
    assert_eq!(integrity(dir), "ok", "{} is corrupt", dir.display());
}

/// (objects, versions) the node holds.
pub(crate) fn counts(dir: &Path) -> (u64, u64) {
    let s = json_of(dir, &["stats"]);
    (
        s["objects"].as_u64().expect("objects"),
        s["versions"].as_u64().expect("versions"),
    )
}

/// Names of the indicators (by `name`) the node holds.
pub(crate) fn names(dir: &Path) -> BTreeSet<String> {
    let out = crate::harness::ok(dir, &["export", "--type", "indicator"]);
    let b: Value = serde_json::from_str(&out).expect("export");
    b["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str().map(str::to_string))
        .collect()
}

/// The node's local collection id.
pub(crate) fn local_collection(dir: &Path) -> String {
    json_of(dir, &["collection", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["local"] == true)
        .expect("a local collection")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// One HTTP/1.1 exchange that may fail (a server killed or a connection
/// reset mid-way): (status, body), or `None`.
pub(crate) fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// POSTs `objects` to a collection; the ids the server says it stored
/// (acknowledged writes), or none when the request failed.
pub(crate) fn post(addr: &str, token: &str, collection: &str, objects: &[Value]) -> Vec<String> {
    let body = json!({"objects": objects}).to_string();
    let bearer = format!("Bearer {token}");
    let path = format!("/taxii2/root/collections/{collection}/objects/");
    let Some((code, text)) = try_request(
        addr,
        "POST",
        &path,
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Content-Type", "application/taxii+json;version=2.1"),
            ("Authorization", &bearer),
        ],
        &body,
    ) else {
        return Vec::new();
    };
    let status: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if code != 202 || status["status"] != "complete" {
        return Vec::new();
    }
    status["successes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect()
}

/// Ids of every object the node holds.
pub(crate) fn ids(dir: &Path) -> BTreeSet<String> {
    let out = crate::harness::ok(dir, &["export", "--include-revoked"]);
    let b: Value = serde_json::from_str(&out).expect("export");
    b["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str().map(str::to_string))
        .collect()
}
