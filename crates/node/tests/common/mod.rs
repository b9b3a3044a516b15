//! What the multi-node tests share: running the `concord` binary, a node
//! with its own data dir serving on a 127.0.0.1 port (killed when dropped),
//! peers, sync, signed imports and what a node holds. Each test file uses
//! the part it needs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any wait in these tests may take.
pub const BOUND: Duration = Duration::from_secs(60);

pub fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, None)
}

pub fn run_with(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run concord");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).expect("stdin");
    }
    drop(input);
    child.wait_with_output().expect("concord output")
}

/// Runs concord and fails the test, with its output, unless it succeeds.
pub fn checked(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let out = run_with(dir, args, stdin);
    assert!(
        out.status.success(),
        "concord {args:?}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn ok_with(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = checked(dir, args, stdin);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    ok_with(dir, args, None)
}

pub fn json_of(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(dir, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A TLP-less indicator with a custom property (marked on import).
pub fn indicator(name: &str, ip: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid()),
        "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
        "name": name, "pattern": format!("[ipv4-addr:value = '{ip}']"),
        "pattern_type": "stix", "valid_from": "2026-11-20T10:00:00Z",
        "x_custom_kept": {"nested": [1, 2, 3]}
    })
}

/// A running `concord serve`, killed when dropped.
pub struct Served {
    pub child: Child,
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.base().trim_start_matches("http://").to_string()
    }

    /// `http://127.0.0.1:PORT`, without the TAXII path.
    pub fn base(&self) -> String {
        self.url.trim_end_matches("/taxii2/").to_string()
    }
}

/// Starts `concord serve` on a free 127.0.0.1 port and waits until it
/// answers.
pub fn serve(dir: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start concord serve");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("listening line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let served = Served { child, url };
    let addr = served.addr();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(start.elapsed() < BOUND, "the server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    served
}

/// One member's node: its data dir, node key, member id and server.
pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub key: String,
    pub member: String,
    pub served: Option<Served>,
}

impl Node {
    /// A node that syncs only when the test says so, pulling small pages.
    pub fn new(root: &Path, name: &str) -> Node {
        Node::with_config(root, name, "")
    }

    /// The same, with `extra` appended to its config.toml.
    pub fn with_config(root: &Path, name: &str, extra: &str) -> Node {
        let dir = root.join(name);
        ok(&dir, &["init", "--org", &format!("CERT-{name}")]);
        let cfg = dir.join("config.toml");
        let text = std::fs::read_to_string(&cfg).expect("config");
        assert!(text.contains("interval_secs = 60"), "{text}");
        let text = text
            .replace("interval_secs = 60", "interval_secs = 0")
            .replace("page = 2000", "page = 50")
            + "\n"
            + extra;
        std::fs::write(&cfg, text).expect("config");
        let k = json_of(&dir, &["key", "show"]);
        Node {
            name: name.to_string(),
            dir,
            key: k["public_key"].as_str().expect("key").to_string(),
            member: k["member"].as_str().expect("member").to_string(),
            served: None,
        }
    }

    pub fn serve(&mut self) {
        self.served = Some(serve(&self.dir));
    }

    pub fn url(&self) -> String {
        self.served.as_ref().expect("serving").url.clone()
    }

    /// Makes `other` a peer of this node (pulled from and served).
    pub fn peer(&self, other: &Node) {
        self.peer_with(other, &[]);
    }

    /// The same with more `peer add` flags (e.g. `--no-pull`).
    pub fn peer_with(&self, other: &Node, flags: &[&str]) {
        let url = other.url();
        let mut args = vec![
            "peer",
            "add",
            &other.name,
            "--url",
            &url,
            "--key",
            &other.key,
            "--member",
            &other.member,
        ];
        args.extend_from_slice(flags);
        ok(&self.dir, &args);
    }

    pub fn sync(&self) -> Value {
        let out = run(&self.dir, &["--json", "sync"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "sync on {}: {}\n{}",
                self.name,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Imports `objects` as authored here: marked `tlp`, for `audience`, signed.
    pub fn import(&self, objects: &[Value], tlp: &str, audience: &[&str]) {
        let file = self.dir.join(format!("in-{}.json", uuid()));
        let bundle =
            json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objects});
        std::fs::write(&file, bundle.to_string()).expect("bundle");
        let mut args = vec!["import", "--tlp", tlp, file.to_str().expect("path")];
        let joined = audience.join(",");
        if !audience.is_empty() {
            args.extend(["--audience", &joined]);
        }
        ok(&self.dir, &args);
    }

    /// The latest version of every object the node holds, by id.
    pub fn held(&self) -> BTreeMap<String, Value> {
        let out = ok(&self.dir, &["export", "--include-revoked"]);
        let bundle: Value = serde_json::from_str(&out).expect("export is a bundle");
        bundle["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| (o["id"].as_str().unwrap_or("").to_string(), o.clone()))
            .collect()
    }

    pub fn quarantine(&self) -> Vec<Value> {
        serde_json::from_str(&ok(&self.dir, &["--json", "quarantine", "list"])).expect("json")
    }

    /// Syncs until `done` holds (servers read new peers every 2 s).
    pub fn sync_until(&self, what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        loop {
            let report = self.sync();
            if done() {
                return;
            }
            assert!(
                start.elapsed() < BOUND,
                "{}: {what} did not happen within {BOUND:?}; last round {report}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Nodes named `names` under `root`, each serving.
pub fn served(root: &Path, names: &[&str]) -> Vec<Node> {
    let mut nodes: Vec<Node> = names.iter().map(|n| Node::new(root, n)).collect();
    for n in nodes.iter_mut() {
        n.serve();
    }
    nodes
}

/// Syncs every node in turn until `done` holds.
pub fn sync_until(nodes: &[&Node], done: impl Fn() -> bool) {
    let start = Instant::now();
    loop {
        let reports: Vec<(String, Value)> =
            nodes.iter().map(|n| (n.name.clone(), n.sync())).collect();
        if done() {
            return;
        }
        let held: Vec<_> = nodes
            .iter()
            .map(|n| (n.name.clone(), n.held().len()))
            .collect();
        assert!(
            start.elapsed() < BOUND,
            "nodes did not converge within {BOUND:?}: held {held:?}, last rounds {reports:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
