//! `/community`: the members, the adopted charter and its history with who
//! signed each version, the open proposals with their signatures and the
//! proposals they compete with, evidence of forks and equivocation, and
//! (admins) a button to sign a proposal: `POST /community/proposals/{id}/vote`
//! calls what `concord community vote` calls, with this node's governance
//! key, under the signing guard.

use std::collections::BTreeMap;

use crate::ConsoleError;
use crate::{Arg, Lang, Shared, Viewer, bad_form, no_access, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use concord_stix::Timestamp;
use concord_trust::Charter;
use serde::Deserialize;
use serde_json::Value;

use super::{NodePages, Pages, blocking, fail, sees_community};
use concord_community::{Session, ballot, governance_key};

/// The community page (`/community`) and signing a proposal
/// (`POST /community/proposals/{id}/vote`).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/community", get(page))
        .route("/community/proposals/{id}/vote", post(vote))
}

/// One member of the adopted charter.
pub struct MemberRow {
    /// The member id (the charter's key for it).
    pub member: String,
    /// Its organisation's name.
    pub name: String,
    /// Its ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// TAXII API roots of its node(s).
    pub endpoints: Vec<String>,
    /// The groups it belongs to.
    pub groups: Vec<String>,
    /// Whether it is this node's own member.
    pub me: bool,
}

/// A member that signed a charter version or voted for a proposal.
pub struct Signer {
    /// The member id.
    pub member: String,
    /// Its organisation's name (empty if no charter version names it).
    pub name: String,
    /// When this node recorded its vote, formatted for the user; `None`
    /// if this node holds no vote of it.
    pub recorded: Option<String>,
}

/// One adopted version.
pub struct VersionRow {
    /// The charter version number.
    pub version: u64,
    /// Its charter hash (hex).
    pub hash: String,
    /// When it expires, formatted for the user.
    pub expires: String,
    /// How many distinct members must sign the next version.
    pub quorum: u64,
    /// How many members it lists.
    pub members: usize,
    /// What it changed from the version before, in the user's language.
    pub changes: Vec<String>,
    /// The members whose signatures it carries.
    pub signers: Vec<Signer>,
    /// When this node adopted it, formatted for the user.
    pub adopted: Option<String>,
    /// How this node adopted it (by hand, by votes, from a peer), in the
    /// user's language.
    pub via: Option<String>,
}

/// One open proposal.
pub struct ProposalRow {
    /// The proposal id (hex charter hash of the draft).
    pub id: String,
    /// Its first 12 characters, to show.
    pub short: String,
    /// The draft's version, N+1.
    pub version: u64,
    /// The version N it succeeds.
    pub base_version: u64,
    /// What it changes, in the user's language.
    pub changes: Vec<String>,
    /// The members whose votes this node holds for it.
    pub signers: Vec<Signer>,
    /// Votes held against the quorum, in the user's language.
    pub tally: String,
    /// Whether this node's member has voted for it.
    pub signed_by_me: bool,
    /// Short ids of the other open proposals on the same base.
    pub competing: Vec<String>,
}

/// Evidence of misbehaviour this node holds, as the page shows it.
pub struct Evidence {
    /// fork or equivocation
    pub kind: &'static str,
    /// What happened, in the user's language.
    pub text: String,
}

/// What the page shows, read under the community lock.
struct Held {
    community: Option<Community>,
    evidence: Vec<Evidence>,
}

struct Community {
    id: String,
    version: u64,
    hash: String,
    quorum: u64,
    expires: String,
    frozen: bool,
    members: Vec<MemberRow>,
    removed: Vec<String>,
    history: Vec<VersionRow>,
    /// The link to older charter versions, when there are more.
    older: Option<String>,
    proposals: Vec<ProposalRow>,
    /// This node already signed an open proposal on this base: the guard
    /// refuses any other.
    signed_any: bool,
}

/// What a charter change is, in the user's language (the words of
/// `community::view::changes`).
pub fn describe(l: Lang, base: &Charter, next: &Charter) -> Vec<String> {
    let mut out = Vec::new();
    let m = |id: &str| ("member", id.to_string());
    let say = |key: &str, args: Vec<(&'static str, String)>| {
        let a: Vec<(&'static str, Arg<'_>)> = args
            .iter()
            .map(|(k, v)| (*k, Arg::Text(v.as_str())))
            .collect();
        l.t_args(key, &a)
    };
    for (id, mem) in &next.members {
        match base.members.get(id) {
            None => out.push(say(
                "community-change-add",
                vec![
                    m(id),
                    ("name", mem.name.clone()),
                    ("country", mem.country.clone()),
                ],
            )),
            Some(old) => {
                if old.keys != mem.keys {
                    out.push(say("community-change-keys", vec![m(id)]));
                }
                if old.node_keys != mem.node_keys {
                    out.push(say("community-change-node-keys", vec![m(id)]));
                }
                if old.endpoints != mem.endpoints {
                    out.push(say("community-change-endpoints", vec![m(id)]));
                }
                if old.name != mem.name
                    || old.country != mem.country
                    || old.identity != mem.identity
                {
                    out.push(say("community-change-details", vec![m(id)]));
                }
            }
        }
    }
    for id in base.members.keys() {
        if !next.members.contains_key(id) {
            out.push(say("community-change-remove", vec![m(id)]));
        }
    }
    if base.quorum != next.quorum {
        out.push(say(
            "community-change-quorum",
            vec![
                ("from", l.num(base.quorum.threshold)),
                ("to", l.num(next.quorum.threshold)),
            ],
        ));
    }
    if base.expires != next.expires {
        out.push(say(
            "community-change-expires",
            vec![
                ("from", l.stix_time(&base.expires)),
                ("to", l.stix_time(&next.expires)),
            ],
        ));
    }
    if base.groups != next.groups {
        out.push(l.t("community-change-groups"));
    }
    if base.policy != next.policy {
        out.push(l.t("community-change-policy"));
    }
    out
}

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

