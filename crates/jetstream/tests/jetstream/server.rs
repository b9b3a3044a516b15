//! A `nats-server -js` of the test's own, and a store with indicators.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use concord_stix::StixObject;
use concord_store::{AnyStore, NewCollection, PreparedObject, SqliteStore, Store};
use serde_json::{Value, json};

/// A running NATS server with JetStream, killed when dropped.
pub(crate) struct Nats {
    child: Child,
    pub(crate) url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's nats-server: `CONCORD_NATS_SERVER`, else on PATH or in /usr/sbin.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CONCORD_NATS_SERVER") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("nats-server"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin/nats-server")])
        .find(|p| p.is_file())
        .expect(
            "nats-server is missing: these tests need a real NATS server with JetStream \
             (apt-get install nats-server, or scripts/tools-env.sh; or set CONCORD_NATS_SERVER)",
        )
}

/// Starts `nats-server -js` on a free 127.0.0.1 port with a fresh store
/// directory and waits until it takes connections.
pub(crate) fn nats() -> Nats {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(binary())
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nats-server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "nats-server did not listen on 127.0.0.1:{port} within 15 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Nats {
        child,
        url: format!("nats://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// An indicator of `pattern` (valid since 2020, TLP-less).
pub(crate) fn indicator(uuid_tail: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{uuid_tail}"),
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "name": format!("test {uuid_tail}"),
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z",
    })
}

/// A fresh embedded store holding `indicators`.
pub(crate) async fn store(indicators: &[Value]) -> (tempfile::TempDir, AnyStore) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).expect("open the store"));
    s.create_collection(NewCollection {
        id: Some("c".into()),
        title: "c".into(),
        description: String::new(),
        public: false,
    })
    .await
    .expect("collection");
    put(&s, indicators).await;
    (dir, s)
}

/// Stores more indicators.
pub(crate) async fn put(s: &AnyStore, indicators: &[Value]) {
    let batch = indicators
        .iter()
        .map(|v| {
            let map = v.as_object().expect("an object").clone();
            PreparedObject::new(&StixObject::from_map(map), v.to_string())
        })
        .collect::<Vec<_>>();
    if !batch.is_empty() {
        s.put_batch("c", batch).await.expect("put");
    }
}
