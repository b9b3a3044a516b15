//! Transparency logs between real nodes (FEDERATION.md sections 2 and 8,
//! items 6 to 8): a member that shows two peers two histories is caught by
//! every honest node within one full round, with evidence that verifies
//! offline; a witness's stored size never goes down under concurrent
//! `add-checkpoint` calls; an object whose inclusion is never proven is
//! quarantined with the reason; a signed export verifies on a machine with
//! nothing but the member's key, and one changed byte fails it.
//!
//! The lying node is simulated: its node key is read from its data
//! directory (as an attacker holding it could), a second checkpoint of the
//! same size over another tree is signed with it, and a small HTTP server
//! of the test serves that checkpoint as the node's `/log/checkpoint` to
//! one peer only, whose peer entry points at it. Everything else is the
//! real binary.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use concord_tlog::{
    AddCheckpoint, Checkpoint, Hash, MemoryTree, NoteVerifier, SignatureType, SignedCheckpoint,
    Verifiers, consistency_proof, leaf_hash,
};
use concord_trust::{Keypair, PublicKey};
use serde_json::{Value, json};

use crate::harness::*;

/// A node's key, read from its data directory.
fn node_key(n: &Node) -> Keypair {
    let pem = std::fs::read_to_string(n.dir.join("node.key")).expect("node.key");
    Keypair::from_pkcs8_pem(&pem).expect("a node key")
}

fn status(n: &Node) -> Value {
    json_of(&n.dir, &["log", "status"])
}

/// Waits until the node's log has a checkpoint covering all of it.
fn checkpointed(n: &Node) -> Value {
    let start = Instant::now();
    loop {
        let s = status(n);
        if s["checkpoint"]["size"] == s["size"] && s["size"].as_u64().unwrap_or(0) > 0 {
            return s;
        }
        assert!(start.elapsed() < BOUND, "{}: no checkpoint: {s}", n.name);
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A checkpoint of `origin` over a tree of `size` made-up leaves
/// (`seed` picks them), signed with `key`; and the tree.
fn forged(origin: &str, size: u64, seed: &str, key: &Keypair) -> (SignedCheckpoint, MemoryTree) {
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.push(leaf_hash(format!("{seed} {i}").as_bytes()));
    }
    let root = tree.root(size).expect("root");
    (sign(origin, size, root, key), tree)
}

/// A checkpoint signed with `key` as the log `origin` signs.
fn sign(origin: &str, size: u64, root: Hash, key: &Keypair) -> SignedCheckpoint {
    let note = concord_tlog::NoteSigner::new(origin, key.clone()).expect("note signer");
    SignedCheckpoint::sign(Checkpoint::new(origin, size, root), &note).expect("sign")
}

/// A server that answers `GET /log/checkpoint` with `note`, `GET /taxii2/`
/// with a discovery document, and everything else with 404, until dropped.
struct FakeLog {
    url: String,
    stop: Arc<AtomicBool>,
}

impl FakeLog {
    fn start(note: Vec<u8>) -> FakeLog {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/taxii2/", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // A TAXII discovery document, so that `peer add` takes the URL.
        let discovery = format!(r#"{{"title":"a lying log","api_roots":["{url}root/"]}}"#);
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let mut reader = BufReader::new(s.try_clone().expect("clone"));
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                // Skip the headers.
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let (status, kind, body): (&str, &str, &[u8]) =
                    if line.starts_with("GET /log/checkpoint ") {
                        ("200 OK", "text/plain; charset=utf-8", &note)
                    } else if line.starts_with("GET /taxii2/ ") {
                        (
                            "200 OK",
                            "application/taxii+json;version=2.1",
                            discovery.as_bytes(),
                        )
                    } else {
                        ("404 Not Found", "text/plain; charset=utf-8", b"not here")
                    };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(body);
            }
        });
        FakeLog { url, stop }
    }
}

impl Drop for FakeLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn alerts_of(n: &Node, kind: &str) -> Vec<Value> {
    match json_of(&n.dir, &["alerts"]) {
        Value::Array(a) => a.into_iter().filter(|a| a["kind"] == kind).collect(),
        other => panic!("alerts: {other}"),
    }
}

