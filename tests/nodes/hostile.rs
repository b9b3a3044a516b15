//! A hostile member (issue 16): one node whose key the others trust turns
//! hostile. It sends any request, relays any bytes, signs anything with its
//! own key and runs modified code; it must gain nothing beyond what each
//! author's node shares with it, and every attempt must leave evidence.
//!
//! Real nodes on 127.0.0.1: A (an honest author), C (the hostile member,
//! with A's and D's trust), D (a third member, the victim). Each attack is
//! refused, logged, leaves D's data as it was and, where the design says
//! so, raises an alert; each has a control that shows the honest path
//! still works. A "modified" C is played by the test: it signs with C's
//! own key (read from C's data directory), replays requests it captured,
//! and, where an honest binary would refuse to serve something, by a small
//! TAXII server of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use concord_trust::Keypair;
use concord_trust::request::{RequestLine, sign_request};
use serde_json::{Map, Value, json};

use crate::harness::{
    BOUND, Node, basic, http, indicator, json_of, ok, ok_with, request, run, user_token, uuid,
};

fn node_key(n: &Node) -> Keypair {
    let pem = std::fs::read_to_string(n.dir.join("node.key")).expect("node key");
    Keypair::from_pkcs8_pem(&pem).expect("a node key")
}

/// A GET signed with `signer`'s node key for `signed_host`, sent to
/// `target` with that host in its `Host` header (as a relaying peer would
/// send a request it captured).
fn signed_get(
    signer: &Keypair,
    target: &str,
    signed_host: &str,
    path: &str,
) -> (u16, String, String) {
    let header = sign_request(
        signer,
        &RequestLine {
            method: "GET",
            path_and_query: path,
            host: signed_host,
        },
    );
    let a = request(
        target,
        "GET",
        path,
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Authorization", &header),
            ("Host", signed_host),
        ],
        "",
    );
    (a.status, a.body, header)
}

/// The same request sent again, byte for byte (its header included).
fn replay(target: &str, path: &str, header: &str) -> u16 {
    request(
        target,
        "GET",
        path,
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Authorization", header),
        ],
        "",
    )
    .status
}

fn local_collection(n: &Node) -> String {
    let cfg = std::fs::read_to_string(n.dir.join("config.toml")).expect("config");
    cfg.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("collection = ")
                .map(|v| v.trim_matches('"').to_string())
        })
        .expect("the local collection")
}

/// Imports objects exactly as given (already signed by whoever signed
/// them): what a node running modified code serves as its own.
fn import_raw(n: &Node, objects: &[Value]) {
    let file = n.dir.join(format!("raw-{}.json", uuid()));
    let bundle = json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objects});
    std::fs::write(&file, bundle.to_string()).expect("bundle");
    ok(&n.dir, &["import", file.to_str().expect("path")]);
}

fn resign(
    object: &Value,
    member: &str,
    key: &Keypair,
    change: impl FnOnce(&mut Map<String, Value>),
) -> Value {
    let mut map = object.as_object().expect("an object").clone();
    change(&mut map);
    Value::Object(concord_trust::sign_object(&map, member, key).expect("sign"))
}

fn quarantine_reasons(n: &Node) -> Vec<String> {
    n.quarantine()
        .iter()
        .filter_map(|q| q["reason"].as_str().map(str::to_string))
        .collect()
}

fn alerts_of(n: &Node, kind: &str) -> Vec<Value> {
    match json_of(&n.dir, &["alerts"]) {
        Value::Array(a) => a.into_iter().filter(|a| a["kind"] == kind).collect(),
        other => panic!("alerts: {other}"),
    }
}

/// Three members that all trust each other, each serving with its log kept.
fn community(root: &Path) -> (Node, Node, Node) {
    let mut a = Node::new(root, "a");
    let mut c = Node::new(root, "c");
    let mut d = Node::new(root, "d");
    for n in [&mut a, &mut c, &mut d] {
        n.serve_logged();
    }
    for (x, y) in [(&a, &c), (&a, &d), (&c, &a), (&c, &d), (&d, &a), (&d, &c)] {
        x.peer(y);
    }
    (a, c, d)
}

