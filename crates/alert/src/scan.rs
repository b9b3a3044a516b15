//! The scanner: looks at what arrived since it last looked and raises the
//! alerts it calls for. It runs after every sync round and periodically
//! in `serve`.
//!
//! What arrived is the local collection's entries after a stored cursor
//! (`date_added` order, every version), the quarantine records, and the
//! community's open proposals. Objects this member signed, and unsigned
//! (local) ones, never raise alerts: only what came from another member
//! does. The cursor moves in the transaction that stores the alerts of
//! the page it covers, and every alert is raised once per cause, so a
//! crash or a second scanner neither loses nor repeats an alert.

use std::collections::HashMap;

use crate::{AlertError, AlertsSection, ConstituencySection, Result};
use concord_store::{AnyStore, ListQuery, Record, Store, StoredObject, VersionSel};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::constituency::Constituency;
use crate::{CURSOR, Lock, Message, NewAlert, kind, raise};
use concord_federation::LocalNode;
use concord_incident::sighting::is_false_positive;
use concord_incident::{Incident, RESPONSE, author_of};
use concord_store::latest_object as latest;

const PAGE: usize = 1000;
/// What [`Scanner::examine`] raises alerts for, besides the constituency.
const ALERTING_TYPES: [&str; 5] = ["sighting", "opinion", "incident", "note", "relationship"];

/// Entries examined without an alert between two writes of the cursor.
const CURSOR_EVERY: usize = 20_000;

/// What one scan did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ScanReport {
    /// Stored entries looked at.
    pub examined: usize,
    /// Alerts raised.
    pub raised: usize,
}

impl std::fmt::Display for ScanReport {
    /// Entries examined, alerts raised.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} entries examined, {} alerts raised",
            self.examined, self.raised
        )
    }
}

/// The scanner's view of the node.
struct Scanner<'a> {
    store: &'a AnyStore,
    me: &'a str,
    constituency: Constituency,
    /// Organisation names of members, by identity id.
    names: HashMap<String, String>,
}

