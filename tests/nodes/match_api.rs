//! `POST /api/v1/match` on a running `concord serve`: the hits of
//! `concord match` over HTTP, only for callers entitled to every indicator.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{basic, ok_with, request, sample, serve};

/// One POST with an optional `Authorization` value; (status, body).
fn post(addr: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, String) {
    let mut headers = vec![("Content-Type", "text/plain")];
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    let a = request(addr, "POST", path, &headers, body);
    (a.status, a.body)
}

#[test]
fn match_api_finds_hits_for_entitled_callers_only() {
    let dir = tempfile::tempdir().unwrap();
    ok_with(dir.path(), &["init"], None);
    let sample = sample();
    ok_with(dir.path(), &["import", sample.to_str().unwrap()], None);
    ok_with(
        dir.path(),
        &["user", "add", "analyst", "--password-stdin", "--admin"],
        Some("s3cret-analyst-pw\n"),
    );
    ok_with(dir.path(), &["collection", "add", "Partner feed"], None);
    ok_with(
        dir.path(),
        &["user", "add", "guest", "--password-stdin"],
        Some("guest-password-1\n"),
    );
    let served = serve(dir.path());
    let lines = concat!(
        r#"{"ts":1764061200.25,"id.orig_h":"10.0.0.5","id.resp_h":"203.0.113.66","id.resp_p":443}"#,
        "\n",
        "invoice-update.example.net\n",
        "benign.example.org\n",
        "{not json\n",
    );
    let admin = basic("analyst", "s3cret-analyst-pw");
    let start = Instant::now();
    let (status, body) = loop {
        let r = post(&served.addr(), "/api/v1/match", Some(&admin), lines);
        if r.0 != 503 {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the index never became ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["events"], 3);
    let hits = v["hits"].as_array().unwrap();
    let found: Vec<(u64, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["line"].as_u64().unwrap(),
                h["indicator"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        found.contains(&(1, "indicator--04c2dd3f-1e8c-4934-a390-b4fcb1234818")),
        "{body}"
    );
    assert!(found.iter().any(|(line, _)| *line == 2), "{body}");
    assert!(found.iter().all(|(line, _)| *line != 3), "{body}");
    assert_eq!(v["malformed"][0]["line"], 4);
    assert!(
        hits.iter()
            .all(|h| h["tlp"] == "green" && h["file"] == "request")
    );

    // No credentials, wrong password, or a user who may not read every collection.
    assert_eq!(post(&served.addr(), "/api/v1/match", None, lines).0, 401);
    assert_eq!(
        post(
            &served.addr(),
            "/api/v1/match",
            Some(&basic("analyst", "nope")),
            lines
        )
        .0,
        401
    );
    let (status, body) = post(
        &served.addr(),
        "/api/v1/match",
        Some(&basic("guest", "guest-password-1")),
        lines,
    );
    assert_eq!(status, 403);
    assert!(
        !body.contains("indicator--"),
        "a refused caller learns nothing: {body}"
    );
    // Bad parameters are named.
    let (status, body) = post(
        &served.addr(),
        "/api/v1/match?field=nonsense",
        Some(&admin),
        lines,
    );
    assert_eq!(status, 400);
    assert!(body.contains("nonsense"), "{body}");
}
