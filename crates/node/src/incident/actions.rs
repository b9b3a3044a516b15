//! What a member does with incidents, shared by the CLI (`concord
//! incident`) and the HTTP API (`/api/v1/incidents`): open one (with a
//! request for assistance), answer one (acknowledge, decline, note), move
//! one along its workflow. Each builds the objects, marks and signs them
//! with the node key, checks them as STIX and stores them in the local
//! collection, from where sync carries them to the members they address.

use anyhow::{Context, Result, anyhow, bail};
use concord_stix::Timestamp;
use concord_stix::ingest::read_object;
use concord_stix::tlp::Tlp;
use concord_store::{PreparedObject, Store};
use concord_trust::Keypair;
use serde_json::{Map, Value, json};

use super::{Change, Incident, NewIncident, Severity, Status, timeline};
use crate::cmd::Node;
use crate::federation::authoring::Authoring;

/// A new incident as asked for.
pub struct Open {
    pub title: String,
    pub description: Option<String>,
    pub tlp: String,
    pub severity: String,
    /// Member identity ids or peer names asked for assistance.
    pub request: Vec<String>,
    pub sectors: Vec<String>,
    pub countries: Vec<String>,
}

/// Member identity ids from ids or peer names.
pub async fn resolve_members(node: &Node, names: &[String]) -> Result<Vec<String>> {
    let peers = crate::federation::peers::list(&node.store).await?;
    let mut out = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let member = if n.starts_with("identity--") {
            n.to_string()
        } else if let Some(p) = peers.iter().find(|p| p.name == n) {
            p.member.clone()
        } else {
            bail!(
                "request {n:?} is neither a member identity id (identity--...) nor a peer name (see `concord peer list`)"
            );
        };
        if !out.contains(&member) {
            out.push(member);
        }
    }
    Ok(out)
}

/// Checks, and stores in the local collection, objects authored here.
pub async fn store_all(node: &Node, objects: Vec<Map<String, Value>>) -> Result<()> {
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

/// The latest version of an incident this node holds.
pub async fn held(node: &Node, id: &str) -> Result<Map<String, Value>> {
    timeline::latest(&node.store, id).await?.ok_or_else(|| {
        anyhow!("this node holds no incident {id} (see `concord incident list`; a request reaches us with `concord sync`)")
    })
}

/// Opens an incident owned by this member; returns `{"id", "requested"}`.
pub async fn open(node: &Node, key: &Keypair, a: Open) -> Result<Value> {
    let me = node.config.node.identity.clone();
    let tlp = Tlp::parse(&a.tlp).ok_or_else(|| {
        anyhow!(
            "tlp {:?}: expected clear, green, amber, amber+strict or red",
            a.tlp
        )
    })?;
    let severity = Severity::parse(&a.severity).ok_or_else(|| {
        anyhow!(
            "severity {:?}: expected low, medium, high or critical",
            a.severity
        )
    })?;
    if a.title.trim().is_empty() {
        bail!("the title is empty: give the incident a title");
    }
    let requested = resolve_members(node, &a.request).await?;
    let spec = NewIncident {
        title: a.title,
        description: a.description,
        severity,
        sectors: a.sectors,
        countries: a.countries,
        requested: requested.clone(),
    };
    let object = super::new_object(&spec, &me, Timestamp::now());
    let signed = Authoring {
        member: me,
        key: key.clone(),
        tlp: Some(tlp),
        audience: (!requested.is_empty()).then(|| requested.clone()),
    }
    .author(&object)?;
    let id = signed
        .get("id")
        .cloned()
        .context("the new incident has no id")?;
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": id, "requested": requested, "tlp": tlp.word()}))
}

/// A note answering (or adding to) an incident, addressed to its owner
/// and addressees; `kind` is note, acknowledge or decline.
pub async fn respond(
    node: &Node,
    key: &Keypair,
    id: &str,
    kind: &str,
    text: &str,
) -> Result<Value> {
    let me = node.config.node.identity.clone();
    let o = held(node, id).await?;
    if kind != "note" {
        let i = Incident::read(&o)?;
        if i.owner == me {
            bail!("{id} is this member's own incident: acknowledging is for the members it asks");
        }
    }
    let to = super::answer_addressing(&o)?;
    let note = super::note(id, &me, kind, text, Timestamp::now());
    let signed = to.apply(&note, &me, key)?;
    let note_id = signed.get("id").cloned().unwrap_or(Value::Null);
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": note_id, "incident": id, "kind": kind}))
}

/// Moves an incident this member owns along its workflow.
pub async fn set_status(
    node: &Node,
    key: &Keypair,
    id: &str,
    status: &str,
    severity: Option<&str>,
) -> Result<Value> {
    let me = node.config.node.identity.clone();
    let o = held(node, id).await?;
    let i = Incident::read(&o)?;
    if i.owner != me || crate::sighting::author_of(&o).as_deref() != Some(me.as_str()) {
        bail!(
            "{id} is owned by {}: only its owner changes it (add a note instead)",
            i.owner
        );
    }
    let status = Status::parse(status).ok_or_else(|| {
        anyhow!(
            "status {status:?}: expected new, triaged, investigating, contained, resolved or closed"
        )
    })?;
    let severity = match severity {
        None => None,
        Some(s) => Some(
            Severity::parse(s)
                .ok_or_else(|| anyhow!("severity {s:?}: expected low, medium, high or critical"))?,
        ),
    };
    let next = super::next_version(
        &o,
        &Change {
            status: Some(status),
            severity,
        },
        Timestamp::now(),
    )?;
    let signed =
        concord_trust::sign_object(&next, &me, key).map_err(|e| anyhow!("signing: {e}"))?;
    let modified = signed.get("modified").cloned().unwrap_or(Value::Null);
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": id, "status": status.word(), "modified": modified}))
}
