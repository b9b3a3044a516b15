//! A TCP proxy between a reader and an author that, connection after
//! connection, passes, resets, truncates the answer, or stalls: the
//! reader's syncs converge to exactly the author's share for it.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Outcome, counts, indicators, names};
use crate::harness::{Node, ok};

/// What the proxy does to one connection.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Pass,
    /// Reads the start of the request, then closes (an RST).
    Reset,
    /// Forwards the first part of the answer, then closes.
    Truncate,
    /// Holds the request for a while, then passes it.
    Stall,
}

const PLAN: [Fault; 7] = [
    Fault::Reset,
    Fault::Pass,
    Fault::Truncate,
    Fault::Stall,
    Fault::Truncate,
    Fault::Reset,
    Fault::Pass,
];

fn pipe(mut from: TcpStream, mut to: TcpStream, limit: Option<usize>) {
    let mut buf = [0u8; 8192];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let n = match limit {
            Some(l) if sent + n > l => {
                let _ = to.write_all(&buf[..l.saturating_sub(sent)]);
                break;
            }
            _ => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        sent += n;
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Starts the proxy on a free port; returns its address and the count of
/// faulty connections.
fn start(target: Arc<Mutex<String>>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let faults = Arc::new(AtomicUsize::new(0));
    let counted = faults.clone();
    std::thread::spawn(move || {
        for (i, conn) in listener.incoming().enumerate() {
            let Ok(client) = conn else { continue };
            let fault = PLAN[i % PLAN.len()];
            if !matches!(fault, Fault::Pass) {
                counted.fetch_add(1, Ordering::Relaxed);
            }
            let target = target.lock().expect("target").clone();
            std::thread::spawn(move || {
                let Ok(server) = TcpStream::connect(&target) else {
                    return;
                };
                match fault {
                    Fault::Reset => {
                        let mut c = client;
                        // Leaving most of the request unread makes the
                        // close an RST on Linux.
                        let mut buf = [0u8; 16];
                        let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                        let _ = c.read(&mut buf);
                        drop(c);
                    }
                    Fault::Stall => {
                        std::thread::sleep(Duration::from_millis(1500));
                        relay(client, server, None);
                    }
                    Fault::Truncate => relay(client, server, Some(700)),
                    Fault::Pass => relay(client, server, None),
                }
            });
        }
    });
    (addr, faults)
}

fn relay(client: TcpStream, server: TcpStream, answer_limit: Option<usize>) {
    let (c2, s2) = match (client.try_clone(), server.try_clone()) {
        (Ok(c), Ok(s)) => (c, s),
        _ => return,
    };
    let up = std::thread::spawn(move || pipe(client, server, None));
    pipe(s2, c2, answer_limit);
    let _ = up.join();
}

#[test]
fn sync_through_a_faulty_proxy_converges_to_the_authors_share() {
    let root = tempfile::tempdir().expect("tmp");
    let target = Arc::new(Mutex::new(String::new()));
    let (proxy, faults) = start(target.clone());
    // The author accepts requests signed for the proxy's address: that is
    // how the reader reaches it.
    let mut a = Node::with_config(root.path(), "author", "");
    let cfg = a.dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg).expect("config").replacen(
        "[server]\n",
        &format!("[server]\npublic_urls = [\"http://{proxy}/\"]\n"),
        1,
    );
    std::fs::write(&cfg, text).expect("config");
    let b = Node::new(root.path(), "reader");
    let c = Node::new(root.path(), "other");
    for (peer, name) in [(&b, "reader"), (&c, "other")] {
        ok(
            &a.dir,
            &[
                "peer",
                "add",
                name,
                "--url",
                "http://127.0.0.1:9/taxii2/",
                "--key",
                &peer.key,
                "--member",
                &peer.member,
                "--no-pull",
            ],
        );
    }
    a.import(&indicators("for everyone", 300), "green", &[]);
    a.import(&indicators("for the reader", 40), "amber", &[&b.member]);
    a.import(&indicators("for another", 40), "amber", &[&c.member]);
    a.serve();
    *target.lock().expect("target") = a.served.as_ref().expect("serving").addr();
    ok(
        &b.dir,
        &[
            "peer",
            "add",
            "author",
            "--url",
            &format!("http://{proxy}/taxii2/"),
            "--key",
            &a.key,
            "--member",
            &a.member,
        ],
    );
    let want: std::collections::BTreeSet<String> = names(&a.dir)
        .into_iter()
        .filter(|n| !n.starts_with("for another"))
        .collect();
    let rounds = std::cell::Cell::new(0);
    b.sync_until("the reader holds exactly its share", || {
        rounds.set(rounds.get() + 1);
        names(&b.dir) == want
    });
    let rounds = rounds.get();
    let got = names(&b.dir);
    let (objects, versions) = counts(&b.dir);
    assert!(
        faults.load(Ordering::Relaxed) >= 3,
        "the proxy hurt too few connections"
    );
    Outcome {
        case: "tcp-proxy-reset-truncate-stall",
        runs: rounds,
        lost: want.difference(&got).count(),
        duplicated: got.difference(&want).count() + (versions - objects) as usize,
    }
    .report();
}
