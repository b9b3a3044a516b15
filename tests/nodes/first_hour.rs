//! What a new analyst meets in the first hour (issue 24): syncs that
//! transfer nothing when nothing is new, a peer added while `serve` runs
//! pulled at once, failures as JSON, `mark` for a held object, the
//! indicators that cannot be matched named, collections by title, password
//! length, and a log line for every request.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{
    BOUND, Node, PASSWORD, basic, indicator, json_of, ok, ok_with, request, run_code, run_with,
    served, sync_until, uuid,
};

/// The one line a failure prints on stderr with `--json`, parsed.
fn json_failure(dir: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run_code(dir, &all, None);
    assert_eq!(code, 2, "concord {all:?}: {stdout}\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {stderr}");
    let v: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("concord {all:?}: stderr is not JSON ({e}): {stderr}"));
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    assert!(v["kind"].is_string(), "{v}");
    assert!(v.get("hint").is_some(), "{v}");
    v
}

#[test]
fn a_second_sync_with_nothing_new_transfers_no_objects() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b"]);
    let (a, b) = (&nodes[0], &nodes[1]);
    a.peer(b);
    b.peer(a);
    let objects: Vec<Value> = (0..51)
        .map(|i| indicator(&format!("n{i}"), &format!("198.51.100.{i}")))
        .collect();
    a.import(&objects, "green", &[]);
    sync_until(&[a, b], || b.held().len() >= a.held().len());
    // One more round each: what went one way (each member's identity) may
    // come back once from the other.
    a.sync();
    b.sync();
    for (node, peer) in [(b, "a"), (a, "b")] {
        let rounds = node.sync();
        let r = &rounds[0];
        assert_eq!(r["peer"], json!(peer), "{rounds}");
        assert!(r.get("error").is_none(), "{rounds}");
        assert_eq!(r["received"], json!(0), "{}: {rounds}", node.name);
        assert_eq!(r["duplicates"], json!(0), "{rounds}");
        assert_eq!(r["bytes"], json!(0), "no object was transferred: {rounds}");
        // A node in no community is not told so on every round.
        assert!(r.get("community").is_none(), "{rounds}");
    }
    // Something new is still received, and only that.
    a.import(&[indicator("late", "198.51.100.200")], "green", &[]);
    let rounds = b.sync();
    assert_eq!(rounds[0]["received"], json!(1), "{rounds}");
    // Stored at once when a's log already shows it, else held until a
    // signs the checkpoint that does (a round or two later).
    assert_eq!(
        rounds[0]["stored"].as_u64().unwrap_or(0) + rounds[0]["held"].as_u64().unwrap_or(0),
        1,
        "{rounds}"
    );
    sync_until(&[a, b], || b.held().len() >= a.held().len());
    let listing = ok(&b.dir, &["peer", "list"]);
    assert!(listing.contains("in no community"), "{listing}");
}

