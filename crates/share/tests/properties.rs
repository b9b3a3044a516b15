//! Property tests for FEDERATION.md section 8, properties 10 and 11: random
//! objects x markings (TLP 2.0 and 1.0 ids, unknown ids, several at once,
//! granular) x audiences x peers x provenance. The oracle below reads the
//! generated description, not the crate's parsers.

use std::collections::{BTreeSet, HashSet};

use concord_share::{
    AUDIENCE_EXTENSION_ID, Decision, EgressPolicy, NeverExport, Peer, Provenance, Recipient,
    decide, decide_set, referenced_ids, references, sharing_view, withhold_dangling,
};
use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const MEMBERS: [&str; 3] = ["identity--a", "identity--b", "identity--c"];
const GROUPS: [&str; 2] = ["cert-eu", "banks"];
const TYPES: [&str; 4] = ["indicator", "sighting", "report", "relationship"];
const LABELS: [&str; 3] = ["victim", "internal", "ok"];
const TLP1: [(&str, Tlp); 4] = [
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];
const UNKNOWN: &str = "marking-definition--00000000-0000-4000-8000-00000000dead";

/// One marking ref as generated: a known level or an unknown id.
#[derive(Debug, Clone)]
enum Mark {
    Known(String, Tlp),
    Unknown,
}

impl Mark {
    fn id(&self) -> &str {
        match self {
            Mark::Known(id, _) => id,
            Mark::Unknown => UNKNOWN,
        }
    }
}

fn mark() -> impl Strategy<Value = Mark> {
    prop_oneof![
        4 => (0..5usize).prop_map(|i| Mark::Known(Tlp::ALL[i].marking_id().into(), Tlp::ALL[i])),
        2 => (0..4usize).prop_map(|i| Mark::Known(TLP1[i].0.into(), TLP1[i].1)),
        1 => Just(Mark::Unknown),
    ]
}

#[derive(Debug, Clone)]
struct Aud {
    members: Vec<String>,
    relay_members: bool,
    never_export: bool,
}

fn audience() -> impl Strategy<Value = Option<Aud>> {
    let names: Vec<String> = MEMBERS
        .iter()
        .chain(GROUPS.iter())
        .map(|s| s.to_string())
        .collect();
    prop_oneof![
        1 => Just(None),
        3 => (proptest::sample::subsequence(names, 0..=3), any::<bool>(), prop::bool::weighted(0.1))
            .prop_map(|(members, relay_members, never_export)| Some(Aud { members, relay_members, never_export })),
    ]
}

#[derive(Debug, Clone)]
struct Obj {
    object_type: &'static str,
    n: u8,
    marks: Vec<Mark>,
    granular: Vec<Mark>,
    audience: Option<Aud>,
    labels: Vec<&'static str>,
    refs: Vec<(u8, u8)>,
}

impl Obj {
    fn id(&self) -> String {
        id_of(self.object_type, self.n)
    }

    fn level(&self) -> Option<Tlp> {
        self.marks
            .iter()
            .filter_map(|m| match m {
                Mark::Known(_, t) => Some(*t),
                Mark::Unknown => None,
            })
            .max()
    }

    fn effective(&self) -> Option<Tlp> {
        let g = self
            .granular
            .iter()
            .filter_map(|m| match m {
                Mark::Known(_, t) => Some(*t),
                Mark::Unknown => None,
            })
            .max();
        self.level().map(|l| g.map_or(l, |g| g.max(l)))
    }

    fn has_unknown(&self) -> bool {
        self.marks
            .iter()
            .chain(&self.granular)
            .any(|m| matches!(m, Mark::Unknown))
    }

    fn to_stix(&self) -> StixObject {
        let mut m = Map::new();
        m.insert("type".into(), self.object_type.into());
        m.insert("id".into(), self.id().into());
        m.insert("modified".into(), "2026-01-01T00:00:00.000Z".into());
        if !self.marks.is_empty() {
            m.insert(
                "object_marking_refs".into(),
                self.marks.iter().map(|k| Value::from(k.id())).collect(),
            );
        }
        if !self.granular.is_empty() {
            m.insert(
                "granular_markings".into(),
                self.granular
                    .iter()
                    .map(|k| json!({"marking_ref": k.id(), "selectors": ["description"]}))
                    .collect(),
            );
        }
        if !self.labels.is_empty() {
            m.insert(
                "labels".into(),
                self.labels.iter().map(|l| Value::from(*l)).collect(),
            );
        }
        if let Some(a) = &self.audience {
            m.insert(
                "extensions".into(),
                json!({AUDIENCE_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "audience": a.members,
                    "relay": if a.relay_members { "members" } else { "none" },
                    "never_export": a.never_export,
                }}),
            );
        }
        for (i, (kind, target)) in self.refs.iter().enumerate() {
            let target = id_of(TYPES[*target as usize % TYPES.len()], target / 4);
            match kind % 5 {
                0 => {
                    m.insert("created_by_ref".into(), target.into());
                }
                1 => {
                    m.insert("sighting_of_ref".into(), target.into());
                }
                2 => {
                    m.insert(format!("x_{i}_refs"), json!([target]));
                }
                3 => {
                    m.insert("where_sighted_refs".into(), json!([target]));
                }
                _ => {
                    m.insert(
                        format!("x_nested_{i}"),
                        json!({"inner": [{"target_ref": target}]}),
                    );
                }
            }
        }
        StixObject::from_map(m)
    }
}

