//! Bulk import into a concord store: what `concord import` does, without
//! the command line.
//!
//! What it is for: reading STIX bundles, arrays and JSON lines from files,
//! directories or standard input, streamed (never holding a file), checking
//! every object in parallel (strict JSON, STIX 2.1 validation, STIX
//! patterns with the pattern grammar), optionally authoring it here (marked,
//! signed and given its entry in the node's transparency log, refusing ids
//! that belong to other members), and storing what passed in input order,
//! in large batches with two in flight; every object that is not stored is
//! named with its file, line, JSON path and the rules it broke. `--strict`
//! imports check the whole input first and store nothing if anything is
//! rejected. MISP events and CSV and text lists ([`foreign`]) are converted
//! and published as this member's by concord_bridge and stored by the same
//! writer; signed bundles from other members ([`signed`]) are taken in
//! whole or not at all.
//!
//! What it must never do: store an object that failed a check, drop one
//! without a rejection, hold a whole input in memory, print, or read
//! configuration (the caller hands in the store, the sources and an
//! [`Observer`] for progress and messages).

mod binding;
mod check;
pub mod foreign;
mod pipeline;
pub mod signed;
mod source;
mod writer;

use std::time::Instant;

use concord_bridge::intake::Unpublished;
use concord_federation::authoring::Authoring;
use concord_stix::Issue;
use concord_store::{AnyStore, PreparedObject, Store};
use serde::Serialize;
use tokio::runtime::Handle;

pub use binding::Binding;
pub use check::Rejection;
pub use concord_bridge::intake::Format;
pub use foreign::Foreign;
pub use source::{Source, collect_sources, spool_stdin};

use check::{Checked, Preparation};
use writer::BatchWriter;

/// Rejections kept in the report (all are counted and told to the observer).
const MAX_LISTED: usize = 10_000;

/// Rows indexed per step when the search index is caught up at the end:
/// each step writes a chunk per distinct trigram, so large steps keep the
/// index a few chunks per trigram; a step holds its postings in memory
/// (about 130 bytes a row).
const INDEX_STEP: usize = 250_000;

/// Errors that stop an import (rejected objects do not: they are reported).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// An input could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A directory named as input holds nothing to import.
    #[error("{0} holds no *.json, *.jsonl or *.ndjson file")]
    EmptyDirectory(String),
    /// The store refused a batch: nothing of that batch was stored.
    #[error("writing to collection {collection}: {source}")]
    Write {
        /// The collection written to.
        collection: String,
        /// The store's error.
        source: concord_store::StoreError,
    },
    /// The store failed outside a batch write (search index, lookups).
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
    /// Telling whose ids are whose failed.
    #[error("checking whose objects these are: {0}")]
    Binding(#[from] concord_federation::FederationError),
    /// A background write task died.
    #[error("a write task failed: {0}")]
    Task(String),
    /// A MISP, CSV or text input could not be read or converted (what and
    /// where).
    #[error("{0}")]
    Foreign(String),
    /// A signed bundle failed its checks: nothing of it was stored.
    #[error("{0}; nothing was stored")]
    Refused(String),
}

/// How to import.
pub struct Options<'a> {
    /// The collection objects are filed in.
    pub collection: String,
    /// Store nothing if any object is rejected.
    pub strict: bool,
    /// Bring the search index up to date before returning (false leaves
    /// it to the server or the next search).
    pub index: bool,
    /// Author what the input holds (mark and sign it) instead of storing
    /// it as received.
    pub authoring: Option<&'a Authoring>,
    /// With authoring (or foreign inputs): refuse the ids of other
    /// members' objects.
    pub binding: Option<Binding>,
    /// This member's identity id and node key (hex): versions it signed
    /// elsewhere go in with their log entry.
    pub own: Option<(String, String)>,
    /// How MISP, CSV and text inputs are published (required when a
    /// source is of one of those formats).
    pub foreign: Option<&'a Foreign>,
}

/// Which pass over a source is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// `--strict`'s first pass: checking only.
    Checking,
    /// Checking and storing.
    Storing,
}

