//! Running a node unattended: health and readiness probes, metrics read by
//! the Prometheus project's own parser, who may read them.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{BOUND, Node, indicator, python, request, served};

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
fn sample(families: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
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
        if sample(
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
        sample(
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
        sample(
            &families,
            "concord_store_objects",
            "concord_store_objects",
            &[("type", "indicator")]
        )
        .is_some_and(|n| n >= 1.0),
        "{families}"
    );
    assert!(
        sample(
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
