//! What `concord import` reads besides STIX: MISP events (a file, a list,
//! a `restSearch` answer, a feed directory) and CSV and plain-text IOC
//! lists, turned into objects this member publishes (marked, addressed
//! and signed), with every record that gave nothing named.
//!
//! How the format is told without `--format`: a directory holding
//! `manifest.json` is a MISP feed; a file named `*.csv` is CSV and `*.txt`
//! text; a JSON file whose first key is `Event` or `response` (or a list
//! whose first item's is `Event`) is MISP; anything else is STIX, read by
//! the node's own pipeline.
//!
//! Why lists keep a state: a list carries no ids or times, yet importing
//! it again must not make new versions of unchanged lines. Its indicators
//! take ids from the list's name (its file name) and each value, and their
//! times from a state kept as a store record per list name, exactly as a
//! feed's (concord_feeds::state).

use std::path::Path;

use concord_feeds::{ColumnMapping, CsvOptions, FeedFormat, FeedSpec, FeedState, Parsed};
use concord_misp::{ImportReport, Importer, Unmapped};
use concord_stix::Timestamp;
use concord_store::{AnyStore, PreparedObject, Record, Store};
use serde_json::{Map, Value};

use crate::addressing::{Floor, Signer, Unsigned};
use crate::directory::Directory;
use crate::feed::record::read_json;
use crate::{BridgeError, Result};

/// The record kind of the states of lists imported from files.
pub const LIST_STATE_KIND: &str = "list-state";

/// The formats `concord import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// STIX 2.1 bundles, arrays and JSON lines (the node's own pipeline).
    Stix,
    /// MISP events and feed directories.
    Misp,
    /// CSV IOC lists.
    Csv,
    /// Plain-text IOC lists, one value a line.
    Text,
}

impl Format {
    /// `stix`, `misp`, `csv` or `text`.
    pub fn parse(word: &str) -> Option<Format> {
        match word.to_ascii_lowercase().as_str() {
            "stix" => Some(Format::Stix),
            "misp" => Some(Format::Misp),
            "csv" => Some(Format::Csv),
            "text" | "txt" => Some(Format::Text),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn word(self) -> &'static str {
        match self {
            Format::Stix => "stix",
            Format::Misp => "misp",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }
}

/// The format of a path given without `--format` (see the module doc).
pub fn detect(path: &Path) -> Result<Format> {
    let io = |source| BridgeError::Io {
        file: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Ok(if path.join("manifest.json").is_file() {
            Format::Misp
        } else {
            Format::Stix
        });
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => return Ok(Format::Csv),
        Some("txt") => return Ok(Format::Text),
        _ => {}
    }
    let mut head = vec![0u8; 4096];
    let n =
        std::io::Read::read(&mut std::fs::File::open(path).map_err(io)?, &mut head).map_err(io)?;
    Ok(sniff(&head[..n]))
}

/// MISP or STIX, from the first bytes of a JSON document.
pub fn sniff(head: &[u8]) -> Format {
    let mut rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let skip_ws = |r: &mut &[u8]| {
        while let [b' ' | b'\n' | b'\r' | b'\t', tail @ ..] = *r {
            *r = tail;
        }
    };
    skip_ws(&mut rest);
    let mut in_list = false;
    if let [b'[', tail @ ..] = rest {
        rest = tail;
        skip_ws(&mut rest);
        in_list = true;
    }
    let [b'{', tail @ ..] = rest else {
        return Format::Stix;
    };
    rest = tail;
    skip_ws(&mut rest);
    let key: &[u8] = match rest {
        [b'"', tail @ ..] => {
            let end = tail.iter().position(|b| *b == b'"').unwrap_or(tail.len());
            &tail[..end]
        }
        _ => return Format::Stix,
    };
    match key {
        b"Event" => Format::Misp,
        b"response" if !in_list => Format::Misp,
        _ => Format::Stix,
    }
}

/// How objects are published: who signs, what directory maps sharing
/// groups, and the operator's floor (`--tlp`, `--audience`).
pub struct Publishing<'a> {
    /// Who signs.
    pub signer: Signer<'a>,
    /// The community's members and groups.
    pub directory: &'a Directory,
    /// The operator's floor.
    pub floor: Floor,
}

/// A record of the input that gave no object, or an object that could
/// not be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The 1-based line of a list (0 for MISP and other JSON input).
    pub line: u64,
    /// The object's id, when there is one.
    pub id: Option<String>,
    /// What rule was broken.
    pub rule: &'static str,
    /// Why.
    pub reason: String,
}