fn text<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn list(o: &Map<String, Value>, k: &str) -> Vec<String> {
    o.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Scanner<'_> {
    async fn name(&mut self, member: &str) -> String {
        if let Some(n) = self.names.get(member) {
            return n.clone();
        }
        let n = match latest(self.store, member).await {
            Ok(Some(o)) => text(&o, "name").unwrap_or(member).to_string(),
            _ => member.to_string(),
        };
        self.names.insert(member.to_string(), n.clone());
        n
    }

    async fn authored_here(&self, id: &str) -> Result<bool> {
        Ok(latest(self.store, id)
            .await?
            .and_then(|o| author_of(&o))
            .as_deref()
            == Some(self.me))
    }

    /// The only types that can call for an alert when there is no
    /// constituency to touch; empty: every type can.
    fn alerting_types(&self) -> Vec<String> {
        if !self.constituency.is_empty() {
            return Vec::new();
        }
        ALERTING_TYPES.iter().map(|t| t.to_string()).collect()
    }

    /// Whether an entry is worth parsing, from what its row says. With no
    /// constituency, a note or a relationship can only call for an alert
    /// through an incident it points at, so one whose text never names an
    /// incident is passed over (text with a `\u` escape might name one in
    /// disguise, so it is parsed).
    fn worth_parsing(&self, stored: &StoredObject) -> bool {
        match stored.object_type.as_str() {
            "note" | "relationship" if self.constituency.is_empty() => {
                stored.json.contains("incident--") || stored.json.contains("\\u")
            }
            _ => true,
        }
    }

    /// The alerts one arriving object version calls for.
    async fn examine(&mut self, o: &Map<String, Value>) -> Result<Vec<NewAlert>> {
        let mut out = Vec::new();
        let Some(from) = author_of(o) else {
            return Ok(out);
        };
        if from == self.me {
            return Ok(out);
        }
        let id = text(o, "id").unwrap_or_default().to_string();
        let version = text(o, "modified").unwrap_or_default().to_string();
        let who = self.name(&from).await;
        let revoked = o.get("revoked") == Some(&Value::Bool(true));
        let alert =
            |cause: String, k: &'static str, title: String, message: Message, detail: Value| {
                NewAlert {
                    cause,
                    kind: k,
                    title,
                    message: Some(message),
                    object: Some(id.clone()),
                    source: Some(from.clone()),
                    detail,
                }
            };
        if !revoked && let Some(why) = self.constituency.touches(o) {
            out.push(alert(
                format!("constituency {id}"),
                kind::CONSTITUENCY,
                format!(
                    "{who} shared a {} that touches our constituency: {why}",
                    text(o, "type").unwrap_or("object")
                ),
                Message::new(
                    "alert-msg-constituency",
                    &[
                        ("who", who.clone()),
                        ("type", text(o, "type").unwrap_or("object").to_string()),
                        ("why", why.to_string()),
                    ],
                ),
                json!({"why": why, "type": text(o, "type"), "name": text(o, "name"), "pattern": text(o, "pattern"), "version": version}),
            ));
        }
        match text(o, "type").unwrap_or_default() {
            "sighting" => {
                if let Some(ind) = text(o, "sighting_of_ref")
                    && self.authored_here(ind).await?
                {
                    let name = latest(self.store, ind)
                        .await?
                        .and_then(|i| text(&i, "name").map(str::to_string));
                    out.push(alert(
                        format!("sighting {id} {version}"),
                        kind::SIGHTING,
                        format!(
                            "{who} sighted our indicator {} ({} times)",
                            name.as_deref().unwrap_or(ind),
                            o.get("count").and_then(Value::as_u64).unwrap_or(1)
                        ),
                        Message::new(
                            "alert-msg-sighting",
                            &[
                                ("who", who.clone()),
                                ("indicator", name.as_deref().unwrap_or(ind).to_string()),
                                (
                                    "count",
                                    o.get("count").and_then(Value::as_u64).unwrap_or(1).to_string(),
                                ),
                            ],
                        ),
                        json!({"indicator": ind, "count": o.get("count"), "first_seen": text(o, "first_seen"), "last_seen": text(o, "last_seen")}),
                    ));
                }
            }
            "opinion" if is_false_positive(o) => {
                for r in list(o, "object_refs") {
                    let ours = self.authored_here(&r).await?;
                    // A false positive on a sighting of our indicator
                    // concerns us too.
                    let via_sighting = match latest(self.store, &r).await? {
                        Some(s) if text(&s, "type") == Some("sighting") => {
                            match text(&s, "sighting_of_ref") {
                                Some(i) => self.authored_here(i).await?,
                                None => false,
                            }
                        }
                        _ => false,
                    };
                    if ours || via_sighting {
                        out.push(alert(
                            format!("opinion {id} {version}"),
                            kind::FALSE_POSITIVE,
                            format!("{who} marked {r} a false positive"),
                            Message::new(
                                "alert-msg-false-positive",
                                &[("who", who.clone()), ("object", r.clone())],
                            ),
                            json!({"target": r, "opinion": text(o, "opinion"), "explanation": text(o, "explanation")}),
                        ));
                        break;
                    }
                }
            }
            "incident" => {
                if let Ok(i) = Incident::read(o)
                    && i.involves(self.me)
                {
                    out.push(alert(
                        format!("request {id}"),
                        kind::REQUEST,
                        format!("{who} asks for assistance with incident {:?} ({})", i.title, i.severity.word()),
                        Message::new(
                            "alert-msg-request",
                            &[
                                ("who", who.clone()),
                                ("title", i.title.clone()),
                                ("severity", i.severity.word().to_string()),
                            ],
                        ),
                        json!({"title": i.title, "severity": i.severity.word(), "status": i.status.word(), "tlp": i.tlp}),
                    ));
                    if text(o, "created") != Some(version.as_str()) {
                        out.push(alert(
                            format!("incident {id} {version}"),
                            kind::INCIDENT,
                            format!("incident {:?} is now {} ({})", i.title, i.status.word(), i.severity.word()),
                            Message::new(
                                "alert-msg-incident-status",
                                &[
                                    ("title", i.title.clone()),
                                    ("status", i.status.word().to_string()),
                                    ("severity", i.severity.word().to_string()),
                                ],
                            ),
                            json!({"title": i.title, "status": i.status.word(), "severity": i.severity.word()}),
                        ));
                    }
                }
            }
            "note" | "relationship" => {
                let mut targets = list(o, "object_refs");
                targets.extend(text(o, "target_ref").map(str::to_string));
                for t in targets.iter().filter(|t| t.starts_with("incident--")) {
                    let Some(inc) = latest(self.store, t).await? else {
                        continue;
                    };
                    let Ok(i) = Incident::read(&inc) else {
                        continue;
                    };
                    if !i.involves(self.me) {
                        continue;
                    }
                    let (what, key) = match text(o, RESPONSE) {
                        Some("acknowledge") => ("acknowledged", "alert-msg-incident-ack"),
                        Some("decline") => ("declined", "alert-msg-incident-decline"),
                        _ if text(o, "type") == Some("relationship") => {
                            ("linked an object to", "alert-msg-incident-link")
                        }
                        _ => ("added a note to", "alert-msg-incident-note"),
                    };
                    out.push(NewAlert {
                        cause: format!("answer {id} {version}"),
                        kind: kind::INCIDENT,
                        title: format!("{who} {what} incident {:?}", i.title),
                        message: Some(Message::new(
                            key,
                            &[("who", who.clone()), ("title", i.title.clone())],
                        )),
                        object: Some(i.id.clone()),
                        source: Some(from.clone()),
                        detail: json!({"incident": i.id, "object": id, "content": text(o, "content"), "response": text(o, RESPONSE)}),
                    });
                    break;
                }
            }
            _ => {}
        }
        Ok(out)
    }
}