/// Reads everything the page shows (blocking: the community lock).
/// Charter versions shown on one page of the history.
const HISTORY: usize = 20;

/// Pieces of evidence shown (the newest).
const EVIDENCE: usize = 50;

fn read(
    dir: &std::path::Path,
    me: &str,
    l: Lang,
    before: Option<u64>,
) -> Result<Held, ConsoleError> {
    let s = Session::open(dir)?;
    let now = Timestamp::now();
    let all_evidence = s.ledger.evidence()?;
    let evidence = all_evidence
        .iter()
        .rev()
        .take(EVIDENCE)
        .filter_map(|e| evidence_row(l, e))
        .collect();
    let (Some(view), Some(chain)) = (s.view(now)?, s.chain.as_ref()) else {
        return Ok(Held {
            community: None,
            evidence,
        });
    };
    let names: BTreeMap<String, String> = chain
        .versions()
        .iter()
        .flat_map(|c| c.charter().members.iter())
        .map(|(id, m)| (id.clone(), m.name.clone()))
        .collect();
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_default();
    let adoptions = s.ledger.adoptions()?;
    let mut history = Vec::new();
    // One page of the history, newest first: only its versions' votes are read.
    let versions = chain.versions();
    let eligible: Vec<usize> = (0..versions.len())
        .filter(|&i| before.is_none_or(|b| versions[i].version() < b))
        .collect();
    let window = &eligible[eligible.len().saturating_sub(HISTORY)..];
    let older = (eligible.len() > window.len())
        .then(|| window.first().map(|&i| versions[i].version()))
        .flatten();
    for &i in window {
        let c = &versions[i];
        let previous: Option<&Charter> = i.checked_sub(1).map(|p| versions[p].charter());
        let votes = s.ledger.votes(&c.hash().to_hex())?;
        let signers = c
            .envelope()
            .signatures
            .iter()
            .map(|sig| Signer {
                member: sig.member.clone(),
                name: name_of(&sig.member),
                recorded: votes
                    .iter()
                    .find(|v| v.vote.keyid == sig.keyid && v.vote.member == sig.member)
                    .map(|v| l.stix_time(&v.recorded)),
            })
            .collect();
        let adoption = adoptions.get(&c.version());
        history.push(VersionRow {
            version: c.version(),
            hash: c.hash().to_hex(),
            expires: l.stix_time(&c.charter().expires),
            quorum: c.quorum(),
            members: c.charter().members.len(),
            changes: match previous {
                Some(p) => describe(l, p, c.charter()),
                None => vec![l.t("community-change-genesis")],
            },
            signers,
            adopted: adoption.map(|a| l.stix_time(&a.adopted_at)),
            via: adoption.map(|a| match a.via.as_str() {
                "adopt" => l.t("community-via-adopt"),
                "votes" => l.t("community-via-votes"),
                "sync" => l.t("community-via-sync"),
                other => other.to_string(),
            }),
        });
    }
    history.reverse();
    let head = chain.head();
    let open = ballot::open(&s.ledger, head)?;
    let ids: Vec<String> = open.iter().map(|p| p.id().to_hex()).collect();
    let mut proposals = Vec::new();
    for p in &open {
        let t = ballot::tally(&s.ledger, head, p)?;
        proposals.push(ProposalRow {
            short: short(&t.id),
            version: t.version,
            base_version: t.base_version,
            changes: describe(l, head.charter(), p.charter()),
            signers: t
                .votes
                .iter()
                .map(|v| Signer {
                    member: v.member.clone(),
                    name: name_of(&v.member),
                    recorded: Some(l.stix_time(&v.recorded)),
                })
                .collect(),
            tally: l.t_args(
                "community-tally",
                &[
                    ("count", Arg::Text(&l.num(t.count))),
                    ("quorum", Arg::Text(&l.num(t.quorum))),
                ],
            ),
            signed_by_me: t.votes.iter().any(|v| v.member == me),
            competing: ids
                .iter()
                .filter(|i| **i != t.id)
                .map(|i| short(i))
                .collect(),
            id: t.id,
        });
    }
    let signed_any = proposals.iter().any(|p| p.signed_by_me);
    Ok(Held {
        community: Some(Community {
            id: view.community.clone(),
            version: view.version,
            hash: view.hash.clone(),
            quorum: view.quorum,
            expires: l.stix_time(&view.expires),
            frozen: view.frozen,
            members: view
                .members
                .iter()
                .map(|m| MemberRow {
                    me: m.identity == me || m.member == me,
                    member: m.member.clone(),
                    name: m.name.clone(),
                    country: m.country.clone(),
                    endpoints: m.endpoints.clone(),
                    groups: m.groups.clone(),
                })
                .collect(),
            removed: view.removed.clone(),
            history,
            older: older.map(|v| format!("/community?versions_before={v}")),
            proposals,
            signed_any,
        }),
        evidence,
    })
}

