//! One test per rule, each asserting the reason it names.

use concord_share::{
    AUDIENCE_EXTENSION_ID, Decision, EgressPolicy, NeverExport, NeverExportClass, Peer, Provenance,
    Reason, Recipient, decide, decide_set, withhold_dangling,
};
use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use serde_json::{Map, Value, json};

const A: &str = "identity--aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "identity--bbbbbbbb-0000-4000-8000-000000000002";

fn object(v: Value) -> StixObject {
    match v {
        Value::Object(m) => StixObject::from_map(m),
        _ => StixObject::from_map(Map::new()),
    }
}

fn marked(tlp: &[&str], audience: Option<Value>) -> StixObject {
    let mut v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--11111111-1111-4111-8111-111111111111",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "object_marking_refs": tlp,
    });
    if let Some(a) = audience {
        v["extensions"] = json!({ AUDIENCE_EXTENSION_ID: a });
    }
    object(v)
}

fn aud(members: &[&str], relay: &str) -> Value {
    json!({"extension_type": "property-extension", "audience": members, "relay": relay})
}

fn peer(member: &str, groups: &[&str], charter: bool) -> Recipient {
    Recipient::Peer(Peer {
        member: member.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        charter_member: charter,
    })
}

fn relay() -> Provenance {
    Provenance::Relay { author: A.into() }
}

fn withheld(reason: Reason) -> Decision {
    Decision::Withhold(reason)
}

#[test]
fn clear_goes_to_any_peer_and_public() {
    let o = marked(&[Tlp::Clear.marking_id()], None);
    let p = EgressPolicy::default();
    assert_eq!(
        decide(&p, &o, &peer(B, &[], false), &Provenance::Author),
        Decision::Share
    );
    assert_eq!(
        decide(&p, &o, &Recipient::Public, &Provenance::Author),
        Decision::Share
    );
    let closed = EgressPolicy {
        clear_to_public: false,
        ..EgressPolicy::default()
    };
    assert_eq!(
        decide(&closed, &o, &Recipient::Public, &Provenance::Author),
        withheld(Reason::NotPublic(Tlp::Clear))
    );
}

#[test]
fn green_goes_to_charter_members_only_never_public() {
    let o = marked(&[Tlp::Green.marking_id()], None);
    let p = EgressPolicy::default();
    assert_eq!(
        decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
        Decision::Share
    );
    assert_eq!(
        decide(&p, &o, &peer(B, &[], false), &Provenance::Author),
        withheld(Reason::NotCharterMember(Tlp::Green))
    );
    assert_eq!(
        decide(&p, &o, &Recipient::Public, &Provenance::Author),
        withheld(Reason::NotPublic(Tlp::Green))
    );
}

#[test]
fn amber_needs_an_audience_naming_the_peer() {
    let p = EgressPolicy::with_audiences();
    for t in [Tlp::Amber, Tlp::AmberStrict] {
        let bare = marked(&[t.marking_id()], None);
        assert_eq!(
            decide(&p, &bare, &peer(B, &[], true), &Provenance::Author),
            withheld(Reason::NoAudience(t))
        );
        let named = marked(&[t.marking_id()], Some(aud(&[B], "none")));
        assert_eq!(
            decide(&p, &named, &peer(B, &[], true), &Provenance::Author),
            Decision::Share
        );
        assert_eq!(
            decide(&p, &named, &peer(A, &[], true), &Provenance::Author),
            withheld(Reason::NotInAudience)
        );
        let group = marked(&[t.marking_id()], Some(aud(&["cert-eu"], "none")));
        assert_eq!(
            decide(
                &p,
                &group,
                &peer(B, &["cert-eu"], true),
                &Provenance::Author
            ),
            Decision::Share
        );
    }
}

#[test]
fn amber_is_denied_by_the_default_policy() {
    let o = marked(&[Tlp::Amber.marking_id()], Some(aud(&[B], "none")));
    assert_eq!(
        decide(
            &EgressPolicy::default(),
            &o,
            &peer(B, &[], true),
            &Provenance::Author
        ),
        withheld(Reason::TlpDenied(Tlp::Amber))
    );
}