#[test]
fn a_hostile_member_gains_nothing_and_leaves_evidence() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, c, d) = community(tmp.path());
    let a_key = node_key(&a);
    let c_key = node_key(&c);
    let d_addr = a_url_host(&d);
    let c_addr = a_url_host(&c);

    // --- 1. Replay of A's signed request to a third node ----------------
    // D holds AMBER intel for A only.
    let for_a = indicator("D's AMBER for A", "198.51.100.31");
    let for_a_id = for_a["id"].as_str().expect("id").to_string();
    d.import(&[for_a], "amber", &[&a.member]);
    let coll = local_collection(&d);
    let path = format!("/taxii2/root/collections/{coll}/objects/");
    // Control: A's own request, signed for D's address, gets it (the
    // server picks up its peers within a few seconds).
    let start = Instant::now();
    let (status, body, honest) = loop {
        let r = signed_get(&a_key, &d_addr, &d_addr, &path);
        if r.0 == 200 && r.1.contains(&for_a_id) {
            break r;
        }
        assert!(
            start.elapsed() < BOUND,
            "A never read D's AMBER: {} {}",
            r.0,
            r.1
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(status, 200, "{body}");
    // Attack: C relays a request A signed for C (its captured header) to D.
    let (status, body, _) = signed_get(&a_key, &d_addr, &c_addr, &path);
    assert_eq!(
        status, 401,
        "a request signed for C's address is refused by D: {body}"
    );
    assert!(!body.contains(&for_a_id));
    assert!(
        d.log().contains(&format!("signed for host {c_addr}")),
        "D logs the host the request was signed for:\n{}",
        d.log()
    );
    // Attack: the honest request, sent again, is refused.
    assert_eq!(
        replay(&d_addr, &path, &honest),
        401,
        "a replayed nonce is refused"
    );
    assert!(
        d.log().contains("replayed"),
        "D logs the replay:\n{}",
        d.log()
    );

    // --- 2. Rewriting, revoking or renaming another member's object -----
    let x = indicator("A's GREEN indicator", "203.0.113.41");
    let x_id = x["id"].as_str().expect("id").to_string();
    a.import(&[x], "green", &[]);
    c.sync_until("C holds A's indicator", || c.held().contains_key(&x_id));
    d.sync_until("D holds A's indicator", || d.held().contains_key(&x_id));
    let original = d.held()[&x_id].clone();
    let held_by_c = c.held()[&x_id].clone();
    // C's own (honest) binary refuses to author a version of A's object...
    let out = run(&c.dir, &["withdraw", &x_id]);
    assert!(!out.status.success());
    let file = c.dir.join("takeover.json");
    std::fs::write(
        &file,
        json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": [held_by_c.clone()]}).to_string(),
    )
    .expect("file");
    let out = run(
        &c.dir,
        &["import", "--tlp", "green", file.to_str().expect("path")],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "import --tlp of another's object fails"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("belongs to") && err.contains("sighting"),
        "{err}"
    );
    // ...so the hostile C signs new versions itself: revoked, and renamed
    // with its own created_by_ref.
    let revoked = resign(&held_by_c, &c.member, &c_key, |m| {
        m.insert("modified".into(), json!("2026-11-21T10:00:00.000Z"));
        m.insert("revoked".into(), json!(true));
    });
    let renamed = resign(&held_by_c, &c.member, &c_key, |m| {
        m.insert("modified".into(), json!("2026-11-22T10:00:00.000Z"));
        m.insert("name".into(), json!("benign, ignore"));
        m.insert("created_by_ref".into(), json!(c.member));
    });
    import_raw(&c, &[revoked, renamed]);
    d.sync_until("D quarantines C's versions of A's indicator", || {
        quarantine_reasons(&d)
            .iter()
            .filter(|r| r.contains(&x_id) && r.contains("belongs to"))
            .count()
            >= 2
    });
    assert_eq!(
        d.held()[&x_id],
        original,
        "D's copy of A's indicator is unchanged"
    );
    let versions = json_of(&d.dir, &["show", &x_id, "--versions"]);
    assert_eq!(versions.as_array().map(Vec::len), Some(1), "{versions}");
    // Control: A itself publishes a newer version; D takes it.
    let mut newer = original.clone();
    newer["modified"] = json!("2026-11-23T10:00:00.000Z");
    newer["name"] = json!("A's GREEN indicator, updated");
    if let Some(m) = newer.as_object_mut() {
        m.remove("extensions");
    }
    a.import(&[newer], "green", &[]);
    d.sync_until("A's own new version reaches D", || {
        d.held()[&x_id]["name"] == "A's GREEN indicator, updated"
    });

    // --- 3. A forged created_by_ref ---------------------------------------
    let mut forged = indicator("claims to be A's", "203.0.113.42");
    forged["created_by_ref"] = json!(a.member);
    let forged_id = forged["id"].as_str().expect("id").to_string();
    let forged = resign(&forged, &c.member, &c_key, |m| {
        m.insert(
            "object_marking_refs".into(),
            json!([concord_stix::tlp::Tlp::Green.marking_id()]),
        );
    });
    // Control: C speaking as itself is accepted.
    let mut own = indicator("C's own", "203.0.113.43");
    own["created_by_ref"] = json!(c.member);
    let own_id = own["id"].as_str().expect("id").to_string();
    let own = resign(&own, &c.member, &c_key, |m| {
        m.insert(
            "object_marking_refs".into(),
            json!([concord_stix::tlp::Tlp::Green.marking_id()]),
        );
    });
    import_raw(&c, &[forged, own]);
    d.sync_until("D takes C's own and quarantines the forgery", || {
        d.held().contains_key(&own_id)
            && quarantine_reasons(&d)
                .iter()
                .any(|r| r.contains(&forged_id) && r.contains("says it was created by"))
    });
    assert!(!d.held().contains_key(&forged_id));

    // --- 4. AMBER relayed outside its audience ----------------------------
    // A addresses W to C only, W2 to C and D. C's honest binary never
    // relays AMBER, so the hostile C runs a TAXII server of its own.
    let w = indicator("AMBER for C", "203.0.113.44");
    let w_id = w["id"].as_str().expect("id").to_string();
    let w2 = indicator("AMBER for C and D", "203.0.113.45");
    let w2_id = w2["id"].as_str().expect("id").to_string();
    a.import(&[w], "amber", &[&c.member]);
    a.import(&[w2], "amber", &[&c.member, &d.member]);
    c.sync_until("C holds both", || {
        let h = c.held();
        h.contains_key(&w_id) && h.contains_key(&w2_id)
    });
    let held = c.held();
    let evil = FakeTaxii::start(vec![held[&w_id].clone(), held[&w2_id].clone()]);
    ok(
        &d.dir,
        &[
            "peer",
            "add",
            "c",
            "--url",
            &evil.url(),
            "--key",
            &c.key,
            "--member",
            &c.member,
        ],
    );
    d.sync_until(
        "D quarantines the relayed AMBER and keeps what names it",
        || {
            d.held().contains_key(&w2_id)
                && quarantine_reasons(&d)
                    .iter()
                    .any(|r| r.contains(&w_id) && r.contains("never relayed"))
        },
    );
    assert!(
        !d.held().contains_key(&w_id),
        "AMBER outside its audience is not stored"
    );

    // Every refusal left evidence: quarantine records name the source, and
    // D's operator has alerts for them.
    let q = d.quarantine();
    assert!(q.iter().all(|e| e["source"] == "c"), "{q:?}");
    ok(&d.dir, &["alerts", "scan"]);
    let failed = alerts_of(&d, "verification-failed");
    for id in [&x_id, &forged_id, &w_id] {
        assert!(
            failed.iter().any(|a| a["object"] == json!(id)),
            "an alert for {id}: {failed:?}"
        );
    }
    drop(evil);
}

/// `127.0.0.1:PORT` of a served node.
fn a_url_host(n: &Node) -> String {
    n.served.as_ref().expect("serving").addr()
}

#[test]
fn password_and_token_guessing_is_throttled_per_account() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut d = Node::new(tmp.path(), "d");
    ok_with(
        &d.dir,
        &["user", "add", "analyst", "--password-stdin"],
        Some("right password 1\n"),
    );
    ok_with(
        &d.dir,
        &["user", "add", "other", "--password-stdin"],
        Some("right password 2\n"),
    );
    let token = user_token(&d.dir, "tokenuser", &["--admin"]);
    d.serve_logged();
    let addr = a_url_host(&d);
    let taxii = |auth: &str| {
        let a = request(
            &addr,
            "GET",
            "/taxii2/",
            &[
                ("Accept", "application/taxii+json;version=2.1"),
                ("Authorization", auth),
            ],
            "",
        );
        (a.status, a.header("retry-after"))
    };
    // Control: the right password works.
    assert_eq!(taxii(&basic("analyst", "right password 1")).0, 200);
    for _ in 0..10 {
        assert_eq!(taxii(&basic("analyst", "guess")).0, 401);
    }
    // Locked: even the right password gets 429 with Retry-After, on TAXII,
    // the API and the console, with no argon2 work.
    let (status, retry) = taxii(&basic("analyst", "right password 1"));
    assert_eq!(status, 429);
    assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s))));
    let api = request(
        &addr,
        "GET",
        "/api/v1/community",
        &[("Authorization", &basic("analyst", "right password 1"))],
        "",
    );
    assert_eq!(api.status, 429);
    let started = Instant::now();
    for _ in 0..50 {
        assert_eq!(taxii(&basic("analyst", "guess")).0, 429);
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refusals of a locked account cost no argon2 work ({:?} for 50)",
        started.elapsed()
    );
    // Other accounts are not affected, nor tokens.
    assert_eq!(taxii(&basic("other", "right password 2")).0, 200);
    assert_eq!(
        http(&addr, "GET", "/api/v1/community", Some(&token), "").0,
        200
    );
    assert!(
        d.log().contains("account locked"),
        "the lock is logged:\n{}",
        d.log()
    );
    // Token guessing is throttled per address.
    for i in 0..10 {
        assert_eq!(
            http(
                &addr,
                "GET",
                "/api/v1/community",
                Some(&format!("wrong-{i}")),
                ""
            )
            .0,
            401
        );
    }
    assert_eq!(
        http(&addr, "GET", "/api/v1/community", Some("wrong-11"), "").0,
        429
    );
}