#[test]
fn a_peer_added_while_serving_is_pulled_at_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut a = Node::new(tmp.path(), "a");
    let mut c = Node::new(tmp.path(), "c");
    // c pulls on its own only once an hour: what arrives sooner came
    // because the peer is new.
    let cfg = c.dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(
        &cfg,
        text.replace("interval_secs = 0", "interval_secs = 3600"),
    )
    .expect("cfg");
    a.serve();
    c.serve();
    let id = {
        let o = indicator("early bird", "203.0.113.77");
        a.import(std::slice::from_ref(&o), "green", &[]);
        o["id"].as_str().expect("id").to_string()
    };
    a.peer(&c);
    // a's server takes its new peer in within 2 s; then c is told of a.
    std::thread::sleep(Duration::from_millis(2500));
    c.peer(&a);
    let start = Instant::now();
    while !c.held().contains_key(&id) {
        assert!(
            start.elapsed() < BOUND,
            "c never pulled from its new peer a"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn failures_with_json_are_one_json_object_with_the_same_exit_codes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let fresh = tmp.path().join("never-initialised");
    let v = json_failure(&fresh, &["stats"]);
    assert_eq!(v["kind"], json!("not-initialized"), "{v}");
    assert!(
        v["hint"]
            .as_str()
            .is_some_and(|h| h.contains("concord init")),
        "{v}"
    );
    // Without --json: the same exit code, in words.
    let (code, _, stderr) = run_code(&fresh, &["stats"], None);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: "), "{stderr}");

    let node = Node::new(tmp.path(), "n");
    let v = json_failure(&node.dir, &["no-such-command"]);
    assert_eq!(v["kind"], json!("usage"), "{v}");
    let v = json_failure(
        &node.dir,
        &["show", "indicator--00000000-0000-4000-8000-0000000000aa"],
    );
    assert_eq!(v["kind"], json!("not-found"), "{v}");
    let v = json_failure(
        &node.dir,
        &[
            "mark",
            "indicator--00000000-0000-4000-8000-0000000000aa",
            "--tlp",
            "green",
        ],
    );
    assert_eq!(v["kind"], json!("not-found"), "{v}");
    let v = json_failure(&node.dir, &["sync", "nobody"]);
    assert_eq!(v["kind"], json!("not-found"), "{v}");
    // Help is not a failure.
    let (code, out, _) = run_code(&node.dir, &["--json", "--help"], None);
    assert_eq!(code, 0);
    assert!(out.contains("CONCORD_LOG"), "{out}");
}

#[test]
fn mark_shares_an_own_object_and_refuses_another_members() {
    let tmp = tempfile::tempdir().expect("tmp");
    let nodes = served(tmp.path(), &["a", "b"]);
    let (a, b) = (&nodes[0], &nodes[1]);
    a.peer(b);
    b.peer(a);
    // Imported unmarked: it stays on a.
    let object = indicator("held back", "192.0.2.150");
    let id = object["id"].as_str().expect("id").to_string();
    let file = a.dir.join("unmarked.json");
    std::fs::write(
        &file,
        json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": [object]})
            .to_string(),
    )
    .expect("bundle");
    let path = file.to_str().expect("path");
    ok(&a.dir, &["import", path]);
    // Its own identity first: then the round below has had its chance.
    sync_until(&[b], || b.held().len() > 1);
    assert!(!b.held().contains_key(&id), "an unmarked object left a");

    // Re-importing it with --tlp marks nothing, and says so.
    let report = json_of(&a.dir, &["import", "--tlp", "green", path]);
    assert_eq!(report["stored"], json!(0), "{report}");
    assert!(
        report["note"]
            .as_str()
            .is_some_and(|n| n.contains("concord mark")),
        "{report}"
    );
    let out = run_with(&a.dir, &["import", "--tlp", "green", path], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without the --tlp marking"), "{stderr}");

    // `mark`: a newer signed version, marked, which the peer receives.
    let marked = json_of(&a.dir, &["mark", &id, "--tlp", "green"]);
    assert_eq!(marked["tlp"], json!("green"), "{marked}");
    let newer = marked["modified"].as_str().expect("modified").to_string();
    assert!(newer.as_str() > "2026-11-20T10:00:00.000Z", "{marked}");
    sync_until(&[b], || b.held().contains_key(&id));
    let got = &b.held()[&id];
    assert_eq!(got["modified"], json!(newer), "{got}");
    assert_eq!(
        got["object_marking_refs"][0],
        json!("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"),
        "TLP:GREEN: {got}"
    );

    // b may not mark a's object: it is a's.
    let (code, _, stderr) = run_code(&b.dir, &["mark", &id, "--tlp", "clear"], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("only its author publishes"), "{stderr}");
    let v = json_failure(&b.dir, &["mark", &id, "--tlp", "clear"]);
    assert_eq!(v["kind"], json!("forbidden"), "{v}");
    assert_eq!(b.held()[&id]["modified"], json!(newer), "b stored nothing");
}

#[test]
fn match_names_the_indicators_it_could_not_index() {
    let tmp = tempfile::tempdir().expect("tmp");
    let node = Node::new(tmp.path(), "n");
    let sigma = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid()),
        "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
        "name": "a Sigma rule", "pattern": "title: x\ndetection: {}", "pattern_type": "sigma",
        "valid_from": "2026-11-20T10:00:00Z"
    });
    let sigma_id = sigma["id"].as_str().expect("id").to_string();
    node.import(&[sigma, indicator("fine", "192.0.2.33")], "green", &[]);
    let log = "192.0.2.33\n";
    let out = run_with(&node.dir, &["match", "--format", "text"], Some(log));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 indicators could not be indexed"),
        "{stderr}"
    );
    assert!(stderr.contains("--warnings"), "{stderr}");

    let out = run_with(
        &node.dir,
        &["match", "--format", "text", "--warnings"],
        Some(log),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains(&sigma_id) && stderr.contains("pattern_type sigma is not stix"),
        "{stderr}"
    );
    assert!(
        stderr.contains("title: x"),
        "the pattern is shown: {stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "the other indicator still matches"
    );

    let out = run_with(
        &node.dir,
        &["--json", "match", "--format", "text", "--warnings"],
        Some(log),
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let summary: Value = serde_json::from_str(stderr.trim()).expect("a JSON summary");
    assert_eq!(summary["unindexed"], json!(1), "{summary}");
    assert_eq!(summary["indicators"], json!(1), "{summary}");
    assert_eq!(
        summary["unindexed_indicators"][0]["id"],
        json!(sigma_id),
        "{summary}"
    );
    assert!(
        summary["unindexed_indicators"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("sigma")),
        "{summary}"
    );
    // Counted without --warnings too.
    let out = run_with(
        &node.dir,
        &["--json", "match", "--format", "text"],
        Some(log),
    );
    let summary: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).expect("json");
    assert_eq!(summary["unindexed"], json!(1), "{summary}");
}

