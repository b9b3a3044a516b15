//! Incident coordination, sightings fed back to authors, and alerts, end
//! to end on three real `concord` nodes on 127.0.0.1 (issue 8):
//!
//! - an incident opened on A with a request to B reaches B (an alert
//!   there); B acknowledges and adds a note; A sees B's answer; C, not
//!   addressed, sees nothing of it (AMBER);
//! - a match on B creates a sighting of A's indicator that reaches A only,
//!   and raises an alert there; the author sees the count per indicator;
//! - intel about C's IP range arriving from A raises an alert on C;
//! - A's alerts reach a webhook receiver (HMAC-signed, retried after a
//!   failure) and an SMTP sink, both real servers started here, and the
//!   event stream; they survive a restart and can be acknowledged.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{BOUND, Node, http, indicator, json_of, ok, ok_with, run, user_token};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// A node's alerts (`concord alerts --json`).
trait Alerts {
    fn alerts(&self) -> Vec<Value>;
    fn alerts_of(&self, kind: &str) -> Vec<Value>;
}

impl Alerts for Node {
    fn alerts(&self) -> Vec<Value> {
        match json_of(&self.dir, &["alerts"]) {
            Value::Array(a) => a,
            other => panic!("alerts --json is not a list: {other}"),
        }
    }

    fn alerts_of(&self, kind: &str) -> Vec<Value> {
        self.alerts()
            .into_iter()
            .filter(|a| a["kind"] == kind)
            .collect()
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < BOUND,
            "{what} did not happen within {BOUND:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ------------------------------------------------------------ receivers

/// One HTTP request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// A webhook receiver on 127.0.0.1: answers 500 to the first request (the
/// node must retry) and 200 to the rest, and keeps what it got.
fn webhook_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind webhook receiver");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        let mut served = 0usize;
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let Some(req) = read_http(&mut conn) else {
                continue;
            };
            served += 1;
            let status = if served == 1 {
                "500 Internal Server Error"
            } else {
                keep.lock().expect("lock").push(req);
                "200 OK"
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

fn read_http(conn: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_lowercase(), v.trim().to_string());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received { headers, body })
}

/// A minimal SMTP sink on 127.0.0.1 that keeps every message's data.
fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP sink");
    let port = listener.local_addr().expect("addr").port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let keep = keep.clone();
            std::thread::spawn(move || {
                let _ = smtp_session(conn, &keep);
            });
        }
    });
    (port, got)
}

fn smtp_session(conn: TcpStream, keep: &Mutex<Vec<String>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = conn.try_clone()?;
    let mut reader = BufReader::new(conn);
    out.write_all(b"220 sink.test ESMTP\r\n")?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")?,
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => out.write_all(b"250 OK\r\n")?,
            "DATA" => {
                out.write_all(b"354 go ahead\r\n")?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l)? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                keep.lock().expect("lock").push(data);
                out.write_all(b"250 queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 not implemented\r\n")?,
        }
    }
}

/// Reads server-sent events from `/api/v1/events` until `want` events came.
fn read_events(base: &str, token: &str, want: usize) -> Vec<(String, Value)> {
    let url = url::Url::parse(base).expect("url");
    let addr = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let mut conn = TcpStream::connect(addr).expect("connect to the event stream");
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        conn,
        "GET /api/v1/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\naccept: text/event-stream\r\n\r\n"
    )
    .expect("request");
    let mut reader = BufReader::new(conn);
    let mut status = String::new();
    reader.read_line(&mut status).expect("status line");
    assert!(status.contains(" 200 "), "event stream: {status}");
    let mut events = Vec::new();
    let (mut kind, mut data) = (String::new(), String::new());
    let start = Instant::now();
    while events.len() < want && start.elapsed() < BOUND {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end();
        if let Some(k) = line.strip_prefix("event:") {
            kind = k.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            data = d.trim().to_string();
        } else if line.is_empty() && !data.is_empty() {
            events.push((
                std::mem::take(&mut kind),
                serde_json::from_str(&std::mem::take(&mut data)).expect("event data is JSON"),
            ));
        }
    }
    events
}

// ---------------------------------------------------------------- test

