//! `concord incident`: open an incident and ask members for assistance,
//! answer a request (acknowledge, decline, notes, objects), move it along
//! its workflow, and see its timeline. Everything is authored here (marked
//! and signed) and travels to the addressees with the ordinary sync.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use concord_incident::{actions, timeline};
use serde_json::{Value, json};

use super::{Node, print};
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Open an incident owned by this member; --request asks members for assistance.
    New(NewArgs),
    /// The incidents this node holds.
    List,
    /// One incident: its state, timeline, who answered.
    Show {
        /// The incident's id (from `concord incident list`).
        id: String,
    },
    /// Add a note to an incident's timeline (shared with its owner and addressees).
    Note {
        /// The incident's id (from `concord incident list`).
        id: String,
        /// The note's text.
        text: String,
    },
    /// Move an incident this member owns along its workflow
    /// (new, triaged, investigating, contained, resolved, closed).
    Status {
        /// The incident's id (from `concord incident list`).
        id: String,
        /// new, triaged, investigating, contained, resolved or closed.
        status: String,
        /// Also set the severity: low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
    },
    /// Answer a request for assistance: acknowledge it (or --decline).
    Ack {
        /// The incident's id (from `concord incident list`).
        id: String,
        /// Decline the request instead of acknowledging it.
        #[arg(long)]
        decline: bool,
        /// A message with the answer.
        #[arg(long)]
        text: Option<String>,
    },
    /// Link objects this node holds to the incident (related-to relationships).
    Link {
        /// The incident's id (from `concord incident list`).
        id: String,
        /// The ids of the objects to link.
        #[arg(required = true)]
        objects: Vec<String>,
    },
    /// Contribute the objects of a STIX bundle file to the incident: each is
    /// authored here under the incident's marking and linked to it.
    Contribute {
        /// The incident's id (from `concord incident list`).
        id: String,
        /// A STIX bundle file.
        file: PathBuf,
    },
}

#[derive(clap::Args)]
pub struct NewArgs {
    /// A short title.
    #[arg(long)]
    title: String,
    /// What happened, in more words.
    #[arg(long)]
    description: Option<String>,
    /// TLP 2.0 level (clear, green, amber, amber+strict, red).
    #[arg(long, default_value = "amber")]
    tlp: String,
    /// low, medium, high or critical.
    #[arg(long, default_value = "medium")]
    severity: String,
    /// Members asked for assistance: identity ids or peer names.
    #[arg(long, value_delimiter = ',')]
    request: Vec<String>,
    /// Affected sectors.
    #[arg(long, value_delimiter = ',')]
    sector: Vec<String>,
    /// Affected countries (ISO 3166-1 alpha-2).
    #[arg(long, value_delimiter = ',')]
    country: Vec<String>,
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let local = node.local();
    let rt = super::runtime()?;
    rt.block_on(async {
        match command {
            Command::New(a) => new(global, &node, a).await,
            Command::List => {
                let list = timeline::list(&node.store).await?;
                print(global, &list, || {
                    let lines: Vec<String> = list.iter().map(|i| i.to_string()).collect();
                    lines.join("\n")
                })?;
                Ok(Outcome::Ok)
            }
            Command::Show { id } => {
                let Some(v) = timeline::view(&node.store, &id).await? else {
                    bail!("this node holds no incident {id} (see `concord incident list`)");
                };
                // Without the spaces an entry with no text ends in.
                print(global, &v, || v.to_string().trim_end().to_string())?;
                Ok(Outcome::Ok)
            }
            Command::Note { id, text } => {
                let key = node.keypair(global)?;
                let v = actions::respond(&local, &key, &id, "note", &text).await?;
                print(global, &v, || format!("note recorded on {id}"))?;
                Ok(Outcome::Ok)
            }
            Command::Ack { id, decline, text } => {
                let (kind, default) = if decline {
                    ("decline", "declined")
                } else {
                    ("acknowledge", "acknowledged")
                };
                let key = node.keypair(global)?;
                let v =
                    actions::respond(&local, &key, &id, kind, text.as_deref().unwrap_or(default))
                        .await?;
                print(global, &v, || format!("{kind} recorded on {id}"))?;
                Ok(Outcome::Ok)
            }
            Command::Status {
                id,
                status,
                severity,
            } => {
                let key = node.keypair(global)?;
                let v =
                    actions::set_status(&local, &key, &id, &status, severity.as_deref()).await?;
                print(global, &v, || {
                    format!("{id} is now {}", v["status"].as_str().unwrap_or_default())
                })?;
                Ok(Outcome::Ok)
            }
            Command::Link { id, objects } => {
                let key = node.keypair(global)?;
                let ids = actions::link(&local, &key, &id, &objects).await?;
                print(
                    global,
                    &json!({"incident": id, "relationships": ids}),
                    || format!("{} objects linked to {id}", ids.len()),
                )?;
                Ok(Outcome::Ok)
            }
            Command::Contribute { id, file } => contribute(global, &node, &id, &file).await,
        }
    })
}

async fn new(global: &Global, node: &Node, a: NewArgs) -> Result<Outcome> {
    let key = node.keypair(global)?;
    let v = actions::open(
        &node.local(),
        &key,
        actions::Open {
            title: a.title,
            description: a.description,
            tlp: a.tlp,
            severity: a.severity,
            request: a.request,
            sectors: a.sector,
            countries: a.country,
        },
    )
    .await?;
    let requested = v["requested"].as_array().map_or(0, Vec::len);
    let tlp = v["tlp"].as_str().unwrap_or_default();
    if requested == 0 && !matches!(tlp, "clear" | "green") && !global.json {
        eprintln!(
            "note: TLP:{tlp} without --request names nobody, so this incident stays on this node"
        );
    }
    let id = v["id"].as_str().unwrap_or_default().to_string();
    print(global, &json!({"id": id}), || format!("{id} opened"))?;
    Ok(Outcome::Ok)
}

async fn contribute(
    global: &Global,
    node: &Node,
    id: &str,
    file: &std::path::Path,
) -> Result<Outcome> {
    let key = node.keypair(global)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON (a STIX bundle or a list of objects)",
            file.display()
        )
    })?;
    let objects = match doc {
        Value::Object(ref m) if m.get("type").and_then(Value::as_str) == Some("bundle") => m
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Value::Array(a) => a,
        Value::Object(_) => vec![doc],
        _ => bail!(
            "{}: expected a STIX bundle, a list of objects or one object",
            file.display()
        ),
    };
    let ids = actions::contribute(
        &node.local(),
        &key,
        id,
        &objects,
        &file.display().to_string(),
    )
    .await?;
    print(global, &json!({"incident": id, "contributed": ids}), || {
        format!("{} objects contributed to {id}", ids.len())
    })?;
    Ok(Outcome::Ok)
}
