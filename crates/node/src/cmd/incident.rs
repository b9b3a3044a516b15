//! `concord incident`: open an incident and ask members for assistance,
//! answer a request (acknowledge, decline, notes, objects), move it along
//! its workflow, and see its timeline. Everything is authored here (marked
//! and signed) and travels to the addressees with the ordinary sync.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use concord_stix::Timestamp;
use concord_stix::ingest::read_object;
use concord_stix::tlp::Tlp;
use concord_store::{PreparedObject, Store};
use serde_json::{Map, Value, json};

use super::Node;
use crate::Outcome;
use crate::config::Global;
use crate::federation::authoring::Authoring;
use crate::incident::{self, Change, Incident, NewIncident, Severity, Status, timeline};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Open an incident owned by this member; --request asks members for assistance.
    New(NewArgs),
    /// The incidents this node holds.
    List,
    /// One incident: its state, timeline, who answered.
    Show { id: String },
    /// Add a note to an incident's timeline (shared with its owner and addressees).
    Note { id: String, text: String },
    /// Move an incident this member owns along its workflow
    /// (new, triaged, investigating, contained, resolved, closed).
    Status {
        id: String,
        status: String,
        #[arg(long)]
        severity: Option<String>,
    },
    /// Answer a request for assistance: acknowledge it (or --decline).
    Ack {
        id: String,
        #[arg(long)]
        decline: bool,
        /// A message with the answer.
        #[arg(long)]
        text: Option<String>,
    },
    /// Link objects this node holds to the incident (related-to relationships).
    Link {
        id: String,
        #[arg(required = true)]
        objects: Vec<String>,
    },
    /// Contribute the objects of a STIX bundle file to the incident: each is
    /// authored here under the incident's marking and linked to it.
    Contribute { id: String, file: PathBuf },
}

#[derive(clap::Args)]
pub struct NewArgs {
    #[arg(long)]
    title: String,
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

/// Member identity ids from ids or peer names.
async fn resolve_members(node: &Node, names: &[String]) -> Result<Vec<String>> {
    let peers = crate::federation::peers::list(&node.store).await?;
    let mut out = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let member = if n.starts_with("identity--") {
            n.to_string()
        } else if let Some(p) = peers.iter().find(|p| p.name == n) {
            p.member.clone()
        } else {
            bail!(
                "--request {n:?} is neither a member identity id (identity--...) nor a peer name (see `concord peer list`)"
            );
        };
        if !out.contains(&member) {
            out.push(member);
        }
    }
    Ok(out)
}

/// Checks, and stores in the local collection, objects authored here.
async fn store_all(node: &Node, objects: Vec<Map<String, Value>>) -> Result<()> {
    let mut batch = Vec::new();
    for o in objects {
        let text = Value::Object(o).to_string();
        let checked = read_object(text.as_bytes()).map_err(|issues| {
            let first = issues
                .first()
                .map(|i| i.to_string())
                .unwrap_or_else(|| "invalid".into());
            anyhow!("an object built for the incident is not valid STIX: {first}")
        })?;
        batch.push(PreparedObject::new(&checked.object, text));
    }
    node.store
        .put_batch(&node.config.node.collection, batch)
        .await?;
    Ok(())
}

async fn held(node: &Node, id: &str) -> Result<Map<String, Value>> {
    timeline::latest(&node.store, id).await?.ok_or_else(|| {
        anyhow!("this node holds no incident {id} (see `concord incident list`; a request reaches us with `concord sync`)")
    })
}

