//! A `nats-server -js` of the test's own on a free 127.0.0.1 port, killed
//! when dropped: the crate's tests and the end-to-end tests
//! (`tests/nodes/match_nats.rs`) start it from here.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