#[test]
fn red_only_to_named_members_the_policy_allows() {
    let o = marked(&[Tlp::Red.marking_id()], Some(aud(&[B], "none")));
    let mut p = EgressPolicy::with_audiences();
    assert_eq!(
        decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
        withheld(Reason::RedNotAllowed)
    );
    p.red_to.insert(B.into());
    assert_eq!(
        decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
        Decision::Share
    );
    let bare = marked(&[Tlp::Red.marking_id()], None);
    assert_eq!(
        decide(&p, &bare, &peer(B, &[], true), &Provenance::Author),
        withheld(Reason::NoAudience(Tlp::Red))
    );
}

#[test]
fn unmarked_follows_the_node_default_and_is_withheld() {
    let o = marked(&[], None);
    assert_eq!(
        decide(
            &EgressPolicy::default(),
            &o,
            &peer(B, &[], true),
            &Provenance::Author
        ),
        withheld(Reason::Unmarked)
    );
}

#[test]
fn several_markings_the_strictest_wins() {
    let o = marked(&[Tlp::Clear.marking_id(), Tlp::Green.marking_id()], None);
    assert_eq!(
        decide(
            &EgressPolicy::default(),
            &o,
            &Recipient::Public,
            &Provenance::Author
        ),
        withheld(Reason::NotPublic(Tlp::Green))
    );
}

#[test]
fn tlp_1_ids_map_to_tlp_2() {
    let white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
    let amber1 = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
    let p = EgressPolicy::default();
    assert_eq!(
        decide(
            &p,
            &marked(&[white], None),
            &Recipient::Public,
            &Provenance::Author
        ),
        Decision::Share
    );
    assert_eq!(
        decide(
            &p,
            &marked(&[white, amber1], None),
            &peer(B, &[], true),
            &Provenance::Author
        ),
        withheld(Reason::TlpDenied(Tlp::Amber))
    );
}

#[test]
fn unknown_marking_is_withheld_unless_accepted() {
    let other = "marking-definition--00000000-0000-4000-8000-000000000000";
    let o = marked(&[Tlp::Clear.marking_id(), other], None);
    let mut p = EgressPolicy::default();
    assert_eq!(
        decide(&p, &o, &Recipient::Public, &Provenance::Author),
        withheld(Reason::UnknownMarking {
            path: "object_marking_refs"
        })
    );
    p.accepted_markings.insert(other.into());
    assert_eq!(
        decide(&p, &o, &Recipient::Public, &Provenance::Author),
        Decision::Share
    );
}

#[test]
fn malformed_markings_and_labels_are_withheld() {
    let p = EgressPolicy::default();
    let r = peer(B, &[], true);
    let o = object(json!({"type": "indicator", "id": "indicator--x", "object_marking_refs": "x"}));
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::MalformedMarkings {
            path: "object_marking_refs"
        })
    );
    let o = object(json!({"type": "indicator", "id": "indicator--x",
        "object_marking_refs": [Tlp::Clear.marking_id()], "granular_markings": [{"selectors": []}]}));
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::MalformedMarkings {
            path: "granular_markings"
        })
    );
    let o = object(json!({"type": "indicator", "id": "indicator--x",
        "object_marking_refs": [Tlp::Clear.marking_id()],
        "granular_markings": [{"marking_ref": Tlp::Clear.marking_id(), "lang": "en", "selectors": []}]}));
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::MalformedMarkings {
            path: "granular_markings"
        })
    );
    let o = object(json!({"type": "indicator", "id": "indicator--x",
        "object_marking_refs": [Tlp::Clear.marking_id()], "labels": [1]}));
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::MalformedLabels)
    );
    let o = object(json!({"type": "indicator", "object_marking_refs": [Tlp::Clear.marking_id()]}));
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::MissingId)
    );
}

