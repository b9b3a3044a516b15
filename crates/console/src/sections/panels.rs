//! The node's dashboard cards: open alerts (with a button to acknowledge),
//! proposals waiting for this member's vote, and the last sync of each
//! peer with its last error. Each shows nothing to users it is not for.

use std::sync::Arc;

use crate::{ConsoleError, ConsoleState, Lang, Panel, PanelFuture, Viewer};
use askama::Template;

use super::alerts::{AlertRow, row};
use super::{NodePages, blocking, excerpt, sees_alerts};
use concord_alert as alert;
use concord_community::{Session, ballot};
use concord_federation::pull;

/// Open alerts shown on the dashboard (the rest on `/alerts`).
const ALERTS_SHOWN: usize = 5;

struct Waiting {
    id: String,
    short: String,
    version: u64,
}

struct SyncRow {
    peer: String,
    at: String,
    stored: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "sections/panels.html")]
struct Card<'a> {
    l: Lang,
    csrf: &'a str,
    /// alerts, votes or sync
    which: &'static str,
    count: String,
    alerts: Vec<AlertRow>,
    waiting: Vec<Waiting>,
    sync: Vec<SyncRow>,
}

impl<'a> Card<'a> {
    fn new(l: Lang, v: &'a Viewer, which: &'static str) -> Card<'a> {
        Card {
            l,
            csrf: &v.session.csrf,
            which,
            count: String::new(),
            alerts: Vec::new(),
            waiting: Vec::new(),
            sync: Vec::new(),
        }
    }
}

fn section_error(doing: &str, e: impl std::fmt::Display) -> ConsoleError {
    ConsoleError::Section(format!("{doing}: {e}"))
}

/// The dashboard card of open alerts, for those who see alerts.
pub struct AlertsPanel(pub Arc<NodePages>);

impl Panel for AlertsPanel {
    fn render<'a>(&'a self, _st: &'a ConsoleState, v: &'a Viewer) -> PanelFuture<'a> {
        Box::pin(async move {
            if !sees_alerts(&v.rights) {
                return Ok(None);
            }
            let l = v.lang();
            // The newest open alerts only, counted up to a bound: the
            // dashboard never reads the whole list.
            const COUNTED: usize = 100;
            let (open, more) = alert::newest(&self.0.node.store, None, COUNTED, true)
                .await
                .map_err(|e| section_error("listing alerts", e))?;
            let mut card = Card::new(l, v, "alerts");
            card.count = match more {
                Some(_) => format!("{}+", l.num(open.len() as u64)),
                None => l.num(open.len() as u64),
            };
            card.alerts = open.iter().take(ALERTS_SHOWN).map(|a| row(l, a)).collect();
            Ok(Some(card.render()?))
        })
    }
}

/// The dashboard card of charter proposals waiting for this member's
/// vote, for admins.
pub struct VotesPanel(pub Arc<NodePages>);

/// Open proposals this member has not signed, unless it signed one of
/// them already (the guard allows one per base, so none is waiting).
fn waiting(dir: &std::path::Path, me: &str) -> Result<Vec<Waiting>, ConsoleError> {
    let s = Session::open(dir)?;
    let Some(chain) = s.chain.as_ref() else {
        return Ok(Vec::new());
    };
    let head = chain.head();
    if !head.charter().members.values().any(|m| m.identity == me)
        && !head.charter().members.contains_key(me)
    {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for p in ballot::open(&s.ledger, head)? {
        let votes = ballot::votes_for(&s.ledger, head, &p)?;
        if votes.iter().any(|v| v.vote.member == me) {
            return Ok(Vec::new());
        }
        let id = p.id().to_hex();
        out.push(Waiting {
            short: id.chars().take(12).collect(),
            id,
            version: p.charter().version,
        });
    }
    Ok(out)
}

impl Panel for VotesPanel {
    fn render<'a>(&'a self, _st: &'a ConsoleState, v: &'a Viewer) -> PanelFuture<'a> {
        Box::pin(async move {
            if !v.rights.admin {
                return Ok(None);
            }
            let l = v.lang();
            let dir = self.0.node.data_dir.clone();
            let me = self.0.me().to_string();
            let list = blocking(move || waiting(&dir, &me))
                .await
                .map_err(|e| section_error("reading the proposals", e))?;
            let mut card = Card::new(l, v, "votes");
            card.count = l.num(list.len() as u64);
            card.waiting = list;
            Ok(Some(card.render()?))
        })
    }
}

/// The dashboard card of the last pull round with each peer, for admins.
pub struct SyncPanel(pub Arc<NodePages>);

impl Panel for SyncPanel {
    fn render<'a>(&'a self, _st: &'a ConsoleState, v: &'a Viewer) -> PanelFuture<'a> {
        Box::pin(async move {
            if !v.rights.admin {
                return Ok(None);
            }
            let l = v.lang();
            let mut rounds = pull::statuses(&self.0.node.store)
                .await
                .map_err(|e| section_error("reading the sync status", e))?;
            rounds.sort_by(|a, b| a.peer.cmp(&b.peer));
            let mut card = Card::new(l, v, "sync");
            card.count = l.num(rounds.iter().filter(|r| r.error.is_some()).count() as u64);
            card.sync = rounds
                .into_iter()
                .map(|r| SyncRow {
                    at: l.stix_time(&r.at),
                    stored: l.num(r.stored as u64),
                    error: r.error.map(|e| excerpt(&e, 200)),
                    peer: r.peer,
                })
                .collect();
            Ok(Some(card.render()?))
        })
    }
}