/// What an import tells its caller while it runs (all optional).
pub trait Observer {
    /// A pass over a source starts.
    fn source(&mut self, _name: &str, _pass: Pass) {}
    /// The size of the source being read, when it is known.
    fn size(&mut self, _bytes: u64) {}
    /// Bytes of the source read so far, and objects read in all.
    fn progress(&mut self, _bytes: u64, _objects: u64) {}
    /// The pass over the source is over.
    fn source_done(&mut self) {}
    /// An object was rejected.
    fn rejected(&mut self, _rejection: &Rejection) {}
    /// An object was stored with warnings (open-vocabulary values, SHOULD rules).
    fn warnings(&mut self, _file: &str, _line: usize, _id: &str, _warnings: &[Issue]) {}
    /// A MISP record gave no object (file, event, record, uuid, type,
    /// reason, path).
    fn unmapped(&mut self, _record: &serde_json::Value) {}
    /// The search index is being caught up: this many versions to go.
    fn indexing(&mut self, _backlog: u64) {}
    /// `n` more versions were indexed.
    fn indexed(&mut self, _n: u64) {}
}

/// An observer that wants to know nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// What an import did.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The sources read, by name.
    pub files: Vec<String>,
    /// Objects read.
    pub read: u64,
    /// New versions stored.
    pub stored: u64,
    /// Versions the store already held.
    pub duplicates: u64,
    /// Objects rejected.
    pub rejected: u64,
    /// Warnings raised by stored objects.
    pub warnings: u64,
    /// Time to read, check and durably store the objects.
    pub seconds: f64,
    /// `read` / `seconds`.
    pub objects_per_second: f64,
    /// Time to bring the search index up to date afterwards.
    pub index_seconds: f64,
    /// The first rejections, in input order.
    pub rejections: Vec<Rejection>,
    /// More were rejected than `rejections` lists.
    pub rejections_truncated: bool,
    /// `--strict` found rejections, so nothing was stored.
    #[serde(skip)]
    pub strict_refused: bool,
    /// MISP records that gave no object, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmapped: Vec<serde_json::Value>,
    /// MISP events and attributes read and mapped, per input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub misp: Vec<serde_json::Value>,
    /// What the counts alone do not say (objects authoring left unmarked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The process's peak resident memory, filled in by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
}

impl Report {
    fn note(&mut self, r: Rejection, observer: &mut dyn Observer) {
        observer.rejected(&r);
        self.rejected += 1;
        if self.rejections.len() < MAX_LISTED {
            self.rejections.push(r);
        } else {
            self.rejections_truncated = true;
        }
    }
}

/// Worker threads that check objects.
fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
}

/// Imports `sources` (each with its format) into `store`. `rt` runs the
/// store's futures.
pub fn import(
    rt: &Handle,
    store: &AnyStore,
    sources: &[(Source, Format)],
    options: &Options<'_>,
    observer: &mut dyn Observer,
) -> Result<Report, IngestError> {
    let started = Instant::now();
    let mut report = Report {
        files: sources.iter().map(|(s, _)| s.name()).collect(),
        ..Default::default()
    };
    let prep = Preparation {
        authoring: options.authoring,
        own: options.own.as_ref(),
        encoder: None,
    };
    let workers = workers();
    let reading = Reading {
        rt,
        store,
        prep: &prep,
        workers,
        options,
    };
    if options.strict {
        for (source, format) in sources {
            observer.source(&source.name(), Pass::Checking);
            reading.read(source, *format, observer, &mut |chunk, observer| {
                for c in chunk {
                    report.read += 1;
                    match c {
                        Checked::Ok(_, w, _) => report.warnings += w.len() as u64,
                        Checked::Rejected(r) => report.note(r, observer),
                    }
                }
                Ok(report.read)
            })?;
            observer.source_done();
        }
        if report.rejected > 0 {
            report.strict_refused = true;
            return Ok(finish(report, started));
        }
        report.read = 0;
        report.warnings = 0;
    }
    let storing = Preparation {
        encoder: store.encoder(options.index),
        ..prep
    };
    let reading = Reading {
        prep: &storing,
        ..reading
    };
    let batch_size = writer::batch_size(store);
    let mut writer = BatchWriter::new(
        rt.clone(),
        store.clone(),
        &options.collection,
        options.index,
    )?;
    let mut pending = Vec::new();
    for (source, format) in sources {
        let name = source.name();
        observer.source(&name, Pass::Storing);
        let mut batch: Vec<PreparedObject> = Vec::with_capacity(batch_size);
        let notes = reading.read(source, *format, observer, &mut |chunk, observer| {
            for c in chunk {
                report.read += 1;
                match c {
                    Checked::Ok(p, warnings, line) => {
                        report.warnings += warnings.len() as u64;
                        if !warnings.is_empty() {
                            observer.warnings(&name, line, &p.id, &warnings);
                        }
                        batch.push(*p);
                    }
                    Checked::Rejected(r) => report.note(r, observer),
                }
            }
            if batch.len() >= batch_size {
                writer.submit(std::mem::take(&mut batch))?;
            }
            Ok(report.read)
        })?;
        writer.submit(batch)?;
        if let Some(n) = notes {
            for u in &n.unmapped {
                observer.unmapped(u);
            }
            report.unmapped.extend(n.unmapped);
            report.misp.extend(n.misp);
            pending.extend(n.pending);
        }
        observer.source_done();
    }
    writer.finish()?;
    // A list's state is kept only once its indicators are stored.
    for p in pending {
        rt.block_on(p.commit(store))
            .map_err(|e| IngestError::Foreign(format!("keeping the list's state: {e}")))?;
    }
    report.stored = writer.written.stored;
    report.duplicates = writer.written.duplicates;
    report.seconds = started.elapsed().as_secs_f64();
    if options.authoring.is_some() && report.duplicates > 0 {
        // The same (id, modified) is the same version: it is not stored
        // again, so the marking never reaches it.
        report.note = Some(format!(
            "{} objects were already held in the same version and were left as they were, without the --tlp marking: to mark or re-address an object this node holds, use `concord mark ID --tlp LEVEL [--audience ...]`",
            report.duplicates
        ));
    }
    if options.index {
        let indexing = Instant::now();
        observer.indexing(rt.block_on(store.search_backlog())?);
        loop {
            let n = rt.block_on(store.index_search(INDEX_STEP))?;
            if n == 0 {
                break;
            }
            observer.indexed(n as u64);
        }
        report.index_seconds = indexing.elapsed().as_secs_f64();
    }
    Ok(finish(report, started))
}