/// `concord verify` on a machine with no data directory at all.
fn verify_offline(file: &Path, key: &str) -> (i32, String, String) {
    let nowhere = tempfile::tempdir().expect("tmp");
    let dir = nowhere.path().join("no-such-node");
    run_code(
        &dir,
        &["verify", file.to_str().expect("path"), "--key", key],
        None,
    )
}

#[test]
fn a_member_showing_two_histories_is_caught_by_every_honest_node_in_one_round() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut a = Node::new(tmp.path(), "a");
    let mut b = Node::new(tmp.path(), "b");
    let mut c = Node::new(tmp.path(), "c");
    let mut l = Node::new(tmp.path(), "l");
    for n in [&mut a, &mut b, &mut c, &mut l] {
        n.serve();
    }
    // The honest three serve and pull from each other and from L.
    for (x, y) in [(&a, &b), (&a, &c), (&b, &c)] {
        x.peer(y);
        y.peer(x);
    }
    for n in [&a, &b, &c] {
        l.peer_with(n, &["--no-pull"]);
    }
    a.peer(&l);
    c.peer(&l);
    // L publishes; its log gets a checkpoint; everyone takes it in (and
    // every server knows its peers: they read them every 2 s).
    let first = indicator("l's", "198.51.100.7");
    let first_id = first["id"].as_str().expect("id").to_string();
    l.import(&[first], "green", &[]);
    let s = checkpointed(&l);
    sync_until(&[&a, &b, &c], || {
        [&a, &c].iter().all(|n| n.held().contains_key(&first_id))
            && [&a, &b, &c].iter().all(|n| {
                n.sync()
                    .as_array()
                    .is_some_and(|r| r.iter().all(|p| p["error"].is_null()))
            })
    });
    let (origin, size) = (
        s["origin"].as_str().expect("origin").to_string(),
        s["size"].as_u64().expect("size"),
    );
    // The lie: another tree of the same size, signed with L's key, shown
    // to B alone.
    let (lie, _) = forged(&origin, size, "another history", &node_key(&l));
    let fake = FakeLog::start(lie.to_bytes());
    ok(
        &b.dir,
        &[
            "peer", "add", "l", "--url", &fake.url, "--key", &l.key, "--member", &l.member,
        ],
    );
    // One full round: each honest node syncs with all its peers once.
    let rounds: Vec<Value> = [&a, &b, &c].iter().map(|n| n.sync()).collect();
    for n in [&a, &b, &c] {
        let ev = json_of(&n.dir, &["log", "evidence"]);
        let list = ev.as_array().expect("a list");
        assert!(
            list.iter().any(|e| e["origin"] == json!(origin)),
            "{} holds no evidence against L after one round: {ev}; rounds {rounds:?}",
            n.name
        );
        let e = list
            .iter()
            .find(|e| e["origin"] == json!(origin))
            .expect("evidence");
        assert_eq!(e["member"], json!(l.member), "{e}");
        assert_eq!(e["kind"], json!("same-size"), "{e}");
        // It verifies offline with nothing but L's key...
        let file = n.dir.join("evidence.json");
        std::fs::write(&file, e["evidence"].to_string()).expect("write");
        let (code, out, err) = verify_offline(&file, &l.key);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("valid evidence"), "{out}");
        // ...and with the library alone, by a tool that is not concord.
        let parsed =
            concord_tlog::Evidence::from_json(e["evidence"].to_string().as_bytes()).expect("parse");
        let report = parsed
            .verify(&PublicKey::from_hex(&l.key).expect("key"))
            .expect("verifies");
        assert_eq!(report.sizes, (size, size));
        // Not with another member's key, and not with a byte changed.
        let (code, _, _) = verify_offline(&file, &a.key);
        assert_eq!(code, 1);
        let mut bent = e["evidence"].to_string().into_bytes();
        let at = bent.len() / 2;
        bent[at] = if bent[at] == b'A' { b'B' } else { b'A' };
        std::fs::write(&file, &bent).expect("write");
        let (code, _, _) = verify_offline(&file, &l.key);
        assert_eq!(code, 1, "a changed byte must fail");
        // The alert names the member (raised by the next scan: `serve`
        // scans every 30 s and after each round).
        ok(&n.dir, &["alerts", "scan"]);
        let alerts = alerts_of(n, "split-view");
        assert!(
            alerts.iter().any(|a| a["source"] == json!(l.member)
                && a["title"].as_str().unwrap_or("").contains(&origin)),
            "{}: no split-view alert naming L: {alerts:?}",
            n.name
        );
        // It is in the node's own log (a governance entry).
        let own = status(n);
        assert!(own["size"].as_u64().unwrap_or(0) >= 2, "{own}");
    }
    // Control: a consistent history raises nothing: C's view of A.
    let ev = json_of(&c.dir, &["log", "evidence"]);
    assert!(
        ev.as_array()
            .expect("list")
            .iter()
            .all(|e| e["member"] == json!(l.member)),
        "{ev}"
    );
    let audit = run(&c.dir, &["--json", "log", "verify", "a"]);
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
}

