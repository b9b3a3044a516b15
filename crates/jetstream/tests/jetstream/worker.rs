//! Workers on a real JetStream consumer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use concord_jetstream::{IndexWatch, Settings, Sightings, Totals, Worker};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::server::{indicator, nats, put, store};

const IP: &str = "203.0.113.66";
const DOMAIN: &str = "evil.example";

/// The stream of events and, when `hits_stored`, a stream of the hits.
async fn streams(url: &str, hits_stored: bool) -> (async_nats::Client, jetstream::Context) {
    let client = async_nats::connect(url).await.expect("connect");
    let js = jetstream::new(client.clone());
    js.create_stream(stream::Config {
        name: "EVENTS".into(),
        subjects: vec!["events.>".into()],
        ..Default::default()
    })
    .await
    .expect("the events stream");
    if hits_stored {
        js.create_stream(stream::Config {
            name: "HITS".into(),
            subjects: vec!["hits".into()],
            ..Default::default()
        })
        .await
        .expect("the hits stream");
    }
    (client, js)
}

/// Publishes one event and returns its stream sequence.
async fn publish(js: &jetstream::Context, subject: &str, body: &str) -> u64 {
    js.publish(subject.to_string(), body.to_string().into())
        .await
        .expect("publish")
        .await
        .expect("stored")
        .sequence
}

