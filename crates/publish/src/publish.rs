//! One export of a view: read, select, write, and keep the sids and the
//! serial.

use std::io::Write as _;

use concord_exports::{
    Authors, ExportContext, ExportReport, ExtraFile, Format, RpzOptions, SidTable, SuricataOptions,
    Target, TextOptions, ZeekOptions, export,
};
use concord_stix::Timestamp;
use concord_store::Store;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::scope::{Loaded, Want, load};
use crate::{OutputFormat, PublishError, Query, Scope, state};

/// How many times a Suricata export starts again when another export
/// stored the sid table while it ran.
const SID_ATTEMPTS: usize = 5;

/// One export's output.
#[derive(Debug, Clone)]
pub struct Published {
    /// What it is.
    pub format: OutputFormat,
    /// The output (the zone, the rules, the bundle...).
    pub body: Vec<u8>,
    /// What an enforcement export wrote and left out (none for STIX),
    /// with the files that go beside the output (Suricata's hash lists).
    pub report: Option<ExportReport>,
    /// Objects in a STIX bundle; indicators that contributed otherwise.
    pub exported: usize,
    /// A strong HTTP entity tag of the body (quoted): it changes when,
    /// and only when, the body does.
    pub etag: String,
    /// The RPZ zone's SOA serial.
    pub serial: Option<u32>,
}

impl Published {
    /// A file that goes beside the output, by name.
    pub fn file(&self, name: &str) -> Option<&ExtraFile> {
        self.report
            .as_ref()
            .and_then(|r| r.files.iter().find(|f| f.name == name))
    }

    /// The bytes the output and its files hold together (the cache's
    /// measure).
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .report
                .as_ref()
                .map_or(0, |r| r.files.iter().map(|f| f.content.len()).sum())
    }
}

/// A strong, quoted HTTP entity tag of `bytes` (a file beside an output).
pub fn etag(bytes: &[u8]) -> String {
    etag_of(bytes, &[])
}

/// A quoted entity tag of an output and the files beside it (a change of
/// a hash list must reach pollers of the rules that name it).
fn etag_of(body: &[u8], files: &[ExtraFile]) -> String {
    let mut h = Sha256::new();
    h.update(body);
    for f in files {
        h.update((f.name.len() as u64).to_le_bytes());
        h.update(f.name.as_bytes());
        h.update((f.content.len() as u64).to_le_bytes());
        h.update(&f.content);
    }
    format!("\"{}\"", &hex::encode(h.finalize())[..40])
}

fn task(e: tokio::task::JoinError) -> PublishError {
    PublishError::Task(e.to_string())
}

/// Exports what `scope` holds as `query` asks, deciding activity at `now`.
pub async fn publish<S: Store + Clone + 'static>(
    store: &S,
    scope: &Scope,
    query: &Query,
    now: Timestamp,
) -> Result<Published, PublishError> {
    query.check()?;
    match query.format {
        OutputFormat::Stix => stix(store, scope, query).await,
        OutputFormat::Enforcement(format) => enforcement(store, scope, query, format, now).await,
    }
}

/// A STIX bundle of the latest versions; its id is derived from its
/// content, so an unchanged bundle is byte for byte the same.
async fn stix<S: Store + Clone + 'static>(
    store: &S,
    scope: &Scope,
    query: &Query,
) -> Result<Published, PublishError> {
    let loaded = load(
        store,
        scope,
        &Want {
            query,
            types: query.types.clone(),
            texts: true,
            drop_revoked: !query.include_inactive,
            // What the filters read.
            properties: Some(vec!["modified", "revoked", "object_marking_refs"]),
        },
    )
    .await?;
    let mut objects = Vec::with_capacity(loaded.texts.iter().map(|t| t.len() + 2).sum());
    for (i, text) in loaded.texts.iter().enumerate() {
        objects.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        objects.extend_from_slice(text.as_bytes());
    }
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, &Sha256::digest(&objects));
    let mut body = Vec::with_capacity(objects.len() + 100);
    let _ = write!(
        body,
        "{{\"type\":\"bundle\",\"id\":\"bundle--{id}\",\"objects\":["
    );
    body.extend_from_slice(&objects);
    body.extend_from_slice(b"\n]}\n");
    Ok(Published {
        format: OutputFormat::Stix,
        etag: etag(&body),
        body,
        report: None,
        exported: loaded.texts.len(),
        serial: None,
    })
}

