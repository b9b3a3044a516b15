//! The one harness of the node tests: running the `concord` binary as a
//! user does, a node with its own data directory serving on a 127.0.0.1
//! port (killed when dropped), peers, sync, signed imports, what a node
//! holds, HTTP requests to a served node, and where the test tools are.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any wait in these tests may take.
pub(crate) const BOUND: Duration = Duration::from_secs(60);

/// The `concord` binary under test: `CONCORD_BIN`, else the one cargo
/// built beside this test binary (`cargo test --workspace` builds it: the
/// node crate has an integration test of its own).
pub(crate) fn concord_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CONCORD_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/nodes-<hash> -> target/<profile>/concord
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the target directory");
    let bin = dir.join(format!("concord{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} does not exist: build it first (`cargo build -p concord-node`, or run `cargo test --workspace`), or set CONCORD_BIN",
        bin.display()
    );
    bin
}

/// A `concord` command on the data directory `dir`.
pub(crate) fn command(dir: &Path) -> Command {
    let mut c = Command::new(concord_bin());
    c.arg("--data-dir").arg(dir);
    c
}

/// Runs concord with no input.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, None)
}

/// Runs concord with `stdin` as its standard input (written from another
/// thread, so a large input never deadlocks against its output).
pub(crate) fn run_with(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_bytes(dir, args, stdin.map(str::as_bytes))
}

