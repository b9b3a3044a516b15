//! `concord import`: STIX bundles, arrays and JSON lines from files,
//! directories or stdin, streamed; MISP events and CSV and text lists
//! converted, marked and signed by concord_bridge (`super::intake`) and
//! stored by the same writer.
//!
//! Three stages run at once: a reader thread splits the input into objects
//! (never holding the file), worker threads parse and validate chunks in
//! parallel, and the calling thread writes them in input order in large
//! transactions. `--strict` first checks the whole input without writing,
//! then writes only if nothing was rejected, so a bad file stores nothing.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use concord_stix::bundle::{BundleReader, RawObject, ReadError};
use concord_stix::ingest::{read_object, storable_json};
use concord_stix::{Issue, json};
use concord_store::{AnyStore, BatchOutcome, PreparedObject, Store};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::Node;
use crate::Outcome;
use crate::config::Global;
use concord_bridge::intake::Format;
use concord_federation::authoring::Authoring;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (*.json, *.jsonl, *.ndjson inside) to read; `-` is standard input.
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Store nothing if any object is rejected.
    #[arg(long)]
    strict: bool,
    /// The collection (id or title) to file objects in (default: the node's local collection).
    #[arg(long)]
    collection: Option<String>,
    /// Also list warnings (open-vocabulary values and SHOULD rules).
    #[arg(long)]
    warnings: bool,
    /// Leave the search index behind (the server or the next search catches it up).
    #[arg(long)]
    no_index: bool,
    /// Author what the file holds: mark every object with this TLP 2.0
    /// level (clear, green, amber, amber+strict, red) and sign it with the
    /// node key, so peers can receive it under the sharing policy.
    #[arg(long)]
    tlp: Option<String>,
    /// With --tlp: the members (identity ids) or groups that may receive it.
    #[arg(long, value_delimiter = ',', requires = "tlp")]
    audience: Vec<String>,
    /// The inputs' format: stix, misp (events, lists, {"response": [...]},
    /// feed directories), csv or text. Default: detected (a directory with
    /// manifest.json or JSON starting with "Event"/"response" is MISP,
    /// *.csv is CSV, *.txt text, anything else STIX). MISP, CSV and text are
    /// always signed by this node; MISP keeps each event's sharing, held to
    /// --tlp and --audience.
    #[arg(long)]
    format: Option<String>,
    /// CSV: which column holds what, COLUMN=TARGET (`value=ipv4-addr:value`,
    /// `3=file:hashes.sha256`, `note=description`); repeatable. Default: the
    /// header row names STIX object paths.
    #[arg(long = "column", value_name = "COLUMN=TARGET")]
    columns: Vec<String>,
}

const CHUNK: usize = 1024;
/// Objects per write transaction. SQLite has one writer, so large batches
/// (measured: +25% at 1M objects over 8,192) amortise its commit; PostgreSQL
/// works on two batches at once, and smaller ones keep both busy.
fn write_batch(store: &AnyStore) -> usize {
    match store {
        AnyStore::Sqlite(_) => 32_768,
        AnyStore::Postgres(_) => 8_192,
    }
}
const MAX_LISTED: usize = 10_000;

/// One object that was not stored, and why.
#[derive(Debug, Serialize)]
pub struct Rejection {
    pub file: String,
    pub line: usize,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub issues: Vec<Issue>,
}

pub enum Checked {
    Ok(Box<PreparedObject>, Vec<Issue>, usize),
    Rejected(Rejection),
}

#[derive(Default, Serialize)]
struct Report {
    files: Vec<String>,
    read: u64,
    stored: u64,
    duplicates: u64,
    rejected: u64,
    warnings: u64,
    /// Time to read, check and durably store the objects.
    seconds: f64,
    objects_per_second: f64,
    /// Time to bring the search index up to date afterwards.
    index_seconds: f64,
    rejections: Vec<Rejection>,
    rejections_truncated: bool,
    /// MISP records that gave no object, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unmapped: Vec<serde_json::Value>,
    /// MISP events and attributes read and mapped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    misp: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peak_rss_bytes: Option<u64>,
    /// What the counts alone do not say (objects `--tlp` left unmarked).
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// The process's peak resident memory (Linux `VmHWM`), for the report.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Where objects come from.
pub enum Source {
    File(PathBuf),
    Stdin,
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "-".to_string(),
        }
    }
    pub fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        Ok(match self {
            Source::File(p) => {
                let f = File::open(p).with_context(|| format!("opening {}", p.display()))?;
                let len = f.metadata().ok().map(|m| m.len());
                (Box::new(f), len)
            }
            Source::Stdin => (Box::new(std::io::stdin()), None),
        })
    }
}