/// The names of the authors the view holds identities of (Zeek's
/// `meta.source`, the CSV `author`); other formats name none.
async fn authors<S: Store + Clone + 'static>(
    store: &S,
    scope: &Scope,
    query: &Query,
    format: Format,
) -> Result<Authors, PublishError> {
    if !matches!(format, Format::Zeek | Format::Csv) {
        return Ok(Authors::new());
    }
    // Only the view's own identities: a name the recipient may not see is
    // not given away beside an indicator it may.
    let mut unfiltered = query.clone();
    unfiltered.max_tlp = None;
    unfiltered.since = None;
    let identities = load(
        store,
        scope,
        &Want {
            query: &unfiltered,
            types: vec!["identity".into()],
            texts: false,
            drop_revoked: true,
            properties: None,
        },
    )
    .await?;
    Ok(Authors::from_identities(&identities.maps))
}

async fn enforcement<S: Store + Clone + 'static>(
    store: &S,
    scope: &Scope,
    query: &Query,
    format: Format,
    now: Timestamp,
) -> Result<Published, PublishError> {
    let authors = authors(store, scope, query, format).await?;
    let Loaded { maps, .. } = load(
        store,
        scope,
        &Want {
            query,
            types: vec!["indicator".into()],
            texts: false,
            // The selection reports revoked and withdrawn indicators.
            drop_revoked: false,
            properties: Some(properties(query, format)),
        },
    )
    .await?;
    let kinds = query.kinds()?;
    let (include_inactive, min_confidence) = (query.include_inactive, query.min_confidence);
    let run = move |maps: &[Map<String, Value>],
                    target: Target<'_>|
          -> Result<(Vec<u8>, ExportReport), PublishError> {
        let mut ctx = ExportContext::new(now, &authors).with_kinds(kinds.clone());
        ctx.include_inactive = include_inactive;
        ctx.min_confidence = min_confidence;
        let mut out = Vec::with_capacity(maps.len() * 48);
        let report = export(target, maps, &ctx, &mut out)?;
        Ok((out, report))
    };
    match format {
        Format::Rpz => {
            let mut options = RpzOptions::new(0);
            options.zone = query.zone.clone();
            options.action = query.action.clone();
            options.wildcard = query.wildcard;
            options.url_hosts = query.url_hosts;
            let (mut body, report) =
                tokio::task::spawn_blocking(move || run(&maps, Target::Rpz(options)))
                    .await
                    .map_err(task)??;
            let digest = hex::encode(Sha256::digest(&body));
            let (scope_key, query_key) = (scope.key(), query.key());
            let key = hex::encode(&Sha256::digest(format!("{scope_key}\n{query_key}"))[..16]);
            let serial = state::zone_serial(
                store,
                &key,
                &digest,
                (&query.zone, &scope_key, &query_key),
                now,
            )
            .await?;
            concord_exports::serial::stamp(&mut body, serial);
            Ok(finish(query, body, report, Some(serial)))
        }
        Format::Suricata => {
            let options = SuricataOptions {
                sids: query.sids,
                ..SuricataOptions::default()
            };
            let shared = std::sync::Arc::new(maps);
            for _ in 0..SID_ATTEMPTS {
                let (table, read_at) = state::sid_table(store).await?;
                let (maps, options, run) = (shared.clone(), options.clone(), run.clone());
                let (body, report, table, changed) = tokio::task::spawn_blocking(move || {
                    let mut after: SidTable = table.clone();
                    let (body, report) = run(&maps, Target::Suricata(options, &mut after))?;
                    let changed = after != table;
                    Ok::<_, PublishError>((body, report, after, changed))
                })
                .await
                .map_err(task)??;
                if !changed || state::save_sid_table(store, &table, read_at).await? {
                    return Ok(finish(query, body, report, None));
                }
            }
            Err(PublishError::Task(
                "other exports kept changing the sid table; try again".into(),
            ))
        }
        Format::Zeek | Format::Hosts | Format::Text | Format::Csv => {
            let target = move || match format {
                Format::Zeek => Target::Zeek(ZeekOptions::default()),
                Format::Hosts => Target::Hosts,
                Format::Text => Target::Text(TextOptions::default()),
                _ => Target::Csv,
            };
            let (body, report) = tokio::task::spawn_blocking(move || run(&maps, target()))
                .await
                .map_err(task)??;
            Ok(finish(query, body, report, None))
        }
    }
}

/// What an export to `format` reads, and what the query's filters read.
fn properties(query: &Query, format: Format) -> Vec<&'static str> {
    let mut p = concord_exports::properties(format).to_vec();
    if query.max_tlp.is_some() && !p.contains(&"object_marking_refs") {
        p.push("object_marking_refs");
    }
    p
}

fn finish(query: &Query, body: Vec<u8>, report: ExportReport, serial: Option<u32>) -> Published {
    Published {
        format: query.format,
        etag: etag_of(&body, &report.files),
        body,
        exported: report.indicators,
        report: Some(report),
        serial,
    }
}
