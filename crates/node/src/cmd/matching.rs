//! `concord match [FILE...]`: checks log lines (Zeek JSON, Suricata EVE,
//! generic JSON lines, plain text with one observable a line) against the
//! active indicators of the store. Hits go to stdout as JSON lines, one per
//! (event, indicator); malformed lines and the summary (events, hits,
//! events/s) go to stderr.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use concord_incident::sighting::{self, Seen};
use concord_matcher::{FieldMapping, Format, LineKind, LogReader, Scratch};
use serde_json::{Value, json};

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
}

/// The time of a log event, from the fields Zeek (`ts`: epoch seconds or
/// ISO 8601) and Suricata (`timestamp`) write; `None` when absent or unreadable.
fn event_time_us(line: &str) -> Option<i64> {
    let v: Value = serde_json::from_str(line).ok()?;
    let t = v.get("ts").or_else(|| v.get("timestamp"))?;
    if let Some(secs) = t.as_f64() {
        return Some((secs * 1e6) as i64);
    }
    let s = t.as_str()?;
    if let Ok(ts) = concord_stix::Timestamp::parse(s) {
        return Some(ts.0);
    }
    // Suricata writes offsets such as +0000; jiff reads RFC 3339 and those.
    s.parse::<jiff::Timestamp>()
        .or_else(|_| {
            jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", s).and_then(|p| p.to_timestamp())
        })
        .ok()
        .map(|t| t.as_microsecond())
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    if args.nats.url.is_some() {
        if !args.files.is_empty() {
            return Err(anyhow!(
                "--nats reads events from JetStream: give no files (or run without --nats)"
            ));
        }
        return super::matching_nats::run(
            global,
            &args.fields,
            &args.format,
            args.sighting,
            args.nats,
        );
    }
    let mappings = args
        .fields
        .iter()
        .map(|f| FieldMapping::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("--field: {e}"))?;
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
    let loaded = rt.block_on(concord_indicators::load_active(&node.store, run_started_us))?;
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
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    let (mut events, mut hit_count, mut bad) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let inputs: Vec<Option<PathBuf>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files.iter().cloned().map(Some).collect()
    };
    for input in inputs {
        let (name, reader): (String, Box<dyn BufRead>) = match &input {
            Some(p) => (
                p.display().to_string(),
                Box::new(std::io::BufReader::new(
                    std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
                )),
            ),
            None => ("-".to_string(), Box::new(std::io::stdin().lock())),
        };
        // One reader per file: a Zeek TSV header sets up the lines after it.
        let mut log = LogReader::new(format, mappings.clone());
        let mut observables = Vec::new();
        for (n, line) in reader.lines().enumerate() {
            let line_no = n as u64 + 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    bad += 1;
                    eprintln!("{name}:{line_no}: {e}");
                    continue;
                }
            };
            observables.clear();
            match log.read(&line, &name, line_no, &mut observables) {
                Ok(LineKind::Event) => {}
                // Headers, comments and blank lines are no events.
                Ok(LineKind::Skipped) => continue,
                Err(e) => {
                    bad += 1;
                    eprintln!("{e}");
                    continue;
                }
            }
            events += 1;
            hits.clear();
            index.match_event(&observables, &mut scratch, &mut hits);
            let when = if args.sighting && !hits.is_empty() {
                event_time_us(&line).unwrap_or(run_started_us)
            } else {
                run_started_us
            };
            for h in &hits {
                let Some(info) = index.info(h.slot) else {
                    continue;
                };
                hit_count += 1;
                if args.sighting {
                    let e = seen.entry(info.id.clone()).or_insert(Seen {
                        count: 0,
                        first_us: when,
                        last_us: when,
                        tlp: info.tlp.and_then(concord_stix::tlp::Tlp::parse),
                    });
                    e.count += 1;
                    e.first_us = e.first_us.min(when);
                    e.last_us = e.last_us.max(when);
                }
                let record = json!({
                    "file": name, "line": line_no,
                    "observable": observables.get(h.observable).map(|o| o.text()),
                    "indicator": info.id, "name": info.name, "confidence": info.confidence,
                    "tlp": info.tlp, "created_by_ref": info.created_by_ref,
                });
                writeln!(out, "{record}")?;
            }
        }
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