fn evidence_row(l: Lang, e: &Value) -> Option<Evidence> {
    let num = |k: &str| e.get(k).and_then(Value::as_u64).map(|n| l.num(n));
    match e.get("kind").and_then(Value::as_str)? {
        "fork" => Some(Evidence {
            kind: "fork",
            text: l.t_args(
                "community-evidence-fork",
                &[("version", Arg::Text(&num("version").unwrap_or_default()))],
            ),
        }),
        "equivocation" => Some(Evidence {
            kind: "equivocation",
            text: l.t_args(
                "community-evidence-equivocation",
                &[
                    (
                        "member",
                        Arg::Text(e.get("member").and_then(Value::as_str).unwrap_or("?")),
                    ),
                    (
                        "version",
                        Arg::Text(&num("base_version").unwrap_or_default()),
                    ),
                ],
            ),
        }),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "sections/community.html")]
struct CommunityPage<'a> {
    l: Lang,
    csrf: &'a str,
    admin: bool,
    community: Option<Community>,
    evidence: Vec<Evidence>,
    notice: Option<String>,
    error: Option<String>,
}

/// The community page's URL parameters: `done` (`signed`, `adopted`) says
/// what the last action did.
#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
    /// Show the charter versions older than this one.
    #[serde(default)]
    versions_before: Option<u64>,
}

async fn show(
    st: &Shared,
    v: &Viewer,
    pages: &NodePages,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    before: Option<u64>,
) -> Response {
    let l = v.lang();
    let dir = pages.node.data_dir.clone();
    let me = pages.me().to_string();
    let held = match blocking(move || read(&dir, &me, l, before)).await {
        Ok(h) => h,
        Err(e) => return fail(v, "reading the community", &e),
    };
    let body = CommunityPage {
        l,
        csrf: &v.session.csrf,
        admin: v.rights.admin,
        community: held.community,
        evidence: held.evidence,
        notice,
        error,
    }
    .render();
    match body {
        Ok(b) => render(st, v, "community", status, &l.t("community-title"), &b),
        Err(e) => fail(v, "rendering the community", &e),
    }
}

async fn page(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Query(q): Query<Notice>,
) -> Response {
    if !sees_community(&v.rights) {
        return no_access(&st, &v, "community");
    }
    let l = v.lang();
    let notice = match q.done.as_deref() {
        Some("signed") => Some(l.t("community-signed")),
        Some("adopted") => Some(l.t("community-adopted")),
        _ => None,
    };
    show(
        &st,
        &v,
        &pages,
        StatusCode::OK,
        notice,
        None,
        q.versions_before,
    )
    .await
}

/// A form that carries only its CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn vote(
    State(st): State<Shared>,
    Extension(pages): Pages,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !v.csrf_ok(&f.csrf) {
        return bad_form(&st, &v, "community");
    }
    if !v.rights.admin {
        return no_access(&st, &v, "community");
    }
    let dir = pages.node.data_dir.clone();
    let member = pages.me().to_string();
    let who = v.rights.user.name.clone();
    // What `concord community vote ID` does.
    let cast = blocking(move || {
        let key = governance_key::load_or_create(&dir)?;
        let mut s = Session::open(&dir)?;
        let (p, _competing) = s.ballot(&id)?;
        Ok(s.vote(&p, &member, &key)?)
    })
    .await;
    match cast {
        Ok(c) => {
            tracing::info!(user = %who, proposal = %c.id, new = c.new, adopted = ?c.adopted, "console signed a proposal");
            let done = if c.adopted.is_empty() {
                "signed"
            } else {
                "adopted"
            };
            Redirect::to(&format!("/community?done={done}")).into_response()
        }
        Err(e) => {
            let l = v.lang();
            let msg = l.t_args(
                "community-vote-refused",
                &[("reason", Arg::Text(&format!("{e:#}")))],
            );
            show(&st, &v, &pages, StatusCode::CONFLICT, None, Some(msg), None).await
        }
    }
}
