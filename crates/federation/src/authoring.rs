//! What a member authors: its objects get the TLP 2.0 marking it chose, the
//! audience extension when it names recipients, and the node's provenance
//! signature over all of it (FEDERATION.md section 6).

use crate::{FederationError, Result};
use concord_stix::tlp::Tlp;
use concord_trust::{Audience, Keypair, Relay, set_audience, sign_owned};
use serde_json::{Map, Value};

/// How this node marks and signs what it authors.
pub struct Authoring {
    /// This member's STIX identity id, named in the signature.
    pub member: String,
    /// The node key that signs.
    pub key: Keypair,
    /// The marking to set; `None` keeps the object's own markings.
    pub tlp: Option<Tlp>,
    /// Member ids or group names; `None` for no audience extension.
    pub audience: Option<Vec<String>>,
}

impl Authoring {
    /// Marks and signs one object. Marking definitions are left as they
    /// are: TLP definitions are fixed by the standard and known to every
    /// node.
    pub fn author(&self, object: &Map<String, Value>) -> Result<Map<String, Value>> {
        if object.get("type").and_then(Value::as_str) == Some("marking-definition") {
            return Ok(object.clone());
        }
        let mut out = object.clone();
        if let Some(tlp) = self.tlp {
            set_tlp(&mut out, tlp);
        }
        if let Some(audience) = &self.audience {
            // Only CLEAR and GREEN may be relayed at all; the author says
            // so explicitly for those.
            let relay = match self.tlp {
                Some(Tlp::Clear) | Some(Tlp::Green) => Relay::Members,
                _ => Relay::None,
            };
            set_audience(
                &mut out,
                &Audience {
                    audience: audience.clone(),
                    relay,
                    retain_days: None,
                    never_export: false,
                },
            )
            .map_err(|e| FederationError::Invalid(format!("setting the audience: {e}")))?;
        }
        sign_owned(out, &self.member, &self.key)
            .map_err(|e| FederationError::Invalid(format!("signing: {e}")))
    }
}

impl Authoring {
    /// Marks and signs one object and makes it ready to store with its
    /// entry in the node's log (the one way an authored version reaches
    /// the store). Marking definitions are not authored: they go in as
    /// they are.
    pub fn prepare(&self, object: &Map<String, Value>) -> Result<concord_store::PreparedObject> {
        let signed = self.author(object)?;
        if object.get("type").and_then(Value::as_str) == Some("marking-definition") {
            let text = Value::Object(signed.clone()).to_string();
            return Ok(concord_store::PreparedObject::new(
                &concord_stix::StixObject::from_map(signed),
                text,
            ));
        }
        prepared(signed)
    }
}

/// An object this node signed, ready to store with its entry in the
/// node's log: every authored version goes through here (imports with
/// `--tlp`, incidents, sightings, withdrawals), so none is stored
/// without its log entry.
pub fn prepared(signed: Map<String, Value>) -> Result<concord_store::PreparedObject> {
    concord_log::own::prepare_authored(signed)
        .map_err(|e| FederationError::Invalid(format!("logging: {e}")))
}

/// Makes `tlp` the object's only TLP marking, first among its markings;
/// other (non-TLP) markings stay.
pub fn set_tlp(object: &mut Map<String, Value>, tlp: Tlp) {
    let mut refs: Vec<Value> = match object.get("object_marking_refs") {
        Some(Value::Array(a)) => a
            .iter()
            .filter(|v| v.as_str().and_then(Tlp::from_marking_id).is_none())
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    refs.insert(0, Value::from(tlp.marking_id()));
    object.insert("object_marking_refs".into(), Value::Array(refs));
}

/// Which of `ids` this node holds a first version of that another member
/// published (by its signature, or its `created_by_ref` naming another of
/// `members`): this member may not author versions of those. Returns
/// (id, the owner's name) pairs.
pub async fn bound_to_others(
    store: &concord_store::AnyStore,
    me: &str,
    members: &std::collections::HashMap<String, String>,
    ids: Vec<String>,
) -> Result<Vec<(String, String)>> {
    use concord_store::Store;
    let mut out = Vec::new();
    for first in store.first_versions(ids).await? {
        let Ok(map) = concord_stix::json::parse_object(first.json.as_bytes()) else {
            continue;
        };
        let owner = match map.get("created_by_ref").and_then(Value::as_str) {
            Some(c) if members.contains_key(c) => Some(c.to_string()),
            _ => concord_trust::signer_of(&map).map(str::to_string),
        };
        if let Some(owner) = owner
            && owner != me
        {
            let name = members.get(&owner).cloned().unwrap_or(owner);
            out.push((first.id, name));
        }
    }
    Ok(out)
}

/// What a member is told when it tries to publish another's object.
pub fn refusal(id: &str, owner: &str) -> String {
    format!(
        "{id} belongs to {owner}: only its author publishes versions of it; comment on another member's intel with a sighting (`concord match --sighting`), an opinion (`concord sightings false-positive ID`) or an incident note"
    )
}
