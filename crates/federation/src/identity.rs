//! The member's STIX identity: the first object a new node authors,
//! signed like all it authors and the first entry of its log. Peers need
//! it to resolve `created_by_ref` and audiences, so it is public within
//! the community (TLP:CLEAR).

use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;
use concord_store::PreparedObject;
use concord_trust::Keypair;
use serde_json::{Map, Value, json};

use crate::{FederationError, Result, authoring};

/// A new identity of the organisation `org`, signed with the node key
/// `key` as of `now`: its id, and the object ready to store.
pub fn member(org: &str, key: &Keypair, now: Timestamp) -> Result<(String, PreparedObject)> {
    let now = now.to_stix();
    let id = concord_stix::id::new_id("identity");
    let identity = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": id,
        "created": now,
        "modified": now,
        "name": org,
        "identity_class": "organization",
        "object_marking_refs": [Tlp::Clear.marking_id()],
    });
    let map: Map<String, Value> = match identity {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let signed = concord_trust::sign_object(&map, &id, key)
        .map_err(|e| FederationError::Invalid(format!("signing the member identity: {e}")))?;
    Ok((id, authoring::prepared(signed)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_identity_is_signed_clear_and_names_the_organisation() {
        let key = Keypair::generate();
        let (id, prepared) = member("CERT-X", &key, Timestamp::now()).unwrap();
        assert!(id.starts_with("identity--"));
        assert_eq!(prepared.id, id);
        let object: Value = serde_json::from_str(&prepared.json).unwrap();
        assert_eq!(object["name"], "CERT-X");
        assert_eq!(object["object_marking_refs"][0], Tlp::Clear.marking_id());
        let map = object.as_object().unwrap();
        assert_eq!(concord_trust::signer_of(map), Some(id.as_str()));
    }
}