#[test]
fn incidents_sightings_and_alerts_across_three_nodes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (hook_url, hooks) = webhook_receiver();
    let (smtp_port, mails) = smtp_sink();
    let secret = "webhook-shared-secret";
    let a_alerts = format!(
        r#"
[alerts]
scan_interval_secs = 1
retry_secs = 1
max_attempts = 5

[[alerts.webhooks]]
url = "{hook_url}"
secret = "{secret}"

[alerts.email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "concord-a@cert-a.test"
to = ["soc@cert-a.test"]
"#
    );
    let c_constituency = r#"
[constituency]
ip_ranges = ["203.0.113.0/24"]
domains = ["cert-c.test"]
"#;
    let (mut a, mut b, mut c) = (
        Node::with_config(tmp.path(), "a", &a_alerts),
        Node::with_config(tmp.path(), "b", ""),
        Node::with_config(tmp.path(), "c", c_constituency),
    );
    for n in [&mut a, &mut b, &mut c] {
        n.serve();
    }
    // Everyone peers with everyone: what C misses, the policy withheld.
    for (x, y) in [(&a, &b), (&a, &c), (&b, &a), (&b, &c), (&c, &a), (&c, &b)] {
        x.peer(y);
    }

    // A's intel: an indicator for B (AMBER), and GREEN intel about C's range.
    let for_b = indicator("C2 seen at A", "198.51.100.77");
    let about_c = indicator("Scanner inside C's network", "203.0.113.50");
    let for_b_id = for_b["id"].as_str().expect("id").to_string();
    let about_c_id = about_c["id"].as_str().expect("id").to_string();
    a.import(std::slice::from_ref(&for_b), "amber", &[&b.member]);
    a.import(std::slice::from_ref(&about_c), "green", &[]);

    // An incident on A asking B for assistance.
    let opened = json_of(
        &a.dir,
        &[
            "incident",
            "new",
            "--title",
            "Ransomware at a hospital",
            "--tlp",
            "amber",
            "--severity",
            "high",
            "--request",
            &b.member,
            "--sector",
            "health-care",
            "--country",
            "PT",
        ],
    );
    let incident = opened["id"].as_str().expect("incident id").to_string();
    assert!(incident.starts_with("incident--"), "{opened}");
    let listed = json_of(&a.dir, &["incident", "list"]);
    assert_eq!(listed[0]["id"], json!(incident), "{listed}");
    assert_eq!(listed[0]["title"], "Ransomware at a hospital");
    assert_eq!(listed[0]["status"], "new");

    // B receives it, and an alert says it is asked.
    b.sync_until("the incident arriving", || {
        json_of(&b.dir, &["incident", "list"])
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["id"] == json!(incident)))
    });
    let requests = b.alerts_of("assistance-request");
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["object"], json!(incident));
    assert_eq!(requests[0]["acknowledged"], json!(false));
    // The alert keeps its text as a message key and arguments: the CLI
    // (and the console) say it in the reader's language.
    assert_eq!(requests[0]["message"]["key"], "alert-msg-request");
    let french = crate::harness::command(&b.dir)
        .arg("alerts")
        .env("LANG", "fr_FR.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("alerts");
    let french = String::from_utf8_lossy(&french.stdout);
    assert!(
        french.contains("demande de l’aide pour l’incident"),
        "{french}"
    );
    let english = crate::harness::command(&b.dir)
        .arg("alerts")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("alerts");
    let english = String::from_utf8_lossy(&english.stdout);
    assert!(
        english.contains("asks for assistance with incident"),
        "{english}"
    );
    assert!(
        b.held().contains_key(&for_b_id),
        "B holds A's AMBER indicator"
    );

    // C receives the GREEN intel about its range (an alert), not the incident.
    c.sync_until("A's GREEN intel arriving", || {
        c.held().contains_key(&about_c_id)
    });
    let touched = c.alerts_of("constituency");
    assert_eq!(touched.len(), 1, "{touched:?}");
    assert_eq!(touched[0]["object"], json!(about_c_id));
    assert_eq!(touched[0]["source"], json!(a.member));
    assert!(
        b.alerts_of("constituency").is_empty(),
        "B has no constituency"
    );
    assert!(
        a.alerts_of("constituency").is_empty(),
        "A's own intel raises nothing on A"
    );

    // B answers: acknowledges and adds a note; only the owner changes status.
    let ack = json_of(&b.dir, &["incident", "ack", &incident, "--text", "on it"]);
    let note = json_of(
        &b.dir,
        &[
            "incident",
            "note",
            &incident,
            "The same C2 hit two of our hospitals",
        ],
    );
    let refused = run(&b.dir, &["incident", "status", &incident, "triaged"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("only its owner"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // A match on B sights A's indicator.
    let log = b.dir.join("conn.log");
    std::fs::write(
        &log,
        concat!(
            r#"{"ts":1764061200.25,"id.orig_h":"10.0.0.5","id.resp_h":"198.51.100.77","id.resp_p":443}"#,
            "\n",
            r#"{"ts":1764064800.0,"id.orig_h":"10.0.0.6","id.resp_h":"198.51.100.77","id.resp_p":443}"#,
            "\n",
        ),
    )
    .expect("log");
    let matched = run(
        &b.dir,
        &["--json", "match", "--sighting", log.to_str().expect("path")],
    );
    assert!(matched.status.success(), "{matched:?}");
    let summary: Value = serde_json::from_str(
        String::from_utf8_lossy(&matched.stderr)
            .lines()
            .last()
            .unwrap_or("{}"),
    )
    .expect("match summary");
    let sighting = summary["sightings"][0]
        .as_str()
        .expect("a sighting")
        .to_string();
    // Addressed to A alone (A appears only in its audience), AMBER like
    // the indicator.
    let on_b = b.held()[&sighting].clone();
    assert!(on_b.to_string().contains(&a.member), "{on_b}");
    assert_eq!(
        on_b["object_marking_refs"][0], "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "{on_b}"
    );

    // A pulls: B's answers and the sighting arrive, with alerts.
    a.sync_until("B's answers and sighting arriving", || {
        let held = a.held();
        held.contains_key(&sighting)
            && ack["id"].as_str().is_some_and(|i| held.contains_key(i))
            && note["id"].as_str().is_some_and(|i| held.contains_key(i))
    });
    let shown = json_of(&a.dir, &["incident", "show", &incident]);
    let responses = shown["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 1, "{shown}");
    assert_eq!(responses[0]["member"], json!(b.member));
    assert_eq!(responses[0]["answer"], "acknowledged");
    assert!(
        shown["pending"].as_array().is_some_and(|p| p.is_empty()),
        "{shown}"
    );
    assert!(
        shown["timeline"].as_array().is_some_and(|t| t
            .iter()
            .any(|e| e["text"] == "The same C2 hit two of our hospitals")),
        "{shown}"
    );
    let sighted = a.alerts_of("sighting");
    assert_eq!(sighted.len(), 1, "{sighted:?}");
    assert_eq!(sighted[0]["source"], json!(b.member));
    assert!(
        a.alerts_of("incident-update").len() >= 2,
        "ack and note: {:?}",
        a.alerts()
    );
    let per_indicator = json_of(&a.dir, &["sightings"]);
    let mine = per_indicator
        .as_array()
        .and_then(|l| l.iter().find(|i| i["indicator"] == json!(for_b_id)))
        .unwrap_or_else(|| panic!("{per_indicator}"));
    assert_eq!(mine["members"], 1);
    assert_eq!(mine["count"], 2);
    assert_eq!(mine["first_seen"], "2025-11-25T09:00:00.250Z");
    assert_eq!(mine["last_seen"], "2025-11-25T10:00:00.000Z");

    // A moves the incident on; B is told.
    ok(&a.dir, &["incident", "status", &incident, "triaged"]);
    b.sync_until("the status change arriving", || {
        json_of(&b.dir, &["incident", "show", &incident])["incident"]["status"] == "triaged"
    });
    assert_eq!(b.alerts_of("incident-update").len(), 1, "{:?}", b.alerts());

    // C, not addressed, holds nothing of the incident or the sighting.
    c.sync();
    c.sync();
    let on_c = c.held();
    for id in [
        incident.as_str(),
        sighting.as_str(),
        for_b_id.as_str(),
        ack["id"].as_str().unwrap_or(""),
        note["id"].as_str().unwrap_or(""),
    ] {
        assert!(!on_c.contains_key(id), "C received {id}");
    }
    assert_eq!(json_of(&c.dir, &["incident", "list"]), json!([]));
    assert!(c.alerts_of("assistance-request").is_empty());

    // A's serve delivers its alerts: the webhook (after one refused
    // attempt) with a valid signature, and e-mail to the SMTP sink.
    let a_count = a.alerts().len();
    let delivered = wait_for("webhook deliveries", || {
        let got = hooks.lock().expect("lock").clone();
        (got.len() >= a_count).then_some(got)
    });
    for r in &delivered {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(&r.body);
        let expect = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(r.headers.get("x-concord-signature"), Some(&expect));
        let body: Value = serde_json::from_slice(&r.body).expect("alert JSON");
        assert_eq!(
            r.headers.get("x-concord-alert"),
            body["id"].as_str().map(str::to_string).as_ref()
        );
    }
    let kinds: Vec<String> = delivered
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|v| v["kind"].as_str().map(str::to_string))
        .collect();
    assert!(kinds.iter().any(|k| k == "sighting"), "{kinds:?}");
    let mail = wait_for("e-mail deliveries", || {
        let got = mails.lock().expect("lock").clone();
        (got.len() >= a_count).then_some(got)
    });
    assert!(
        mail.iter().any(|m| m.contains("[concord] sighting")),
        "{mail:?}"
    );
    assert!(
        json_of(&a.dir, &["alerts", "dead"]) == json!([]),
        "nothing given up"
    );

    // The event stream gives the unacknowledged alerts.
    ok_with(
        &a.dir,
        &["user", "add", "analyst", "--password-stdin", "--admin"],
        Some("incident analyst pw\n"),
    );
    let token = json_of(&a.dir, &["token", "add", "analyst"])["token"]
        .as_str()
        .expect("token")
        .to_string();
    let events = read_events(&a.url(), &token, a_count);
    assert_eq!(events.len(), a_count, "{events:?}");
    assert!(
        events
            .iter()
            .any(|(k, v)| k == "sighting" && v["object"] == json!(sighting))
    );

    // Acknowledged, and kept across a restart.
    let first = sighted[0]["id"].as_str().expect("alert id").to_string();
    ok(&a.dir, &["alerts", "ack", &first]);
    a.served = None;
    a.serve();
    let after = a.alerts();
    assert_eq!(after.len(), a_count, "{after:?}");
    let acked = after
        .iter()
        .find(|x| x["id"] == json!(first))
        .expect("the alert is kept");
    assert_eq!(acked["acknowledged"], json!(true));
    assert!(
        after
            .iter()
            .all(|x| x["created"].is_string() && x["kind"].is_string())
    );
}

#[test]
fn incidents_are_opened_answered_and_moved_over_the_http_api() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut a, mut b) = (
        Node::with_config(tmp.path(), "a", ""),
        Node::with_config(tmp.path(), "b", ""),
    );
    a.serve();
    b.serve();
    a.peer(&b);
    b.peer(&a);
    let admin_a = user_token(&a.dir, "root", &["--admin"]);
    let admin_b = user_token(&b.dir, "root", &["--admin"]);
    let nobody = user_token(&a.dir, "visitor", &[]);
    let base_a = a.url().replace("/taxii2/", "");
    let base_b = b.url().replace("/taxii2/", "");
    // Without credentials, or without rights on the local collection: refused.
    assert_eq!(http(&base_a, "GET", "/api/v1/incidents", None, "").0, 401);
    assert_eq!(
        http(&base_a, "GET", "/api/v1/incidents", Some(&nobody), "").0,
        403
    );
    let body = json!({"title": "Ransomware at a hospital", "tlp": "amber",
        "severity": "high", "request": [b.member], "sectors": ["health"]});
    let (code, made) = http(
        &base_a,
        "POST",
        "/api/v1/incidents",
        Some(&admin_a),
        &body.to_string(),
    );
    assert_eq!(code, 200, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    let (code, bad) = http(
        &base_a,
        "POST",
        "/api/v1/incidents",
        Some(&admin_a),
        r#"{"title": "x", "tlp": "purple"}"#,
    );
    assert_eq!(code, 400, "{bad}");
    assert!(
        bad["description"].as_str().unwrap_or("").contains("purple"),
        "{bad}"
    );
    // B receives it and acknowledges over its own API.
    b.sync_until("the incident arrives", || b.held().contains_key(&id));
    let (code, list) = http(&base_b, "GET", "/api/v1/incidents", Some(&admin_b), "");
    assert_eq!(code, 200);
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|i| i["id"] == json!(id)),
        "{list}"
    );
    let (code, acked) = http(
        &base_b,
        "POST",
        &format!("/api/v1/incidents/{id}/ack"),
        Some(&admin_b),
        r#"{"text": "on it"}"#,
    );
    assert_eq!(code, 200, "{acked}");
    // Only the owner moves the workflow.
    let (code, _) = http(
        &base_b,
        "POST",
        &format!("/api/v1/incidents/{id}/status"),
        Some(&admin_b),
        r#"{"status": "contained"}"#,
    );
    assert_eq!(code, 403, "only the owner moves the workflow");
    let (code, moved) = http(
        &base_a,
        "POST",
        &format!("/api/v1/incidents/{id}/status"),
        Some(&admin_a),
        r#"{"status": "investigating"}"#,
    );
    assert_eq!(code, 200, "{moved}");
    // A sees B's answer in the incident's view.
    a.sync_until("B's answer arrives", || {
        let (_, v) = http(
            &base_a,
            "GET",
            &format!("/api/v1/incidents/{id}"),
            Some(&admin_a),
            "",
        );
        v.to_string().contains("on it")
    });
    let (code, missing) = http(
        &base_a,
        "GET",
        "/api/v1/incidents/incident--00000000-0000-4000-8000-000000000000",
        Some(&admin_a),
        "",
    );
    assert_eq!(code, 404, "{missing}");
}
