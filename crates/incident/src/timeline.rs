//! What a node holds of an incident, put together: its versions (status
//! changes), the notes that answer it (acknowledgements, declines,
//! contributions), the objects linked to it, and who of the addressees
//! has answered. Only what reached this node under the sharing policy is
//! shown.

use std::collections::BTreeMap;

use crate::Result;
use concord_store::{AnyStore, Store, VersionSel};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Incident, RESPONSE, author_of};

/// One entry of the timeline, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// When (the object's `modified` or `created`, as written).
    pub at: String,
    /// The STIX identity id of the member that wrote it.
    pub author: String,
    /// opened, changed, acknowledge, decline, note, linked
    pub kind: String,
    /// The id of the object the entry is about.
    pub id: String,
    /// What happened, in words (a status change, a note's content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What an addressee answered last.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// The addressee's STIX identity id.
    pub member: String,
    /// acknowledged, declined, or noted (contributed without an answer)
    pub answer: String,
    /// When (the note's `created`, as written).
    pub at: String,
}

/// An incident with everything this node holds about it.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// Its latest version.
    pub incident: Incident,
    /// What happened, oldest first.
    pub timeline: Vec<Entry>,
    /// What each addressee answered last.
    pub responses: Vec<Response>,
    /// Addressees that have not answered yet.
    pub pending: Vec<String>,
    /// Ids of the objects linked to it.
    pub related: Vec<String>,
}

impl std::fmt::Display for View {
    /// The title, a line of facts, the answers, who has not answered, and
    /// the timeline.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.incident;
        write!(
            f,
            "{}\n  {} | status {} | severity {} | owner {} | TLP {}",
            i.title,
            i.id,
            i.status.word(),
            i.severity.word(),
            i.owner,
            i.tlp.as_deref().unwrap_or("none")
        )?;
        for r in &self.responses {
            write!(f, "\n  {} {} at {}", r.member, r.answer, r.at)?;
        }
        for p in &self.pending {
            write!(f, "\n  {p} has not answered")?;
        }
        for e in &self.timeline {
            let text = e.text.as_deref().unwrap_or("");
            write!(f, "\n  {}  {:<11} {}  {text}", e.at, e.kind, e.author)?;
        }
        Ok(())
    }
}

fn parse(json: &str) -> Option<Map<String, Value>> {
    concord_stix::json::parse_object(json.as_bytes()).ok()
}

fn text(o: &Map<String, Value>, k: &str) -> String {
    o.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Every incident the node holds, latest versions, newest change first.
pub async fn list(store: &AnyStore) -> Result<Vec<Incident>> {
    let mut out: Vec<Incident> = concord_store::latest_of_type(store, "incident")
        .await?
        .iter()
        .filter_map(|o| Incident::read(o).ok())
        .collect();
    out.sort_by(|a, b| b.modified.cmp(&a.modified));
    Ok(out)
}

fn refers_to(o: &Map<String, Value>, id: &str) -> bool {
    let in_list = |k: &str| {
        o.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(id)))
    };
    in_list("object_refs")
        || o.get("target_ref").and_then(Value::as_str) == Some(id)
        || o.get("source_ref").and_then(Value::as_str) == Some(id)
}

/// The incident with its timeline, or `None` when the node does not hold it.
pub async fn view(store: &AnyStore, id: &str) -> Result<Option<View>> {
    let versions = store.versions(id, VersionSel::All).await?;
    let mut timeline = Vec::new();
    let mut current = None;
    let mut previous: Option<Incident> = None;
    for v in &versions {
        let Some(o) = parse(&v.json) else { continue };
        let Ok(i) = Incident::read(&o) else { continue };
        let author = author_of(&o).unwrap_or_else(|| i.owner.clone());
        let (kind, what) = match &previous {
            None => ("opened", format!("{} ({})", i.title, i.status.word())),
            Some(p) if p.status != i.status => (
                "changed",
                format!("status {} -> {}", p.status.word(), i.status.word()),
            ),
            Some(p) if p.severity != i.severity => (
                "changed",
                format!("severity {} -> {}", p.severity.word(), i.severity.word()),
            ),
            Some(_) => ("changed", "updated".to_string()),
        };
        timeline.push(Entry {
            at: i.modified.clone(),
            author,
            kind: kind.into(),
            id: i.id.clone(),
            text: Some(what),
        });
        previous = Some(i.clone());
        current = Some(i);
    }
    let Some(incident) = current else {
        return Ok(None);
    };
    let mut answers: BTreeMap<String, Response> = BTreeMap::new();
    for n in concord_store::latest_of_type(store, "note")
        .await?
        .iter()
        .filter(|n| refers_to(n, id))
    {
        let author = author_of(n).unwrap_or_else(|| text(n, "created_by_ref"));
        let kind = n
            .get(RESPONSE)
            .and_then(Value::as_str)
            .unwrap_or("note")
            .to_string();
        let at = text(n, "created");
        let answer = match kind.as_str() {
            "acknowledge" => Some("acknowledged"),
            "decline" => Some("declined"),
            _ => None,
        };
        if author != incident.owner {
            let e = answers.entry(author.clone()).or_insert(Response {
                member: author.clone(),
                answer: "noted".into(),
                at: at.clone(),
            });
            if let Some(a) = answer
                && (e.answer == "noted" || at >= e.at)
            {
                e.answer = a.into();
                e.at = at.clone();
            }
        }
        timeline.push(Entry {
            at,
            author,
            kind,
            id: text(n, "id"),
            text: n.get("content").and_then(Value::as_str).map(str::to_string),
        });
    }
    let mut related = Vec::new();
    for r in concord_store::latest_of_type(store, "relationship")
        .await?
        .iter()
        .filter(|r| refers_to(r, id))
    {
        let other = if text(r, "target_ref") == id {
            text(r, "source_ref")
        } else {
            text(r, "target_ref")
        };
        timeline.push(Entry {
            at: text(r, "created"),
            author: author_of(r).unwrap_or_else(|| text(r, "created_by_ref")),
            kind: "linked".into(),
            id: text(r, "id"),
            text: Some(format!("{} {other}", text(r, "relationship_type"))),
        });
        related.push(other);
    }
    timeline.sort_by(|a, b| a.at.cmp(&b.at));
    let pending = incident
        .requested
        .iter()
        .filter(|m| !answers.contains_key(*m))
        .cloned()
        .collect();
    Ok(Some(View {
        incident,
        timeline,
        responses: answers.into_values().collect(),
        pending,
        related,
    }))
}