fn id_of(bytes: &[u8]) -> Option<String> {
    // Best effort, for messages only: the id of an object that failed validation.
    json::parse_value(bytes)
        .ok()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

/// How objects are taken in: authored here (`--tlp`), or as they are,
/// except that versions this node signed itself (elsewhere, e.g. a file it
/// exported) go in with their log entry like every authored version.
struct Intake {
    authoring: Option<Authoring>,
    member: String,
    key_hex: String,
}

impl Intake {
    fn signed_here(&self, object: &concord_stix::StixObject) -> bool {
        concord_trust::signer_of(object.as_map()) == Some(self.member.as_str())
            && object
                .as_map()
                .get("extensions")
                .and_then(|e| e.get(concord_trust::PROVENANCE_EXTENSION_ID))
                .and_then(|p| p.get("key"))
                .and_then(serde_json::Value::as_str)
                == Some(self.key_hex.as_str())
    }
}

fn check_raw(file: &str, raw: Result<RawObject, ReadError>, intake: &Intake) -> Checked {
    let authoring = intake.authoring.as_ref();
    match raw {
        Ok(raw) => match read_object(&raw.bytes, &concord_pattern::Grammar) {
            // Marked, signed, and carrying its entry for the node's log.
            Ok(c) if let Some(a) = authoring => match a.prepare(c.object.as_map()) {
                Ok(p) => Checked::Ok(Box::new(p), c.warnings, raw.location.line),
                Err(e) => Checked::Rejected(Rejection {
                    file: file.to_string(),
                    line: raw.location.line,
                    path: raw.location.path,
                    id: id_of(&raw.bytes),
                    issues: vec![Issue::error(
                        "$",
                        "authoring",
                        format!("could not mark and sign it: {e:#}"),
                    )],
                }),
            },
            Ok(c) if intake.signed_here(&c.object) => {
                match concord_federation::authoring::prepared(c.object.as_map().clone()) {
                    Ok(p) => Checked::Ok(Box::new(p), c.warnings, raw.location.line),
                    Err(e) => Checked::Rejected(Rejection {
                        file: file.to_string(),
                        line: raw.location.line,
                        path: raw.location.path,
                        id: id_of(&raw.bytes),
                        issues: vec![Issue::error("$", "log", format!("{e:#}"))],
                    }),
                }
            }
            Ok(c) => {
                let text = storable_json(&raw.bytes, &c.object);
                Checked::Ok(
                    Box::new(PreparedObject::new(&c.object, text)),
                    c.warnings,
                    raw.location.line,
                )
            }
            Err(issues) => Checked::Rejected(Rejection {
                file: file.to_string(),
                line: raw.location.line,
                path: raw.location.path,
                id: id_of(&raw.bytes),
                issues,
            }),
        },
        Err(e) => {
            let (line, path, rule) = match &e {
                ReadError::Syntax { line, .. } => (*line, "$".to_string(), "json-syntax"),
                ReadError::Oversize { location, .. } => {
                    (location.line, location.path.clone(), "object-size")
                }
                ReadError::Envelope { line, .. } => (*line, "$".to_string(), "bundle-envelope"),
                ReadError::Io(_) => (0, "$".to_string(), "input-read"),
            };
            Checked::Rejected(Rejection {
                file: file.to_string(),
                line,
                path: path.clone(),
                id: None,
                issues: vec![Issue::error(path, rule, e.to_string())],
            })
        }
    }
}

/// Reads, checks and hands over one source's objects in input order.
fn pipeline(
    source: &Source,
    progress: &ProgressBar,
    intake: &Intake,
    mut sink: impl FnMut(Vec<Checked>) -> Result<()>,
) -> Result<()> {
    let (input, len) = source.open()?;
    if let Some(len) = len {
        progress.set_length(len);
    }
    let name = source.name();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let (raw_tx, raw_rx): (SyncSender<(u64, Vec<_>)>, Receiver<_>) = sync_channel(8);
    let (done_tx, done_rx) = sync_channel::<(u64, Vec<Checked>)>(8);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    std::thread::scope(|scope| -> Result<()> {
        let counter = bytes_read.clone();
        scope.spawn(move || {
            let mut reader = BundleReader::new(input);
            let mut seq = 0u64;
            let mut chunk = Vec::with_capacity(CHUNK);
            while let Some(item) = reader.next() {
                chunk.push(item);
                if chunk.len() == CHUNK {
                    counter.store(reader.bytes_read(), Ordering::Relaxed);
                    if raw_tx.send((seq, std::mem::take(&mut chunk))).is_err() {
                        return;
                    }
                    seq += 1;
                }
            }
            counter.store(reader.bytes_read(), Ordering::Relaxed);
            if !chunk.is_empty() {
                let _ = raw_tx.send((seq, chunk));
            }
        });
        for _ in 0..workers {
            let rx = raw_rx.clone();
            let tx = done_tx.clone();
            let name = name.clone();
            scope.spawn(move || {
                loop {
                    let next = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, chunk)) = next else { return };
                    let checked = chunk
                        .into_iter()
                        .map(|r| check_raw(&name, r, intake))
                        .collect();
                    if tx.send((seq, checked)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Put chunks back in input order before handing them on.
        let mut pending = BTreeMap::new();
        let mut want = 0u64;
        for (seq, checked) in done_rx.iter() {
            pending.insert(seq, checked);
            while let Some(next) = pending.remove(&want) {
                sink(next)?;
                want += 1;
                progress.set_position(bytes_read.load(Ordering::Relaxed));
            }
        }
        Ok(())
    })
}

/// Writes batches with up to two in flight: while the store commits one,
/// the next is filled, and PostgreSQL works on two at once.
struct BatchWriter<'r> {
    rt: &'r tokio::runtime::Runtime,
    store: AnyStore,
    collection: String,
    in_flight: VecDeque<tokio::task::JoinHandle<concord_store::Result<BatchOutcome>>>,
}

impl BatchWriter<'_> {
    fn submit(&mut self, batch: Vec<PreparedObject>, report: &mut Report) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        while self.in_flight.len() >= 2 {
            self.settle_one(report)?;
        }
        let store = self.store.clone();
        let collection = self.collection.clone();
        self.in_flight.push_back(
            self.rt
                .spawn(async move { store.put_batch(&collection, batch).await }),
        );
        Ok(())
    }

    fn settle_one(&mut self, report: &mut Report) -> Result<()> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let out = self
            .rt
            .block_on(task)
            .context("a write task failed")?
            .with_context(|| format!("writing to collection {}", self.collection))?;
        report.stored += out.inserted as u64;
        report.duplicates += out.duplicates as u64;
        Ok(())
    }

    fn finish(&mut self, report: &mut Report) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.settle_one(report)?;
        }
        Ok(())
    }
}

