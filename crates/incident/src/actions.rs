//! What a member does with incidents, shared by the CLI (`concord
//! incident`) and the HTTP API (`/api/v1/incidents`): open one (with a
//! request for assistance), answer one (acknowledge, decline, note), move
//! one along its workflow. Each builds the objects, marks and signs them
//! with the node key, checks them as STIX and stores them in the local
//! collection, from where sync carries them to the members they address.

use crate::{IncidentError, Result};
use concord_stix::Timestamp;
use concord_stix::ingest::read_object;
use concord_stix::tlp::Tlp;
use concord_store::{PreparedObject, Store};
use concord_trust::Keypair;
use serde_json::{Map, Value, json};

use crate::{Change, Incident, NewIncident, Severity, Status};
use concord_federation::LocalNode;
use concord_federation::authoring::Authoring;

/// A new incident as asked for.
pub struct Open {
    /// The incident's title (not empty).
    pub title: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Its TLP level, as people write it (`amber+strict`, `TLP:RED`, ...).
    pub tlp: String,
    /// Its severity word (low, medium, high, critical).
    pub severity: String,
    /// Member identity ids or peer names asked for assistance.
    pub request: Vec<String>,
    /// Sectors affected.
    pub sectors: Vec<String>,
    /// Countries affected.
    pub countries: Vec<String>,
}

/// Member identity ids from ids or peer names.
pub async fn resolve_members(node: &LocalNode, names: &[String]) -> Result<Vec<String>> {
    let peers = concord_federation::peers::list(&node.store).await?;
    let mut out = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let member = if n.starts_with("identity--") {
            n.to_string()
        } else if let Some(p) = peers.iter().find(|p| p.name == n) {
            p.member.clone()
        } else {
            return Err(IncidentError::Invalid(format!(
                "request {n:?} is neither a member identity id (identity--...) nor a peer name (see `concord peer list`)"
            )));
        };
        if !out.contains(&member) {
            out.push(member);
        }
    }
    Ok(out)
}

/// Checks, and stores in the local collection, objects authored here.
pub async fn store_all(node: &LocalNode, objects: Vec<Map<String, Value>>) -> Result<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let mut batch = Vec::new();
    for o in objects {
        let text = Value::Object(o).to_string();
        let checked =
            read_object(text.as_bytes(), &concord_pattern::Grammar).map_err(|issues| {
                let first = issues
                    .first()
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "invalid".into());
                IncidentError::Invalid(format!("an object built here is not valid STIX: {first}"))
            })?;
        // What this node signed goes in with its log entry; what stays
        // local (unsigned) does not leave, so it is not logged.
        if concord_trust::signer_of(checked.object.as_map()) == Some(node.member.as_str()) {
            let map = checked.object.as_map().clone();
            batch.push(concord_federation::authoring::prepared(map)?);
        } else {
            batch.push(PreparedObject::new(&checked.object, text));
        }
    }
    node.store.put_batch(&node.collection, batch).await?;
    Ok(())
}

/// The latest version of an incident this node holds.
pub async fn held(node: &LocalNode, id: &str) -> Result<Map<String, Value>> {
    concord_store::latest_object(&node.store, id).await?.ok_or_else(|| {
        IncidentError::NotFound(format!("this node holds no incident {id} (see `concord incident list`; a request reaches us with `concord sync`)"))
    })
}

