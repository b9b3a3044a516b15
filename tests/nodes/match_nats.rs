//! `concord match --nats`: workers of the real binary sharing one durable
//! pull consumer of a real `nats-server -js`, one of them killed with
//! SIGKILL mid-stream. Every hit `concord match` finds on one box is
//! published at least once, no other hit is, and every duplicate comes
//! from a redelivery (at-least-once, duplicates counted). And a worker's
//! hits recorded as sightings.

use std::collections::{BTreeMap, BTreeSet};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use serde_json::Value;

use crate::harness::{BOUND, Node, checked, command, gen_corpus, ok};

// The NATS server launcher of concord-jetstream's own tests: one copy.
#[path = "../../crates/jetstream/tests/jetstream/nats_server.rs"]
mod nats_server;
use nats_server::nats;

/// Sends `signal` (`-STOP`, `-TERM`) to a process.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {}", child.id());
}

/// Waits (bounded) for a process to end; its exit code.
fn exit_code(child: &mut Child) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            started.elapsed() < BOUND,
            "a worker did not stop within {BOUND:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The corpus generator's bundle and events (deterministic).
fn corpus(out: &Path) -> (PathBuf, PathBuf) {
    gen_corpus(
        "python3",
        out,
        &[
            "--indicators",
            "400",
            "--events",
            "6000",
            "--hit-rate",
            "0.05",
            "--seed",
            "20",
        ],
    );
    (out.join("bundle.json"), out.join("events.jsonl"))
}

async fn consumer_state(js: &jetstream::Context) -> Option<(u64, usize)> {
    consumer_state_of(js, "workers").await
}

/// (messages pending, messages delivered and not acked) of a consumer of EVENTS.
async fn consumer_state_of(js: &jetstream::Context, durable: &str) -> Option<(u64, usize)> {
    let mut c: consumer::PullConsumer = js
        .get_stream("EVENTS")
        .await
        .ok()?
        .get_consumer(durable)
        .await
        .ok()?;
    let info = c.info().await.ok()?;
    Some((info.num_pending, info.num_ack_pending))
}