pub fn collect_sources(inputs: &[String]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {input}"))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            files.sort();
            if files.is_empty() {
                bail!("{input} holds no *.json, *.jsonl or *.ndjson file");
            }
            out.extend(files.into_iter().map(Source::File));
        } else {
            out.push(Source::File(path.to_path_buf()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl" | "ndjson")
        ) {
            files.push(path);
        }
    }
    Ok(())
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn print_rejection(r: &Rejection) {
    let what: Vec<String> = r
        .issues
        .iter()
        .filter(|i| i.severity == concord_stix::Severity::Error)
        .map(|i| format!("{}: {} [{}]", i.path, i.message, i.rule))
        .collect();
    eprintln!(
        "rejected {}:{} {}{}: {}",
        r.file,
        r.line,
        r.path,
        r.id.as_deref().map(|i| format!(" {i}")).unwrap_or_default(),
        what.join("; ")
    );
}

fn spool_stdin(dir: &Path) -> Result<PathBuf> {
    let path = dir.join(format!("import-stdin-{}.tmp", std::process::id()));
    let mut f = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut f).context("reading standard input")?;
    Ok(path)
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let collection = match &args.collection {
        None => node.config.node.collection.clone(),
        Some(key) => {
            let all = super::runtime()?.block_on(node.store.collections())?;
            super::access::find(&all, key)?
        }
    };
    let mut sources = super::intake::sources(&args.inputs, args.format.as_deref())?;
    let mut spooled = None;
    if args.strict && sources.iter().any(|(s, _)| matches!(s, Source::Stdin)) {
        // --strict reads twice (check, then write): keep stdin for the second pass.
        let path = spool_stdin(&global.data_dir)?;
        for (s, _) in sources.iter_mut() {
            if matches!(s, Source::Stdin) {
                *s = Source::File(path.clone());
            }
        }
        spooled = Some(path);
    }
    let result = import(global, &node, &collection, &sources, &args);
    if let Some(p) = spooled {
        let _ = std::fs::remove_file(p);
    }
    result
}