/// The hits stored in the HITS stream (all of them, waiting up to 10 s
/// for `want`).
async fn stored_hits(js: &jetstream::Context, want: usize) -> Vec<Value> {
    let stream = js.get_stream("HITS").await.expect("HITS");
    let started = Instant::now();
    loop {
        let n = stream.get_info().await.expect("info").state.messages as usize;
        if n >= want || started.elapsed() > Duration::from_secs(10) {
            let mut out = Vec::new();
            for seq in 1..=n as u64 {
                let m = stream.get_raw_message(seq).await.expect("a stored hit");
                out.push(serde_json::from_slice(&m.payload).expect("a hit is JSON"));
            }
            return out;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A worker running in a task, stopped by [`Running::stop`].
struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Totals>,
    counters: Arc<concord_jetstream::Counters>,
    sightings: Sightings,
    watch: Arc<IndexWatch>,
}

impl Running {
    /// Waits (at most 15 s) until the counts satisfy `done`.
    async fn until(&self, what: &str, done: impl Fn(&Totals) -> bool) {
        let started = Instant::now();
        while !done(&self.counters.totals()) {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{what}: counts {:?}",
                self.counters.totals()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) -> Totals {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the worker stops within 10 s")
            .expect("the worker task")
    }
}

async fn start(settings: Settings, watch: Arc<IndexWatch>) -> Running {
    let worker = Worker::connect(settings).await.expect("the worker binds");
    let counters = worker.counters();
    let sightings = worker.sightings();
    let (stop, stopped) = oneshot::channel::<()>();
    let w = Arc::clone(&watch);
    let task = tokio::spawn(async move {
        worker
            .run(&w, async {
                let _ = stopped.await;
            })
            .await
            .expect("the worker runs")
    });
    Running {
        stop,
        task,
        counters,
        sightings,
        watch,
    }
}

fn settings(url: &str, durable: &str) -> Settings {
    let mut s = Settings::new(url, "EVENTS", "events.>", durable, "hits");
    s.ack_wait = Duration::from_secs(2);
    s
}

async fn consumer_state(js: &jetstream::Context, durable: &str) -> (u64, usize) {
    let mut c: consumer::PullConsumer = js
        .get_stream("EVENTS")
        .await
        .expect("EVENTS")
        .get_consumer(durable)
        .await
        .expect("the durable consumer");
    let info = c.info().await.expect("consumer info");
    (info.num_pending, info.num_ack_pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_go_out_with_seq_and_indicator_before_the_ack() {
    let server = nats();
    let (_dir, store) = store(&[
        indicator("000000000001", &format!("[ipv4-addr:value = '{IP}']")),
        indicator("000000000002", &format!("[domain-name:value = '{DOMAIN}']")),
    ])
    .await;
    let (_client, js) = streams(&server.url, true).await;
    let hit_ip = publish(
        &js,
        "events.conn",
        &format!(r#"{{"ts":1764061200.25,"id.orig_h":"10.0.0.5","id.resp_h":"{IP}"}}"#),
    )
    .await;
    let hit_domain = publish(&js, "events.dns", &format!(r#"{{"query":"{DOMAIN}"}}"#)).await;
    publish(&js, "events.dns", r#"{"query":"benign.example.org"}"#).await;
    publish(&js, "events.conn", "this is not a JSON object {").await;
    publish(&js, "events.conn", r#"["an", "array"]"#).await;

    let (watch, unindexed) =
        IndexWatch::start(store, Duration::from_secs(60), Duration::from_secs(3600))
            .await
            .unwrap();
    assert!(unindexed.is_empty(), "{unindexed:?}");
    let mut s = settings(&server.url, "workers");
    s.sightings = true;
    let worker = Worker::connect(s.clone()).await.unwrap();
    assert!(
        worker.hits_stored(),
        "the HITS stream stores the hits subject"
    );
    drop(worker);
    let run = start(s, Arc::new(watch)).await;
    let sightings = run.sightings.clone();
    run.until("3 events and 2 malformed messages", |t| {
        t.events == 3 && t.malformed == 2
    })
    .await;
    let totals = run.stop().await;
    assert_eq!(totals.hits, 2, "{totals:?}");
    assert_eq!(totals.errors, 0, "{totals:?}");

    let mut hits = stored_hits(&js, 2).await;
    hits.sort_by_key(|h| h["seq"].as_u64());
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(hits[0]["seq"], hit_ip);
    assert_eq!(
        hits[0]["indicator"],
        "indicator--00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(hits[0]["observable"], IP);
    assert_eq!(hits[0]["subject"], "events.conn");
    assert_eq!(hits[0]["name"], "test 000000000001");
    assert_eq!(hits[1]["seq"], hit_domain);
    assert_eq!(
        hits[1]["indicator"],
        "indicator--00000000-0000-4000-8000-000000000002"
    );
    // Everything acked or terminated: nothing pending, nothing awaiting an ack.
    assert_eq!(consumer_state(&js, "workers").await, (0, 0));
    // Nor redelivered after the ack wait (the malformed ones were terminated).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(consumer_state(&js, "workers").await, (0, 0));

    // The tally for sightings: one per indicator, timed by the event.
    let seen = sightings.take();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let ip = &seen["indicator--00000000-0000-4000-8000-000000000001"];
    assert_eq!((ip.count, ip.first_us), (1, 1_764_061_200_250_000));
    assert!(sightings.take().is_empty(), "take empties the tally");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_hits_reach_a_subscriber_when_no_stream_stores_them() {
    let server = nats();
    let (_dir, store) = store(&[indicator(
        "000000000001",
        &format!("[ipv4-addr:value = '{IP}']"),
    )])
    .await;
    let (client, js) = streams(&server.url, false).await;
    let mut sub = client.subscribe("hits").await.unwrap();
    client.flush().await.unwrap();
    let seq = publish(&js, "events.flow", &format!(r#"{{"src_ip":"{IP}"}}"#)).await;
    let (watch, _) = IndexWatch::start(store, Duration::from_secs(60), Duration::from_secs(3600))
        .await
        .unwrap();
    let run = start(settings(&server.url, "core"), Arc::new(watch)).await;
    let got = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("a hit within 10 s")
        .expect("the subscription");
    let hit: Value = serde_json::from_slice(&got.payload).unwrap();
    assert_eq!(hit["seq"], seq);
    assert_eq!(hit["observable"], IP);
    let totals = run.stop().await;
    assert_eq!((totals.events, totals.hits), (1, 1));
    assert_eq!(consumer_state(&js, "core").await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_vanished_worker_held_comes_back_to_another() {
    let server = nats();
    let (_dir, store) = store(&[indicator(
        "000000000001",
        &format!("[ipv4-addr:value = '{IP}']"),
    )])
    .await;
    let (_client, js) = streams(&server.url, true).await;
    let seq = publish(&js, "events.flow", &format!(r#"{{"dst_ip":"{IP}"}}"#)).await;
    // A first worker binds, takes the message and dies without an ack.
    let s = settings(&server.url, "shared");
    drop(Worker::connect(s.clone()).await.unwrap());
    let c: consumer::PullConsumer = js
        .get_stream("EVENTS")
        .await
        .unwrap()
        .get_consumer("shared")
        .await
        .unwrap();
    let mut taken = c.fetch().max_messages(10).messages().await.unwrap();
    let held = taken.next().await.expect("one message").unwrap();
    assert_eq!(held.info().unwrap().stream_sequence, seq);
    drop(taken);
    drop(held);

    let (watch, _) = IndexWatch::start(store, Duration::from_secs(60), Duration::from_secs(3600))
        .await
        .unwrap();
    let run = start(s, Arc::new(watch)).await;
    run.until("the message, redelivered after the 2 s ack wait", |t| {
        t.events == 1
    })
    .await;
    let totals = run.stop().await;
    assert_eq!(totals.redelivered, 1, "{totals:?}");
    let hits = stored_hits(&js, 1).await;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["seq"], seq);
    assert_eq!(hits[0]["delivered"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_indicator_in_the_store_is_matched_without_a_restart() {
    let server = nats();
    let (_dir, store) = store(&[indicator(
        "000000000001",
        &format!("[ipv4-addr:value = '{IP}']"),
    )])
    .await;
    let (_client, js) = streams(&server.url, true).await;
    let (watch, _) = IndexWatch::start(
        store.clone(),
        Duration::from_millis(200),
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let watch = Arc::new(watch);
    let run = start(settings(&server.url, "reload"), Arc::clone(&watch)).await;
    let event = format!(r#"{{"query":"{DOMAIN}"}}"#);
    publish(&js, "events.dns", &event).await;
    run.until("the first event", |t| t.events == 1).await;
    assert_eq!(
        run.counters.totals().hits,
        0,
        "no indicator of the domain yet"
    );

    put(
        &store,
        &[indicator(
            "000000000002",
            &format!("[domain-name:value = '{DOMAIN}']"),
        )],
    )
    .await;
    let started = Instant::now();
    while run.watch.reloads() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the index was not rebuilt within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seq = publish(&js, "events.dns", &event).await;
    run.until("the second event", |t| t.events == 2).await;
    let totals = run.stop().await;
    assert_eq!(totals.hits, 1, "{totals:?}");
    let hits = stored_hits(&js, 1).await;
    assert_eq!(hits[0]["seq"], seq);
    assert_eq!(
        hits[0]["indicator"],
        "indicator--00000000-0000-4000-8000-000000000002"
    );
    assert_eq!(watch.failures(), 0);
    // Nothing changed since: no more rebuilds.
    let reloads = watch.reloads();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(watch.reloads(), reloads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sightings_are_recorded_while_running_and_at_the_stop() {
    let server = nats();
    let (_dir, store) = store(&[indicator(
        "000000000001",
        &format!("[ipv4-addr:value = '{IP}']"),
    )])
    .await;
    let (_client, js) = streams(&server.url, false).await;
    publish(&js, "events.flow", &format!(r#"{{"src_ip":"{IP}"}}"#)).await;
    let (watch, _) = IndexWatch::start(store, Duration::from_secs(60), Duration::from_secs(3600))
        .await
        .unwrap();
    let mut s = settings(&server.url, "recording");
    s.sightings = true;
    let worker = Worker::connect(s).await.unwrap();
    let counters = worker.counters();
    let (stop, stopped) = oneshot::channel::<()>();
    let stopper = tokio::spawn(async move {
        // Stopped once the event is matched and a recording came after it.
        while counters.totals().hits < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = stop.send(());
    });
    let mut tallies = Vec::new();
    let stop = async {
        let _ = stopped.await;
    };
    let every = Duration::from_millis(100);
    let totals = worker
        .run_recording(&watch, stop, every, async |seen| {
            tallies.push(seen);
            Ok::<(), concord_jetstream::JetStreamError>(())
        })
        .await
        .unwrap();
    stopper.await.unwrap();
    assert_eq!(totals.hits, 1);
    assert!(tallies.len() >= 2, "recorded while running and at the stop");
    let counted: u64 = tallies
        .iter()
        .flat_map(|t| t.values())
        .map(|s| s.count)
        .sum();
    assert_eq!(counted, 1, "each hit is recorded once: {tallies:?}");
    assert!(
        tallies.last().unwrap().is_empty(),
        "nothing was left for the stop"
    );
}
