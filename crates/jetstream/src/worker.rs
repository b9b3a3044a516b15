//! One worker: binds the durable pull consumer, pulls batches, matches,
//! publishes hits, acks.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::{self, AckKind, Message};
use concord_incident::sighting::Seen;
use concord_matcher::{FieldMapping, Format, Hit, LineKind, LogReader, Observable, Scratch};
use futures_util::{FutureExt, StreamExt};

use crate::hit::hit_record;
use crate::{IndexWatch, JetStreamError};
use concord_matcher::event_time_us;

/// How long one pull request waits for messages: also how long a stop
/// may wait for the batch in flight to end.
const PULL_WAIT: Duration = Duration::from_secs(1);
/// Pull failures in a row after which the worker gives up (the client
/// reconnects on its own meanwhile; a deleted consumer never comes back).
const MAX_PULL_FAILURES: u32 = 30;
/// Hits published to a stream whose acks are awaited at once (below the
/// client's limit of 5,000 in flight).
const MAX_STORED_INFLIGHT: usize = 1_000;

/// What a worker needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The NATS server(s), e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The existing stream of events.
    pub stream: String,
    /// The subjects of the stream the consumer takes (`events.>`).
    pub subject: String,
    /// The durable consumer every worker shares.
    pub durable: String,
    /// Where each hit is published.
    pub hits_subject: String,
    /// How long the server waits for an ack before redelivering (set when
    /// the consumer is created; an existing consumer keeps its own).
    pub ack_wait: Duration,
    /// Messages per pull request.
    pub batch: usize,
    /// Unacked messages the server lets all workers hold together.
    pub max_ack_pending: i64,
    /// How each body is read: [`Format::Json`] (one JSON object, fields
    /// mapped as for JSON lines) or [`Format::Text`] (every observable).
    pub format: Format,
    /// `KEY=OBJECT_PATH` mappings for JSON fields.
    pub mappings: Vec<FieldMapping>,
    /// Keep a tally of hits per indicator for sightings ([`Worker::sightings`]).
    pub sightings: bool,
    /// The name the connection shows in the server's monitoring.
    pub client_name: String,
}

impl Settings {
    /// The settings for these names, with the defaults: 30 s ack wait,
    /// batches of 500, 20,000 unacked messages, JSON bodies, no mappings,
    /// no sightings.
    pub fn new(url: &str, stream: &str, subject: &str, durable: &str, hits: &str) -> Settings {
        Settings {
            url: url.to_string(),
            stream: stream.to_string(),
            subject: subject.to_string(),
            durable: durable.to_string(),
            hits_subject: hits.to_string(),
            ack_wait: Duration::from_secs(30),
            batch: 500,
            max_ack_pending: 20_000,
            format: Format::Json,
            mappings: Vec::new(),
            sightings: false,
            client_name: "concord match".to_string(),
        }
    }

    fn check(&self) -> Result<(), JetStreamError> {
        let fail = |setting, reason: &str| {
            Err(JetStreamError::Setting {
                setting,
                reason: reason.to_string(),
            })
        };
        for (setting, value) in [
            ("stream", &self.stream),
            ("subject", &self.subject),
            ("durable", &self.durable),
            ("hits subject", &self.hits_subject),
        ] {
            if value.trim().is_empty() {
                return fail(setting, "must not be empty");
            }
        }
        if self.durable.contains(['.', '*', '>', ' ']) {
            return fail("durable", "a consumer name has no '.', '*', '>' or space");
        }
        if self.hits_subject.contains(['*', '>']) {
            return fail("hits subject", "hits go to one subject, without wildcards");
        }
        if subject_matches(&self.subject, &self.hits_subject) {
            return fail(
                "hits subject",
                "the consumer's subject takes it: every hit would come back as an event",
            );
        }
        if self.batch == 0 {
            return fail("batch", "must be at least 1");
        }
        if self.ack_wait < Duration::from_millis(500) {
            return fail("ack wait", "must be at least 0.5 s");
        }
        if self.format == Format::ZeekTsv {
            return fail(
                "format",
                "a message is one event: JSON or text, not Zeek TSV (which needs its header lines)",
            );
        }
        Ok(())
    }
}