/// A signed bundle from another member (`concord export --signed`), if
/// `source` is one: read whole (such bundles are bounded).
fn signed_bundle(source: &Source) -> Option<Vec<u8>> {
    let Source::File(p) = source else { return None };
    let len = std::fs::metadata(p).ok()?.len();
    if len > concord_tlog::MAX_BUNDLE_BYTES as u64 {
        return None;
    }
    let bytes = std::fs::read(p).ok()?;
    concord_log::bundle::is_signed_bundle(&bytes).then_some(bytes)
}

/// Takes in a signed bundle only when every object, its inclusion proof
/// and the checkpoint check with the member's key; else stores nothing
/// and names the first object that failed.
fn import_signed(
    global: &Global,
    rt: &tokio::runtime::Runtime,
    node: &Node,
    collection: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Outcome> {
    let own = node.keypair(global)?.public();
    let directory = rt.block_on(concord_federation::logs::current(&node.local(), &own))?;
    match concord_log::bundle::take_in(bytes, &directory) {
        Ok((objects, report, _)) => {
            let n = objects.len();
            let out = rt.block_on(node.store.put_batch(collection, objects))?;
            let msg = serde_json::json!({"file": name, "origin": report.origin, "checkpoint_size": report.size,
                "verified": n, "stored": out.inserted, "duplicates": out.duplicates});
            println!(
                "{}",
                if global.json {
                    msg.to_string()
                } else {
                    format!(
                        "{name}: {n} objects verified against {} (size {}): {} stored, {} already held",
                        report.origin, report.size, out.inserted, out.duplicates
                    )
                }
            );
            Ok(Outcome::Ok)
        }
        Err(e) => {
            eprintln!("rejected {name}: {e}; nothing was stored");
            Ok(Outcome::Failed)
        }
    }
}

fn import(
    global: &Global,
    node: &Node,
    collection: &str,
    sources: &[(Source, Format)],
    args: &Args,
) -> Result<Outcome> {
    let rt = super::runtime()?;
    let signed: Vec<(String, Vec<u8>)> = sources
        .iter()
        .filter_map(|(s, _)| signed_bundle(s).map(|b| (s.name(), b)))
        .collect();
    if !signed.is_empty() {
        if signed.len() != sources.len() || args.tlp.is_some() {
            bail!(
                "import a signed bundle on its own, without --tlp: it is another member's, checked against its log"
            );
        }
        let mut outcome = Outcome::Ok;
        for (name, bytes) in &signed {
            if let Outcome::Failed = import_signed(global, &rt, node, collection, name, bytes)? {
                outcome = Outcome::Failed;
            }
        }
        return Ok(outcome);
    }
    let foreign = match sources.iter().any(|(_, f)| *f != Format::Stix) {
        false => None,
        true => Some(super::intake::Foreign::new(
            &rt,
            global,
            node,
            concord_bridge::Floor {
                tlp: args.tlp.as_deref().and_then(concord_stix::tlp::Tlp::parse),
                audience: args.audience.clone(),
            },
            &args.columns,
        )?),
    };
    let authoring = match &args.tlp {
        None => None,
        Some(word) => {
            let tlp = concord_stix::tlp::Tlp::parse(word).with_context(|| {
                format!("--tlp {word:?} is not a TLP 2.0 level: clear, green, amber, amber+strict or red")
            })?;
            if matches!(
                tlp,
                concord_stix::tlp::Tlp::Amber
                    | concord_stix::tlp::Tlp::AmberStrict
                    | concord_stix::tlp::Tlp::Red
            ) && args.audience.is_empty()
            {
                eprintln!(
                    "note: --tlp {word} without --audience: no peer is named, so these objects stay on this node"
                );
            }
            Some(Authoring {
                member: node.config.node.identity.clone(),
                key: node.keypair(global)?,
                tlp: Some(tlp),
                audience: (!args.audience.is_empty()).then(|| args.audience.clone()),
            })
        }
    };
    // Authoring: the ids of other members' objects are theirs alone.
    let owners = if authoring.is_some() || foreign.is_some() {
        let m = rt.block_on(concord_federation::membership::current(
            &node.local(),
            &node.keypair(global)?.public(),
        ))?;
        Some(m.names(&node.config.node.identity))
    } else {
        None
    };
    let intake = Intake {
        authoring,
        member: node.config.node.identity.clone(),
        key_hex: node.keypair(global)?.public().to_hex(),
    };
    let started = Instant::now();
    let mut report = Report {
        files: sources.iter().map(|(s, _)| s.name()).collect(),
        ..Default::default()
    };
    let note = |report: &mut Report, r: Rejection| {
        print_rejection(&r);
        report.rejected += 1;
        if report.rejections.len() < MAX_LISTED {
            report.rejections.push(r);
        } else {
            report.rejections_truncated = true;
        }
    };
    if args.strict {
        for (source, format) in sources {
            let bar = progress_bar();
            bar.set_message("checking");
            let name = source.name();
            let mut take = |chunk| {
                let chunk = match &owners {
                    Some(members) => refuse_others(&rt, node, members, &name, chunk)?,
                    None => chunk,
                };
                for c in chunk {
                    match c {
                        Checked::Ok(_, w, _) => {
                            report.read += 1;
                            report.warnings += w.len() as u64;
                        }
                        Checked::Rejected(r) => {
                            report.read += 1;
                            note(&mut report, r);
                        }
                    }
                }
                Ok(())
            };
            match (format, &foreign) {
                (Format::Stix, _) | (_, None) => pipeline(source, &bar, &intake, &mut take)?,
                (_, Some(f)) => take(f.read(&rt, node, source, *format)?.0)?,
            }
            bar.finish_and_clear();
        }
        if report.rejected > 0 {
            eprintln!(
                "--strict: {} of {} objects rejected; nothing was stored",
                report.rejected, report.read
            );
            return finish(global, report, started);
        }
        report.read = 0;
        report.warnings = 0;
    }
    let mut pending = Vec::new();
    for (source, format) in sources {
        let bar = progress_bar();
        let mut batch: Vec<PreparedObject> = Vec::with_capacity(write_batch(&node.store));
        let mut writer = BatchWriter {
            rt: &rt,
            store: node.store.clone(),
            collection: collection.to_string(),
            in_flight: VecDeque::new(),
        };
        let name = source.name();
        let mut take = |chunk| {
            let chunk = match &owners {
                Some(members) => refuse_others(&rt, node, members, &name, chunk)?,
                None => chunk,
            };
            for c in chunk {
                report.read += 1;
                match c {
                    Checked::Ok(p, warnings, line) => {
                        report.warnings += warnings.len() as u64;
                        if args.warnings {
                            for w in &warnings {
                                eprintln!("warning {name}:{line} {} {w}", p.id);
                            }
                        }
                        batch.push(*p);
                    }
                    Checked::Rejected(r) => note(&mut report, r),
                }
            }
            if batch.len() >= write_batch(&node.store) {
                writer.submit(std::mem::take(&mut batch), &mut report)?;
            }
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!(
                "{} objects, {:.0} objects/s",
                report.read,
                report.read as f64 / secs
            ));
            Ok(())
        };
        let mut notes = None;
        match (format, &foreign) {
            (Format::Stix, _) | (_, None) => pipeline(source, &bar, &intake, &mut take)?,
            (_, Some(f)) => {
                let (chunk, n) = f.read(&rt, node, source, *format)?;
                take(chunk)?;
                notes = Some(n);
            }
        }
        writer.submit(batch, &mut report)?;
        writer.finish(&mut report)?;
        if let Some(n) = notes {
            for u in &n.unmapped {
                eprintln!(
                    "not mapped {}: event {} {} {} ({}): {}",
                    u["file"].as_str().unwrap_or(""),
                    u["event"].as_str().unwrap_or(""),
                    u["record"].as_str().unwrap_or(""),
                    u["uuid"].as_str().unwrap_or(""),
                    u["misp_type"].as_str().unwrap_or(""),
                    u["reason"].as_str().unwrap_or("")
                );
            }
            report.unmapped.extend(n.unmapped);
            report.misp.extend(n.misp);
            pending.extend(n.pending);
        }
        bar.finish_and_clear();
    }
    // A list's state is kept only once its indicators are stored.
    for p in pending {
        rt.block_on(p.commit(&node.store))?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    if intake.authoring.is_some() && report.duplicates > 0 {
        // The same (id, modified) is the same version: it is not stored
        // again, so the marking never reaches it.
        report.note = Some(format!(
            "{} objects were already held in the same version and were left as they were, without the --tlp marking: to mark or re-address an object this node holds, use `concord mark ID --tlp LEVEL [--audience ...]`",
            report.duplicates
        ));
    }
    if !args.no_index {
        let indexing = Instant::now();
        let backlog = rt.block_on(node.store.search_backlog())?;
        let bar = ProgressBar::new(backlog);
        bar.set_style(
            ProgressStyle::with_template("{spinner} indexing for search {wide_bar} {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        loop {
            let n = rt.block_on(node.store.index_search(20_000))?;
            if n == 0 {
                break;
            }
            bar.inc(n as u64);
        }
        bar.finish_and_clear();
        report.index_seconds = indexing.elapsed().as_secs_f64();
    }
    finish(global, report, started)
}

/// Rejects, from a chunk about to be authored here, the objects whose ids
/// belong to another member.
fn refuse_others(
    rt: &tokio::runtime::Runtime,
    node: &Node,
    members: &std::collections::HashMap<String, String>,
    file: &str,
    chunk: Vec<Checked>,
) -> Result<Vec<Checked>> {
    let ids: Vec<String> = chunk
        .iter()
        .filter_map(|c| match c {
            Checked::Ok(p, _, _) => Some(p.id.clone()),
            Checked::Rejected(_) => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(chunk);
    }
    let theirs: std::collections::HashMap<String, String> = rt
        .block_on(concord_federation::authoring::bound_to_others(
            &node.store,
            &node.config.node.identity,
            members,
            ids,
        ))?
        .into_iter()
        .collect();
    Ok(chunk
        .into_iter()
        .map(|c| match c {
            Checked::Ok(p, _, line) if theirs.contains_key(&p.id) => {
                let owner = &theirs[&p.id];
                Checked::Rejected(Rejection {
                    file: file.to_string(),
                    line,
                    path: "$".into(),
                    id: Some(p.id.clone()),
                    issues: vec![Issue::error(
                        "$.id",
                        "author-binding",
                        concord_federation::authoring::refusal(&p.id, owner),
                    )],
                })
            }
            other => other,
        })
        .collect())
}

fn finish(global: &Global, mut report: Report, started: Instant) -> Result<Outcome> {
    if report.seconds == 0.0 {
        report.seconds = started.elapsed().as_secs_f64();
    }
    report.objects_per_second = report.read as f64 / report.seconds.max(1e-9);
    report.peak_rss_bytes = peak_rss_bytes();
    if global.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "read {} objects in {:.2}s ({:.0}/s, search index {:.2}s): {} stored, {} already held, {} rejected, {} warnings",
            report.read,
            report.seconds,
            report.objects_per_second,
            report.index_seconds,
            report.stored,
            report.duplicates,
            report.rejected,
            report.warnings
        );
        if !report.unmapped.is_empty() {
            eprintln!(
                "{} MISP records were not mapped (listed above)",
                report.unmapped.len()
            );
        }
        if let Some(note) = &report.note {
            eprintln!("note: {note}");
        }
    }
    Ok(if report.rejected > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    })
}