#[test]
fn a_page_says_more_only_when_visible_entries_follow() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut d = Node::new(tmp.path(), "d");
    let coll = ok(&d.dir, &["collection", "add", "Public feed", "--public"]);
    let coll = coll.lines().last().expect("id").trim().to_string();
    let import = |tlp: &str, n: u8| {
        let objs: Vec<Value> = (0..n)
            .map(|i| indicator(&format!("{tlp} {i}"), &format!("192.0.2.{i}")))
            .collect();
        let file = d.dir.join(format!("{tlp}.json"));
        std::fs::write(
            &file,
            json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objs})
                .to_string(),
        )
        .expect("file");
        ok(
            &d.dir,
            &[
                "import",
                "--collection",
                &coll,
                "--tlp",
                tlp,
                file.to_str().expect("path"),
            ],
        );
    };
    import("clear", 2);
    import("red", 3);
    d.serve();
    let addr = a_url_host(&d);
    let page = |limit: u8| {
        let a = request(
            &addr,
            "GET",
            &format!("/taxii2/root/collections/{coll}/objects/?limit={limit}"),
            &[("Accept", "application/taxii+json;version=2.1")],
            "",
        );
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()
    };
    // Only withheld entries follow the two visible ones: no `more`.
    let p = page(2);
    assert_eq!(p["objects"].as_array().map(Vec::len), Some(2), "{p}");
    assert_ne!(
        p["more"], true,
        "withheld entries must not show as more: {p}"
    );
    assert!(p.get("next").is_none(), "{p}");
    // Control: a visible entry follows the first.
    let p = page(1);
    assert_eq!(p["more"], true, "{p}");
}

