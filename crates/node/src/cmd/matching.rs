//! `concord match [FILE...]`: checks log lines (Zeek JSON, Suricata EVE,
//! generic JSON lines, plain text with one observable a line) against the
//! active indicators of the store. Hits go to stdout as JSON lines, one per
//! (event, indicator); malformed lines and the summary (events, hits,
//! events/s) go to stderr.
//!
//! The input is matched on every core (`--threads`), in large blocks, with
//! the output in input order; the index comes from the snapshot in the
//! data directory (`concord_indicators::snapshot`), rebuilt here when it
//! is missing or stale.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use concord_incident::sighting::{self, Seen};
use concord_matcher::{EventHits, FieldMapping, Format, LogReader, Piece, StreamOptions};
use serde_json::json;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Log files to read (standard input when none).
    files: Vec<PathBuf>,
    /// Map a JSON field to a STIX object path, e.g. sha256=file:hashes.'SHA-256' (repeatable).
    #[arg(long = "field")]
    fields: Vec<String>,
    /// How lines are read: auto (Zeek TSV when a file starts with its `#separator`
    /// header, JSON when a line starts with '{', else free text), zeek, json or text.
    /// Text lines yield every IPv4/IPv6 address, domain, URL, e-mail address and
    /// MD5/SHA-1/SHA-256 in them, defanged forms (hxxp, [.], (dot), [at]) included.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Record a STIX sighting per hit indicator (count, first_seen, last_seen,
    /// this node's identity as where_sighted), marked like the indicator.
    #[arg(long)]
    sighting: bool,
    /// List each indicator that could not be indexed (id, pattern, reason).
    #[arg(long)]
    warnings: bool,
    #[command(flatten)]
    nats: super::matching_nats::NatsArgs,
    /// Threads matching the input (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// Input is read and matched in blocks of this many bytes.
const BLOCK_SIZE: usize = 4 << 20;

/// What the matching threads make of one piece of input: the hit records
/// (JSON lines) and, for `--sighting`, each hit's indicator and time.
#[derive(Default)]
struct Emitted {
    lines: Vec<u8>,
    hits: u64,
    seen: Vec<(u32, i64)>,
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let mappings = args
        .fields
        .iter()
        .map(|f| FieldMapping::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("--field: {e}"))?;
    if args.nats.url.is_some() {
        if !args.files.is_empty() {
            return Err(anyhow!(
                "--nats reads events from JetStream: give no files (or run without --nats)"
            ));
        }
        return super::matching_nats::run(global, mappings, &args.format, args.sighting, args.nats);
    }
    let format = match args.format.as_str() {
        "auto" => None,
        "json" => Some(Format::Json),
        "text" => Some(Format::Text),
        "zeek" => Some(Format::ZeekTsv),
        other => {
            return Err(anyhow!(
                "--format {other:?}: expected auto, zeek, json or text"
            ));
        }
    };
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    let run_started_us = concord_stix::Timestamp::now().0;
    let snapshot = global
        .data_dir
        .join(concord_indicators::snapshot::FILE_NAME);
    let (loaded, origin) = rt.block_on(concord_indicators::snapshot::current(
        &node.store,
        &snapshot,
        run_started_us,
    ))?;
    if let concord_indicators::snapshot::Origin::Built { saved: Err(e), .. } = &origin
        && !global.json
    {
        eprintln!("warning: the indicator index snapshot was not saved: {e}");
    }
    let index = loaded.index;
    let mut seen: std::collections::BTreeMap<String, Seen> = Default::default();
    let unindexed = loaded.unindexed;
    if !global.json {
        if args.warnings {
            for u in &unindexed {
                eprintln!(
                    "warning: {} not indexed: {} (pattern {})",
                    u.id,
                    u.reason,
                    u.pattern.as_deref().unwrap_or("absent")
                );
            }
        } else if !unindexed.is_empty() {
            eprintln!(
                "warning: {} indicators could not be indexed and are not matched (list them with --warnings)",
                unindexed.len()
            );
        }
    }
    let options = StreamOptions {
        threads: args.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        ),
        block_size: BLOCK_SIZE,
    };
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout());
    let (mut events, mut hit_count, mut bad) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let inputs: Vec<Option<PathBuf>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files.iter().cloned().map(Some).collect()
    };
    for input in inputs {
        let (name, reader): (String, Box<dyn Read>) = match &input {
            Some(p) => (
                p.display().to_string(),
                Box::new(
                    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
                ),
            ),
            None => ("-".to_string(), Box::new(std::io::stdin().lock())),
        };
        let emit = |e: &EventHits<'_>, t: &mut Emitted| {
            let when = if args.sighting {
                concord_matcher::event_time_us(e.line).unwrap_or(run_started_us)
            } else {
                run_started_us
            };
            for h in e.hits {
                let Some(info) = index.info(h.slot) else {
                    continue;
                };
                t.hits += 1;
                if args.sighting {
                    t.seen.push((h.slot, when));
                }
                let record = json!({
                    "file": name, "line": e.line_no,
                    "observable": e.observables.get(h.observable).map(|o| o.text()),
                    "indicator": info.id, "name": info.name, "confidence": info.confidence,
                    "tlp": info.tlp, "created_by_ref": info.created_by_ref,
                });
                // Writing to memory cannot fail.
                let _ = writeln!(t.lines, "{record}");
            }
        };
        let sink = |p: Piece<Emitted>| -> std::io::Result<()> {
            events += p.events;
            for e in &p.errors {
                bad += 1;
                eprintln!("{e}");
            }
            hit_count += p.emitted.hits;
            for (slot, when) in p.emitted.seen {
                let Some(info) = index.info(slot) else {
                    continue;
                };
                Seen::add(&mut seen, &info.id, when, info.tlp);
            }
            out.write_all(&p.emitted.lines)
        };
        // One reader per file: a Zeek TSV header sets up the lines after it.
        concord_matcher::match_stream(
            &index,
            reader,
            &name,
            LogReader::new(format, mappings.clone()),
            &options,
            emit,
            sink,
        )
        .with_context(|| format!("reading {name}"))?;
    }
    out.flush()?;
    let sightings = if args.sighting {
        let key = node.keypair(global)?;
        rt.block_on(sighting::record(
            &node.local(),
            &key,
            &node.config.sightings,
            &seen,
        ))?
    } else {
        Vec::new()
    };
    let secs = started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        events as f64 / secs
    } else {
        0.0
    };
    let mut summary = json!({"events": events, "hits": hit_count, "malformed": bad, "indicators": index.len(), "unindexed": unindexed.len(), "events_per_second": rate.round(), "sightings": sightings});
    if global.json {
        if args.warnings {
            summary["unindexed_indicators"] = serde_json::to_value(&unindexed)?;
        }
        eprintln!("{summary}");
    } else {
        eprintln!(
            "{events} events, {hit_count} hits, {bad} malformed lines, {} indicators{}, {rate:.0} events/s{}",
            index.len(),
            if unindexed.is_empty() {
                String::new()
            } else {
                format!(" ({} not indexed)", unindexed.len())
            },
            if args.sighting {
                format!(", {} sightings recorded", sightings.len())
            } else {
                String::new()
            }
        );
    }
    Ok(if bad > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