/// The same with any bytes as input.
pub(crate) fn run_bytes(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = command(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run concord");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.map(<[u8]>::to_vec).unwrap_or_default();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("concord output");
    let _ = writer.join();
    out
}

/// Runs one line of shell (bash) in `cwd`, as a README shows it: `concord`
/// is the binary under test, `env` is added to the environment (nothing
/// of the test's `CONCORD_DATA_DIR` leaks in) and `stdin` is its input.
pub(crate) fn shell(cwd: &Path, env: &[(&str, &str)], line: &str, stdin: Option<&str>) -> Output {
    let script = format!("concord() {{ \"$CONCORD_UNDER_TEST\" \"$@\"; }}\n{line}");
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(cwd)
        .env_remove("CONCORD_DATA_DIR")
        .env("CONCORD_UNDER_TEST", concord_bin())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bash (the README's commands are shell)");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.map(str::as_bytes).unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("bash output");
    let _ = writer.join();
    out
}

/// Runs concord; (exit code, stdout, stderr).
pub(crate) fn run_code(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let out = run_with(dir, args, stdin);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The stdout of a command that must have succeeded (else the test fails
/// with both outputs).
pub(crate) fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The JSON a command that must have succeeded printed.
pub(crate) fn json_out(out: &Output) -> Value {
    let text = success(out);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Runs a command that must fail, and checks the reason it gives.
pub(crate) fn refused(dir: &Path, args: &[&str], reason: &str) -> String {
    let out = run(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "concord {args:?} should have failed with {reason:?}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.to_lowercase().contains(&reason.to_lowercase()),
        "concord {args:?}: expected the reason {reason:?}, got: {stderr}"
    );
    stderr
}

/// Runs concord and fails the test, with its output, unless it succeeds.
pub(crate) fn checked(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let out = run_with(dir, args, stdin);
    assert!(
        out.status.success(),
        "concord {args:?}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn ok_with(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = checked(dir, args, stdin);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub(crate) fn ok(dir: &Path, args: &[&str]) -> String {
    ok_with(dir, args, None)
}

pub(crate) fn json_of(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(dir, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A TLP-less indicator with a custom property (marked on import).
pub(crate) fn indicator(name: &str, ip: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid()),
        "created": "2026-11-20T10:00:00.000Z", "modified": "2026-11-20T10:00:00.000Z",
        "name": name, "pattern": format!("[ipv4-addr:value = '{ip}']"),
        "pattern_type": "stix", "valid_from": "2026-11-20T10:00:00Z",
        "x_custom_kept": {"nested": [1, 2, 3]}
    })
}

/// A running `concord serve`, killed when dropped.
pub(crate) struct Served {
    pub child: Child,
    pub url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// `127.0.0.1:PORT`.
    pub(crate) fn addr(&self) -> String {
        self.base().trim_start_matches("http://").to_string()
    }

    /// `http://127.0.0.1:PORT`, without the TAXII path.
    pub(crate) fn base(&self) -> String {
        self.url.trim_end_matches("/taxii2/").to_string()
    }
}

/// Starts `concord serve` on a free 127.0.0.1 port and waits until it
/// answers.
pub(crate) fn serve(dir: &Path) -> Served {
    serve_with(dir, None)
}

/// The same, with its log (at `info`) written to `log` instead of the
/// test's output.
pub(crate) fn serve_with(dir: &Path, log: Option<&Path>) -> Served {
    let mut cmd = command(dir);
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    match log {
        Some(path) => {
            let f = std::fs::File::create(path).expect("log file");
            cmd.stderr(f).env("CONCORD_LOG", "info");
        }
        None => {
            cmd.stderr(Stdio::inherit());
        }
    }
    let mut child = cmd.spawn().expect("start concord serve");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("listening line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let served = Served { child, url };
    let addr = served.addr();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(start.elapsed() < BOUND, "the server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    served
}

/// One member's node: its data dir, node key, member id and server.
pub(crate) struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub key: String,
    pub member: String,
    pub served: Option<Served>,
}

impl Node {
    /// A node that syncs only when the test says so, pulling small pages.
    pub(crate) fn new(root: &Path, name: &str) -> Node {
        Node::with_config(root, name, "")
    }

    /// The same, with `extra` appended to its config.toml.
    pub(crate) fn with_config(root: &Path, name: &str, extra: &str) -> Node {
        let dir = root.join(name);
        ok(&dir, &["init", "--org", &format!("CERT-{name}")]);
        let cfg = dir.join("config.toml");
        let text = std::fs::read_to_string(&cfg).expect("config");
        assert!(text.contains("interval_secs = 60"), "{text}");
        // Checkpoints of the node's log every second (not every minute):
        // what a node authors is accepted by its peers once a checkpoint
        // covers it.
        let log = if extra.contains("[log]") {
            ""
        } else {
            "\n[log]\ncheckpoint_interval_s = 1\n"
        };
        let text = text
            .replace("interval_secs = 60", "interval_secs = 0")
            .replace("page = 2000", "page = 50")
            + "\n"
            + extra
            + log;
        std::fs::write(&cfg, text).expect("config");
        let k = json_of(&dir, &["key", "show"]);
        Node {
            name: name.to_string(),
            dir,
            key: k["public_key"].as_str().expect("key").to_string(),
            member: k["member"].as_str().expect("member").to_string(),
            served: None,
        }
    }

    pub(crate) fn serve(&mut self) {
        self.served = Some(serve(&self.dir));
    }

    /// Serves with the log at `info` kept in `serve.log` of its data dir.
    pub(crate) fn serve_logged(&mut self) {
        self.served = Some(serve_with(&self.dir, Some(&self.log_path())));
    }

    /// Where [`Node::serve_logged`] writes the server's log.
    pub(crate) fn log_path(&self) -> PathBuf {
        self.dir.join("serve.log")
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub(crate) fn url(&self) -> String {
        self.served.as_ref().expect("serving").url.clone()
    }

    /// Makes `other` a peer of this node (pulled from and served).
    pub(crate) fn peer(&self, other: &Node) {
        self.peer_with(other, &[]);
    }

    /// The same with more `peer add` flags (e.g. `--no-pull`).
    pub(crate) fn peer_with(&self, other: &Node, flags: &[&str]) {
        let url = other.url();
        let mut args = vec![
            "peer",
            "add",
            &other.name,
            "--url",
            &url,
            "--key",
            &other.key,
            "--member",
            &other.member,
        ];
        args.extend_from_slice(flags);
        ok(&self.dir, &args);
    }

    pub(crate) fn sync(&self) -> Value {
        let out = run(&self.dir, &["--json", "sync"]);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "sync on {}: {}\n{}",
                self.name,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Imports `objects` as authored here: marked `tlp`, for `audience`, signed.
    pub(crate) fn import(&self, objects: &[Value], tlp: &str, audience: &[&str]) {
        let file = self.dir.join(format!("in-{}.json", uuid()));
        let bundle =
            json!({"type": "bundle", "id": format!("bundle--{}", uuid()), "objects": objects});
        std::fs::write(&file, bundle.to_string()).expect("bundle");
        let mut args = vec!["import", "--tlp", tlp, file.to_str().expect("path")];
        let joined = audience.join(",");
        if !audience.is_empty() {
            args.extend(["--audience", &joined]);
        }
        ok(&self.dir, &args);
    }

    /// The latest version of every object the node holds, by id.
    pub(crate) fn held(&self) -> BTreeMap<String, Value> {
        let out = ok(&self.dir, &["export", "--include-revoked"]);
        let bundle: Value = serde_json::from_str(&out).expect("export is a bundle");
        bundle["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| (o["id"].as_str().unwrap_or("").to_string(), o.clone()))
            .collect()
    }

    pub(crate) fn quarantine(&self) -> Vec<Value> {
        serde_json::from_str(&ok(&self.dir, &["--json", "quarantine", "list"])).expect("json")
    }

    /// Syncs until `done` holds (servers read new peers every 2 s).
    pub(crate) fn sync_until(&self, what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        loop {
            let report = self.sync();
            if done() {
                return;
            }
            assert!(
                start.elapsed() < BOUND,
                "{}: {what} did not happen within {BOUND:?}; last round {report}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Nodes named `names` under `root`, each serving.
pub(crate) fn served(root: &Path, names: &[&str]) -> Vec<Node> {
    let mut nodes: Vec<Node> = names.iter().map(|n| Node::new(root, n)).collect();
    for n in nodes.iter_mut() {
        n.serve();
    }
    nodes
}

/// Syncs every node in turn until `done` holds.
pub(crate) fn sync_until(nodes: &[&Node], done: impl Fn() -> bool) {
    let start = Instant::now();
    loop {
        let reports: Vec<(String, Value)> =
            nodes.iter().map(|n| (n.name.clone(), n.sync())).collect();
        if done() {
            return;
        }
        let held: Vec<_> = nodes
            .iter()
            .map(|n| (n.name.clone(), n.held().len()))
            .collect();
        assert!(
            start.elapsed() < BOUND,
            "nodes did not converge within {BOUND:?}: held {held:?}, last rounds {reports:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A user with a password and an API token on the node at `dir`
/// (`flags`: e.g. `--admin`, `--read COLLECTION`); returns the token.
pub(crate) fn user_token(dir: &Path, user: &str, flags: &[&str]) -> String {
    let mut all = vec!["user", "add", user, "--password-stdin"];
    all.extend_from_slice(flags);
    ok_with(dir, &all, Some(PASSWORD));
    let t = json_of(dir, &["token", "add", user]);
    t["token"].as_str().expect("token").to_string()
}

/// The password the tests give their users.
pub(crate) const PASSWORD: &str = "correct horse battery staple\n";

/// An HTTP answer.
pub(crate) struct Answer {
    /// The status code.
    pub status: u16,
    /// The head (status line and headers), as received.
    pub head: String,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The body as JSON (`null` when it is not JSON).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value (case-insensitive name).
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// `127.0.0.1:PORT` from an address, a base URL or a full URL.
pub(crate) fn host_port(addr_or_url: &str) -> String {
    addr_or_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_string()
}

/// One HTTP/1.1 request on a fresh loopback connection, with a bounded
/// wait; `headers` are sent as given.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    use std::io::Read;
    let addr = host_port(addr);
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut extra = String::new();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        extra.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        extra.push_str(&format!("{k}: {v}\r\n"));
    }
    write!(
        s,
        "{method} {path} HTTP/1.1\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// A JSON request with an optional bearer token; (status, JSON body).
pub(crate) fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("Accept", "application/json"),
        ("Content-Type", "application/json"),
    ];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b.as_str()));
    }
    let a = request(addr, method, path, &headers, body);
    (a.status, a.json())
}

/// The `Authorization` value of HTTP Basic authentication.
pub(crate) fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The repository's root.
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The sample bundle of the repository (examples/).
pub(crate) fn sample() -> PathBuf {
    repo().join("examples/sample-bundle.json")
}

/// The Python with the test tools (CONCORD_PYTHON, set by
/// scripts/test.sh; else the repository's .venv), checked to import
/// `modules`. Fails, never skips, when it is missing.
pub(crate) fn python(modules: &[&str]) -> String {
    let p = match std::env::var("CONCORD_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => repo().join(".venv/bin/python").display().to_string(),
    };
    let import = format!("import {}", modules.join(", "));
    let ok = Command::new(&p)
        .args(["-c", &import])
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run {p} (set CONCORD_PYTHON; scripts/python-env.sh makes one): {e}")
        });
    assert!(
        ok.success(),
        "{p} cannot `{import}`: run scripts/python-env.sh (scripts/test.sh does)"
    );
    p
}

/// Runs the shared corpus generator with `python` into `out` (SDOs and
/// indicators only, no observed-data), with `args` added.
pub(crate) fn gen_corpus(python: &str, out: &Path, args: &[&str]) {
    let status = Command::new(python)
        .arg(shared_dir().join("corpus/gen_corpus.py"))
        .args(args)
        .args(["--no-observed", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .status()
        .expect("run gen_corpus.py");
    assert!(status.success(), "gen_corpus.py failed");
}

/// The shared directory beside the repository (the corpus generator).
pub(crate) fn shared_dir() -> PathBuf {
    std::env::var_os("CONCORD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}