/// Whether the subject filter `filter` (with `*` and `>`) takes `subject`.
fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut want = filter.split('.');
    let mut have = subject.split('.');
    loop {
        match (want.next(), have.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(w), Some(h)) if w == h => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The running counts of a worker, readable while it runs.
#[derive(Debug, Default)]
pub struct Counters {
    events: AtomicU64,
    hits: AtomicU64,
    redelivered: AtomicU64,
    malformed: AtomicU64,
    errors: AtomicU64,
}

/// The counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Messages read as events.
    pub events: u64,
    /// Hits published.
    pub hits: u64,
    /// Messages delivered more than once (another worker, or this one,
    /// had them and did not ack in time).
    pub redelivered: u64,
    /// Messages that were no event (not UTF-8, not a JSON object):
    /// terminated, never redelivered.
    pub malformed: u64,
    /// Pulls, publications or acks that failed (their messages come back).
    pub errors: u64,
}

impl Counters {
    /// The counts now.
    pub fn totals(&self) -> Totals {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Totals {
            events: get(&self.events),
            hits: get(&self.hits),
            redelivered: get(&self.redelivered),
            malformed: get(&self.malformed),
            errors: get(&self.errors),
        }
    }

    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// The hits per indicator since the last [`Sightings::take`]: what the
/// caller records as sightings.
#[derive(Debug, Clone, Default)]
pub struct Sightings(Arc<Mutex<BTreeMap<String, Seen>>>);

impl Sightings {
    /// Takes the tally, leaving it empty.
    pub fn take(&self) -> BTreeMap<String, Seen> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn seen(&self, indicator: &str, when_us: i64, tlp: Option<&str>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Seen::add(&mut map, indicator, when_us, tlp);
    }
}

/// A worker bound to the durable consumer.
pub struct Worker {
    settings: Settings,
    client: async_nats::Client,
    context: jetstream::Context,
    consumer: PullConsumer,
    hits_stored: bool,
    counters: Arc<Counters>,
    sightings: Sightings,
}

impl Worker {
    /// Connects, binds to the stream and to the durable consumer (created,
    /// with explicit acks, when missing) and finds out whether a stream
    /// stores the hits subject.
    pub async fn connect(settings: Settings) -> Result<Worker, JetStreamError> {
        settings.check()?;
        let client = async_nats::ConnectOptions::new()
            .name(&settings.client_name)
            .connection_timeout(Duration::from_secs(5))
            .connect(settings.url.as_str())
            .await
            .map_err(|e| JetStreamError::Connect {
                url: settings.url.clone(),
                reason: e.to_string(),
            })?;
        let context = jetstream::new(client.clone());
        let stream =
            context
                .get_stream(&settings.stream)
                .await
                .map_err(|e| JetStreamError::Stream {
                    stream: settings.stream.clone(),
                    reason: e.to_string(),
                })?;
        let consumer_fail = |reason: String| JetStreamError::Consumer {
            stream: settings.stream.clone(),
            durable: settings.durable.clone(),
            reason,
        };
        let consumer: PullConsumer = stream
            .get_or_create_consumer(
                &settings.durable,
                pull::Config {
                    durable_name: Some(settings.durable.clone()),
                    filter_subject: settings.subject.clone(),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: settings.ack_wait,
                    deliver_policy: DeliverPolicy::All,
                    max_ack_pending: settings.max_ack_pending,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| consumer_fail(e.to_string()))?;
        let config = &consumer.cached_info().config;
        if config.filter_subject != settings.subject {
            return Err(consumer_fail(format!(
                "it exists with the subject {:?}, not {:?}",
                config.filter_subject, settings.subject
            )));
        }
        if config.ack_policy != AckPolicy::Explicit {
            return Err(consumer_fail(format!(
                "it exists with the ack policy {:?}: workers sharing it need explicit acks",
                config.ack_policy
            )));
        }
        let hits_stored = context
            .stream_by_subject(settings.hits_subject.as_str())
            .await
            .is_ok();
        Ok(Worker {
            settings,
            client,
            context,
            consumer,
            hits_stored,
            counters: Arc::default(),
            sightings: Sightings::default(),
        })
    }

    /// Whether a stream stores the hits subject: hits are then published
    /// with a JetStream acknowledgement, else as core messages flushed
    /// before the acks.
    pub fn hits_stored(&self) -> bool {
        self.hits_stored
    }

    /// The consumer's ack wait as the server has it.
    pub fn ack_wait(&self) -> Duration {
        self.consumer.cached_info().config.ack_wait
    }

    /// The counts, readable while [`Worker::run`] goes on.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// The tally of hits per indicator (kept when `sightings` is set).
    pub fn sightings(&self) -> Sightings {
        self.sightings.clone()
    }

    /// [`Worker::run`], handing the tally of hits per indicator to
    /// `record` every `every` while it runs (when the settings keep one)
    /// and once more when it ends, so that sightings are recorded as they
    /// come and none is lost at a stop.
    pub async fn run_recording<E: From<JetStreamError>>(
        &self,
        index: &IndexWatch,
        stop: impl Future<Output = ()>,
        every: Duration,
        mut record: impl AsyncFnMut(BTreeMap<String, Seen>) -> Result<(), E>,
    ) -> Result<Totals, E> {
        let run = self.run(index, stop);
        let mut run = std::pin::pin!(run);
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        let totals = loop {
            tokio::select! {
                done = &mut run => break done?,
                _ = tick.tick(), if self.settings.sightings => record(self.sightings.take()).await?,
            }
        };
        record(self.sightings.take()).await?;
        Ok(totals)
    }

    /// Pulls, matches against `index`'s current index, publishes and acks
    /// until `stop` completes; then ends the batch in flight (at most
    /// about a second), flushes the last acks and returns the counts.
    pub async fn run(
        &self,
        index: &IndexWatch,
        stop: impl Future<Output = ()>,
    ) -> Result<Totals, JetStreamError> {
        let mut stop = std::pin::pin!(stop);
        let mut reader = LogReader::new(Some(self.settings.format), self.settings.mappings.clone());
        let mut round = Round::default();
        let mut failures = 0u32;
        while (&mut stop).now_or_never().is_none() {
            let batch = self
                .consumer
                .batch()
                .max_messages(self.settings.batch)
                .expires(PULL_WAIT)
                .messages()
                .await;
            let mut batch = match batch {
                Ok(b) => {
                    failures = 0;
                    b
                }
                Err(e) => {
                    Counters::add(&self.counters.errors, 1);
                    failures += 1;
                    if failures >= MAX_PULL_FAILURES {
                        return Err(JetStreamError::Pull {
                            durable: self.settings.durable.clone(),
                            reason: e.to_string(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(10))))
                        .await;
                    continue;
                }
            };
            // Work on what has arrived while the rest of the batch comes.
            while let Some(first) = batch.next().await {
                round.messages.clear();
                round.take(first, &self.counters);
                while round.messages.len() < self.settings.batch {
                    match batch.next().now_or_never() {
                        Some(Some(m)) => round.take(m, &self.counters),
                        _ => break,
                    }
                }
                self.handle(&mut round, &mut reader, index).await;
            }
        }
        // The last acks are still in the client's buffer.
        if self.client.flush().await.is_err() {
            Counters::add(&self.counters.errors, 1);
        }
        Ok(self.counters.totals())
    }

    /// Matches the messages of one round, publishes their hits, waits until
    /// the hits are out, then acks.
    async fn handle(&self, round: &mut Round, reader: &mut LogReader, watch: &IndexWatch) {
        let index = watch.current();
        let mut acks: Vec<(Message, AckKind, bool)> = Vec::with_capacity(round.messages.len());
        let mut stored = Vec::new();
        let mut any_hit = false;
        for msg in round.messages.drain(..) {
            let (seq, delivered, published_us) = match msg.info() {
                Ok(i) => (
                    i.stream_sequence,
                    i.delivered,
                    (i.published.unix_timestamp_nanos() / 1000) as i64,
                ),
                Err(_) => {
                    // Not a JetStream message: nothing to ack.
                    Counters::add(&self.counters.malformed, 1);
                    continue;
                }
            };
            let Ok(body) = std::str::from_utf8(&msg.payload) else {
                Counters::add(&self.counters.malformed, 1);
                acks.push((msg, AckKind::Term, false));
                continue;
            };
            round.observables.clear();
            match reader.read(body, msg.subject.as_str(), seq, &mut round.observables) {
                Ok(LineKind::Event) => {}
                Ok(LineKind::Skipped) => {
                    acks.push((msg, AckKind::Ack, false));
                    continue;
                }
                Err(_) => {
                    Counters::add(&self.counters.malformed, 1);
                    acks.push((msg, AckKind::Term, false));
                    continue;
                }
            }
            Counters::add(&self.counters.events, 1);
            round.hits.clear();
            index.match_event(&round.observables, &mut round.scratch, &mut round.hits);
            let when = if self.settings.sightings && !round.hits.is_empty() {
                event_time_us(body).unwrap_or(published_us)
            } else {
                published_us
            };
            let mut hit = false;
            for h in &round.hits {
                let Some(info) = index.info(h.slot) else {
                    continue;
                };
                let record = hit_record(
                    seq,
                    msg.subject.as_str(),
                    delivered,
                    round.observables.get(h.observable),
                    &info,
                );
                let payload = record.to_string().into_bytes();
                let sent = if self.hits_stored {
                    self.context
                        .publish(self.settings.hits_subject.clone(), payload.into())
                        .await
                        .map(|ack| stored.push(ack))
                        .is_ok()
                } else {
                    self.client
                        .publish(self.settings.hits_subject.clone(), payload.into())
                        .await
                        .is_ok()
                };
                if !sent {
                    Counters::add(&self.counters.errors, 1);
                    round.failed = true;
                }
                // The client holds at most 5,000 publications awaiting
                // their acks and then waits: take them in before that.
                if stored.len() >= MAX_STORED_INFLIGHT {
                    self.await_stored(&mut stored, &mut round.failed).await;
                }
                hit = true;
                Counters::add(&self.counters.hits, 1);
                if self.settings.sightings {
                    self.sightings.seen(&info.id, when, info.tlp);
                }
            }
            any_hit |= hit;
            acks.push((msg, AckKind::Ack, hit));
        }
        if any_hit {
            if self.hits_stored {
                self.await_stored(&mut stored, &mut round.failed).await;
            } else if self.client.flush().await.is_err() {
                Counters::add(&self.counters.errors, 1);
                round.failed = true;
            }
        }
        for (msg, kind, hit) in acks {
            // Hits that may not be out: the event comes back, soon.
            let kind = if hit && round.failed {
                AckKind::Nak(None)
            } else {
                kind
            };
            if msg.ack_with(kind).await.is_err() {
                Counters::add(&self.counters.errors, 1);
            }
        }
        round.failed = false;
    }
}

impl Worker {
    async fn await_stored(
        &self,
        stored: &mut Vec<async_nats::jetstream::context::PublishAckFuture>,
        failed: &mut bool,
    ) {
        for ack in stored.drain(..) {
            if ack.await.is_err() {
                Counters::add(&self.counters.errors, 1);
                *failed = true;
            }
        }
    }
}

/// The buffers of one round of messages, reused.
#[derive(Default)]
struct Round {
    messages: Vec<Message>,
    observables: Vec<Observable>,
    hits: Vec<Hit>,
    scratch: Scratch,
    failed: bool,
}

impl Round {
    fn take(&mut self, m: Result<Message, async_nats::Error>, counters: &Counters) {
        match m {
            Ok(m) => {
                if m.info().is_ok_and(|i| i.delivered > 1) {
                    Counters::add(&counters.redelivered, 1);
                }
                self.messages.push(m);
            }
            Err(_) => Counters::add(&counters.errors, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_filters_take_what_nats_takes() {
        assert!(subject_matches("events.>", "events.dns"));
        assert!(subject_matches("events.>", "events.dns.x"));
        assert!(!subject_matches("events.>", "events"));
        assert!(subject_matches("events.*", "events.dns"));
        assert!(!subject_matches("events.*", "events.dns.x"));
        assert!(!subject_matches("events.>", "hits"));
        assert!(subject_matches("hits", "hits"));
    }

    #[test]
    fn settings_refuse_a_loop_and_wildcard_hits() {
        let s = Settings::new("nats://x", "EVENTS", "events.>", "w", "events.hits");
        assert!(matches!(
            s.check(),
            Err(JetStreamError::Setting {
                setting: "hits subject",
                ..
            })
        ));
        let s = Settings::new("nats://x", "EVENTS", "events.>", "w", "hits.*");
        assert!(s.check().is_err());
        let s = Settings::new("nats://x", "EVENTS", "events.>", "a.b", "hits");
        assert!(s.check().is_err());
        assert!(
            Settings::new("nats://x", "EVENTS", "events.>", "w", "hits")
                .check()
                .is_ok()
        );
    }
}
