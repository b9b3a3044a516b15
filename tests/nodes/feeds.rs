//! Feeds end to end, served by a real HTTP server (Python's http.server on
//! 127.0.0.1, which answers If-Modified-Since with 304): a MISP feed
//! directory of real events and a CSV list, pulled twice without
//! duplicates, a failing fetch that keeps the data, a change picked up, a
//! feed `serve` pulls on its own; and CSV and text lists through `concord
//! import` with bad lines reported by line number.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{BOUND, Node, json_of, ok, python, run, run_code};
use crate::misp::fixture;

/// `python -m http.server` on a free 127.0.0.1 port, killed when dropped.
struct FileServer {
    child: Child,
    base: String,
}

impl FileServer {
    fn start(dir: &Path) -> FileServer {
        let mut child = Command::new(python(&["http.server"]))
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python -m http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the serving line");
        // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        FileServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A MISP feed directory made of the real events: manifest.json and one
/// `<uuid>.json` each.
fn misp_feed(dir: &Path) {
    std::fs::create_dir_all(dir).expect("feed dir");
    let mut manifest = serde_json::Map::new();
    for f in ["campaign.json", "response.json"] {
        let v: Value =
            serde_json::from_slice(&std::fs::read(fixture(f)).expect("fixture")).expect("json");
        let events = match v.get("response") {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![v],
        };
        for e in events {
            let uuid = e["Event"]["uuid"].as_str().expect("uuid").to_string();
            manifest.insert(
                uuid.clone(),
                json!({"info": e["Event"]["info"], "timestamp": e["Event"]["timestamp"]}),
            );
            std::fs::write(dir.join(format!("{uuid}.json")), e.to_string()).expect("event");
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        Value::Object(manifest).to_string(),
    )
    .expect("manifest");
}

fn pull(node: &Node, name: &str) -> (i32, Value) {
    let (code, out, err) = run_code(&node.dir, &["--json", "feed", "pull", name], None);
    let v: Vec<Value> =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v.into_iter().next().expect("one report"))
}

fn versions(node: &Node) -> u64 {
    json_of(&node.dir, &["stats"])["versions"]
        .as_u64()
        .expect("versions")
}

/// Sets a file's modification time a few seconds later (http.server's
/// Last-Modified has one-second steps).
fn touch_later(file: &Path, secs: u64) {
    let f = std::fs::File::options()
        .write(true)
        .open(file)
        .expect("open");
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(secs))
        .expect("set mtime");
}

#[test]
fn feeds_are_pulled_without_duplicates_keep_data_on_failure_and_pick_up_changes() {
    let root = tempfile::tempdir().expect("tmp");
    let site = root.path().join("site");
    misp_feed(&site.join("misp"));
    let csv = site.join("ips.csv");
    std::fs::write(
        &csv,
        "ip,note\n192.0.2.10,scanner\nnot an address,oops\n192.0.2.11,c2\n",
    )
    .expect("csv");
    let server = FileServer::start(&site);
    let node = Node::new(root.path(), "South");
    let base = &server.base;
    ok(
        &node.dir,
        &[
            "feed",
            "add",
            "misp-feed",
            &format!("{base}/misp"),
            "--format",
            "misp",
            "--tlp",
            "green",
        ],
    );
    ok(
        &node.dir,
        &[
            "feed",
            "add",
            "ips",
            &format!("{base}/ips.csv"),
            "--format",
            "csv",
            "--tlp",
            "clear",
            "--column",
            "ip=ipv4-addr:value",
            "--column",
            "note=description",
            "--interval",
            "15m",
        ],
    );

    let (code, misp) = pull(&node, "misp-feed");
    assert_eq!(code, 0, "{misp}");
    assert!(misp["stored"].as_u64().expect("stored") > 40, "{misp}");
    assert!(misp["unmapped"].as_u64().expect("unmapped") > 0, "{misp}");
    let (code, ips) = pull(&node, "ips");
    assert_eq!(code, 0, "{ips}");
    assert_eq!(ips["stored"], 2, "{ips}");
    // The bad row is reported by its line.
    assert!(
        ips["problems"][0]
            .as_str()
            .expect("a problem")
            .starts_with("line 3"),
        "{ips}"
    );
    let held = node.held();
    let green = concord_stix::tlp::Tlp::Green.marking_id();
    // A CLEAR event held to the feed's GREEN; an org-only one stays unmarked.
    assert_eq!(
        held["indicator--5f6a012d-7d1e-4c3b-9a8f-1a2b3c4d012d"]["object_marking_refs"],
        json!([green])
    );
    assert!(
        held["indicator--5f6a0131-7d1e-4c3b-9a8f-1a2b3c4d0131"]
            .get("object_marking_refs")
            .is_none()
    );
    let count = versions(&node);

    // Pulled again: 304, nothing new.
    for feed in ["misp-feed", "ips"] {
        let (_, r) = pull(&node, feed);
        assert_eq!(r["outcome"], "not-modified", "{r}");
    }
    // The same bodies sent again in full: nothing stored twice.
    touch_later(&csv, 5);
    touch_later(&site.join("misp/manifest.json"), 5);
    for feed in ["misp-feed", "ips"] {
        let (_, r) = pull(&node, feed);
        assert_eq!(r["outcome"], "stored", "{r}");
        assert_eq!(r["stored"], 0, "{r}");
        assert_eq!(r["unchanged"], r["objects"], "{r}");
    }
    assert_eq!(versions(&node), count);

    // A failing fetch keeps the data and shows the error.
    std::fs::rename(&csv, site.join("moved.csv")).expect("move");
    let (code, r) = pull(&node, "ips");
    assert_eq!(code, 1);
    assert!(
        r["error"].as_str().expect("an error").contains("404"),
        "{r}"
    );
    let list = json_of(&node.dir, &["feed", "list"]);
    let ips_view = list
        .as_array()
        .expect("feeds")
        .iter()
        .find(|f| f["spec"]["name"] == "ips")
        .expect("ips");
    assert!(
        ips_view["last_error"]
            .as_str()
            .expect("last error")
            .contains("404"),
        "{ips_view}"
    );
    assert_eq!(ips_view["objects"], 2, "the last good data stays");
    assert_eq!(versions(&node), count);

    // A change is picked up: a new line and a changed one.
    std::fs::write(
        &csv,
        "ip,note\n192.0.2.10,scanner (confirmed)\n192.0.2.11,c2\n192.0.2.12,new\n",
    )
    .expect("csv");
    touch_later(&csv, 10);
    let (code, r) = pull(&node, "ips");
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["stored"], 2, "one new, one changed: {r}");
    assert_eq!(versions(&node), count + 2);
    // A changed MISP attribute is a new version of the same object.
    let file = site.join("misp/5e3f4a2b-1c0d-4e9f-8a7b-6c5d4e3f2a10.json");
    let mut event: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("event")).expect("json");
    for a in event["Event"]["Attribute"]
        .as_array_mut()
        .expect("attributes")
    {
        if a["uuid"] == "5f6a0006-7d1e-4c3b-9a8f-1a2b3c4d0006" {
            a["value"] = json!("update-check-2.example");
            a["timestamp"] = json!("1780000000");
        }
    }
    event["Event"]["timestamp"] = json!("1780000000");
    std::fs::write(&file, event.to_string()).expect("event");
    touch_later(&site.join("misp/manifest.json"), 10);
    let (code, r) = pull(&node, "misp-feed");
    assert_eq!(code, 0, "{r}");
    assert!(r["stored"].as_u64().expect("stored") >= 2, "{r}");
    let latest = &node.held()["indicator--5f6a0006-7d1e-4c3b-9a8f-1a2b3c4d0006"];
    assert!(
        latest["pattern"]
            .as_str()
            .expect("pattern")
            .contains("update-check-2.example")
    );
    drop(server);
}

