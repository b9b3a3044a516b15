//! Running a node unattended: health and readiness probes, metrics read by
//! the Prometheus project's own parser, who may read them.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    BOUND, Node, basic, checked, indicator, json_of, ok, ok_with, python, refused, request, serve,
    served, user_token,
};

/// The metric families of a `/metrics` body, as the Prometheus Python
/// client's parser reads them: `{name: {"type": .., "samples": [[name, labels, value]]}}`.
fn parsed_metrics(text: &str) -> Value {
    let py = python(&["prometheus_client"]);
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    out[f.name] = {"type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
print(json.dumps(out))
"#;
    let mut child = Command::new(py)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("parser");
    assert!(
        out.status.success(),
        "the Prometheus parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The value of the sample `name` whose labels include `labels`.
fn metric(families: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families[family]["samples"]
        .as_array()?
        .iter()
        .find(|s| s[0] == name && labels.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v)))
        .and_then(|s| s[2].as_f64())
}

#[test]
fn probes_answer_and_metrics_parse_with_the_prometheus_client() {
    let root = tempfile::tempdir().expect("tmp");
    let nodes = served(root.path(), &["a", "b"]);
    let (a, b) = (&nodes[0], &nodes[1]);
    a.import(&[indicator("metric probe", "198.51.100.9")], "green", &[]);
    b.peer(a);
    a.peer(b);
    b.sync_until("b holds a's indicator", || {
        b.held().values().any(|o| o["name"] == "metric probe")
    });
    let addr = b.served.as_ref().expect("serving").addr();

    let h = request(&addr, "GET", "/healthz", &[], "");
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.json()["status"], "up");
    let r = request(&addr, "GET", "/readyz", &[], "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "ready");

    // The sync round `concord sync` recorded is counted by the server
    // within a second or two.
    let start = Instant::now();
    let families = loop {
        let m = request(&addr, "GET", "/metrics", &[], "");
        assert_eq!(m.status, 200, "{}", m.body);
        assert!(
            m.header("content-type")
                .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
            "{}",
            m.head
        );
        let f = parsed_metrics(&m.body);
        if metric(
            &f,
            "concord_sync_objects",
            "concord_sync_objects_total",
            &[("peer", "a")],
        )
        .is_some_and(|n| n >= 1.0)
        {
            break f;
        }
        assert!(start.elapsed() < BOUND, "no sync metrics: {}", m.body);
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(families["concord_http_requests"]["type"], "counter");
    assert_eq!(
        families["concord_http_request_duration_seconds"]["type"],
        "histogram"
    );
    assert!(
        metric(
            &families,
            "concord_http_requests",
            "concord_http_requests_total",
            &[("route", "/healthz"), ("method", "GET"), ("status", "200")]
        )
        .is_some_and(|n| n >= 1.0),
        "{families}"
    );
    // b pulled through a's TAXII routes: counted by template, never by id.
    let at_a = request(
        &a.served.as_ref().expect("serving").addr(),
        "GET",
        "/metrics",
        &[],
        "",
    );
    let routes: Vec<String> = parsed_metrics(&at_a.body)["concord_http_requests"]["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| s[1]["route"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        routes
            .iter()
            .any(|r| r == "/taxii2/root/collections/{collection}/objects/"),
        "{routes:?}"
    );
    assert!(
        !routes.iter().any(|r| r.contains("indicator--")),
        "{routes:?}"
    );
    assert!(
        metric(
            &families,
            "concord_store_objects",
            "concord_store_objects",
            &[("type", "indicator")]
        )
        .is_some_and(|n| n >= 1.0),
        "{families}"
    );
    assert!(
        metric(
            &families,
            "concord_sync_last_success_timestamp_seconds",
            "concord_sync_last_success_timestamp_seconds",
            &[("peer", "a")]
        )
        .is_some_and(|t| t > 1.7e9),
        "{families}"
    );
    for family in [
        "concord_sync_rounds",
        "concord_sync_quarantined",
        "concord_match_events",
        "concord_match_hits",
        "concord_alert_deliveries_sent",
        "concord_alert_deliveries_failed",
        "concord_store_versions",
        "concord_log_entries",
    ] {
        assert!(
            families.get(family).is_some(),
            "{family} missing: {families}"
        );
    }
}

#[test]
fn metrics_take_a_token_when_one_is_configured() {
    let root = tempfile::tempdir().expect("tmp");
    let mut n = Node::with_config(
        root.path(),
        "m",
        "[metrics]\naccess = \"token\"\ntoken_file = \"metrics.token\"\n",
    );
    std::fs::write(n.dir.join("metrics.token"), "scrape-me\n").expect("token");
    n.serve();
    let addr = n.served.as_ref().expect("serving").addr();
    assert_eq!(request(&addr, "GET", "/metrics", &[], "").status, 401);
    let wrong = request(
        &addr,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer nope")],
        "",
    );
    assert_eq!(wrong.status, 401);
    let right = request(
        &addr,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer scrape-me")],
        "",
    );
    assert_eq!(right.status, 200, "{}", right.body);
    parsed_metrics(&right.body);
    // Probes stay open: a load balancer has no token.
    assert_eq!(request(&addr, "GET", "/healthz", &[], "").status, 200);
}

/// A TAXII GET with a bearer token: (status, JSON body).
pub(crate) fn taxii(addr: &str, path: &str, token: &str) -> (u16, Value) {
    let bearer = format!("Bearer {token}");
    let a = request(
        addr,
        "GET",
        path,
        &[
            ("Accept", "application/taxii+json;version=2.1"),
            ("Authorization", &bearer),
        ],
        "",
    );
    (a.status, a.json())
}

/// The sorted (id, version, date_added) of every entry a TAXII client with
/// `token` pages through in the node's local collection.
fn served_entries(addr: &str, token: &str, collection: &str) -> Vec<(String, String)> {
    let (status, manifest) = taxii(
        addr,
        &format!("/taxii2/root/collections/{collection}/manifest/?limit=1000"),
        token,
    );
    assert_eq!(status, 200, "{manifest}");
    let mut out: Vec<(String, String)> = manifest["objects"]
        .as_array()
        .expect("manifest")
        .iter()
        .map(|o| {
            (
                format!(
                    "{} {}",
                    o["id"].as_str().unwrap_or(""),
                    o["version"].as_str().unwrap_or("")
                ),
                o["date_added"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn users_tokens_and_collections_are_listed_and_removed() {
    let root = tempfile::tempdir().expect("tmp");
    let mut n = Node::new(root.path(), "adm");
    let coll = json_of(&n.dir, &["collection", "add", "Partner feed", "--public"]);
    let coll = coll["id"].as_str().expect("id").to_string();
    let keep = user_token(&n.dir, "siem", &["--read", &coll]);
    let drop = json_of(&n.dir, &["token", "add", "siem"])["token"]
        .as_str()
        .expect("token")
        .to_string();

    let tokens = json_of(&n.dir, &["token", "list"]);
    let tokens = tokens.as_array().expect("list");
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    for t in tokens {
        assert_eq!(t["user"], "siem");
        assert!(
            t["created"].as_str().is_some_and(|c| c.starts_with("20")),
            "{t}"
        );
        let prefix = t["hash_prefix"].as_str().expect("prefix");
        assert_eq!(prefix.len(), 12);
        assert!(prefix.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let listing = ok(&n.dir, &["token", "list"]) + &json_of(&n.dir, &["token", "list"]).to_string();
    for secret in [&keep, &drop] {
        assert!(!listing.contains(secret.as_str()), "a token was listed");
    }
    // Revoke the second by the prefix of its hash (SHA-256 of the token).
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(drop.as_bytes()));
    let revoked = json_of(&n.dir, &["token", "revoke", &hash[..10]]);
    assert_eq!(revoked["user"], "siem");
    assert_eq!(
        json_of(&n.dir, &["token", "list"])
            .as_array()
            .expect("list")
            .len(),
        1
    );

    n.serve();
    let addr = n.served.as_ref().expect("serving").addr();
    let (status, _) = taxii(&addr, "/taxii2/root/collections/", &drop);
    assert_eq!(status, 401, "a revoked token is refused");
    let (status, _) = taxii(&addr, "/taxii2/root/collections/", &keep);
    assert_eq!(status, 200);

    ok_with(
        &n.dir,
        &["user", "passwd", "siem", "--password-stdin"],
        Some("a new passphrase\n"),
    );
    let auth = basic("siem", "a new passphrase");
    let a = request(
        &addr,
        "GET",
        "/taxii2/root/collections/",
        &[
            ("Authorization", &auth),
            ("Accept", "application/taxii+json;version=2.1"),
        ],
        "",
    );
    assert_eq!(a.status, 200, "{}", a.body);

    let users = json_of(&n.dir, &["user", "list"]);
    assert_eq!(users[0]["name"], "siem");
    assert_eq!(users[0]["grants"][0]["collection"], coll.as_str());
    let shown = json_of(&n.dir, &["collection", "show", "Partner feed"]);
    assert_eq!(shown["public"], true);
    assert_eq!(shown["rights"][0]["user"], "siem");
    let list = json_of(&n.dir, &["collection", "list"]);
    assert_eq!(list.as_array().expect("list").len(), 2);
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .any(|c| c["local"] == true)
    );
    let local = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["local"] == true)
        .expect("local")["id"]
        .as_str()
        .expect("id")
        .to_string();
    refused(
        &n.dir,
        &["collection", "remove", &local],
        "local collection",
    );
    let removed = json_of(&n.dir, &["collection", "remove", &coll]);
    assert_eq!(removed["grants"], 1);
    assert_eq!(
        json_of(&n.dir, &["collection", "list"])
            .as_array()
            .expect("list")
            .len(),
        1
    );
    let gone = json_of(&n.dir, &["user", "remove", "siem"]);
    assert_eq!(gone["removed"], "siem");
    assert!(
        json_of(&n.dir, &["token", "list"])
            .as_array()
            .expect("list")
            .is_empty()
    );
    refused(&n.dir, &["user", "remove", "siem"], "no user");
    refused(&n.dir, &["peer", "remove", "nobody"], "no peer");
}

#[test]
fn a_backup_taken_while_serving_restores_a_node_with_the_same_objects_and_tokens() {
    let root = tempfile::tempdir().expect("tmp");
    let mut n = Node::new(root.path(), "live");
    ok(
        &n.dir,
        &["import", crate::harness::sample().to_str().expect("path")],
    );
    let token = user_token(&n.dir, "siem", &["--admin"]);
    n.serve();
    let addr = n.served.as_ref().expect("serving").addr();
    let collection = json_of(&n.dir, &["collection", "list"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["local"] == true)
        .expect("local")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let before = served_entries(&addr, &token, &collection);
    assert!(before.len() >= 20, "{before:?}");

    let file = root.path().join("live.backup");
    let out = checked(
        &n.dir,
        &["--json", "backup", "--out", file.to_str().expect("path")],
        None,
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["contains_private_keys"], true);
    assert!(
        report["private_keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k == "node.key")
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("WARNING: this backup holds private keys")
    );
    for t in [
        "objects",
        "entries",
        "users",
        "tokens",
        "records",
        "collections",
    ] {
        assert!(
            report["tables"][t]["rows"].as_u64().is_some(),
            "{t}: {report}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(n.served.take());

    // Into a new directory: same files, same objects with the same
    // date_added, the same token accepted.
    let restored = root.path().join("restored");
    let r = json_of(&restored, &["restore", file.to_str().expect("path")]);
    assert_eq!(r["verified"], true, "{r}");
    assert_eq!(
        std::fs::read(restored.join("node.key")).expect("key"),
        std::fs::read(n.dir.join("node.key")).expect("key")
    );
    assert_eq!(
        json_of(&restored, &["key", "show"])["public_key"],
        n.key.as_str()
    );
    let served = serve(&restored);
    assert_eq!(served_entries(&served.addr(), &token, &collection), before);
    // Never over an existing node.
    refused(
        &n.dir,
        &["restore", file.to_str().expect("path")],
        "not empty",
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definition() {
    let root = tempfile::tempdir().expect("tmp");
    let bash = ok(root.path(), &["completions", "bash"]);
    assert!(
        bash.contains("_concord()") && bash.contains("backup"),
        "{bash}"
    );
    let zsh = ok(root.path(), &["completions", "zsh"]);
    assert!(zsh.contains("#compdef concord"), "{zsh}");
    let man = ok(root.path(), &["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH concord"),
        "{man}"
    );
    let pages = root.path().join("man");
    ok(
        root.path(),
        &["man", "--out-dir", pages.to_str().expect("path")],
    );
    assert!(pages.join("concord.1").exists());
    assert!(pages.join("concord-backup.1").exists());
    // JSON logs: one object a line.
    let out = crate::harness::run(
        root.path().join("none").as_path(),
        &["--log-format", "json", "stats"],
    );
    assert!(!out.status.success());
}

/// Every `routes!(…)` handler and every `.route(` call in crates/api's
/// source: the router's routes, as the code registers them.
fn registered_handlers() -> (usize, Vec<String>) {
    let dir = crate::harness::repo().join("crates/api/src");
    let mut handlers = 0;
    let mut plain = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("crates/api/src") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        for (i, line) in text.lines().enumerate() {
            if let Some(rest) = line.split("routes!(").nth(1) {
                let inside = rest.split(')').next().unwrap_or("");
                handlers += inside.split(',').filter(|h| !h.trim().is_empty()).count();
            }
            // A catch-all path (C2SP's tiles) is one OpenAPI cannot express.
            if (line.contains(".route(") || line.contains(".route_service("))
                && !line.contains("{*")
            {
                plain.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    (handlers, plain)
}

#[test]
fn the_openapi_document_is_valid_and_covers_every_route() {
    let root = tempfile::tempdir().expect("tmp");
    let mut n = Node::new(root.path(), "doc");
    n.serve();
    let addr = n.served.as_ref().expect("serving").addr();
    let a = request(&addr, "GET", "/api/v1/openapi.json", &[], "");
    assert_eq!(a.status, 200, "{}", a.body);
    let doc = a.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{doc}"
    );

    // The reference validator of the OpenAPI specification.
    let py = python(&["openapi_spec_validator"]);
    let file = root.path().join("openapi.json");
    std::fs::write(&file, &a.body).expect("write");
    let out = Command::new(py)
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')",
            file.to_str().expect("path"),
        ])
        .output()
        .expect("openapi-spec-validator");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("valid"),
        "openapi-spec-validator refused the document: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        a.body
    );

    // Every documented operation is served (never 404 or 405) ...
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(
            path.starts_with("/api/v1/")
                || path.starts_with("/concord/v1/")
                || path.starts_with("/exports/")
                || path.starts_with("/feeds/misp/")
                || path.starts_with("/log/"),
            "{path}"
        );
        for method in item.as_object().expect("item").keys() {
            let Some(m) = ["get", "post", "put", "delete", "patch"]
                .iter()
                .find(|m| **m == method.as_str())
            else {
                continue;
            };
            operations += 1;
            let concrete = path
                .replace("{id}", "x")
                .replace("{format}", "text")
                .replace("{file}", "manifest.json")
                .replace("{collection}", "no-such-collection");
            let r = request(&addr, &m.to_uppercase(), &concrete, &[], "");
            // A handler may answer 404 for a thing it does not hold (a
            // hash list here), with the API's error body; the router's own
            // 404 (no such route) has none.
            let handler_404 = r.status == 404
                && serde_json::from_str::<serde_json::Value>(&r.body)
                    .is_ok_and(|b| b["description"].is_string());
            assert!(
                (r.status != 404 || handler_404) && r.status != 405,
                "{} {path} is documented but not served: {}",
                m.to_uppercase(),
                r.status
            );
        }
    }
    // ... and every route the code registers is documented: routes exist
    // only through `routes!`, one operation per handler.
    let (handlers, plain) = registered_handlers();
    assert!(
        plain.is_empty(),
        "routes registered outside `routes!` (so outside the document): {plain:?}"
    );
    assert_eq!(
        handlers, operations,
        "handlers registered with routes! vs operations in the document"
    );
    // A path the router does not have is a 404: the check above can fail.
    assert_eq!(
        request(&addr, "GET", "/api/v1/nothing-here", &[], "").status,
        404
    );
}
