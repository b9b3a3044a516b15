//! Property test of the egress filter over real HTTP (FEDERATION.md
//! section 6 (c)): random objects x markings x audiences x granular
//! markings x signers x peers, stored in a shared and a public collection
//! of an in-process server, read back by each peer (node-signed requests)
//! and by the public, with small pages followed like a client.
//!
//! The expectation is an independent oracle written below from the rules of
//! section 6, not `concord_share::decide`: what a caller receives, counts
//! and can read per object must be exactly its entitled set, and no byte of
//! any response (body or header) may name an id outside it.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns: a failed setup is a failed test"
)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use concord_share::EgressPolicy;
use concord_stix::StixObject;
use concord_stix::json::parse_object;
use concord_stix::tlp::Tlp;
use concord_store::{AnyStore, NewCollection, PreparedObject, SqliteStore, Store};
use concord_taxii::access::PeerIdentity;
use concord_taxii::server::egress::Federation;
use concord_taxii::server::{ServerOptions, router_with};
use concord_trust::request::{RequestLine, sign_request};
use concord_trust::testkit::Community;
use concord_trust::{Audience, KeyId, Keypair, Relay, set_audience, sign_object};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const SHARED: &str = "shared";
const OPEN: &str = "open";
const HOST: &str = "node0.test:9000";
const GROUPS: usize = 3;
/// Members 0..MEMBERS: 0 is this node, 1..=3 may be peers, 4 never is.
const MEMBERS: usize = 5;

fn member(i: usize) -> String {
    format!("identity--{i:08}-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
}

fn group(i: usize) -> String {
    format!("g{i}")
}

fn object_id(kind: Kind, i: usize) -> String {
    format!("{}--00000000-0000-4000-8000-{i:012}", kind.name())
}

fn missing_id(i: usize) -> String {
    format!("indicator--99999999-0000-4000-8000-{i:012}")
}

fn unknown_marking(i: usize) -> String {
    format!("marking-definition--77777777-0000-4000-8000-{i:012}")
}

fn tlp1_id(t: Tlp) -> &'static str {
    match t {
        Tlp::Clear => "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Green => "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Amber | Tlp::AmberStrict => "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Red => "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
}

// ---------------------------------------------------------------- specs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Indicator,
    Identity,
    Relationship,
    Sighting,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Indicator => "indicator",
            Kind::Identity => "identity",
            Kind::Relationship => "relationship",
            Kind::Sighting => "sighting",
        }
    }
}

#[derive(Debug, Clone)]
enum Target {
    /// Another generated object (index modulo the count).
    Obj(usize),
    /// An id this node does not hold.
    Missing(usize),
}

#[derive(Debug, Clone)]
enum Mark {
    Tlp2(Tlp),
    /// The STIX 2.1 TLP 1.0 id (AMBER+STRICT has none: it maps to AMBER).
    Tlp1(Tlp),
    Unknown(usize),
}

impl Mark {
    fn id(&self) -> String {
        match self {
            Mark::Tlp2(t) => t.marking_id().to_string(),
            Mark::Tlp1(t) => tlp1_id(*t).to_string(),
            Mark::Unknown(i) => unknown_marking(*i),
        }
    }