#[test]
fn granular_marking_above_entitlement_withholds_the_whole_object() {
    let mut v = json!({"type": "indicator", "id": "indicator--x",
        "object_marking_refs": [Tlp::Clear.marking_id()],
        "granular_markings": [{"marking_ref": Tlp::Green.marking_id(), "selectors": ["description"]},
                              {"lang": "en", "selectors": ["name"]}]});
    let p = EgressPolicy::default();
    assert_eq!(
        decide(
            &p,
            &object(v.clone()),
            &Recipient::Public,
            &Provenance::Author
        ),
        withheld(Reason::GranularAbove(Tlp::Green))
    );
    assert_eq!(
        decide(
            &p,
            &object(v.clone()),
            &peer(B, &[], true),
            &Provenance::Author
        ),
        Decision::Share
    );
    v["granular_markings"][0]["marking_ref"] = json!("marking-definition--nope");
    assert_eq!(
        decide(&p, &object(v), &peer(B, &[], true), &Provenance::Author),
        withheld(Reason::UnknownMarking {
            path: "granular_markings"
        })
    );
}

#[test]
fn audience_narrows_and_empty_means_nobody() {
    let p = EgressPolicy::default();
    let o = marked(&[Tlp::Green.marking_id()], Some(aud(&[A], "members")));
    assert_eq!(
        decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
        withheld(Reason::NotInAudience)
    );
    let o = marked(&[Tlp::Clear.marking_id()], Some(aud(&[], "members")));
    assert_eq!(
        decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
        withheld(Reason::NotInAudience)
    );
    assert_eq!(
        decide(&p, &o, &Recipient::Public, &Provenance::Author),
        withheld(Reason::NotInAudience)
    );
}

#[test]
fn malformed_audience_is_withheld() {
    let o = marked(&[Tlp::Clear.marking_id()], Some(json!({"audience": "all"})));
    assert!(matches!(
        decide(&EgressPolicy::default(), &o, &Recipient::Public, &Provenance::Author),
        Decision::Withhold(Reason::MalformedAudience(e)) if e.field == "extension_type"
    ));
}

#[test]
fn relays_forward_clear_and_green_only_when_allowed() {
    let mut p = EgressPolicy::with_audiences();
    p.red_to.insert(B.into());
    let g = marked(&[Tlp::Green.marking_id()], None);
    assert_eq!(
        decide(&p, &g, &peer(B, &[], true), &relay()),
        Decision::Share
    );
    assert_eq!(
        decide(&p, &g, &peer(B, &[], false), &relay()),
        withheld(Reason::NotCharterMember(Tlp::Green))
    );
    let none = marked(&[Tlp::Green.marking_id()], Some(aud(&[B], "none")));
    assert_eq!(
        decide(&p, &none, &peer(B, &[], true), &relay()),
        withheld(Reason::RelayForbiddenByAuthor)
    );
    for t in [Tlp::Amber, Tlp::AmberStrict, Tlp::Red] {
        let o = marked(&[t.marking_id()], Some(aud(&[B], "members")));
        assert_eq!(
            decide(&p, &o, &peer(B, &[], true), &Provenance::Author),
            Decision::Share
        );
        assert_eq!(
            decide(&p, &o, &peer(B, &[], true), &relay()),
            withheld(Reason::RelayAboveGreen(t))
        );
    }
    assert_eq!(
        decide(
            &p,
            &g,
            &peer(B, &[], true),
            &Provenance::Relay {
                author: String::new()
            }
        ),
        withheld(Reason::UnknownAuthor)
    );
}