#[test]
fn serve_pulls_a_feed_on_its_interval() {
    let root = tempfile::tempdir().expect("tmp");
    let site = root.path().join("site");
    std::fs::create_dir_all(&site).expect("site");
    std::fs::write(
        site.join("domains.txt"),
        "# a list\nbad-domain.example\nhttp://bad-url.example/x\n",
    )
    .expect("list");
    let server = FileServer::start(&site);
    let mut node = Node::new(root.path(), "South");
    ok(
        &node.dir,
        &[
            "feed",
            "add",
            "domains",
            &format!("{}/domains.txt", server.base),
            "--format",
            "text",
            "--interval",
            "1s",
        ],
    );
    node.serve();
    let start = Instant::now();
    loop {
        let list = json_of(&node.dir, &["feed", "list"]);
        if list[0]["objects"] == 2 && list[0]["last_good_fetch"].is_string() {
            break;
        }
        assert!(
            start.elapsed() < BOUND,
            "serve did not pull the feed: {list}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let found = ok(&node.dir, &["search", "bad-domain.example"]);
    assert!(found.contains("indicator--"), "{found}");
    node.served = None;
    drop(server);
}

#[test]
fn csv_and_text_lists_import_with_bad_lines_named() {
    let root = tempfile::tempdir().expect("tmp");
    let node = Node::new(root.path(), "South");
    let csv = root.path().join("blocklist.csv");
    std::fs::write(
        &csv,
        "value,comment\n198.51.100.7,bad host\nnot-an-ip,x\n198.51.100.8,c2\n",
    )
    .expect("csv");
    let args = [
        "--json",
        "import",
        "--tlp",
        "green",
        "--column",
        "value=ipv4-addr:value",
        "--column",
        "comment=description",
        csv.to_str().expect("path"),
    ];
    let out = run(&node.dir, &args);
    assert_eq!(out.status.code(), Some(1), "a bad line is a rejection");
    let r: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(r["stored"], 2, "{r}");
    assert_eq!(r["rejected"], 1, "{r}");
    assert_eq!(r["rejections"][0]["line"], 3, "{r}");
    // Imported again: the very same versions.
    let r: Value = serde_json::from_slice(&run(&node.dir, &args).stdout).expect("report");
    assert_eq!(
        (r["stored"].clone(), r["duplicates"].clone()),
        (json!(0), json!(2)),
        "{r}"
    );
    let held = node.held();
    let ind = held
        .values()
        .find(|o| o["pattern"] == "[ipv4-addr:value = '198.51.100.7']")
        .expect("the indicator");
    assert_eq!(ind["description"], "bad host");
    assert_eq!(
        ind["object_marking_refs"],
        json!([concord_stix::tlp::Tlp::Green.marking_id()])
    );

    // A text list, detected by its name.
    let txt = root.path().join("iocs.txt");
    std::fs::write(
        &txt,
        "# comment\nevil.example\n\nhttp://evil.example/a\n???\n",
    )
    .expect("txt");
    let out = run(
        &node.dir,
        &["--json", "import", txt.to_str().expect("path")],
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(r["stored"], 2, "{r}");
    assert_eq!(r["rejections"][0]["line"], 5, "{r}");
}