/// The witness's stored size for `origin`, as `log status` shows it.
fn witnessed(n: &Node, origin: &str) -> u64 {
    status(n)["witnessed"]
        .as_array()
        .and_then(|w| w.iter().find(|x| x["origin"] == json!(origin)))
        .and_then(|x| x["size"].as_u64())
        .unwrap_or(0)
}

fn add_checkpoint(addr: &str, body: &[u8]) -> Answer {
    request(
        addr,
        "POST",
        "/log/add-checkpoint",
        &[("Content-Type", "text/plain")],
        std::str::from_utf8(body).expect("text"),
    )
}

#[test]
fn a_witness_never_lowers_its_stored_size_under_concurrent_add_checkpoint() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut w = Node::new(tmp.path(), "w");
    let l = Node::new(tmp.path(), "l");
    w.serve();
    // W follows L's log (L is a peer; it need not be running).
    ok(
        &w.dir,
        &[
            "peer",
            "add",
            "l",
            "--url",
            "http://127.0.0.1:9/taxii2/",
            "--key",
            &l.key,
            "--member",
            &l.member,
            "--no-pull",
        ],
    );
    let origin = status(&l)["origin"].as_str().expect("origin").to_string();
    let key = node_key(&l);
    let (_, mut tree) = forged(&origin, 2000, "the log", &key);
    let body = |old: u64, size: u64, tree: &mut MemoryTree| -> Vec<u8> {
        let proof = if old == 0 {
            Vec::new()
        } else {
            consistency_proof(old, size, tree).expect("proof")
        };
        AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: sign(&origin, size, tree.root(size).expect("root"), &key),
        }
        .to_bytes()
    };
    let addr = w.served.as_ref().expect("serving").addr();
    // First sight, then cosigned with W's witness key.
    let first = add_checkpoint(&addr, &body(0, 10, &mut tree));
    assert_eq!(first.status, 200, "{}", first.body);
    let w_origin = status(&w)["origin"].as_str().expect("origin").to_string();
    let cosigner = NoteVerifier::new(
        &format!("{w_origin}/witness"),
        SignatureType::Cosignature,
        PublicKey::from_hex(&w.key).expect("key"),
    )
    .expect("verifier");
    let mut cosigned = sign(&origin, 10, tree.root(10).expect("root"), &key);
    cosigned
        .add_signature(
            concord_tlog::SignatureLine::parse(first.body.trim_end(), 1).expect("a signature line"),
        )
        .expect("add");
    assert_eq!(
        cosigned
            .cosignatures(&Verifiers::one(cosigner))
            .expect("verifies")
            .len(),
        1
    );
    // Meanwhile a monitor reads the stored size over and over: it must
    // never go down.
    let stop = Arc::new(AtomicBool::new(false));
    let monitor = {
        let (stop, dir, origin) = (stop.clone(), w.dir.clone(), origin.clone());
        let name = w.name.clone();
        std::thread::spawn(move || {
            let probe = Node {
                name,
                dir,
                key: String::new(),
                member: String::new(),
                served: None,
            };
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                seen.push(witnessed(&probe, &origin));
            }
            seen
        })
    };
    // Rounds of concurrent requests from the same old size to different
    // new sizes: exactly one wins, every other one gets 409 with the size
    // now held; then the next round starts from there.
    let mut held = 10u64;
    for round in 0..6u64 {
        let sizes: Vec<u64> = (1..=6).map(|k| held + k * (7 + round)).collect();
        let bodies: Vec<Vec<u8>> = sizes.iter().map(|&s| body(held, s, &mut tree)).collect();
        let answers: Vec<(u64, Answer)> = std::thread::scope(|scope| {
            let handles: Vec<_> = sizes
                .iter()
                .zip(&bodies)
                .map(|(&s, b)| {
                    let addr = addr.clone();
                    scope.spawn(move || (s, add_checkpoint(&addr, b)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("join"))
                .collect()
        });
        let won: Vec<u64> = answers
            .iter()
            .filter(|(_, a)| a.status == 200)
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: {:?}",
            answers
                .iter()
                .map(|(s, a)| (s, a.status, a.body.clone()))
                .collect::<Vec<_>>()
        );
        let now = won[0];
        for (s, a) in &answers {
            if *s != now {
                assert_eq!(a.status, 409, "size {s}: {}", a.body);
                assert_eq!(a.body, format!("{now}\n"), "the 409 names the size held");
                assert_eq!(
                    a.header("content-type").as_deref(),
                    Some("text/x.tlog.size")
                );
            }
        }
        assert!(now > held);
        held = now;
        assert_eq!(witnessed(&w, &origin), held);
    }
    // A stale old size: 409 with the size held. A smaller checkpoint from
    // the held size: 400. A bad proof: 422. The same size with another
    // root: 422, and evidence.
    let stale = add_checkpoint(&addr, &body(10, held + 5, &mut tree));
    assert_eq!(
        (stale.status, stale.body.clone()),
        (409, format!("{held}\n"))
    );
    let mut bad = AddCheckpoint::parse(&body(held, held + 3, &mut tree)).expect("parse");
    if let Some(first) = bad.proof.first_mut() {
        first.0[0] ^= 1;
    }
    let a = add_checkpoint(&addr, &bad.to_bytes());
    assert_eq!(a.status, 422, "{}", a.body);
    let (other, _) = forged(&origin, held, "a second root", &key);
    let a = add_checkpoint(
        &addr,
        &AddCheckpoint {
            old_size: held,
            proof: Vec::new(),
            checkpoint: other,
        }
        .to_bytes(),
    );
    assert_eq!(a.status, 422, "{}", a.body);
    stop.store(true, Ordering::Relaxed);
    let seen = monitor.join().expect("monitor");
    assert!(seen.len() > 3, "the monitor ran");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "the stored size went down: {seen:?}"
    );
    assert_eq!(witnessed(&w, &origin), held, "nothing moved it back");
    let ev = json_of(&w.dir, &["log", "evidence"]);
    assert_eq!(ev.as_array().map(Vec::len), Some(1), "{ev}");
    // An unknown log is 404.
    let stranger = Keypair::generate();
    let (c, _) = forged("concord/local/nobody", 3, "x", &stranger);
    let a = add_checkpoint(
        &addr,
        &AddCheckpoint {
            old_size: 0,
            proof: Vec::new(),
            checkpoint: c,
        }
        .to_bytes(),
    );
    assert_eq!(a.status, 404, "{}", a.body);
}