/// What takes each chunk of checked objects: it gets the observer and
/// answers how many objects were read so far (for progress).
type Take<'t> = dyn FnMut(Vec<Checked>, &mut dyn Observer) -> Result<u64, IngestError> + 't;

/// How sources are read: STIX through the pipeline, foreign formats
/// through concord_bridge; chunks bound to their authors either way.
struct Reading<'r> {
    rt: &'r Handle,
    store: &'r AnyStore,
    prep: &'r Preparation<'r>,
    workers: usize,
    options: &'r Options<'r>,
}

impl Reading<'_> {
    fn bind(&self, name: &str, chunk: Vec<Checked>) -> Result<Vec<Checked>, IngestError> {
        match &self.options.binding {
            Some(b) => b.refuse_others(self.rt, self.store, name, chunk),
            None => Ok(chunk),
        }
    }

    /// One source's objects, in input order, chunk by chunk, to `take`.
    fn read(
        &self,
        source: &Source,
        format: Format,
        observer: &mut dyn Observer,
        take: &mut Take<'_>,
    ) -> Result<Option<foreign::Notes>, IngestError> {
        let name = source.name();
        match (format, self.options.foreign) {
            (Format::Stix, _) | (_, None) => {
                let (input, len) = source.open()?;
                if let Some(len) = len {
                    observer.size(len);
                }
                pipeline::run(
                    input,
                    &name,
                    self.prep,
                    self.workers,
                    &mut |chunk, bytes| {
                        let read = take(self.bind(&name, chunk)?, observer)?;
                        observer.progress(bytes, read);
                        Ok(())
                    },
                )?;
                Ok(None)
            }
            (_, Some(f)) => {
                let (objects, notes) = f.read(self.rt, self.store, source, format)?;
                match objects {
                    foreign::Objects::Checked(chunk) => {
                        let read = take(self.bind(&name, chunk)?, observer)?;
                        observer.progress(0, read);
                    }
                    foreign::Objects::Unpublished(items) => {
                        // Signing is most of the cost: on the workers, chunk
                        // by chunk, so the writer stores the first chunks
                        // while the last are signed.
                        let signer = f.signer();
                        let publish = |(object, sharing): Unpublished| match signer
                            .publish(object, &sharing)
                        {
                            Ok(mut p) => {
                                if let Some(e) = &self.prep.encoder {
                                    e.prepare(&mut p);
                                }
                                Checked::Ok(Box::new(p), Vec::new(), 0)
                            }
                            Err(u) => foreign::Foreign::unsigned(&name, u),
                        };
                        pipeline::in_order(
                            pipeline::chunks(items),
                            self.workers,
                            &publish,
                            &mut |chunk| {
                                let read = take(self.bind(&name, chunk)?, observer)?;
                                observer.progress(0, read);
                                Ok(())
                            },
                        )?;
                    }
                }
                Ok(Some(notes))
            }
        }
    }
}

fn finish(mut report: Report, started: Instant) -> Report {
    if report.seconds == 0.0 {
        report.seconds = started.elapsed().as_secs_f64();
    }
    report.objects_per_second = report.read as f64 / report.seconds.max(1e-9);
    report
}
