//! TAXII 2.1 against real third-party peers, run as a user runs concord:
//! `concord serve` on 127.0.0.1 driven by taxii2-client (every endpoint and
//! filter, errors, stix2-validator over what is served), and medallion
//! (memory backend) pulled from with `concord taxii pull`. The Python side
//! lives in interop/taxii/. Needs CONCORD_PYTHON (a venv with taxii2-client,
//! medallion, stix2-validator) and CONCORD_SHARED (the corpus generator):
//! without them these tests fail, they do not skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::{checked as concord, concord_bin, gen_corpus, repo, serve};
use serde_json::{Value, json};

fn python() -> String {
    crate::harness::python(&["taxii2client", "medallion", "stix2validator"])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn corpus(python: &str, out: &Path, indicators: u32) -> PathBuf {
    gen_corpus(python, out, &["--indicators", &indicators.to_string()]);
    out.join("bundle.json")
}

#[expect(
    clippy::print_stdout,
    reason = "the Python side's output, captured with the test's and shown when it fails"
)]
fn run_python(python: &str, script: &str, setup: &Value, dir: &Path) {
    let setup_path = dir.join(format!("{script}.setup.json"));
    std::fs::write(&setup_path, setup.to_string()).expect("write setup");
    let out = Command::new(python)
        .arg(repo().join("interop/taxii").join(script))
        .arg(&setup_path)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .expect("run the Python side");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A node with users, collections and the corpus; returns (node dir,
/// setup for the Python side without the URL).
fn node_with_corpus(python: &str, work: &Path) -> (PathBuf, Value) {
    let dir = work.join("node");
    concord(&dir, &["init", "--org", "CERT-Interop"], None);
    // Small pages and bodies, so that paging and 413 are exercised on a
    // small corpus; no rate limit inside the test (it has its own test).
    let cfg = dir.join("config.toml");
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text = text.replace("[server]", "[server]\ntitle = \"concord interop\"\nmax_page = 100\ndefault_page = 50\nmax_body_bytes = 2000000\nrate_per_second = 0.0\nbackground_post_over = 50\n");
    let mut lines: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Keep the first occurrence of each key (ours, just inserted).
    for l in text.lines() {
        let key = l.split('=').next().unwrap_or("").trim().to_string();
        if l.contains('=') && !seen.insert(key) {
            continue;
        }
        lines.push(l);
    }
    std::fs::write(&cfg, lines.join("\n") + "\n").expect("config");

    let shared = stdout(&concord(&dir, &["collection", "add", "Shared intel"], None));
    let public = stdout(&concord(
        &dir,
        &["collection", "add", "Public feed", "--public"],
        None,
    ));
    let secret = stdout(&concord(&dir, &["collection", "add", "Secret"], None));
    concord(
        &dir,
        &[
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--read",
            &shared,
            "--write",
            "Shared intel",
        ],
        Some("alice-password-1\n"),
    );
    concord(
        &dir,
        &["user", "add", "bob", "--password-stdin", "--read", &shared],
        Some("bob-password-1\n"),
    );
    concord(
        &dir,
        &["user", "add", "root", "--password-stdin", "--admin"],
        Some("root-password-1\n"),
    );
    let token = stdout(&concord(&dir, &["token", "add", "alice"], None));

    let bundle = corpus(python, &work.join("corpus"), 400);
    let imported: Value = serde_json::from_str(&stdout(&concord(
        &dir,
        &[
            "--json",
            "import",
            "--collection",
            &shared,
            bundle.to_str().expect("path"),
        ],
        None,
    )))
    .expect("import report");
    let shared_count = imported["stored"].as_u64().expect("stored");
    assert!(shared_count > 400, "{imported}");
    let sample = repo().join("examples/sample-bundle.json");
    concord(
        &dir,
        &[
            "import",
            "--collection",
            &public,
            sample.to_str().expect("path"),
        ],
        None,
    );
    let setup = json!({
        "shared": shared, "public": public, "secret": secret,
        "alice": ["alice", "alice-password-1"], "bob": ["bob", "bob-password-1"], "admin": ["root", "root-password-1"],
        "token": token,
        "shared_count": shared_count,
        "public_sample": sample,
        "max_page": 100, "max_body_bytes": 2_000_000, "background_post_over": 50,
        "bundle": bundle, "concord": concord_bin(), "data_dir": dir,
    });
    (dir, setup)
}

#[test]
fn taxii2_client_exercises_every_endpoint_and_filter() {
    let python = python();
    let work = tempfile::tempdir().expect("tempdir");
    let (dir, mut setup) = node_with_corpus(&python, work.path());
    let server = serve(&dir);
    setup["discovery"] = server.url.clone().into();
    run_python(&python, "concord_client.py", &setup, work.path());
}

#[test]
fn concord_pulls_exactly_what_medallion_holds() {
    let python = python();
    let work = tempfile::tempdir().expect("tempdir");
    let (dir, mut setup) = node_with_corpus(&python, work.path());
    let server = serve(&dir);
    setup["concord_url"] = server.url.clone().into();
    run_python(&python, "medallion_pull.py", &setup, work.path());
}