fn id_of(t: &str, n: u8) -> String {
    format!("{t}--00000000-0000-4000-8000-{n:012}")
}

fn obj() -> impl Strategy<Value = Obj> {
    (
        0..TYPES.len(),
        0..4u8,
        prop::collection::vec(mark(), 0..4),
        prop::collection::vec(mark(), 0..3),
        audience(),
        proptest::sample::subsequence(LABELS.to_vec(), 0..=2),
        prop::collection::vec((any::<u8>(), 0..16u8), 0..3),
    )
        .prop_map(|(t, n, marks, granular, audience, labels, refs)| Obj {
            object_type: TYPES[t],
            n,
            marks,
            granular,
            audience,
            labels,
            refs,
        })
}

fn recipient() -> impl Strategy<Value = Recipient> {
    let groups: Vec<String> = GROUPS.iter().map(|s| s.to_string()).collect();
    prop_oneof![
        1 => Just(Recipient::Public),
        4 => (0..MEMBERS.len(), proptest::sample::subsequence(groups, 0..=2), any::<bool>())
            .prop_map(|(i, groups, charter_member)| Recipient::Peer(Peer {
                member: MEMBERS[i].into(),
                groups: groups.into_iter().collect(),
                charter_member,
            })),
    ]
}

fn provenance() -> impl Strategy<Value = Provenance> {
    prop_oneof![
        Just(Provenance::Author),
        (0..MEMBERS.len()).prop_map(|i| Provenance::Relay {
            author: MEMBERS[i].into()
        }),
    ]
}

fn policy() -> impl Strategy<Value = EgressPolicy> {
    let members: Vec<String> = MEMBERS.iter().map(|s| s.to_string()).collect();
    let never = prop_oneof![
        Just(NeverExport::Type("sighting".into())),
        Just(NeverExport::Label("victim".into())),
        Just(NeverExport::DataClass {
            name: "victims".into(),
            object_type: Some("sighting".into()),
            property: "where_sighted_refs".into(),
        }),
    ];
    (
        proptest::sample::subsequence(
            vec![Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict],
            0..=4,
        ),
        proptest::sample::subsequence(members, 0..=3),
        any::<bool>(),
        proptest::sample::subsequence(vec!["internal".to_string()], 0..=1),
        prop::collection::vec(never, 0..2),
    )
        .prop_map(
            |(allow, red, clear_to_public, deny, never_export)| EgressPolicy {
                allow_tlp: allow.into_iter().collect(),
                red_to: red.into_iter().collect(),
                clear_to_public,
                allow_types: None,
                deny_types: BTreeSet::new(),
                deny_labels: deny.into_iter().collect(),
                never_export,
                accepted_markings: BTreeSet::new(),
            },
        )
}

fn names(a: &Aud, p: &Peer) -> bool {
    a.members
        .iter()
        .any(|m| *m == p.member || p.groups.contains(m))
}

fn in_never_export_class(policy: &EgressPolicy, o: &Obj) -> bool {
    policy.never_export.iter().any(|r| match r {
        NeverExport::Type(t) => o.object_type == t,
        NeverExport::Label(l) => o.labels.contains(&l.as_str()),
        NeverExport::DataClass { .. } => {
            o.object_type == "sighting" && o.refs.iter().any(|(k, _)| k % 5 == 3)
        }
    })
}