/// What an input gave.
#[derive(Debug, Default)]
pub struct Intake {
    /// The objects to store, signed, in input order.
    pub objects: Vec<PreparedObject>,
    /// What gave nothing and why.
    pub rejected: Vec<Rejected>,
    /// MISP records that gave no object, with the reason.
    pub unmapped: Vec<Unmapped>,
    /// MISP counts (events, attributes read and mapped).
    pub misp: ImportReport,
    /// Values a list gave twice (kept once).
    pub duplicates: usize,
    /// A list's state, to commit once its objects are stored.
    pub pending: Option<PendingList>,
}

/// The rejection of an object that could not be published.
pub fn unsigned(u: Unsigned) -> Rejected {
    Rejected {
        line: 0,
        id: Some(u.id),
        rule: "authoring",
        reason: u.reason,
    }
}

/// Where MISP input comes from.
pub enum MispInput<'a> {
    /// JSON: an event, a list, a `restSearch` answer.
    Bytes(&'a [u8]),
    /// A feed directory (`manifest.json` and `<uuid>.json`).
    Feed(&'a Path),
}

/// An object to publish: what it is and with what sharing (the floor
/// already applied).
pub type Unpublished = (Map<String, Value>, concord_misp::Sharing);

/// Converts MISP input and publishes what it gives: each object marked and
/// addressed from its event's, object's and attribute's sharing, held to
/// the floor, and signed.
pub fn misp(input: MispInput<'_>, with: &Publishing<'_>) -> Result<Intake> {
    let (items, mut intake) = misp_unpublished(input, with)?;
    publish(items, with, &mut intake);
    Ok(intake)
}

/// [`misp`] without the signing: the objects in input order, each with its
/// sharing held to the floor, for a caller that publishes them
/// ([`Signer::publish`]) as it stores them; the intake carries the counts
/// and what gave nothing.
pub fn misp_unpublished(
    input: MispInput<'_>,
    with: &Publishing<'_>,
) -> Result<(Vec<Unpublished>, Intake)> {
    let importer =
        Importer::new(with.directory.resolver()).with_unspecified(with.floor.unspecified());
    let conversion = match input {
        MispInput::Bytes(b) => importer.convert_bytes(b)?,
        MispInput::Feed(dir) => importer.convert_feed(dir)?,
    };
    let items: Vec<Unpublished> = conversion
        .objects
        .into_iter()
        .map(|c| {
            let s = with.floor.apply(&c.sharing);
            (c.object, s)
        })
        .collect();
    let mut intake = Intake {
        misp: conversion.report,
        ..Intake::default()
    };
    intake.unmapped = std::mem::take(&mut intake.misp.unmapped);
    Ok((items, intake))
}

/// A list's state, committed once its objects are stored.
#[derive(Debug)]
pub struct PendingList {
    name: String,
    state: FeedState,
}

impl PendingList {
    /// Saves the state: the next import of the same list gives the same
    /// versions of unchanged lines.
    pub async fn commit(self, store: &AnyStore) -> Result<()> {
        let value = serde_json::to_string(&self.state).map_err(|e| BridgeError::Record {
            kind: LIST_STATE_KIND,
            key: self.name.clone(),
            reason: e.to_string(),
        })?;
        store
            .put_records(vec![Record {
                kind: LIST_STATE_KIND.into(),
                key: self.name,
                value,
                updated_us: 0,
            }])
            .await?;
        Ok(())
    }
}

/// The spec of a list imported from a file named `name`. Its indicators
/// cite the list as `urn:concord:list:<name>` (an external reference needs
/// an absolute URI, and the file's path on this machine is nobody else's
/// business).
pub fn list_spec(
    name: &str,
    format: Format,
    floor: &Floor,
    columns: Vec<ColumnMapping>,
) -> FeedSpec {
    let mut urn = String::from("urn:concord:list:");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            urn.push(char::from(b));
        } else {
            urn.push_str(&format!("%{b:02X}"));
        }
    }
    FeedSpec {
        name: name.to_string(),
        url: urn,
        format: if format == Format::Csv {
            FeedFormat::Csv
        } else {
            FeedFormat::Text
        },
        interval_secs: 0,
        tlp: floor.tlp,
        audience: floor.audience.clone(),
        collection: None,
        csv: CsvOptions {
            columns,
            ..CsvOptions::default()
        },
    }
}

