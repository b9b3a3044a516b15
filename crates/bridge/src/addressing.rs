//! From a sharing decision to an object this member publishes: its TLP
//! marking, its audience extension, and the node's provenance signature.
//!
//! Why every object is signed: what a node imports from its MISP, its CSV
//! and text lists and its feeds is intel this member republishes to its
//! community (FEDERATION.md section 6), so its peers must be able to tell
//! who vouches for it. An object whose sharing says "never leaves" is
//! signed too, but stays unmarked: the sharing policy never lets an
//! unmarked object out.

use std::collections::BTreeSet;

use concord_federation::authoring::set_tlp;
use concord_misp::{Reach, Sharing};
use concord_stix::StixObject;
use concord_stix::tlp::Tlp;
use concord_store::PreparedObject;
use concord_trust::{Keypair, Relay, set_audience, sign_owned};
use serde_json::{Map, Value};

use crate::Result;

/// What the operator adds to every object's own sharing: a TLP level it
/// must at least carry and the members or groups it is for (`--tlp` and
/// `--audience` of `concord import`, or a feed's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Floor {
    /// The least restrictive level an object may carry.
    pub tlp: Option<Tlp>,
    /// Member ids or group names: an object is for no one else.
    pub audience: Vec<String>,
}

impl Floor {
    fn reach(&self) -> Reach {
        if self.audience.is_empty() {
            Reach::Community
        } else {
            Reach::Members(self.audience.iter().cloned().collect::<BTreeSet<_>>())
        }
    }

    /// The sharing of what says nothing about its own (a MISP event with
    /// no distribution and no TLP tag, as feeds give them; an unmarked line
    /// of a list): the floor's level and audience, or "never leaves" when
    /// the floor sets no level.
    pub fn unspecified(&self) -> Sharing {
        match self.tlp {
            None => Sharing::node(),
            Some(t) => Sharing {
                tlp: Some(t),
                reach: self.reach(),
                relay: Relay::Members,
            },
        }
    }

    /// An object's own sharing held to the floor: the stricter level, the
    /// narrower audience. "Never leaves" stays so.
    pub fn apply(&self, own: &Sharing) -> Sharing {
        if self.tlp.is_none() && self.audience.is_empty() {
            return own.clone();
        }
        own.restrict(&Sharing {
            tlp: self.tlp,
            reach: self.reach(),
            relay: Relay::Members,
        })
    }

    /// The sharing of an object as another party wrote it (a STIX or TAXII
    /// feed, a list): its own TLP marking, else [`Floor::unspecified`];
    /// then held to the floor.
    pub fn of_object(&self, object: &Map<String, Value>) -> Sharing {
        match concord_stix::tlp::of_object(object) {
            Some(t) => self.apply(&Sharing::tlp(t)),
            None => self.unspecified(),
        }
    }
}

/// Marks and addresses an object for `sharing`: its TLP marking (TLP
/// markings removed when it never leaves), and the audience extension
/// when the sharing names recipients or nobody. `member` is this member's
/// identity id. Marking definitions are left as they are.
pub fn address(
    mut object: Map<String, Value>,
    sharing: &Sharing,
    member: &str,
) -> Result<Map<String, Value>> {
    if object.get("type").and_then(Value::as_str) == Some("marking-definition") {
        return Ok(object);
    }
    match sharing.tlp {
        Some(t) => set_tlp(&mut object, t),
        None => strip_tlp(&mut object),
    }
    if let Some(a) = sharing.audience(member) {
        set_audience(&mut object, &a)?;
    }
    Ok(object)
}

fn strip_tlp(object: &mut Map<String, Value>) {
    let Some(Value::Array(refs)) = object.get_mut("object_marking_refs") else {
        return;
    };
    refs.retain(|r| r.as_str().and_then(Tlp::from_marking_id).is_none());
    if refs.is_empty() {
        object.remove("object_marking_refs");
    }
}

/// Who signs: this member's identity id and the node key.
pub struct Signer<'k> {
    /// The member's STIX identity id.
    pub member: &'k str,
    /// The node key.
    pub key: &'k Keypair,
}

/// An object that could not be signed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    /// Its id.
    pub id: String,
    /// Why.
    pub reason: String,
}

