//! `POST /api/v1/match` on a running `concord serve`: the hits of
//! `concord match` over HTTP, only for callers entitled to every indicator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn concord(dir: &Path, args: &[&str], stdin: Option<&str>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "concord {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Served(Child, String);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_concord"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .trim_end_matches("/taxii2/")
        .to_string();
    Served(child, addr)
}

/// One HTTP/1.1 request on a fresh connection; returns status and body.
fn post(addr: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn basic(user: &str, password: &str) -> String {
    // Base64 of "user:password" without a dependency: tiny and standard.
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

#[test]
fn match_api_finds_hits_for_entitled_callers_only() {
    let dir = tempfile::tempdir().unwrap();
    concord(dir.path(), &["init"], None);
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample-bundle.json");
    concord(dir.path(), &["import", sample.to_str().unwrap()], None);
    concord(
        dir.path(),
        &["user", "add", "analyst", "--password-stdin", "--admin"],
        Some("s3cret\n"),
    );
    concord(dir.path(), &["collection", "add", "Partner feed"], None);
    concord(
        dir.path(),
        &["user", "add", "guest", "--password-stdin"],
        Some("guest-pw\n"),
    );
    let served = serve(dir.path());
    let lines = concat!(
        r#"{"ts":1764061200.25,"id.orig_h":"10.0.0.5","id.resp_h":"203.0.113.66","id.resp_p":443}"#,
        "\n",
        "invoice-update.example.net\n",
        "benign.example.org\n",
        "{not json\n",
    );
    let admin = basic("analyst", "s3cret");
    let start = Instant::now();
    let (status, body) = loop {
        let r = post(&served.1, "/api/v1/match", Some(&admin), lines);
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
    assert_eq!(post(&served.1, "/api/v1/match", None, lines).0, 401);
    assert_eq!(
        post(
            &served.1,
            "/api/v1/match",
            Some(&basic("analyst", "nope")),
            lines
        )
        .0,
        401
    );
    let (status, body) = post(
        &served.1,
        "/api/v1/match",
        Some(&basic("guest", "guest-pw")),
        lines,
    );
    assert_eq!(status, 403);
    assert!(
        !body.contains("indicator--"),
        "a refused caller learns nothing: {body}"
    );
    // Bad parameters are named.
    let (status, body) = post(
        &served.1,
        "/api/v1/match?field=nonsense",
        Some(&admin),
        lines,
    );
    assert_eq!(status, 400);
    assert!(body.contains("nonsense"), "{body}");
}