#[test]
fn an_object_its_author_never_logs_under_a_checkpoint_is_quarantined_with_the_reason() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut a = Node::new(tmp.path(), "a");
    let mut b = Node::new(tmp.path(), "b");
    a.serve();
    b.serve();
    a.peer(&b);
    b.peer(&a);
    // Control: what A logs under a checkpoint reaches B.
    let first = indicator("logged", "198.51.100.20");
    let first_id = first["id"].as_str().expect("id").to_string();
    a.import(&[first], "green", &[]);
    checkpointed(&a);
    b.sync_until("A's first object arrives", || {
        b.held().contains_key(&first_id)
    });
    // Now A stops signing checkpoints (an hour between two): what it
    // publishes next is in its log, but under no checkpoint.
    a.served = None;
    let cfg = a.dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(
        &cfg,
        text.replace("checkpoint_interval_s = 1", "checkpoint_interval_s = 3600"),
    )
    .expect("config");
    a.serve();
    b.peer(&a);
    let late = indicator("never under a checkpoint", "198.51.100.21");
    let late_id = late["id"].as_str().expect("id").to_string();
    a.import(&[late], "green", &[]);
    // B holds it, does not serve or match it, and after three of its
    // checkpoint intervals (3 s) quarantines it with the reason.
    let r = b.sync();
    assert_eq!(r[0]["held"], json!(1), "{r}");
    assert!(!b.held().contains_key(&late_id));
    assert_eq!(status(&b)["held_objects"], json!(1));
    let start = Instant::now();
    let entry = loop {
        std::thread::sleep(Duration::from_millis(700));
        b.sync();
        if let Some(q) = b
            .quarantine()
            .into_iter()
            .find(|q| q["id"] == json!(late_id))
        {
            break q;
        }
        assert!(start.elapsed() < BOUND, "never quarantined");
    };
    let reason = entry["reason"].as_str().expect("reason");
    assert!(
        reason.contains("not proven within three checkpoint intervals")
            && reason.contains("not under the checkpoint"),
        "{reason}"
    );
    assert_eq!(entry["source"], json!("a"));
    assert!(!b.held().contains_key(&late_id));
    assert_eq!(status(&b)["held_objects"], json!(0));
    let alerts = alerts_of(&b, "verification-failed");
    assert!(
        alerts.iter().any(|a| a["object"] == json!(late_id)),
        "{alerts:?}"
    );
}