fn print(global: &Global, value: &Value, text: impl FnOnce() -> String) -> Result<()> {
    if global.json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    let node = Node::open(global)?;
    let me = node.config.node.identity.clone();
    let rt = super::runtime()?;
    rt.block_on(async {
        match command {
            Command::New(a) => new(global, &node, &me, a).await,
            Command::List => {
                let list = timeline::list(&node.store).await?;
                print(global, &serde_json::to_value(&list)?, || {
                    list.iter()
                        .map(|i| {
                            format!(
                                "{}  {:<13} {:<8} {}  (owner {})",
                                i.id,
                                i.status.word(),
                                i.severity.word(),
                                i.title,
                                i.owner
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })?;
                Ok(Outcome::Ok)
            }
            Command::Show { id } => {
                let Some(v) = timeline::view(&node.store, &id).await? else {
                    bail!("this node holds no incident {id} (see `concord incident list`)");
                };
                print(global, &serde_json::to_value(&v)?, || {
                    let mut s = format!(
                        "{}\n  {} | status {} | severity {} | owner {} | TLP {}\n",
                        v.incident.title,
                        v.incident.id,
                        v.incident.status.word(),
                        v.incident.severity.word(),
                        v.incident.owner,
                        v.incident.tlp.as_deref().unwrap_or("none")
                    );
                    for r in &v.responses {
                        s.push_str(&format!("  {} {} at {}\n", r.member, r.answer, r.at));
                    }
                    for p in &v.pending {
                        s.push_str(&format!("  {p} has not answered\n"));
                    }
                    for e in &v.timeline {
                        s.push_str(&format!(
                            "  {}  {:<11} {}  {}\n",
                            e.at,
                            e.kind,
                            e.author,
                            e.text.as_deref().unwrap_or("")
                        ));
                    }
                    s.trim_end().to_string()
                })?;
                Ok(Outcome::Ok)
            }
            Command::Note { id, text } => {
                answer(global, &node, &me, &id, "note", &text).await
            }
            Command::Ack { id, decline, text } => {
                let o = held(&node, &id).await?;
                let i = Incident::read(&o)?;
                if i.owner == me {
                    bail!("{id} is this member's own incident: acknowledging is for the members it asks");
                }
                let (kind, default) = if decline {
                    ("decline", "declined")
                } else {
                    ("acknowledge", "acknowledged")
                };
                answer(global, &node, &me, &id, kind, text.as_deref().unwrap_or(default)).await
            }
            Command::Status {
                id,
                status,
                severity,
            } => {
                let o = held(&node, &id).await?;
                let i = Incident::read(&o)?;
                if i.owner != me || crate::sighting::author_of(&o).as_deref() != Some(me.as_str()) {
                    bail!(
                        "{id} is owned by {}: only its owner changes it (add a note instead)",
                        i.owner
                    );
                }
                let status = Status::parse(&status).ok_or_else(|| {
                    anyhow!("status {status:?}: expected new, triaged, investigating, contained, resolved or closed")
                })?;
                let severity = match severity {
                    None => None,
                    Some(s) => Some(Severity::parse(&s).ok_or_else(|| {
                        anyhow!("--severity {s:?}: expected low, medium, high or critical")
                    })?),
                };
                let next = incident::next_version(
                    &o,
                    &Change {
                        status: Some(status),
                        severity,
                    },
                    Timestamp::now(),
                )?;
                let signed = concord_trust::sign_object(&next, &me, &node.keypair(global)?)
                    .map_err(|e| anyhow!("signing: {e}"))?;
                let modified = signed.get("modified").cloned().unwrap_or(Value::Null);
                store_all(&node, vec![signed]).await?;
                print(
                    global,
                    &json!({"id": id, "status": status.word(), "modified": modified}),
                    || format!("{id} is now {}", status.word()),
                )?;
                Ok(Outcome::Ok)
            }
            Command::Link { id, objects } => {
                let o = held(&node, &id).await?;
                let to = incident::answer_addressing(&o)?;
                let key = node.keypair(global)?;
                let now = Timestamp::now();
                let mut out = Vec::new();
                for obj in &objects {
                    if node.store.versions(obj, concord_store::VersionSel::Last).await?.is_empty() {
                        bail!("this node holds no object {obj}: import it first, or use `incident contribute`");
                    }
                    out.push(to.apply(&incident::link(&id, obj, &me, now), &me, &key)?);
                }
                let ids: Vec<Value> = out.iter().filter_map(|o| o.get("id").cloned()).collect();
                store_all(&node, out).await?;
                print(global, &json!({"incident": id, "relationships": ids}), || {
                    format!("{} objects linked to {id}", ids.len())
                })?;
                Ok(Outcome::Ok)
            }
            Command::Contribute { id, file } => contribute(global, &node, &me, &id, &file).await,
        }
    })
}

async fn new(global: &Global, node: &Node, me: &str, a: NewArgs) -> Result<Outcome> {
    let tlp = Tlp::parse(&a.tlp).ok_or_else(|| {
        anyhow!(
            "--tlp {:?}: expected clear, green, amber, amber+strict or red",
            a.tlp
        )
    })?;
    let severity = Severity::parse(&a.severity).ok_or_else(|| {
        anyhow!(
            "--severity {:?}: expected low, medium, high or critical",
            a.severity
        )
    })?;
    if a.title.trim().is_empty() {
        bail!("--title is empty: give the incident a title");
    }
    let requested = resolve_members(node, &a.request).await?;
    if requested.is_empty() && tlp > Tlp::Green && !global.json {
        eprintln!(
            "note: TLP:{} without --request names nobody, so this incident stays on this node",
            tlp.word()
        );
    }
    let spec = NewIncident {
        title: a.title,
        description: a.description,
        severity,
        sectors: a.sector,
        countries: a.country,
        requested: requested.clone(),
    };
    let object = incident::new_object(&spec, me, Timestamp::now());
    let signed = Authoring {
        member: me.to_string(),
        key: node.keypair(global)?,
        tlp: Some(tlp),
        audience: (!requested.is_empty()).then_some(requested),
    }
    .author(&object)?;
    let id = signed
        .get("id")
        .cloned()
        .context("the new incident has no id")?;
    store_all(node, vec![signed]).await?;
    print(global, &json!({"id": id}), || {
        format!("{} opened", id.as_str().unwrap_or_default())
    })?;
    Ok(Outcome::Ok)
}

/// A note answering (or adding to) an incident, addressed to its owner
/// and addressees.
async fn answer(
    global: &Global,
    node: &Node,
    me: &str,
    id: &str,
    kind: &str,
    text: &str,
) -> Result<Outcome> {
    let o = held(node, id).await?;
    let to = incident::answer_addressing(&o)?;
    let note = incident::note(id, me, kind, text, Timestamp::now());
    let signed = to.apply(&note, me, &node.keypair(global)?)?;
    let note_id = signed.get("id").cloned().unwrap_or(Value::Null);
    store_all(node, vec![signed]).await?;
    print(
        global,
        &json!({"id": note_id, "incident": id, "kind": kind}),
        || format!("{kind} recorded on {id}"),
    )?;
    Ok(Outcome::Ok)
}

async fn contribute(
    global: &Global,
    node: &Node,
    me: &str,
    id: &str,
    file: &std::path::Path,
) -> Result<Outcome> {
    let o = held(node, id).await?;
    let to = incident::answer_addressing(&o)?;
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
    let now = Timestamp::now();
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for (n, v) in objects.iter().enumerate() {
        let raw = v.to_string();
        let checked = read_object(raw.as_bytes()).map_err(|issues| {
            let first = issues.first().map(|i| i.to_string()).unwrap_or_default();
            anyhow!("{} object {n}: not valid STIX: {first}", file.display())
        })?;
        let map = checked.object.as_map();
        if map.get("type").and_then(Value::as_str) == Some("marking-definition") {
            continue;
        }
        let oid = map
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        out.push(to.apply(map, me, &key)?);
        out.push(to.apply(&incident::link(id, &oid, me, now), me, &key)?);
        ids.push(oid);
    }
    store_all(node, out).await?;
    print(global, &json!({"incident": id, "contributed": ids}), || {
        format!("{} objects contributed to {id}", ids.len())
    })?;
    Ok(Outcome::Ok)
}