/// A TAXII 2.1 server that serves whatever it is given to anyone: a node
/// running modified code. One thread, one connection at a time.
struct FakeTaxii {
    addr: String,
    stop: Arc<Mutex<bool>>,
}

impl FakeTaxii {
    fn start(objects: Vec<Value>) -> FakeTaxii {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let stop = Arc::new(Mutex::new(false));
        let (base, halt) = (format!("http://{addr}"), stop.clone());
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            loop {
                if *halt.lock().expect("lock") {
                    return;
                }
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        serve_one(conn, &base, &objects);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FakeTaxii { addr, stop }
    }

    fn url(&self) -> String {
        format!("http://{}/taxii2/", self.addr)
    }
}

impl Drop for FakeTaxii {
    fn drop(&mut self) {
        if let Ok(mut s) = self.stop.lock() {
            *s = true;
        }
    }
}

fn serve_one(mut conn: std::net::TcpStream, base: &str, objects: &[Value]) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let coll = "3f1b7c1e-0000-4000-8000-00000000c0de";
    let (status, doc, dated) = if path == "/taxii2/" {
        (
            200,
            json!({"title": "c", "api_roots": [format!("{base}/taxii2/root/")]}),
            false,
        )
    } else if path == "/taxii2/root/" {
        (
            200,
            json!({"title": "root", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 10_000_000}),
            false,
        )
    } else if path == "/taxii2/root/collections/" {
        (
            200,
            json!({"collections": [{"id": coll, "title": "everything", "can_read": true, "can_write": false, "media_types": ["application/stix+json;version=2.1"]}]}),
            false,
        )
    } else if path.starts_with(&format!("/taxii2/root/collections/{coll}/objects/")) {
        let first_round = !path.contains("added_after");
        let objs: Vec<Value> = if first_round {
            objects.to_vec()
        } else {
            Vec::new()
        };
        let dated = !objs.is_empty();
        (200, json!({"more": false, "objects": objs}), dated)
    } else {
        (404, json!({"title": "not found"}), false)
    };
    let text = doc.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/taxii+json;version=2.1\r\nContent-Length: {}\r\nConnection: close\r\n",
        text.len()
    );
    if dated {
        head.push_str("X-TAXII-Date-Added-First: 2026-12-01T00:00:00.000000Z\r\nX-TAXII-Date-Added-Last: 2026-12-01T00:00:00.000001Z\r\n");
    }
    let _ = conn.write_all(format!("{head}\r\n{text}").as_bytes());
}