    /// The oracle's reading: the TLP level, `None` for an unknown marking.
    fn level(&self) -> Option<Tlp> {
        match self {
            Mark::Tlp2(t) => Some(*t),
            Mark::Tlp1(Tlp::AmberStrict) => Some(Tlp::Amber),
            Mark::Tlp1(t) => Some(*t),
            Mark::Unknown(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Name {
    Member(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct AudSpec {
    names: Vec<Name>,
    relay_members: bool,
    never_export: bool,
}

#[derive(Debug, Clone, Copy)]
enum Signer {
    /// Signed by this node's member (M0): authored here.
    Author,
    /// Signed by another member (1..MEMBERS): relayed here.
    Member(usize),
    Unsigned,
}

#[derive(Debug, Clone)]
struct ObjSpec {
    kind: Kind,
    /// Relationship: source, target; sighting: sighting_of, where_sighted...
    refs: Vec<Target>,
    created_by: Option<Target>,
    /// A reference two levels down in a custom property.
    nested: Option<Target>,
    marks: Vec<Mark>,
    granular: Vec<Mark>,
    audience: Option<AudSpec>,
    labels: Vec<String>,
    signer: Signer,
    in_shared: bool,
    in_open: bool,
}

#[derive(Debug, Clone)]
struct PeerSpec {
    member: usize,
    groups: BTreeSet<usize>,
    charter: bool,
}

#[derive(Debug, Clone)]
struct WorldSpec {
    objects: Vec<ObjSpec>,
    peers: Vec<PeerSpec>,
    limit: usize,
}

fn tlp() -> impl Strategy<Value = Tlp> {
    prop_oneof![
        8 => Just(Tlp::Clear),
        5 => Just(Tlp::Green),
        2 => Just(Tlp::Amber),
        1 => Just(Tlp::AmberStrict),
        1 => Just(Tlp::Red),
    ]
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![
        16 => tlp().prop_map(Mark::Tlp2),
        4 => tlp().prop_map(Mark::Tlp1),
        1 => (0..2usize).prop_map(Mark::Unknown),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        8 => any::<usize>().prop_map(Target::Obj),
        1 => (0..3usize).prop_map(Target::Missing),
    ]
}

fn audience() -> impl Strategy<Value = AudSpec> {
    (
        prop::collection::vec(
            prop_oneof![
                (0..MEMBERS).prop_map(Name::Member),
                (0..GROUPS).prop_map(Name::Group),
            ],
            1..4,
        ),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(names, relay_members, never_export)| AudSpec {
            names,
            relay_members,
            never_export,
        })
}

fn signer() -> impl Strategy<Value = Signer> {
    prop_oneof![
        12 => Just(Signer::Author),
        2 => (1..MEMBERS).prop_map(Signer::Member),
        1 => Just(Signer::Unsigned),
    ]
}

fn object() -> impl Strategy<Value = ObjSpec> {
    let kind = prop_oneof![
        6 => Just(Kind::Indicator),
        3 => Just(Kind::Identity),
        2 => Just(Kind::Relationship),
        1 => Just(Kind::Sighting),
    ];
    (
        (
            kind,
            prop::collection::vec(target(), 3),
            prop::option::weighted(0.2, target()),
            prop::option::weighted(0.1, target()),
        ),
        (
            prop_oneof![1 => Just(0usize), 10 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)],
            prop::collection::vec(mark(), 3),
            prop::collection::vec(mark(), 0..4).prop_map(|mut v| {
                // Most objects have no granular marking.
                v.truncate(v.len().saturating_sub(2));
                v
            }),
            prop::option::weighted(0.25, audience()),
            prop::collection::vec(prop_oneof![Just("malware"), Just("phishing")], 0..2),
        ),
        signer(),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.5),
    )
        .prop_map(
            |(
                (kind, mut refs, created_by, nested),
                (n_marks, mut marks, granular, audience, labels),
                signer,
                in_shared,
                in_open,
            )| {
                marks.truncate(n_marks);
                refs.truncate(match kind {
                    Kind::Indicator | Kind::Identity => 0,
                    Kind::Relationship => 2,
                    Kind::Sighting => 2 + usize::from(n_marks == 3),
                });
                ObjSpec {
                    kind,
                    refs,
                    created_by,
                    nested,
                    marks,
                    granular,
                    audience,
                    labels: labels.into_iter().map(str::to_string).collect(),
                    signer,
                    in_shared,
                    in_open,
                }
            },
        )
}

fn peer() -> impl Strategy<Value = (BTreeSet<usize>, bool)> {
    (
        prop::collection::btree_set(0..GROUPS, 0..3),
        prop::bool::weighted(0.75),
    )
}

fn world() -> impl Strategy<Value = WorldSpec> {
    (
        prop::collection::vec(object(), 3..22),
        prop::collection::vec(peer(), 2..4),
        1..4usize,
    )
        .prop_map(|(objects, peers, limit)| WorldSpec {
            objects,
            peers: peers
                .into_iter()
                .enumerate()
                .map(|(i, (groups, charter))| PeerSpec {
                    member: i + 1,
                    groups,
                    charter,
                })
                .collect(),
            limit,
        })
}

// ------------------------------------------------------------ the world

struct Obj {
    id: String,
    spec: ObjSpec,
    /// Every id the object references (markings aside).
    targets: Vec<String>,
    json: String,
}

fn resolve(t: &Target, ids: &[String]) -> String {
    match t {
        Target::Obj(i) => ids[i % ids.len()].clone(),
        Target::Missing(i) => missing_id(*i),
    }
}

fn build(spec: &WorldSpec) -> Vec<Obj> {
    let ids: Vec<String> = spec
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| object_id(o.kind, i))
        .collect();
    spec.objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let id = ids[i].clone();
            let mut m = Map::new();
            m.insert("type".into(), o.kind.name().into());
            m.insert("spec_version".into(), "2.1".into());
            m.insert("id".into(), id.clone().into());
            m.insert("created".into(), "2024-01-01T00:00:00.000Z".into());
            m.insert("modified".into(), "2024-01-01T00:00:00.000Z".into());
            let mut targets = Vec::new();
            let mut r = |t: &Target| {
                let s = resolve(t, &ids);
                targets.push(s.clone());
                Value::from(s)
            };
            match o.kind {
                Kind::Indicator => {
                    m.insert("name".into(), format!("n{i}").into());
                    m.insert(
                        "pattern".into(),
                        format!("[ipv4-addr:value = '10.0.0.{}']", i % 250).into(),
                    );
                    m.insert("pattern_type".into(), "stix".into());
                    m.insert("valid_from".into(), "2024-01-01T00:00:00Z".into());
                }
                Kind::Identity => {
                    m.insert("name".into(), format!("org {i}").into());
                    m.insert("identity_class".into(), "organization".into());
                }
                Kind::Relationship => {
                    m.insert("relationship_type".into(), "related-to".into());
                    m.insert("source_ref".into(), r(&o.refs[0]));
                    m.insert("target_ref".into(), r(&o.refs[1]));
                }
                Kind::Sighting => {
                    m.insert("sighting_of_ref".into(), r(&o.refs[0]));
                    let w: Vec<Value> = o.refs[1..].iter().map(&mut r).collect();
                    m.insert("where_sighted_refs".into(), Value::Array(w));
                }
            }
            if let Some(t) = &o.created_by {
                m.insert("created_by_ref".into(), r(t));
            }
            if let Some(t) = &o.nested {
                m.insert(
                    "x_context".into(),
                    json!({"notes": [{"about_refs": [r(t)]}]}),
                );
            }
            if !o.marks.is_empty() {
                let refs: Vec<Value> = o.marks.iter().map(|k| k.id().into()).collect();
                m.insert("object_marking_refs".into(), Value::Array(refs));
            }
            if !o.granular.is_empty() {
                let g: Vec<Value> = o
                    .granular
                    .iter()
                    .map(|k| json!({"marking_ref": k.id(), "selectors": ["type"]}))
                    .collect();
                m.insert("granular_markings".into(), Value::Array(g));
            }
            if !o.labels.is_empty() {
                m.insert("labels".into(), json!(o.labels));
            }
            if let Some(a) = &o.audience {
                let names = a
                    .names
                    .iter()
                    .map(|n| match n {
                        Name::Member(i) => member(*i),
                        Name::Group(g) => group(*g),
                    })
                    .collect();
                set_audience(
                    &mut m,
                    &Audience {
                        audience: names,
                        relay: if a.relay_members {
                            Relay::Members
                        } else {
                            Relay::None
                        },
                        retain_days: None,
                        never_export: a.never_export,
                    },
                )
                .unwrap();
            }
            let m = match o.signer {
                Signer::Author => sign_object(&m, &member(0), &Community::key(0)).unwrap(),
                Signer::Member(k) => sign_object(&m, &member(k), &Community::key(k)).unwrap(),
                Signer::Unsigned => m,
            };
            Obj {
                id,
                spec: o.clone(),
                targets,
                json: serde_json::to_string(&Value::Object(m)).unwrap(),
            }
        })
        .collect()
}

// ---------------------------------------------------------- the oracle

#[derive(Debug, Clone)]
enum Caller {
    Public,
    Peer(PeerSpec),
}

fn names(a: &AudSpec, p: &PeerSpec) -> bool {
    a.names.iter().any(|n| match n {
        Name::Member(m) => *m == p.member,
        Name::Group(g) => p.groups.contains(g),
    })
}

/// Section 6's table at one TLP level.
fn entitled_at(level: Tlp, aud: Option<&AudSpec>, relayed: bool, caller: &Caller) -> bool {
    // RED: never synced (no member is in the policy's red_to).
    if level == Tlp::Red {
        return false;
    }
    // A relay forwards CLEAR and GREEN only, and only if the author allows.
    if relayed && (level > Tlp::Green || aud.is_some_and(|a| !a.relay_members)) {
        return false;
    }
    match caller {
        // The public gets CLEAR, and only when no audience narrows it.
        Caller::Public => level == Tlp::Clear && aud.is_none(),
        Caller::Peer(p) => {
            // GREEN and above: charter members only.
            if level >= Tlp::Green && !p.charter {
                return false;
            }
            match aud {
                // The audience narrows every level.
                Some(a) => names(a, p),
                // AMBER and AMBER+STRICT need an audience naming the peer.
                None => level <= Tlp::Green,
            }
        }
    }
}

/// The object on its own, references aside.
fn own(o: &ObjSpec, caller: &Caller) -> bool {
    if o.audience.as_ref().is_some_and(|a| a.never_export) {
        return false;
    }
    // Unknown marking: withhold. No TLP: node default, not exported.
    // Several: the strictest.
    let mut level = None;
    for m in &o.marks {
        match m.level() {
            None => return false,
            Some(t) => level = level.max(Some(t)),
        }
    }
    let Some(level) = level else { return false };
    let mut granular = None;
    for m in &o.granular {
        match m.level() {
            None => return false,
            Some(t) => granular = granular.max(Some(t)),
        }
    }
    let relayed = match o.signer {
        Signer::Author => false,
        Signer::Member(_) => true,
        // Unsigned: local only, never to a peer (it would quarantine it).
        Signer::Unsigned => {
            if matches!(caller, Caller::Peer(_)) {
                return false;
            }
            false
        }
    };
    let aud = o.audience.as_ref();
    entitled_at(level, aud, relayed, caller)
        && granular.is_none_or(|g| g <= level || entitled_at(g, aud, relayed, caller))
}

/// Ids of `collection` the peer may hold from their author (it signed
/// them, or their audience names it): a reference to them tells it nothing
/// new, so it may be named (never sent, unless entitled).
fn known_from_author(world: &[Obj], collection: &str, caller: &Caller) -> HashSet<String> {
    let Caller::Peer(p) = caller else {
        return HashSet::new();
    };
    world
        .iter()
        .filter(|o| match collection {
            SHARED => o.spec.in_shared,
            _ => o.spec.in_open,
        })
        .filter(|o| {
            matches!(o.spec.signer, Signer::Member(m) if m == p.member)
                || o.spec.audience.as_ref().is_some_and(|a| names(a, p))
        })
        .map(|o| o.id.clone())
        .collect()
}

/// The ids of `collection` the caller may see: each on its own, then
/// anything referencing an id outside the set is dropped, to a fixpoint.
fn entitled(world: &[Obj], collection: &str, caller: &Caller) -> HashSet<String> {
    let held: Vec<&Obj> = world
        .iter()
        .filter(|o| match collection {
            SHARED => o.spec.in_shared,
            _ => o.spec.in_open,
        })
        .collect();
    let mut vis: HashSet<String> = held
        .iter()
        .filter(|o| own(&o.spec, caller))
        .map(|o| o.id.clone())
        .collect();
    let known = known_from_author(world, collection, caller);
    loop {
        let next: HashSet<String> = held
            .iter()
            .filter(|o| {
                vis.contains(&o.id)
                    && o.targets
                        .iter()
                        .all(|t| vis.contains(t) || known.contains(t))
            })
            .map(|o| o.id.clone())
            .collect();
        if next.len() == vis.len() {
            return vis;
        }
        vis = next;
    }
}

// ---------------------------------------------------------------- HTTP

struct Reply {
    status: StatusCode,
    /// Headers and body as text, for the leak search.
    text: String,
    body: Value,
    last: Option<String>,
}

async fn get(app: &Router, path: &str, key: Option<&Keypair>) -> Reply {
    let mut b = Request::builder()
        .method("GET")
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ACCEPT, "application/taxii+json;version=2.1");
    if let Some(k) = key {
        let line = RequestLine {
            method: "GET",
            path_and_query: path,
            host: HOST,
        };
        b = b.header(header::AUTHORIZATION, sign_request(k, &line));
    }
    let resp = app
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let mut text = String::new();
    for (name, value) in resp.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let last = resp
        .headers()
        .get("x-taxii-date-added-last")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let raw = String::from_utf8(bytes.to_vec()).unwrap();
    text.push_str(&raw);
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    Reply {
        status,
        text,
        body,
        last,
    }
}