/// Opens an incident owned by this member; returns `{"id", "requested"}`.
pub async fn open(node: &LocalNode, key: &Keypair, a: Open) -> Result<Value> {
    let me = node.member.clone();
    let tlp = Tlp::parse(&a.tlp).ok_or_else(|| {
        IncidentError::Invalid(format!(
            "tlp {:?}: expected clear, green, amber, amber+strict or red",
            a.tlp
        ))
    })?;
    let severity = Severity::parse(&a.severity).ok_or_else(|| {
        IncidentError::Invalid(format!(
            "severity {:?}: expected low, medium, high or critical",
            a.severity
        ))
    })?;
    if a.title.trim().is_empty() {
        return Err(IncidentError::Invalid(
            "the title is empty: give the incident a title".to_string(),
        ));
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
    let object = crate::new_object(&spec, &me, Timestamp::now());
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
        .ok_or_else(|| IncidentError::Invalid("the new incident has no id".into()))?;
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": id, "requested": requested, "tlp": tlp.word()}))
}

/// A note answering (or adding to) an incident, addressed to its owner
/// and addressees; `kind` is note, acknowledge or decline.
pub async fn respond(
    node: &LocalNode,
    key: &Keypair,
    id: &str,
    kind: &str,
    text: &str,
) -> Result<Value> {
    let me = node.member.clone();
    let o = held(node, id).await?;
    if kind != "note" {
        let i = Incident::read(&o)?;
        if i.owner == me {
            return Err(IncidentError::Forbidden(format!(
                "{id} is this member's own incident: acknowledging is for the members it asks"
            )));
        }
    }
    let to = crate::answer_addressing(&o)?;
    let note = crate::note(id, &me, kind, text, Timestamp::now());
    let signed = to.apply(&note, &me, key)?;
    let note_id = signed.get("id").cloned().unwrap_or(Value::Null);
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": note_id, "incident": id, "kind": kind}))
}

/// Moves an incident this member owns along its workflow.
pub async fn set_status(
    node: &LocalNode,
    key: &Keypair,
    id: &str,
    status: &str,
    severity: Option<&str>,
) -> Result<Value> {
    let me = node.member.clone();
    let o = held(node, id).await?;
    let i = Incident::read(&o)?;
    if i.owner != me || crate::author_of(&o).as_deref() != Some(me.as_str()) {
        return Err(IncidentError::Forbidden(format!(
            "{id} is owned by {}: only its owner changes it (add a note instead)",
            i.owner
        )));
    }
    let status = Status::parse(status).ok_or_else(|| {
        IncidentError::Invalid(format!(
            "status {status:?}: expected new, triaged, investigating, contained, resolved or closed"
        ))
    })?;
    let severity = match severity {
        None => None,
        Some(s) => Some(Severity::parse(s).ok_or_else(|| {
            IncidentError::Invalid(format!(
                "severity {s:?}: expected low, medium, high or critical"
            ))
        })?),
    };
    let next = crate::next_version(
        &o,
        &Change {
            status: Some(status),
            severity,
        },
        Timestamp::now(),
    )?;
    let signed = concord_trust::sign_object(&next, &me, key)?;
    let modified = signed.get("modified").cloned().unwrap_or(Value::Null);
    store_all(node, vec![signed]).await?;
    Ok(json!({"id": id, "status": status.word(), "modified": modified}))
}

/// Links objects this node holds to an incident (`related-to`
/// relationships addressed like answers); returns the relationships' ids.
pub async fn link(
    node: &LocalNode,
    key: &Keypair,
    id: &str,
    objects: &[String],
) -> Result<Vec<String>> {
    let me = node.member.as_str();
    let o = held(node, id).await?;
    let to = crate::answer_addressing(&o)?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    for obj in objects {
        if concord_store::latest_object(&node.store, obj)
            .await?
            .is_none()
        {
            return Err(IncidentError::NotFound(format!(
                "this node holds no object {obj}: import it first, or use `incident contribute`"
            )));
        }
        out.push(to.apply(&crate::link(id, obj, me, now), me, key)?);
    }
    let ids = out
        .iter()
        .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    store_all(node, out).await?;
    Ok(ids)
}

/// Contributes objects to an incident: each is checked as STIX, authored
/// here (marked, addressed like answers, signed) and linked to the
/// incident. `source` names where they came from in errors. Marking
/// definitions are skipped (every node knows the TLP ones). Returns the
/// contributed objects' ids.
pub async fn contribute(
    node: &LocalNode,
    key: &Keypair,
    id: &str,
    objects: &[Value],
    source: &str,
) -> Result<Vec<String>> {
    let me = node.member.as_str();
    let o = held(node, id).await?;
    let to = crate::answer_addressing(&o)?;
    let now = Timestamp::now();
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for (n, v) in objects.iter().enumerate() {
        let raw = v.to_string();
        let checked = read_object(raw.as_bytes(), &concord_pattern::Grammar).map_err(|issues| {
            let first = issues.first().map(|i| i.to_string()).unwrap_or_default();
            IncidentError::Invalid(format!("{source} object {n}: not valid STIX: {first}"))
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
        out.push(to.apply(map, me, key)?);
        out.push(to.apply(&crate::link(id, &oid, me, now), me, key)?);
        ids.push(oid);
    }
    store_all(node, out).await?;
    Ok(ids)
}