/// Objects from peers that failed verification.
async fn quarantine(store: &AnyStore) -> Result<Vec<NewAlert>> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .records(concord_taxii::sync::QUARANTINE, after.as_deref(), 1_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for r in &page {
            let v: Value = serde_json::from_str(&r.value).unwrap_or(Value::Null);
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            out.push(NewAlert {
                cause: format!("quarantine {}", r.key),
                kind: kind::VERIFICATION,
                title: format!(
                    "an object from peer {} failed verification and was quarantined: {}",
                    s("source").unwrap_or_else(|| "?".into()),
                    s("reason").unwrap_or_else(|| "no reason recorded".into())
                ),
                message: Some(Message::new(
                    "alert-msg-verification",
                    &[
                        ("peer", s("source").unwrap_or_else(|| "?".into())),
                        ("reason", s("reason").unwrap_or_default()),
                    ],
                )),
                object: s("id"),
                source: s("source"),
                detail: json!({"reason": s("reason"), "version": s("version"), "received": s("received"), "record": r.key}),
            });
        }
    }
    Ok(out)
}

/// Evidence that a member's log showed two histories: one alert per piece,
/// naming the member.
async fn split_views(store: &AnyStore) -> Result<Vec<NewAlert>> {
    let held = concord_log::evidence::list(store).await?;
    Ok(held
        .into_iter()
        .map(|e| NewAlert {
            cause: format!("split-view {} {} {}", e.origin, e.sizes.0, e.sizes.1),
            kind: kind::SPLIT_VIEW,
            title: format!(
                "SECURITY: member {} showed two histories of its log {} (checkpoints of sizes {} and {}); the evidence verifies with its node key alone (`concord log evidence`)",
                e.name, e.origin, e.sizes.0, e.sizes.1
            ),
            message: Some(Message::new(
                "alert-msg-split-view",
                &[
                    ("member", e.name.clone()),
                    ("origin", e.origin.clone()),
                    ("first_size", e.sizes.0.to_string()),
                    ("second_size", e.sizes.1.to_string()),
                ],
            )),
            object: None,
            source: Some(e.member.clone()),
            detail: json!({"member": e.member, "name": e.name, "origin": e.origin, "kind": e.kind, "found": e.found, "evidence": e.evidence}),
        })
        .collect())
}

/// Open proposals this member has not voted on, and an expired charter.
fn governance(data_dir: &std::path::Path, me: &str) -> Result<Vec<NewAlert>> {
    let mut out = Vec::new();
    let mut session = concord_community::Session::open(data_dir)?;
    let Some(view) = session.view(concord_stix::Timestamp::now())? else {
        return Ok(out);
    };
    if view.frozen {
        out.push(NewAlert {
            cause: format!("charter-frozen {}", view.hash),
            kind: kind::CHARTER,
            title: format!(
                "the charter of {} (version {}) expired on {}: the community is frozen until a renewal is adopted",
                view.community, view.version, view.expires
            ),
            message: Some(Message::new(
                "alert-msg-charter",
                &[
                    ("community", view.community.clone()),
                    ("version", view.version.to_string()),
                    ("expires", view.expires.clone()),
                ],
            )),
            object: None,
            source: None,
            detail: json!({"version": view.version, "expires": view.expires}),
        });
    }
    let Some(mine) = view.by_identity(me).map(|m| m.member.clone()) else {
        return Ok(out);
    };
    for t in session.proposals()? {
        if t.votes.iter().any(|v| v.member == mine) {
            continue;
        }
        out.push(NewAlert {
            cause: format!("vote {}", t.id),
            kind: kind::VOTE,
            title: format!(
                "proposal {} for charter version {} waits for our vote ({} of {} votes): {}",
                t.id,
                t.version,
                t.count,
                t.quorum,
                t.changes.join("; ")
            ),
            message: Some(Message::new(
                "alert-msg-vote",
                &[
                    ("proposal", t.id.clone()),
                    ("version", t.version.to_string()),
                    ("count", t.count.to_string()),
                    ("quorum", t.quorum.to_string()),
                    ("changes", t.changes.join("; ")),
                ],
            )),
            object: Some(t.id.clone()),
            source: None,
            detail: json!({"base_version": t.base_version, "version": t.version, "changes": t.changes, "count": t.count, "quorum": t.quorum}),
        });
    }
    Ok(out)
}