/// Follows a listing to its end as a client does: `next` inside the
/// query, else `added_after` from the last page's header. Returns the
/// entries' ids and every reply.
async fn page_all(
    app: &Router,
    base: &str,
    key: Option<&Keypair>,
    field: &str,
    bound: usize,
) -> (Vec<String>, Vec<Reply>) {
    let mut ids = Vec::new();
    let mut replies = Vec::new();
    let mut path = base.to_string();
    for _ in 0..bound {
        let r = get(app, &path, key).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        if let Some(list) = r.body.get(field).and_then(Value::as_array) {
            ids.extend(list.iter().map(|o| o["id"].as_str().unwrap().to_string()));
        }
        let more = r.body["more"].as_bool().unwrap();
        let next = r
            .body
            .get("next")
            .and_then(Value::as_str)
            .map(str::to_string);
        let last = r.last.clone();
        replies.push(r);
        if !more {
            return (ids, replies);
        }
        path = match (next, last) {
            (Some(n), _) => format!("{base}&next={n}"),
            (None, Some(l)) => format!("{base}&added_after={l}"),
            (None, None) => panic!("{path}: more without next or date header"),
        };
    }
    panic!("{base}: paging did not end within {bound} requests");
}

fn assert_no_leak(r: &Reply, forbidden: &[String], who: &str, what: &str) {
    for id in forbidden {
        assert!(
            !r.text.contains(id.as_str()),
            "{who} {what}: response names {id}, which it may not see:\n{}",
            r.text
        );
    }
}