impl Signer<'_> {
    /// Addresses each object for its sharing ([`address`]) and signs it,
    /// on every core, in order, ready to store.
    pub fn publish_all(
        &self,
        items: Vec<(Map<String, Value>, Sharing)>,
    ) -> Vec<std::result::Result<PreparedObject, Unsigned>> {
        on_every_core(items, |(object, sharing)| self.publish(object, &sharing))
    }

    /// Addresses one object for its sharing ([`address`]) and signs it,
    /// ready to store (for callers that sign on threads of their own).
    pub fn publish(
        &self,
        object: Map<String, Value>,
        sharing: &Sharing,
    ) -> std::result::Result<PreparedObject, Unsigned> {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("(no id)")
            .to_string();
        match address(object, sharing, self.member) {
            Ok(o) => self.sign(o),
            Err(e) => Err(Unsigned {
                id,
                reason: format!("could not address it: {e}"),
            }),
        }
    }

    /// Signs objects as they are, on every core, in order.
    pub fn sign_all(
        &self,
        objects: Vec<Map<String, Value>>,
    ) -> Vec<std::result::Result<PreparedObject, Unsigned>> {
        on_every_core(objects, |o| self.sign(o))
    }

    /// Signs one object, ready to store. Marking definitions are stored as
    /// they are (TLP definitions are fixed by the standard and known to
    /// every node).
    pub fn sign(
        &self,
        object: Map<String, Value>,
    ) -> std::result::Result<PreparedObject, Unsigned> {
        if object.get("type").and_then(Value::as_str) == Some("marking-definition") {
            let text = Value::Object(object.clone()).to_string();
            return Ok(PreparedObject::new(&StixObject::from_map(object), text));
        }
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("(no id)")
            .to_string();
        let signed = sign_owned(object, self.member, self.key).map_err(|e| Unsigned {
            id: id.clone(),
            reason: format!("could not sign it: {e}"),
        })?;
        // Every version this member authors goes into its transparency
        // log with it: peers store it only once the log shows it.
        concord_federation::authoring::prepared(signed).map_err(|e| Unsigned {
            id,
            reason: format!("could not log it: {e}"),
        })
    }
}

/// `f` over `items` on every core (signing is the cost of publishing:
/// about 30 µs an object), results in input order.
fn on_every_core<T: Send, U: Send>(items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let per = items.len().div_ceil(threads).max(256);
    if items.len() <= per {
        return items.into_iter().map(f).collect();
    }
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut rest = items.into_iter();
    loop {
        let chunk: Vec<T> = rest.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // A panic in `f` is a bug; carry it to the caller's thread.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn indicator() -> Map<String, Value> {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
            "object_marking_refs": [Tlp::Clear.marking_id()]
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    const ME: &str = "identity--00000000-0000-4000-8000-000000000001";

    #[test]
    fn the_floor_raises_the_level_and_narrows_the_audience() {
        let floor = Floor {
            tlp: Some(Tlp::Amber),
            audience: vec!["identity--b".into()],
        };
        let s = floor.apply(&Sharing::tlp(Tlp::Clear));
        assert_eq!(s.tlp, Some(Tlp::Amber));
        assert_eq!(s.reach, Reach::Members(["identity--b".to_string()].into()));
        assert_eq!(floor.apply(&Sharing::node()), Sharing::node());
        assert_eq!(Floor::default().unspecified(), Sharing::node());
        assert_eq!(
            Floor::default().apply(&Sharing::tlp(Tlp::Green)),
            Sharing::tlp(Tlp::Green)
        );
        assert_eq!(
            Floor::default().of_object(&indicator()),
            Sharing::tlp(Tlp::Clear)
        );
    }

    #[test]
    fn addressing_marks_strips_and_sets_the_audience() {
        let o = address(indicator(), &Sharing::node(), ME).unwrap();
        assert!(o.get("object_marking_refs").is_none());
        assert!(o.get("extensions").is_none());
        let members = Sharing {
            reach: Reach::Members(["identity--b".to_string()].into()),
            ..Sharing::tlp(Tlp::Amber)
        };
        let o = address(indicator(), &members, ME).unwrap();
        assert_eq!(o["object_marking_refs"], json!([Tlp::Amber.marking_id()]));
        let a = concord_trust::read_audience(&o).unwrap().unwrap();
        assert_eq!(a.audience, vec!["identity--b".to_string()]);
        let nobody = Sharing {
            reach: Reach::Nobody,
            ..Sharing::tlp(Tlp::Green)
        };
        let o = address(indicator(), &nobody, ME).unwrap();
        assert!(
            concord_trust::read_audience(&o)
                .unwrap()
                .unwrap()
                .never_export
        );
    }

    #[test]
    fn signing_is_deterministic_and_verifiable() {
        let key = Keypair::generate();
        let signer = Signer {
            member: ME,
            key: &key,
        };
        let objects: Vec<_> = (0..600).map(|_| indicator()).collect();
        let signed = signer.sign_all(objects);
        assert_eq!(signed.len(), 600);
        let first = signed[0].as_ref().unwrap();
        let again = signer.sign(indicator()).unwrap();
        assert_eq!(first.id, again.id);
        let map: Map<String, Value> = serde_json::from_str(&again.json).unwrap();
        assert_eq!(concord_trust::signer_of(&map), Some(ME));
        let mut keys = concord_trust::TrustedKeySet::new();
        keys.insert(ME, &key.public()).unwrap();
        concord_trust::verify_object(&map, &keys).unwrap();
        for s in &signed {
            assert_eq!(s.as_ref().unwrap().json, again.json);
        }
    }
}