/// Reads a CSV or text list and publishes its indicators (each marked
/// with the floor's level and audience, unmarked without one); bad lines
/// are rejected with their line number. The list's state is read from the
/// store; commit [`Intake::pending`] after storing the objects.
pub async fn list(
    store: &AnyStore,
    spec: &FeedSpec,
    body: &[u8],
    now: Timestamp,
    with: &Publishing<'_>,
) -> Result<Intake> {
    let state: FeedState = match store.record(LIST_STATE_KIND, &spec.name).await? {
        Some(r) => read_json(LIST_STATE_KIND, &r)?,
        None => FeedState::default(),
    };
    let parsed =
        concord_feeds::parse(spec, body, now, &state, &crate::feed::pull::Foreign::none())?;
    let mut intake = Intake {
        duplicates: parsed.duplicates,
        ..Intake::default()
    };
    for p in &parsed.problems {
        intake.rejected.push(Rejected {
            line: p.line,
            id: None,
            rule: "list-line",
            reason: match (&p.column, &p.column_name) {
                (Some(c), Some(n)) => format!("column {c} ({n}): {}", p.reason),
                (Some(c), None) => format!("column {c}: {}", p.reason),
                _ => p.reason.clone(),
            },
        });
    }
    // Unchanged lines too: they come back as the very versions the store
    // holds, and the report counts them as already held.
    let all: Vec<_> = parsed
        .objects
        .iter()
        .map(|o| (o.object.clone(), with.floor.of_object(&o.object)))
        .collect();
    publish(all, with, &mut intake);
    let mut state = state;
    state.commit(&parsed, Default::default(), &now.to_stix());
    intake.pending = Some(PendingList {
        name: spec.name.clone(),
        state,
    });
    Ok(intake)
}

/// Publishes the new and changed objects of a parsed body under the floor.
pub(crate) fn publish_parsed(parsed: &Parsed, with: &Publishing<'_>, intake: &mut Intake) {
    let items: Vec<_> = parsed
        .to_store()
        .map(|o| (o.clone(), with.floor.of_object(o)))
        .collect();
    publish(items, with, intake);
}

fn publish(items: Vec<Unpublished>, with: &Publishing<'_>, intake: &mut Intake) {
    for r in with.signer.publish_all(items) {
        match r {
            Ok(p) => intake.objects.push(p),
            Err(u) => intake.rejected.push(unsigned(u)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_misp_from_stix() {
        for (text, want) in [
            (r#"{"Event": {"uuid": "x"}}"#, Format::Misp),
            ("\u{feff}\n  { \"response\": []}", Format::Misp),
            (r#"[{"Event": {}}]"#, Format::Misp),
            (r#"{"type": "bundle", "objects": []}"#, Format::Stix),
            (r#"{"id": "bundle--1", "type": "bundle"}"#, Format::Stix),
            (r#"[{"type": "indicator"}]"#, Format::Stix),
            (r#"[{"response": []}]"#, Format::Stix),
            ("", Format::Stix),
            ("{", Format::Stix),
        ] {
            assert_eq!(sniff(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn paths_are_detected_by_directory_extension_and_content() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed");
        std::fs::create_dir(&feed).unwrap();
        std::fs::write(feed.join("manifest.json"), "{}").unwrap();
        assert_eq!(detect(&feed).unwrap(), Format::Misp);
        assert_eq!(detect(dir.path()).unwrap(), Format::Stix);
        let csv = dir.path().join("ips.CSV");
        std::fs::write(&csv, "value\n192.0.2.1\n").unwrap();
        assert_eq!(detect(&csv).unwrap(), Format::Csv);
        let event = dir.path().join("event.json");
        std::fs::write(&event, r#"{"Event": {}}"#).unwrap();
        assert_eq!(detect(&event).unwrap(), Format::Misp);
        assert!(detect(&dir.path().join("missing.json")).is_err());
    }
}