#[test]
fn never_export_always_wins() {
    let mut v = json!({"type": "sighting", "id": "sighting--x",
        "object_marking_refs": [Tlp::Clear.marking_id()], "labels": ["victim"],
        "sighting_of_ref": "indicator--y", "where_sighted_refs": ["identity--z"]});
    let r = peer(B, &[], true);
    let rules = [
        (
            NeverExport::Type("sighting".into()),
            NeverExportClass::Type("sighting".into()),
        ),
        (
            NeverExport::Label("victim".into()),
            NeverExportClass::Label("victim".into()),
        ),
        (
            NeverExport::DataClass {
                name: "victims".into(),
                object_type: Some("sighting".into()),
                property: "where_sighted_refs".into(),
            },
            NeverExportClass::DataClass("victims".into()),
        ),
    ];
    for (rule, class) in rules {
        let p = EgressPolicy {
            never_export: vec![rule],
            ..EgressPolicy::default()
        };
        assert_eq!(
            decide(&p, &object(v.clone()), &r, &Provenance::Author),
            withheld(Reason::NeverExport(class))
        );
    }
    v["extensions"] = json!({AUDIENCE_EXTENSION_ID: {"extension_type": "property-extension",
        "audience": [B], "relay": "members", "never_export": true}});
    assert_eq!(
        decide(
            &EgressPolicy::default(),
            &object(v),
            &r,
            &Provenance::Author
        ),
        withheld(Reason::NeverExportByAuthor)
    );
}

#[test]
fn type_and_label_rules() {
    let o = object(json!({"type": "indicator", "id": "indicator--x",
        "object_marking_refs": [Tlp::Clear.marking_id()], "labels": ["internal"]}));
    let r = peer(B, &[], true);
    let mut p = EgressPolicy::default();
    p.deny_labels.insert("internal".into());
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::LabelDenied)
    );
    let mut p = EgressPolicy::default();
    p.deny_types.insert("indicator".into());
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::TypeDenied)
    );
    let p = EgressPolicy {
        allow_types: Some(["malware".to_string()].into_iter().collect()),
        ..EgressPolicy::default()
    };
    assert_eq!(
        decide(&p, &o, &r, &Provenance::Author),
        withheld(Reason::TypeDenied)
    );
}

fn clear(id: &str, extra: Value) -> StixObject {
    let mut v =
        json!({"type": "x-thing", "id": id, "object_marking_refs": [Tlp::Clear.marking_id()]});
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    object(v)
}

#[test]
fn references_to_hidden_objects_withhold_to_a_fixed_point() {
    let hidden = marked(&[Tlp::Green.marking_id()], None); // indicator--1111...
    let hid = hidden.id().to_string();
    let objects = vec![
        hidden,
        clear("sighting--s", json!({"sighting_of_ref": hid})),
        clear(
            "report--r",
            json!({"object_refs": ["x-thing--ok", "sighting--s"]}),
        ),
        clear(
            "relationship--q",
            json!({"source_ref": "x-thing--ok", "target_ref": "report--r"}),
        ),
        clear("x-thing--ok", json!({})),
        clear(
            "x-thing--nested",
            json!({"extensions": {"x": {"deep": [{"thing_ref": "x-thing--gone"}]}}}),
        ),
        clear("x-thing--bad", json!({"object_refs": "x-thing--ok"})),
    ];
    let d = decide_set(
        &EgressPolicy::default(),
        &objects,
        &Recipient::Public,
        &|_| Provenance::Author,
        &|_| false,
    );
    assert_eq!(d[0], withheld(Reason::NotPublic(Tlp::Green)));
    assert_eq!(
        d[1],
        withheld(Reason::DanglingReference {
            path: "sighting_of_ref".into()
        })
    );
    assert_eq!(
        d[2],
        withheld(Reason::DanglingReference {
            path: "object_refs[1]".into()
        })
    );
    assert_eq!(
        d[3],
        withheld(Reason::DanglingReference {
            path: "target_ref".into()
        })
    );
    assert_eq!(d[4], Decision::Share);
    assert_eq!(
        d[5],
        withheld(Reason::DanglingReference {
            path: "extensions.x.deep[0].thing_ref".into()
        })
    );
    assert_eq!(
        d[6],
        withheld(Reason::MalformedReference {
            path: "object_refs".into()
        })
    );
    // Ids decided elsewhere count as visible; missing decisions as withheld.
    let mut only = vec![Decision::Share];
    withhold_dangling(&objects[5..6], &mut only, &|id| id == "x-thing--gone");
    assert_eq!(only, vec![Decision::Share]);
    let mut short = vec![Decision::Share];
    withhold_dangling(&objects[3..5], &mut short, &|_| false);
    assert!(!short[0].is_share());
}