/// Property 1: the recipient is entitled to everything it is given.
fn entitled(policy: &EgressPolicy, o: &Obj, r: &Recipient) -> bool {
    let Some(level) = o.effective() else {
        return false;
    };
    if o.has_unknown() {
        return false;
    }
    match r {
        Recipient::Public => level == Tlp::Clear && o.audience.is_none() && policy.clear_to_public,
        Recipient::Peer(p) => {
            (level < Tlp::Green || p.charter_member)
                && (level < Tlp::Amber || o.audience.is_some())
                && o.audience.as_ref().is_none_or(|a| names(a, p))
                && (level != Tlp::Red || policy.red_to.contains(&p.member))
                && (level == Tlp::Red || policy.allow_tlp.contains(&level))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decide_respects_entitlement_relay_and_never_export(
        policy in policy(), o in obj(), r in recipient(), prov in provenance()
    ) {
        let d = decide(&policy, &o.to_stix(), &r, &prov);
        if d.is_share() {
            // (1) never above the recipient's entitlement.
            prop_assert!(entitled(&policy, &o, &r), "shared beyond entitlement: {d:?}");
            let level = o.effective();
            // (2) AMBER, AMBER+STRICT, RED never shared by a non-author.
            if matches!(prov, Provenance::Relay { .. }) {
                prop_assert!(level <= Some(Tlp::Green));
                prop_assert!(o.audience.as_ref().is_none_or(|a| a.relay_members));
            }
            // (3) GREEN never to a non-member or a public collection.
            if level == Some(Tlp::Green) {
                prop_assert!(matches!(&r, Recipient::Peer(p) if p.charter_member));
            }
            // (4) unmarked objects and never_export classes are never shared.
            prop_assert!(o.level().is_some());
            prop_assert!(!in_never_export_class(&policy, &o));
            prop_assert!(o.audience.as_ref().is_none_or(|a| !a.never_export));
        }
    }

    #[test]
    fn closure_leaves_no_reference_to_a_withheld_id(
        policy in policy(), objs in prop::collection::vec(obj(), 0..24),
        r in recipient(), relayed in any::<bool>()
    ) {
        let objects: Vec<StixObject> = objs.iter().map(Obj::to_stix).collect();
        let prov = if relayed { Provenance::Relay { author: MEMBERS[0].into() } } else { Provenance::Author };
        let d = decide_set(&policy, &objects, &r, &|_| prov.clone(), &|_| false);
        let shared: HashSet<&str> = objects.iter().zip(&d).filter(|(_, d)| d.is_share()).map(|(o, _)| o.id()).collect();
        for ((o, spec), dec) in objects.iter().zip(&objs).zip(&d) {
            // The fast walk the closure uses finds what the full one finds.
            prop_assert_eq!(
                referenced_ids(o).map(|ids| ids.into_iter().map(str::to_string).collect::<Vec<_>>()),
                references(o).map(|refs| refs.into_iter().map(|r| r.id).collect::<Vec<_>>())
            );
            if let Decision::Share = dec {
                // (5) every reference of a shared object is to a shared id.
                let refs = references(o);
                prop_assert!(refs.is_ok());
                for reference in refs.unwrap_or_default() {
                    prop_assert!(shared.contains(reference.id.as_str()), "dangling {reference:?}");
                }
                // The closure only ever removes: the object alone is entitled.
                prop_assert!(entitled(&policy, spec, &r));
            }
        }
        // The closure withholds no more than it must: it is the greatest
        // fixed point, computed here the slow way.
        let mut naive: Vec<bool> = objects.iter().map(|o| decide(&policy, o, &r, &prov).is_share()).collect();
        loop {
            let visible: HashSet<&str> = objects.iter().zip(&naive).filter(|(_, s)| **s).map(|(o, _)| o.id()).collect();
            let next: Vec<bool> = objects.iter().zip(&naive).map(|(o, s)| {
                *s && references(o).is_ok_and(|refs| refs.iter().all(|x| visible.contains(x.id.as_str())))
            }).collect();
            if next == naive {
                break;
            }
            naive = next;
        }
        prop_assert_eq!(naive, d.iter().map(Decision::is_share).collect::<Vec<_>>());
    }
}

/// Arbitrary JSON whose keys include the ones the policy reads.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("type".to_string()),
        Just("id".to_string()),
        Just("labels".to_string()),
        Just("object_marking_refs".to_string()),
        Just("granular_markings".to_string()),
        Just("marking_ref".to_string()),
        Just("lang".to_string()),
        Just("extensions".to_string()),
        Just(AUDIENCE_EXTENSION_ID.to_string()),
        Just("extension_type".to_string()),
        Just("audience".to_string()),
        Just("relay".to_string()),
        Just("retain_days".to_string()),
        Just("never_export".to_string()),
        Just("object_refs".to_string()),
        Just("source_ref".to_string()),
        Just("name".to_string()),
        Just("signer".to_string()),
        Just("extension-definition--f9e3a21e-ae23-4100-adb4-4852e951cfd9".to_string()),
        "[a-z_]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just(Tlp::Green.marking_id().to_string()),
            Just(Tlp::Clear.marking_id().to_string()),
            Just("members".to_string()),
            Just("property-extension".to_string()),
            Just("identity--a".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    // (6) decide and the closure never panic, whatever the input.
    #[test]
    fn never_panics(
        policy in policy(), values in prop::collection::vec(json_value(), 0..6),
        r in recipient(), prov in provenance()
    ) {
        let objects: Vec<StixObject> = values.into_iter().map(object_of).collect();
        for o in &objects {
            let _ = decide(&policy, o, &r, &prov);
        }
        let _ = decide_set(&policy, &objects, &r, &|_| prov.clone(), &|_| false);
    }
}

/// The sharing view of an object (what the server parses instead of the
/// whole object) in place of the object itself.
fn view_of(o: &StixObject, policy: &EgressPolicy) -> StixObject {
    sharing_view(o.to_json().as_bytes(), policy).expect("a view of an object's own JSON")
}

/// What the node reads as an object's signer (`concord_trust::signer_of`,
/// which this crate cannot call): the provenance extension's `signer`.
fn signers(o: &StixObject) -> Vec<(String, Value)> {
    match o.get("extensions") {
        Some(Value::Object(exts)) => exts
            .iter()
            .filter_map(|(id, e)| e.get("signer").map(|s| (id.clone(), s.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

/// An object from arbitrary JSON (anything that is not an object is wrapped).
fn object_of(v: Value) -> StixObject {
    match v {
        Value::Object(m) => StixObject::from_map(m),
        other => StixObject::from_map(Map::from_iter([("x".to_string(), other)])),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    // (7) The sharing view decides exactly as the whole object does, and
    // holds exactly its references (same ids, same paths, same first
    // malformed one), for generated STIX and for arbitrary JSON, with a
    // data class on an ordinary member as well.
    #[test]
    fn the_sharing_view_decides_as_the_whole_object(
        policy in policy(), name_class in any::<bool>(),
        objs in prop::collection::vec(obj(), 0..12),
        values in prop::collection::vec(json_value(), 0..6),
        r in recipient(), prov in provenance()
    ) {
        let mut policy = policy;
        if name_class {
            policy.never_export.push(NeverExport::DataClass {
                name: "named".into(),
                object_type: None,
                property: "name".into(),
            });
        }
        let objects: Vec<StixObject> = objs
            .iter()
            .map(Obj::to_stix)
            .chain(values.into_iter().map(object_of))
            .collect();
        let views: Vec<StixObject> = objects.iter().map(|o| view_of(o, &policy)).collect();
        for (o, v) in objects.iter().zip(&views) {
            prop_assert_eq!(signers(o), signers(v));
            prop_assert_eq!(decide(&policy, o, &r, &prov), decide(&policy, v, &r, &prov));
            prop_assert_eq!(references(o), references(v));
            prop_assert_eq!(referenced_ids(o), referenced_ids(v));
            prop_assert_eq!(o.id(), v.id());
            prop_assert_eq!(o.object_type(), v.object_type());
        }
        let mut whole: Vec<Decision> = objects.iter().map(|o| decide(&policy, o, &r, &prov)).collect();
        let mut viewed = whole.clone();
        withhold_dangling(&objects, &mut whole, &|_| false);
        withhold_dangling(&views, &mut viewed, &|_| false);
        prop_assert_eq!(whole, viewed);
    }
}

/// Guards against vacuous properties: the generators reach a share at every
/// TLP level, by a relay, and after the reference closure.
#[test]
fn generators_reach_every_kind_of_share() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (policy(), obj(), recipient(), provenance());
    let mut levels = BTreeSet::new();
    let mut relayed = 0;
    for _ in 0..20_000 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (policy, o, r, prov) = tree.current();
        if decide(&policy, &o.to_stix(), &r, &prov).is_share() {
            if let Some(level) = o.effective() {
                levels.insert(level);
            }
            if matches!(prov, Provenance::Relay { .. }) {
                relayed += 1;
            }
        }
    }
    assert_eq!(levels.len(), 5, "levels shared: {levels:?}");
    assert!(relayed > 0);
    let sets = (policy(), prop::collection::vec(obj(), 8..24), recipient());
    let mut with_refs = 0;
    for _ in 0..2_000 {
        let Ok(tree) = sets.new_tree(&mut runner) else {
            continue;
        };
        let (policy, objs, r) = tree.current();
        let objects: Vec<StixObject> = objs.iter().map(Obj::to_stix).collect();
        let d = decide_set(&policy, &objects, &r, &|_| Provenance::Author, &|_| false);
        with_refs += objects
            .iter()
            .zip(&d)
            .filter(|(o, d)| d.is_share() && references(o).is_ok_and(|r| !r.is_empty()))
            .count();
    }
    assert!(with_refs > 0);
}
