//! PostgreSQL restarted under load: a node on its own throw-away server
//! (so the shared test server is never disturbed) takes POSTs while the
//! server restarts; ingest and serving resume by themselves and every
//! acknowledged object is there, once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Outcome, ids, indicators, local_collection, post, try_request};
use crate::harness::{BOUND, command, ok, serve, user_token};

/// Debian's PostgreSQL binaries (scripts/postgres-env.sh installs them).
fn bin_dir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: scripts/postgres-env.sh installs it")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("no PostgreSQL bin directory with pg_ctl")
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (the
/// server refuses to run as root).
fn as_postgres(bin: &Path, tool: &str, args: &str) {
    let cmd = format!("{} {args}", bin.join(tool).display());
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n");
    let out = if root.unwrap_or(false) {
        Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", &cmd])
            .output()
    } else {
        Command::new("sh").args(["-c", &cmd]).output()
    }
    .expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{cmd}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A server of our own on a free port, stopped when dropped.
struct Server {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Server {
    fn start(under: &Path) -> Server {
        let bin = bin_dir();
        let dir = under.join("pg");
        std::fs::create_dir_all(&dir).expect("pg dir");
        let _ = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(under)
            .status();
        as_postgres(
            &bin,
            "initdb",
            &format!(
                "-D {} -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N",
                dir.display()
            ),
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let s = Server { bin, dir, port };
        s.ctl("start");
        s
    }

    fn ctl(&self, what: &str) {
        as_postgres(
            &self.bin,
            "pg_ctl",
            &format!(
                "-D {} -w -t 60 -m fast -l {}/server.log -o \"-p {} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off\" {what}",
                self.dir.display(),
                self.dir.display(),
                self.port
            ),
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        as_postgres(
            &self.bin,
            "pg_ctl",
            &format!("-D {} -m immediate stop", self.dir.display()),
        );
    }
}

#[test]
fn postgres_restarts_under_load_and_the_node_resumes() {
    let root = tempfile::tempdir().expect("tmp");
    let pg = Server::start(root.path());
    let dir = root.path().join("node");
    let out = command(&dir)
        .args(["init", "--org", "CERT-PG", "--storage", &pg.url()])
        .env_remove("CONCORD_STORAGE")
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = user_token(&dir, "loader", &["--admin"]);
    let collection = local_collection(&dir);
    let s = serve(&dir);
    let addr = s.addr();
    let acked = Arc::new(Mutex::new(BTreeSet::<String>::new()));
    let after_restart = Arc::new(Mutex::new(0usize));
    let restarted = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (acked, after, restarted, stop, addr, token, collection) = (
            acked.clone(),
            after_restart.clone(),
            restarted.clone(),
            stop.clone(),
            addr.clone(),
            token.clone(),
            collection.clone(),
        );
        std::thread::spawn(move || {
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let stored = post(
                    &addr,
                    &token,
                    &collection,
                    &indicators(&format!("pg {round}"), 10),
                );
                if restarted.load(Ordering::Relaxed) {
                    *after.lock().expect("after") += stored.len();
                }
                acked.lock().expect("acked").extend(stored);
                std::thread::sleep(Duration::from_millis(30));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    pg.ctl("restart");
    restarted.store(true, Ordering::Relaxed);
    // Ingest resumes by itself: POSTs are acknowledged again.
    let start = Instant::now();
    while *after_restart.lock().expect("after") < 50 {
        assert!(
            start.elapsed() < BOUND,
            "ingest did not resume after the restart"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    client.join().expect("client");
    // Serving resumes too, and the node says it is ready.
    let (status, _) = try_request(&addr, "GET", "/readyz", &[], "").expect("readyz");
    assert_eq!(status, 200);
    drop(s);
    let held = ids(&dir);
    let acked = acked.lock().expect("acked").clone();
    let stats = ok(&dir, &["--json", "stats"]);
    let stats: serde_json::Value = serde_json::from_str(&stats).expect("stats");
    let (objects, versions) = (
        stats["objects"].as_u64().expect("objects"),
        stats["versions"].as_u64().expect("versions"),
    );
    Outcome {
        case: "postgres-restart-under-post",
        runs: 1,
        lost: acked.difference(&held).count(),
        duplicated: (versions - objects) as usize,
    }
    .report();
}