#[test]
fn collections_are_named_by_title_and_titles_are_unique() {
    let tmp = tempfile::tempdir().expect("tmp");
    let node = Node::new(tmp.path(), "n");
    let id = ok(
        &node.dir,
        &["collection", "add", "Partner feed", "--public"],
    );
    let (code, _, stderr) = run_code(&node.dir, &["collection", "add", "Partner feed"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("already titled"), "{stderr}");
    let list = json_of(&node.dir, &["collection", "list"]);
    let titled: Vec<&Value> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|c| c["title"] == json!("Partner feed"))
        .collect();
    assert_eq!(titled.len(), 1, "{list}");
    assert_eq!(titled[0]["id"], json!(id), "{list}");

    let sample = crate::harness::sample();
    let report = json_of(
        &node.dir,
        &[
            "import",
            "--collection",
            "Partner feed",
            sample.to_str().expect("path"),
        ],
    );
    assert!(report["stored"].as_u64() > Some(10), "{report}");
    ok_with(
        &node.dir,
        &[
            "user",
            "add",
            "reader",
            "--password-stdin",
            "--read",
            "Partner feed",
        ],
        Some(PASSWORD),
    );
    let (code, _, stderr) = run_code(
        &node.dir,
        &[
            "import",
            "--collection",
            "No such feed",
            sample.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no collection with id or title"),
        "{stderr}"
    );

    // What was filed under the title is served from that collection.
    let mut node = node;
    node.serve();
    let served = node.served.as_ref().expect("serving");
    let auth = basic("reader", PASSWORD.trim());
    let page = request(
        &served.addr(),
        "GET",
        &format!("/taxii2/root/collections/{id}/objects/"),
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Authorization", &auth),
        ],
        "",
    );
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.json()["objects"]
            .as_array()
            .is_some_and(|o| o.len() > 10),
        "{}",
        page.body
    );
}

#[test]
fn short_passwords_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let node = Node::new(tmp.path(), "n");
    for short in ["x\n", "elevenchars\n"] {
        let (code, _, stderr) = run_code(
            &node.dir,
            &["user", "add", "shorty", "--password-stdin"],
            Some(short),
        );
        assert_eq!(code, 2, "{short:?} was taken");
        assert!(stderr.contains("at least 12 characters"), "{stderr}");
    }
    ok_with(
        &node.dir,
        &["user", "add", "shorty", "--password-stdin"],
        Some("twelve chars\n"),
    );
    let help = ok(&node.dir, &["user", "add", "--help"]);
    assert!(help.contains("at least 12 characters"), "{help}");
}

#[test]
fn serve_logs_every_request_and_every_refused_log_in_without_secrets() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut node = Node::new(tmp.path(), "n");
    let token = crate::harness::user_token(&node.dir, "analyst", &["--admin"]);
    node.serve_logged();
    let addr = node.served.as_ref().expect("serving").addr();
    let bearer = format!("Bearer {token}");
    let taxii = ("Accept", "application/taxii+json;version=2.1");
    let ok_page = request(
        &addr,
        "GET",
        "/taxii2/root/collections/?secret-search=1",
        &[taxii, ("Authorization", &bearer)],
        "",
    );
    assert_eq!(ok_page.status, 200, "{}", ok_page.body);
    let wrong = basic("analyst", "not the password at all");
    let refused = request(
        &addr,
        "GET",
        "/taxii2/root/collections/",
        &[taxii, ("Authorization", &wrong)],
        "",
    );
    assert_eq!(refused.status, 401, "{}", refused.body);
    let anonymous = request(&addr, "GET", "/taxii2/", &[taxii], "");
    assert_eq!(anonymous.status, 200);

    let start = Instant::now();
    let log = loop {
        let log = node.log();
        if log.matches("concord::request").count() >= 3 {
            break log;
        }
        assert!(start.elapsed() < BOUND, "no request lines: {log}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let line = |what: &str| {
        log.lines()
            .find(|l| l.contains("concord::request") && l.contains(what))
            .unwrap_or_else(|| panic!("no request line with {what}: {log}"))
            .to_string()
    };
    let user = line("caller=\"user analyst\"");
    for part in [
        "method=GET",
        "path=\"/taxii2/root/collections/\"",
        "status=200",
        "client=\"127.0.0.1\"",
        "ms=",
    ] {
        assert!(user.contains(part), "{part} in {user}");
    }
    assert!(line("status=401").contains("caller=\"refused\""), "{log}");
    assert!(
        line("path=\"/taxii2/\"").contains("caller=\"public\""),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("authentication refused") && l.contains("analyst")),
        "the refused log-in is logged: {log}"
    );
    assert!(!log.contains(&token), "a token in the log: {log}");
    assert!(
        !log.contains("not the password"),
        "a password in the log: {log}"
    );
    assert!(
        !log.contains(PASSWORD.trim()),
        "a password in the log: {log}"
    );
    assert!(!log.to_lowercase().contains("authorization:"), "{log}");
    assert!(
        !log.contains("secret-search"),
        "a query string in the log: {log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log file: {log:?}"
    );
}