#[test]
fn a_signed_export_verifies_with_the_key_alone_and_a_changed_byte_fails_naming_the_object() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = Node::new(tmp.path(), "a");
    let b = Node::new(tmp.path(), "b");
    let objects: Vec<Value> = (0..5)
        .map(|i| indicator(&format!("offline {i}"), &format!("192.0.2.{}", 30 + i)))
        .collect();
    a.import(&objects, "green", &[]);
    let file = a.dir.join("signed.json");
    ok(
        &a.dir,
        &[
            "export",
            "--signed",
            "--type",
            "indicator",
            "--out",
            file.to_str().expect("path"),
        ],
    );
    let (code, out, err) = verify_offline(&file, &a.key);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verified: 5 objects"), "{out}");
    // Another member's key fails.
    let (code, _, _) = verify_offline(&file, &b.key);
    assert_eq!(code, 1);
    // One byte of one object's name: fails, naming that object.
    let text = std::fs::read_to_string(&file).expect("read");
    let bundle: Value = serde_json::from_str(&text).expect("json");
    let third = bundle["objects"][2]["id"].as_str().expect("id").to_string();
    let name = bundle["objects"][2]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let bent = text.replacen(
        &format!("\"{name}\""),
        &format!("\"{}X\"", &name[..name.len() - 1]),
        1,
    );
    assert_ne!(bent, text);
    let bent_file = a.dir.join("bent.json");
    std::fs::write(&bent_file, &bent).expect("write");
    let (code, out, err) = verify_offline(&bent_file, &a.key);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains(&third), "the failing object is named: {err}");
    // A member takes the bundle in only when it verifies.
    ok(
        &b.dir,
        &[
            "peer",
            "add",
            "a",
            "--url",
            "http://127.0.0.1:9/taxii2/",
            "--key",
            &a.key,
            "--member",
            &a.member,
            "--no-pull",
        ],
    );
    let (code, _, err) = run_code(&b.dir, &["import", bent_file.to_str().expect("path")], None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&third), "{err}");
    assert!(!b.held().contains_key(&third), "nothing stored");
    let report = json_of(&b.dir, &["import", file.to_str().expect("path")]);
    assert_eq!(report["verified"], json!(5), "{report}");
    assert_eq!(report["stored"], json!(5), "{report}");
    assert!(b.held().contains_key(&third));
    // What B took in carries its log material: B can prove it to others.
    let audit = json_of(&b.dir, &["log", "verify", "self"]);
    assert!(
        audit["failed"].as_array().is_some_and(Vec::is_empty),
        "{audit}"
    );
}