#[test]
fn workers_on_one_consumer_lose_no_hit_when_one_is_killed() {
    let server = nats();
    let root = tempfile::tempdir().unwrap();
    let node = Node::new(root.path(), "a");
    let (bundle, events) = corpus(&root.path().join("corpus"));
    ok(&node.dir, &["import", bundle.to_str().unwrap()]);

    // The true hits: what `concord match` finds on one box (line N is the
    // Nth message, stream sequence N), all of them in the corpus's truth.
    let local = checked(
        &node.dir,
        &["--json", "match", events.to_str().unwrap()],
        None,
    );
    let want: BTreeSet<(u64, String)> = String::from_utf8_lossy(&local.stdout)
        .lines()
        .map(|l| {
            let h: Value = serde_json::from_str(l).unwrap();
            (
                h["line"].as_u64().unwrap(),
                h["indicator"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let truth: BTreeSet<(u64, String)> =
        std::fs::read_to_string(root.path().join("corpus/events.truth.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let t: Value = serde_json::from_str(l).unwrap();
                (
                    t["event"].as_u64().unwrap() + 1,
                    t["indicator"].as_str().unwrap().to_string(),
                )
            })
            .collect();
    assert!(
        want.len() > 100,
        "too few hits to mean anything: {}",
        want.len()
    );
    assert!(
        want.is_subset(&truth),
        "concord match found hits the corpus does not have"
    );
    let lines: Vec<String> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let js = rt.block_on(async {
        let client = async_nats::connect(server.url.as_str()).await.unwrap();
        let js = jetstream::new(client);
        for (name, subject) in [("EVENTS", "events.>"), ("HITS", "hits")] {
            js.create_stream(stream::Config {
                name: name.into(),
                subjects: vec![subject.into()],
                ..Default::default()
            })
            .await
            .unwrap();
        }
        js
    });

    let worker = |i: usize| -> Child {
        let log = std::fs::File::create(root.path().join(format!("worker{i}.log"))).unwrap();
        command(&node.dir)
            .args(["--json", "match", "--nats", &server.url])
            .args([
                "--stream",
                "EVENTS",
                "--subject",
                "events.>",
                "--durable",
                "workers",
            ])
            .args(["--hits-subject", "hits", "--ack-wait", "2", "--batch", "20"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a worker")
    };
    let mut workers: Vec<Child> = (0..3).map(worker).collect();
    let started = Instant::now();
    while rt.block_on(consumer_state(&js)).is_none() {
        assert!(
            started.elapsed() < BOUND,
            "the workers never made the consumer"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));

    // Events arrive in chunks; the first worker is frozen (the messages
    // its pull requests take stay unacked) and then killed mid-stream.
    let chunks: Vec<&[String]> = lines.chunks(250).collect();
    for (n, chunk) in chunks.iter().enumerate() {
        rt.block_on(async {
            let mut acks = Vec::new();
            for line in *chunk {
                let subject = if line.contains(r#""kind": "dns""#) {
                    "events.dns"
                } else {
                    "events.other"
                };
                acks.push(js.publish(subject, line.clone().into()).await.unwrap());
            }
            for a in acks {
                a.await.unwrap();
            }
        });
        if n == 8 {
            signal(&workers[0], "-STOP");
        }
        if n == 10 {
            workers[0].kill().unwrap();
            let _ = workers[0].wait();
        }
        std::thread::sleep(Duration::from_millis(30));
    }

    // Done when the consumer has handed out and had acked every message
    // (the killed worker's come back after the 2 s ack wait).
    let started = Instant::now();
    loop {
        if rt.block_on(consumer_state(&js)) == Some((0, 0)) {
            break;
        }
        assert!(
            started.elapsed() < BOUND,
            "messages still pending or unacked: {:?}",
            rt.block_on(consumer_state(&js))
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut redelivered = 0;
    let mut matched = 0;
    for (i, w) in workers.iter_mut().enumerate().skip(1) {
        signal(w, "-TERM");
        let code = exit_code(w);
        let log = std::fs::read_to_string(root.path().join(format!("worker{i}.log"))).unwrap();
        assert_eq!(code, Some(0), "worker {i}: {log}");
        let summary: Value = serde_json::from_str(log.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("worker {i}'s summary: {e}: {log}"));
        assert_eq!(summary["malformed"], 0, "{summary}");
        assert_eq!(summary["errors"], 0, "{summary}");
        redelivered += summary["redelivered"].as_u64().unwrap();
        matched += summary["events"].as_u64().unwrap();
    }

    let hits: Vec<Value> = rt.block_on(async {
        let stream = js.get_stream("HITS").await.unwrap();
        let n = stream.get_info().await.unwrap().state.messages;
        let mut out = Vec::new();
        for seq in 1..=n {
            let m = stream.get_raw_message(seq).await.unwrap();
            out.push(serde_json::from_slice(&m.payload).unwrap());
        }
        out
    });
    let mut copies: BTreeMap<(u64, String), Vec<i64>> = BTreeMap::new();
    for h in &hits {
        let key = (
            h["seq"].as_u64().unwrap(),
            h["indicator"].as_str().unwrap().to_string(),
        );
        copies
            .entry(key)
            .or_default()
            .push(h["delivered"].as_i64().unwrap());
    }
    let got: BTreeSet<(u64, String)> = copies.keys().cloned().collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let false_hits: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty(), "true hits never published: {missing:?}");
    assert!(
        false_hits.is_empty(),
        "hits that are no true hits: {false_hits:?}"
    );
    let duplicates = hits.len() - got.len();
    for (key, delivered) in &copies {
        if delivered.len() > 1 {
            assert!(
                delivered.iter().any(|d| *d > 1),
                "{key:?} published {} times without a redelivery",
                delivered.len()
            );
        }
    }
    assert!(
        redelivered > 0,
        "the killed worker held no message: the test did not test redelivery"
    );
    assert!(
        matched < lines.len() as u64,
        "the survivors read all {matched} events: the killed worker acked none"
    );
    eprintln!(
        "{} events, {} true hits, {} published: {duplicates} duplicates; {redelivered} messages redelivered",
        lines.len(),
        want.len(),
        hits.len()
    );
}

#[test]
fn a_worker_records_its_hits_as_sightings() {
    let server = nats();
    let root = tempfile::tempdir().unwrap();
    let node = Node::new(root.path(), "a");
    let sample = crate::harness::sample();
    ok(&node.dir, &["import", sample.to_str().unwrap()]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let js = rt.block_on(async {
        let js = jetstream::new(async_nats::connect(server.url.as_str()).await.unwrap());
        js.create_stream(stream::Config {
            name: "EVENTS".into(),
            subjects: vec!["events.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
        // Two hits on the sample's C2 address, one miss, one that is no event.
        for body in [
            r#"{"ts":1764061200.25,"id.orig_h":"10.0.0.5","id.resp_h":"203.0.113.66"}"#,
            r#"{"ts":1764064800.0,"id.orig_h":"10.0.0.7","id.resp_h":"203.0.113.66"}"#,
            r#"{"ts":1764064801.0,"id.orig_h":"10.0.0.7","id.resp_h":"192.0.2.10"}"#,
            "not an event",
        ] {
            js.publish("events.conn", body.into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
        js
    });
    let log = root.path().join("worker.log");
    let mut worker = command(&node.dir)
        .args([
            "--json",
            "match",
            "--nats",
            &server.url,
            "--stream",
            "EVENTS",
        ])
        .args([
            "--subject",
            "events.>",
            "--durable",
            "w",
            "--hits-subject",
            "hits",
        ])
        .args(["--sighting", "--sighting-every", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start a worker");
    let started = Instant::now();
    while rt.block_on(consumer_state_of(&js, "w")) != Some((0, 0)) {
        assert!(
            started.elapsed() < BOUND,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    signal(&worker, "-TERM");
    let code = exit_code(&mut worker);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(code, Some(1), "a malformed message fails the run: {text}");
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["events"], 3, "{summary}");
    assert_eq!(summary["hits"], 2, "{summary}");
    assert_eq!(summary["malformed"], 1, "{summary}");
    assert_eq!(
        summary["sightings"].as_array().unwrap().len(),
        1,
        "{summary}"
    );

    let bundle: Value =
        serde_json::from_str(&ok(&node.dir, &["export", "--type", "sighting"])).unwrap();
    crate::sighting::the_two_c2_hits(&bundle, &node.member);
}