/// One scan: raises the alerts for everything that arrived since the last.
pub async fn run(
    node: &LocalNode,
    section: &AlertsSection,
    constituency: &ConstituencySection,
) -> Result<ScanReport> {
    let _lock = Lock::take(&node.data_dir, "alerts.lock").await?;
    let collection = &node.collection;
    let mut scanner = Scanner {
        store: &node.store,
        me: &node.member,
        constituency: Constituency::new(constituency)?,
        names: HashMap::new(),
    };
    let mut report = ScanReport::default();
    let mut cursor: Option<i64> = match node.store.record(CURSOR, collection).await? {
        Some(r) => Some(r.value.parse().map_err(|e| {
            AlertError::Config(format!(
                "the alert cursor {:?} is not a number: {e}",
                r.value
            ))
        })?),
        None => None,
    };
    // With no constituency, only a few types can call for an alert: the
    // store is asked for those alone (an import of a million indicators is
    // then not read back at all), and the cursor moves to the collection's
    // last entry as it stood before the listing began (everything up to it
    // was committed, so the listing saw it).
    let types = scanner.alerting_types();
    let end = if types.is_empty() {
        None
    } else {
        node.store.last_added(collection).await?
    };
    // A page that raises nothing moves the stored cursor only every
    // CURSOR_EVERY entries (and at the end), not in a transaction of its
    // own per page. A crash in between only means examining those entries
    // again, and every alert is raised once per cause.
    let mut saved = cursor;
    let mut unsaved = 0usize;
    loop {
        let page = node
            .store
            .list(ListQuery {
                collection: collection.clone(),
                added_after_us: cursor,
                limit: PAGE,
                ids: Vec::new(),
                types: types.clone(),
                spec_versions: Vec::new(),
                versions: VersionSel::All,
            })
            .await?;
        let mut alerts = Vec::new();
        for stored in &page.objects {
            report.examined += 1;
            if let Some(at) = stored.date_added_us {
                cursor = Some(cursor.map_or(at, |c| c.max(at)));
            }
            if !scanner.worth_parsing(stored) {
                continue;
            }
            let Ok(o) = concord_stix::json::parse_object(stored.json.as_bytes()) else {
                continue;
            };
            alerts.extend(scanner.examine(&o).await?);
        }
        unsaved += page.objects.len();
        let done = !page.more || page.objects.is_empty();
        if done && let Some(end) = end {
            cursor = Some(cursor.map_or(end, |c| c.max(end)));
        }
        if !alerts.is_empty() || (cursor != saved && (done || unsaved >= CURSOR_EVERY)) {
            let extra = match cursor {
                Some(c) => vec![Record::new(CURSOR, collection.clone(), c.to_string())],
                None => Vec::new(),
            };
            report.raised += raise(&node.store, section, alerts, extra).await?.len();
            saved = cursor;
            unsaved = 0;
        }
        if done {
            break;
        }
    }
    report.raised += raise(
        &node.store,
        section,
        quarantine(&node.store).await?,
        Vec::new(),
    )
    .await?
    .len();
    report.raised += raise(
        &node.store,
        section,
        split_views(&node.store).await?,
        Vec::new(),
    )
    .await?
    .len();
    let dir = node.data_dir.clone();
    let me = node.member.clone();
    let votes = tokio::task::spawn_blocking(move || governance(&dir, &me))
        .await
        .map_err(|e| AlertError::Delivery(format!("the governance check failed: {e}")))??;
    report.raised += raise(&node.store, section, votes, Vec::new()).await?.len();
    Ok(report)
}
