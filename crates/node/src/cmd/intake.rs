//! `concord import` of MISP events and CSV and text IOC lists: which
//! format each input is (`--format`, else detected by concord_bridge), and
//! each foreign input converted, marked, addressed and signed by
//! concord_bridge into the objects the import pipeline stores.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use concord_bridge::intake::{self, Format, MispInput, PendingList, Publishing};
use concord_bridge::{Directory, Floor, Signer};
use concord_stix::Issue;
use serde_json::{Value, json};

use super::Node;
use super::import::{Checked, Rejection, Source};

/// Each input with its format: `--format` for all, else detected (a
/// directory with `manifest.json` is a MISP feed, other directories are
/// walked for STIX files; standard input is STIX).
pub fn sources(inputs: &[String], format: Option<&str>) -> Result<Vec<(Source, Format)>> {
    let given = format
        .map(|w| {
            Format::parse(w)
                .ok_or_else(|| anyhow!("--format {w:?}: expected stix, misp, csv or text"))
        })
        .transpose()?;
    let mut out = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        let format = match given {
            Some(f) => f,
            None if input == "-" => Format::Stix,
            None => intake::detect(path)?,
        };
        match format {
            Format::Stix => out.extend(
                super::import::collect_sources(std::slice::from_ref(input))?
                    .into_iter()
                    .map(|s| (s, Format::Stix)),
            ),
            _ if input == "-" => out.push((Source::Stdin, format)),
            Format::Misp => out.push((Source::File(path.to_path_buf()), format)),
            _ if path.is_dir() => bail!(
                "{input} is a directory: --format {} reads one list file",
                format.word()
            ),
            _ => out.push((Source::File(path.to_path_buf()), format)),
        }
    }
    Ok(out)
}

/// What one foreign input gave besides its objects.
#[derive(Default)]
pub struct Notes {
    /// MISP records that gave no object, as the report lists them.
    pub unmapped: Vec<Value>,
    /// MISP counts: events, attributes read and mapped.
    pub misp: Option<Value>,
    /// A list's state, to commit once its objects are stored.
    pub pending: Option<PendingList>,
}

/// How foreign inputs are published: the node key, the community's
/// directory and the operator's floor.
pub struct Foreign {
    key: concord_trust::Keypair,
    directory: Directory,
    floor: Floor,
    columns: Vec<concord_feeds::ColumnMapping>,
    member: String,
}

impl Foreign {
    pub fn new(
        rt: &tokio::runtime::Runtime,
        global: &crate::config::Global,
        node: &Node,
        floor: Floor,
        columns: &[String],
    ) -> Result<Foreign> {
        let key = node.keypair(global)?;
        let directory = rt.block_on(Directory::of_node(
            &node.local(),
            &key.public(),
            &node.config.node.org,
        ))?;
        let columns = columns
            .iter()
            .map(|c| concord_feeds::ColumnMapping::parse(c).map_err(|e| anyhow!("--column {e}")))
            .collect::<Result<_>>()?;
        Ok(Foreign {
            key,
            directory,
            floor,
            columns,
            member: node.config.node.identity.clone(),
        })
    }

    /// Converts one input and publishes its objects.
    pub fn read(
        &self,
        rt: &tokio::runtime::Runtime,
        node: &Node,
        source: &Source,
        format: Format,
    ) -> Result<(Vec<Checked>, Notes)> {
        let name = source.name();
        let with = Publishing {
            signer: Signer {
                member: &self.member,
                key: &self.key,
            },
            directory: &self.directory,
            floor: self.floor.clone(),
        };
        let bytes = || -> Result<Vec<u8>> {
            let mut b = Vec::new();
            source
                .open()?
                .0
                .read_to_end(&mut b)
                .with_context(|| format!("reading {name}"))?;
            Ok(b)
        };
        let mut notes = Notes::default();
        let got = match (format, source) {
            (Format::Misp, Source::File(p)) if p.is_dir() => {
                intake::misp(MispInput::Feed(p), &with)
                    .with_context(|| format!("reading the MISP feed {name}"))?
            }
            (Format::Misp, _) => intake::misp(MispInput::Bytes(&bytes()?), &with)
                .with_context(|| format!("reading MISP events from {name}"))?,
            (Format::Stix, _) => bail!("{name}: STIX goes through the import pipeline"),
            (list, _) => {
                let file_name = match source {
                    Source::File(p) => p
                        .file_name()
                        .map_or(name.clone(), |n| n.to_string_lossy().into_owned()),
                    Source::Stdin => "stdin".to_string(),
                };
                let spec = intake::list_spec(&file_name, list, &self.floor, self.columns.clone());
                let body = bytes()?;
                rt.block_on(intake::list(
                    &node.store,
                    &spec,
                    &body,
                    concord_stix::Timestamp::now(),
                    &with,
                ))
                .with_context(|| format!("reading the {} list {name}", list.word()))?
            }
        };
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
        let mut checked: Vec<Checked> = got
            .objects
            .into_iter()
            .map(|p| Checked::Ok(Box::new(p), Vec::new(), 0))
            .collect();
        checked.extend(got.rejected.into_iter().map(|r| {
            Checked::Rejected(Rejection {
                file: name.clone(),
                line: r.line as usize,
                path: "$".into(),
                id: r.id,
                issues: vec![Issue::error("$", r.rule, r.reason)],
            })
        }));
        Ok((checked, notes))
    }
}
