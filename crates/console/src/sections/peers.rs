//! `/settings/peers` (admins): whom this node deals with now (configured
//! peers and charter members, `federation::membership::current`) with the
//! last sync of each (`federation::pull::statuses`: when, how much was
//! stored or quarantined, the last error), the sharing rules of
//! `[sharing]` (read-only: they live in config.toml), and what sits in
//! quarantine with the reason.

use std::collections::HashMap;

use crate::ConsoleError;
use crate::{Lang, Shared, Viewer, no_access, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use concord_store::Store;
use concord_taxii::sync::QUARANTINE;
use serde_json::Value;

use super::{NodePages, Pages, excerpt, fail};
use concord_federation::{membership, pull};

pub fn routes() -> Router<Shared> {
    Router::new().route("/settings/peers", get(page))
}

/// Quarantine entries listed at most (the count says when there are more).
const QUARANTINE_SHOWN: usize = 200;

pub struct PeerRow {
    pub name: String,
    pub url: String,
    pub member: String,
    pub charter_member: bool,
    pub pulled: bool,
    pub groups: String,
    pub last: Option<String>,
    pub stored: String,
    pub quarantined: String,
    pub error: Option<String>,
}

struct Rule {
    label: String,
    value: String,
}

struct Held {
    source: String,
    received: String,
    reason: String,
    id: String,
}

#[derive(Template)]
#[template(path = "sections/peers.html")]
struct PeersPage {
    l: Lang,
    peers: Vec<PeerRow>,
    rules: Vec<Rule>,
    quarantine: Vec<Held>,
    quarantine_count: String,
}

fn list_or_none(l: Lang, v: &[String]) -> String {
    if v.is_empty() {
        l.t("peers-none-set")
    } else {
        v.join(", ")
    }
}

fn rules(l: Lang, s: &concord_federation::SharingSection) -> Vec<Rule> {
    let yes_no = |b: bool| if b { l.t("peers-yes") } else { l.t("peers-no") };
    vec![
        Rule {
            label: l.t("sharing-allow-tlp"),
            value: list_or_none(l, &s.allow_tlp).to_uppercase(),
        },
        Rule {
            label: l.t("sharing-red-to"),
            value: list_or_none(l, &s.red_to),
        },
        Rule {
            label: l.t("sharing-clear-to-public"),
            value: yes_no(s.clear_to_public),
        },
        Rule {
            label: l.t("sharing-deny-types"),
            value: list_or_none(l, &s.deny_types),
        },
        Rule {
            label: l.t("sharing-deny-labels"),
            value: list_or_none(l, &s.deny_labels),
        },
        Rule {
            label: l.t("sharing-never-types"),
            value: list_or_none(l, &s.never_export_types),
        },
        Rule {
            label: l.t("sharing-never-labels"),
            value: list_or_none(l, &s.never_export_labels),
        },
    ]
}

/// The peers with their last round, by name.
pub async fn peer_rows(pages: &NodePages, l: Lang) -> Result<Vec<PeerRow>, ConsoleError> {
    let m = membership::current(&pages.node, &pages.key.public()).await?;
    let mut rounds: HashMap<String, pull::PeerRound> = pull::statuses(&pages.node.store)
        .await?
        .into_iter()
        .map(|r| (r.peer.clone(), r))
        .collect();
    let mut rows: Vec<PeerRow> = m
        .members
        .iter()
        .map(|p| {
            let r = rounds.remove(&p.record.name);
            PeerRow {
                name: p.record.name.clone(),
                url: p.record.url.clone(),
                member: p.record.member.clone(),
                charter_member: p.charter_member,
                pulled: !p.record.no_pull && !p.record.url.is_empty(),
                groups: p.groups.iter().cloned().collect::<Vec<_>>().join(", "),
                last: r.as_ref().map(|r| l.stix_time(&r.at)),
                stored: r
                    .as_ref()
                    .map_or_else(String::new, |r| l.num(r.stored as u64)),
                quarantined: r
                    .as_ref()
                    .map_or_else(String::new, |r| l.num(r.quarantined as u64)),
                error: r.and_then(|r| r.error).map(|e| excerpt(&e, 400)),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

async fn quarantine(pages: &NodePages, l: Lang) -> Result<(Vec<Held>, u64), ConsoleError> {
    let mut shown = Vec::new();
    let mut count = 0u64;
    let mut after: Option<String> = None;
    loop {
        let page = pages
            .node
            .store
            .records(QUARANTINE, after.as_deref(), 1000)
            .await?;
        let Some(last) = page.last().map(|r| r.key.clone()) else {
            break;
        };
        count += page.len() as u64;
        for r in page {
            if shown.len() >= QUARANTINE_SHOWN {
                break;
            }
            let v: Value = serde_json::from_str(&r.value).unwrap_or(Value::Null);
            let f = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
            shown.push(Held {
                source: f("source"),
                received: l.stix_time(&f("received")),
                reason: excerpt(&f("reason"), 400),
                id: v
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or(r.key),
            });
        }
        after = Some(last);
    }
    Ok((shown, count))
}

async fn page(State(st): State<Shared>, Extension(pages): Pages, v: Viewer) -> Response {
    if !v.rights.admin {
        return no_access(&st, &v, "settings");
    }
    let l = v.lang();
    let result = async {
        let peers = peer_rows(&pages, l).await?;
        let q = quarantine(&pages, l).await?;
        Ok::<_, ConsoleError>((peers, q))
    }
    .await;
    let (peers, (held, count)) = match result {
        Ok(r) => r,
        Err(e) => return fail(&v, "reading the peers", &e),
    };
    let body = PeersPage {
        l,
        peers,
        rules: rules(l, &pages.sharing),
        quarantine: held,
        quarantine_count: l.num(count),
    }
    .render();
    match body {
        Ok(b) => render(&st, &v, "settings", StatusCode::OK, &l.t("peers-title"), &b),
        Err(e) => fail(&v, "rendering the peers", &e),
    }
}
