//! `concord match --nats URL --stream S --subject F --durable D
//! --hits-subject H`: a matching worker on a JetStream durable pull
//! consumer shared with any number of others (see `concord-jetstream`).
//! Runs until SIGINT or SIGTERM; the summary goes to stderr.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use concord_incident::sighting::{self, Seen};
use concord_jetstream::{IndexWatch, Settings, Worker};
use concord_matcher::{FieldMapping, Format};
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct NatsArgs {
    /// Run as a worker on NATS JetStream (e.g. nats://127.0.0.1:4222)
    /// instead of reading files: each message of the stream is one event.
    #[arg(long = "nats", value_name = "URL")]
    pub url: Option<String>,
    /// The existing JetStream stream of events (with --nats).
    #[arg(long, requires = "url")]
    stream: Option<String>,
    /// The subjects the consumer takes from the stream, e.g. 'events.>' (with --nats).
    #[arg(long, requires = "url")]
    subject: Option<String>,
    /// The durable pull consumer every worker shares; created with explicit
    /// acks when missing (with --nats).
    #[arg(long, requires = "url")]
    durable: Option<String>,
    /// Where each hit is published as JSON (with --nats).
    #[arg(long, requires = "url")]
    hits_subject: Option<String>,
    /// Seconds the server waits for an ack before redelivering a message
    /// to another worker (set when the consumer is created).
    #[arg(long, default_value_t = 30.0, requires = "url")]
    ack_wait: f64,
    /// Messages per pull request.
    #[arg(long, default_value_t = 500, requires = "url")]
    batch: usize,
    /// Seconds between checks of the store for changed indicators.
    #[arg(long, default_value_t = 10.0, requires = "url")]
    reload_every: f64,
    /// Seconds between recordings of sightings (with --sighting); the rest
    /// are recorded when the worker stops.
    #[arg(long, default_value_t = 60.0, requires = "url")]
    sighting_every: f64,
}

fn seconds(flag: &str, s: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| anyhow!("--{flag} {s}: expected a positive number of seconds"))
}

pub fn run(
    global: &Global,
    mappings: Vec<FieldMapping>,
    format: &str,
    sightings: bool,
    args: NatsArgs,
) -> Result<Outcome> {
    let need = |flag: &str, v: &Option<String>| {
        v.clone().ok_or_else(|| {
            anyhow!("--nats needs --{flag} (--stream, --subject, --durable and --hits-subject)")
        })
    };
    let url = need("nats", &args.url)?;
    let mut settings = Settings::new(
        &url,
        &need("stream", &args.stream)?,
        &need("subject", &args.subject)?,
        &need("durable", &args.durable)?,
        &need("hits-subject", &args.hits_subject)?,
    );
    settings.ack_wait = seconds("ack-wait", args.ack_wait)?;
    settings.batch = args.batch;
    settings.sightings = sightings;
    settings.mappings = mappings;
    settings.format = match format {
        // A message is one event: JSON unless told it is free text.
        "auto" | "json" => Format::Json,
        "text" => Format::Text,
        other => bail!("--format {other:?} with --nats: expected json or text"),
    };
    let reload_every = seconds("reload-every", args.reload_every)?;
    let sighting_every = seconds("sighting-every", args.sighting_every)?;
    let node = Node::open(global)?;
    let key = if sightings {
        Some(node.keypair(global)?)
    } else {
        None
    };
    let rt = super::runtime()?;
    rt.block_on(async {
        // Rebuilt at least hourly so validity windows move with the clock.
        let (watch, unindexed) =
            IndexWatch::start(node.store.clone(), reload_every, Duration::from_secs(3600)).await?;
        let worker = Worker::connect(settings).await?;
        if !global.json {
            eprintln!(
                "matching {} indicators{} from {url}, consumer {:?}; hits {} (stop with Ctrl-C or SIGTERM)",
                watch.current().len(),
                if unindexed.is_empty() {
                    String::new()
                } else {
                    format!(" ({} not indexed)", unindexed.len())
                },
                args.durable.as_deref().unwrap_or_default(),
                if worker.hits_stored() {
                    "stored by JetStream before each ack"
                } else {
                    "published and flushed before each ack"
                },
            );
        }
        let mut recorded = Vec::new();
        let record = async |seen: BTreeMap<String, Seen>| -> Result<()> {
            if let Some(key) = &key
                && !seen.is_empty()
            {
                let local = node.local();
                let section = &node.config.sightings;
                recorded.extend(sighting::record(&local, key, section, &seen).await?);
            }
            Ok(())
        };
        let totals = worker
            .run_recording(&watch, super::stopped(), sighting_every, record)
            .await?;
        let summary = json!({
            "events": totals.events, "hits": totals.hits, "redelivered": totals.redelivered,
            "malformed": totals.malformed, "errors": totals.errors,
            "indicators": watch.current().len(), "reloads": watch.reloads(),
            "sightings": recorded,
        });
        if global.json {
            eprintln!("{summary}");
        } else {
            eprintln!(
                "{} events, {} hits, {} redelivered, {} malformed, {} errors, {} index reloads{}",
                totals.events,
                totals.hits,
                totals.redelivered,
                totals.malformed,
                totals.errors,
                watch.reloads(),
                if sightings {
                    format!(", {} sightings recorded", recorded.len())
                } else {
                    String::new()
                }
            );
        }
        Ok(if totals.errors > 0 || totals.malformed > 0 {
            Outcome::Failed
        } else {
            Outcome::Ok
        })
    })
}
