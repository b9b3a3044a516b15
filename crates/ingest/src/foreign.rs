//! MISP events and CSV and text IOC lists: which format each input is
//! (given, else detected by concord_bridge), and each foreign input
//! converted, marked, addressed and signed by concord_bridge into the
//! objects the import stores.

use std::io::Read;
use std::path::Path;

use concord_bridge::addressing::Unsigned;
use concord_bridge::intake::{self, Format, MispInput, PendingList, Publishing, Unpublished};
use concord_bridge::{Directory, Floor, Signer};
use concord_feeds::ColumnMapping;
use concord_stix::Issue;
use concord_store::AnyStore;
use concord_trust::Keypair;
use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::IngestError;
use crate::check::{Checked, Rejection};
use crate::source::{Source, collect_sources};

/// Each input with its format: `given` for all, else detected (a directory
/// with `manifest.json` is a MISP feed, other directories are walked for
/// STIX files; standard input is STIX).
pub fn sources(
    inputs: &[String],
    given: Option<&str>,
) -> Result<Vec<(Source, Format)>, IngestError> {
    let given = given
        .map(|w| {
            Format::parse(w).ok_or_else(|| {
                IngestError::Foreign(format!("--format {w:?}: expected stix, misp, csv or text"))
            })
        })
        .transpose()?;
    let mut out = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        let format = match given {
            Some(f) => f,
            None if input == "-" => Format::Stix,
            None => intake::detect(path).map_err(|e| IngestError::Foreign(e.to_string()))?,
        };
        match format {
            Format::Stix => out.extend(
                collect_sources(std::slice::from_ref(input))?
                    .into_iter()
                    .map(|s| (s, Format::Stix)),
            ),
            _ if input == "-" => out.push((Source::Stdin, format)),
            Format::Misp => out.push((Source::File(path.to_path_buf()), format)),
            _ if path.is_dir() => {
                return Err(IngestError::Foreign(format!(
                    "{input} is a directory: --format {} reads one list file",
                    format.word()
                )));
            }
            _ => out.push((Source::File(path.to_path_buf()), format)),
        }
    }
    Ok(out)
}

/// What one foreign input gave besides its objects.
#[derive(Default)]
pub(crate) struct Notes {
    /// MISP records that gave no object, as the report lists them.
    pub unmapped: Vec<Value>,
    /// MISP counts: events, attributes read and mapped.
    pub misp: Option<Value>,
    /// A list's state, to commit once its objects are stored.
    pub pending: Option<PendingList>,
}

/// The objects of one foreign input.
pub(crate) enum Objects {
    /// Published already (lists), with what could not be.
    Checked(Vec<Checked>),
    /// To publish, in input order (MISP: signed on the import's workers
    /// as the store takes them, rather than all before it takes any).
    Unpublished(Vec<Unpublished>),
}

/// How foreign inputs are published: as this member (its identity and
/// node key), addressed through the community's directory, held to the
/// operator's floor.
pub struct Foreign {
    member: String,
    key: Keypair,
    directory: Directory,
    floor: Floor,
    columns: Vec<ColumnMapping>,
}

impl Foreign {
    /// Publishing as `member` with `key`; `columns` are the CSV column
    /// mappings (`COLUMN=TARGET`), checked here.
    pub fn new(
        member: String,
        key: Keypair,
        directory: Directory,
        floor: Floor,
        columns: &[String],
    ) -> Result<Foreign, IngestError> {
        let columns = columns
            .iter()
            .map(|c| {
                ColumnMapping::parse(c).map_err(|e| IngestError::Foreign(format!("--column {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Foreign {
            member,
            key,
            directory,
            floor,
            columns,
        })
    }

    /// Who signs what this import publishes.
    pub(crate) fn signer(&self) -> Signer<'_> {
        Signer {
            member: &self.member,
            key: &self.key,
        }
    }

    /// An object of `name` that could not be published: the rejection
    /// that says why.
    pub(crate) fn unsigned(name: &str, u: Unsigned) -> Checked {
        rejection(name, intake::unsigned(u))
    }

    /// Converts one input: its objects, published (lists) or to publish
    /// (MISP).
    pub(crate) fn read(
        &self,
        rt: &Handle,
        store: &AnyStore,
        source: &Source,
        format: Format,
    ) -> Result<(Objects, Notes), IngestError> {
        let name = source.name();
        let with = Publishing {
            signer: self.signer(),
            directory: &self.directory,
            floor: self.floor.clone(),
        };
        let bytes = || -> Result<Vec<u8>, IngestError> {
            let mut b = Vec::new();
            source
                .open()?
                .0
                .read_to_end(&mut b)
                .map_err(|e| IngestError::Read {
                    path: name.clone(),
                    source: e,
                })?;
            Ok(b)
        };
        let failed = |what: &str, e: concord_bridge::BridgeError| {
            IngestError::Foreign(format!("reading {what} {name}: {e}"))
        };
        let (items, got) = match (format, source) {
            (Format::Misp, Source::File(p)) if p.is_dir() => {
                intake::misp_unpublished(MispInput::Feed(p), &with)
                    .map_err(|e| failed("the MISP feed", e))?
            }
            (Format::Misp, _) => intake::misp_unpublished(MispInput::Bytes(&bytes()?), &with)
                .map_err(|e| failed("MISP events from", e))?,
            (Format::Stix, _) => {
                return Err(IngestError::Foreign(format!(
                    "{name}: STIX goes through the import pipeline"
                )));
            }
            (list, _) => {
                let file_name = match source {
                    Source::File(p) => p
                        .file_name()
                        .map_or(name.clone(), |n| n.to_string_lossy().into_owned()),
                    Source::Stdin => "stdin".to_string(),
                };
                let spec = intake::list_spec(&file_name, list, &self.floor, self.columns.clone());
                let body = bytes()?;
                let got = rt
                    .block_on(intake::list(
                        store,
                        &spec,
                        &body,
                        concord_stix::Timestamp::now(),
                        &with,
                    ))
                    .map_err(|e| failed(&format!("the {} list", list.word()), e))?;
                (Vec::new(), got)
            }
        };
        let mut notes = Notes::default();
        if format == Format::Misp {
            notes.misp = Some(json!({
                "events": got.misp.events,
                "attributes": got.misp.attributes,
                "attributes_mapped": got.misp.attributes_mapped,
            }));
        }
        notes.unmapped = got
            .unmapped
            .iter()
            .map(|u| {
                json!({
                    "file": name, "event": u.event.to_string(), "uuid": u.uuid.to_string(),
                    "record": format!("{:?}", u.record).to_lowercase(),
                    "misp_type": u.misp_type, "reason": u.reason, "path": u.path,
                })
            })
            .collect();
        notes.pending = got.pending;
        if format == Format::Misp {
            return Ok((Objects::Unpublished(items), notes));
        }
        let mut checked: Vec<Checked> = got
            .objects
            .into_iter()
            .map(|p| Checked::Ok(Box::new(p), Vec::new(), 0))
            .collect();
        checked.extend(got.rejected.into_iter().map(|r| rejection(&name, r)));
        Ok((Objects::Checked(checked), notes))
    }
}

/// What the bridge refused in `name`, as the import reports it.
fn rejection(name: &str, r: intake::Rejected) -> Checked {
    Checked::Rejected(Rejection {
        file: name.to_string(),
        line: r.line as usize,
        path: "$".into(),
        id: r.id,
        issues: vec![Issue::error("$", r.rule, r.reason)],
    })
}