async fn check(spec: WorldSpec) {
    let world = build(&spec);
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::Sqlite(SqliteStore::open_dir(dir.path()).unwrap());
    for (c, public) in [(SHARED, false), (OPEN, true)] {
        store
            .create_collection(NewCollection {
                id: Some(c.into()),
                title: c.into(),
                description: String::new(),
                public,
            })
            .await
            .unwrap();
        let batch: Vec<PreparedObject> = world
            .iter()
            .filter(|o| {
                if public {
                    o.spec.in_open
                } else {
                    o.spec.in_shared
                }
            })
            .map(|o| {
                let parsed = StixObject::from_map(parse_object(o.json.as_bytes()).unwrap());
                PreparedObject::new(&parsed, o.json.clone())
            })
            .collect();
        if !batch.is_empty() {
            store.put_batch(c, batch).await.unwrap();
        }
    }
    let fed = Federation::new(member(0), EgressPolicy::with_audiences());
    let table: HashMap<KeyId, PeerIdentity> = spec
        .peers
        .iter()
        .map(|p| {
            (
                Community::key(p.member).key_id(),
                PeerIdentity {
                    name: format!("peer{}", p.member),
                    member: member(p.member),
                    groups: p.groups.iter().map(|g| group(*g)).collect(),
                    charter_member: p.charter,
                    collections: vec![SHARED.into()],
                },
            )
        })
        .collect();
    fed.peers.store(Arc::new(table));
    let gate = concord_taxii::gate::Gate::new(
        store.clone(),
        Some(Arc::new(fed)),
        concord_taxii::gate::GateOptions {
            public_hosts: vec![HOST.to_string()],
        },
    );
    let app = router_with(store, ServerOptions::default(), gate);

    // Every id there is: generated objects, ids nobody holds, unknown
    // marking definitions.
    let mut universe: Vec<String> = world.iter().map(|o| o.id.clone()).collect();
    universe.extend((0..3).map(missing_id));
    universe.extend((0..2).map(unknown_marking));
    let absent = "indicator--12345678-0000-4000-8000-000000000000";

    let mut callers: Vec<(String, Caller, Option<Keypair>, Vec<&str>)> =
        vec![("public".into(), Caller::Public, None, vec![OPEN])];
    for p in &spec.peers {
        callers.push((
            format!("peer M{} {:?} charter={}", p.member, p.groups, p.charter),
            Caller::Peer(p.clone()),
            Some(Community::key(p.member)),
            vec![SHARED, OPEN],
        ));
    }
    let bound = 4 * world.len() + 4;
    for (who, caller, key, collections) in &callers {
        let key = key.as_ref();
        for c in collections {
            let expect = entitled(&world, c, caller);
            let known = known_from_author(&world, c, caller);
            let forbidden: Vec<String> = universe
                .iter()
                .filter(|id| !expect.contains(*id) && !known.contains(*id))
                .cloned()
                .collect();
            let coll = format!("/taxii2/root/collections/{c}");
            let ctx = format!("{who} on {c}");

            let base = format!("{coll}/objects/?limit={}", spec.limit);
            let (got, replies) = page_all(&app, &base, key, "objects", bound).await;
            for r in &replies {
                assert_no_leak(r, &forbidden, &ctx, "objects");
            }
            let got_set: HashSet<String> = got.iter().cloned().collect();
            assert_eq!(got.len(), got_set.len(), "{ctx}: duplicates in {got:?}");
            for id in &got {
                assert!(expect.contains(id), "{ctx}: received {id}, not entitled");
            }
            assert_eq!(got_set, expect, "{ctx}: objects received != entitled set");

            let base = format!("{coll}/manifest/?limit={}", spec.limit);
            let (listed, replies) = page_all(&app, &base, key, "objects", bound).await;
            for r in &replies {
                assert_no_leak(r, &forbidden, &ctx, "manifest");
            }
            assert_eq!(listed.len(), got.len(), "{ctx}: manifest count != objects");
            assert_eq!(
                listed.iter().cloned().collect::<HashSet<_>>(),
                expect,
                "{ctx}: manifest != entitled set"
            );

            let none_obj = get(&app, &format!("{coll}/objects/{absent}/"), key).await;
            let none_ver = get(&app, &format!("{coll}/objects/{absent}/versions/"), key).await;
            assert_eq!(none_obj.status, StatusCode::NOT_FOUND);
            assert_eq!(none_ver.status, StatusCode::NOT_FOUND);
            for id in world.iter().map(|o| &o.id).chain(&universe[world.len()..]) {
                let one = get(&app, &format!("{coll}/objects/{id}/"), key).await;
                let ver = get(&app, &format!("{coll}/objects/{id}/versions/"), key).await;
                if expect.contains(id) {
                    assert_eq!(one.status, StatusCode::OK, "{ctx}: object {id}");
                    let objs = one.body["objects"].as_array().unwrap();
                    assert_eq!(objs.len(), 1, "{ctx}: object {id}");
                    assert_eq!(objs[0]["id"].as_str(), Some(id.as_str()));
                    assert_eq!(ver.status, StatusCode::OK, "{ctx}: versions {id}");
                    assert_eq!(ver.body["versions"].as_array().map(Vec::len), Some(1));
                } else {
                    assert_eq!(one.status, StatusCode::NOT_FOUND, "{ctx}: object {id}");
                    assert_eq!(one.text, none_obj.text, "{ctx}: object {id}");
                    assert_eq!(ver.status, StatusCode::NOT_FOUND, "{ctx}: versions {id}");
                    assert_eq!(ver.text, none_ver.text, "{ctx}: versions {id}");
                }
                assert_no_leak(&one, &forbidden, &ctx, "object");
                assert_no_leak(&ver, &forbidden, &ctx, "versions");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_caller_receives_counts_or_learns_what_it_may_not_see(spec in world()) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(check(spec));
    }
}
