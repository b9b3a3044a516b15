//! Withdrawal: the author takes an object back (FEDERATION.md section 7).
//! A new version with `revoked: true`, a newer `modified`, the reason, and
//! its optional descriptive fields emptied is signed and stored; ordinary
//! sync carries it to every peer that received the object, and they stop
//! matching it at once.

use concord_stix::Timestamp;
use concord_stix::json::parse_object;
use concord_store::{Store, VersionSel};
use concord_trust::Keypair;
use serde_json::Value;

use crate::{FederationError, LocalNode, Result};

/// Descriptive properties a withdrawal empties: what is wrong should stop
/// circulating with the tombstone.
const EMPTIED: [&str; 4] = ["description", "labels", "external_references", "confidence"];

/// Withdraws `id`, which this member must have authored; returns the
/// tombstone's `modified`.
pub async fn withdraw(node: &LocalNode, key: &Keypair, id: &str, reason: &str) -> Result<String> {
    let member = node.member.as_str();
    let versions = node.store.versions(id, VersionSel::Last).await?;
    let Some(latest) = versions.last() else {
        return Err(FederationError::NotFound(format!(
            "this node holds no object {id}"
        )));
    };
    let object = parse_object(latest.json.as_bytes())
        .map_err(|e| FederationError::Invalid(format!("the stored object is not JSON: {e}")))?;
    match concord_trust::read_provenance(&object) {
        Ok(claim) if claim.signer == member => {}
        Ok(claim) => {
            return Err(FederationError::Forbidden(format!(
                "{id} was authored by {}: only its author can withdraw it",
                claim.signer
            )));
        }
        Err(_) => {
            return Err(FederationError::Forbidden(format!(
                "{id} is not signed by this member: only objects this node authored (imported with --tlp) can be withdrawn"
            )));
        }
    }
    if object.get("revoked") == Some(&Value::Bool(true)) {
        return Err(FederationError::Invalid(format!(
            "{id} is already withdrawn"
        )));
    }
    let previous = object
        .get("modified")
        .and_then(Value::as_str)
        .and_then(|m| Timestamp::parse(m).ok())
        .ok_or_else(|| {
            FederationError::Invalid("the object has no modified timestamp to supersede".into())
        })?;
    let modified = Timestamp(Timestamp::now().0.max(previous.0 + 1_000));
    let mut next = object.clone();
    for k in EMPTIED {
        next.remove(k);
    }
    // Addressed to everyone who may hold any earlier version, not only
    // to those the last one was for (FEDERATION.md 7b: a peer whose
    // entitlement a later version narrowed still holds the earlier
    // body, and must still be told).
    let all = node.store.versions(id, VersionSel::All).await?;
    let earlier: Vec<serde_json::Map<String, Value>> = all
        .iter()
        .filter_map(|v| parse_object(v.json.as_bytes()).ok())
        .collect();
    widen_to_every_version(&mut next, &earlier)?;
    next.insert("modified".into(), modified.to_stix().into());
    next.insert("revoked".into(), true.into());
    next.insert("x_concord_withdrawal_reason".into(), reason.into());
    let signed = concord_trust::sign_object(&next, member, key)?;
    let prepared = crate::authoring::prepared(signed)?;
    node.store
        .put_batch(&node.collection, vec![prepared])
        .await?;
    Ok(modified.to_stix())
}

/// Gives the tombstone the least strict TLP of all earlier versions and,
/// when every one of them had an audience, the union of those audiences
/// (else none: some version went to everyone its TLP allows). The
/// tombstone carries no description, so the wider set learns only that an
/// id it may already hold was withdrawn.
fn widen_to_every_version(
    next: &mut serde_json::Map<String, Value>,
    versions: &[serde_json::Map<String, Value>],
) -> Result<()> {
    use concord_trust::{AUDIENCE_EXTENSION_ID, Audience, Relay, read_audience, set_audience};
    let least = versions
        .iter()
        .filter_map(|v| {
            v.get("object_marking_refs")
                .and_then(Value::as_array)
                .and_then(|refs| concord_stix::tlp::strictest_of(refs))
        })
        .min();
    if let Some(level) = least {
        crate::authoring::set_tlp(next, level);
    }
    let audiences: Vec<Option<Audience>> = versions
        .iter()
        .map(|v| read_audience(v).ok().flatten())
        .collect();
    if audiences.iter().all(Option::is_some) && !audiences.is_empty() {
        let mut union: Vec<String> = Vec::new();
        let mut relay = Relay::None;
        let mut never_export = true;
        for a in audiences.into_iter().flatten() {
            for name in a.audience {
                if !union.contains(&name) {
                    union.push(name);
                }
            }
            if a.relay == Relay::Members {
                relay = Relay::Members;
            }
            never_export &= a.never_export;
        }
        set_audience(
            next,
            &Audience {
                audience: union,
                relay,
                retain_days: None,
                never_export,
            },
        )
        .map_err(|e| FederationError::Invalid(format!("setting the withdrawal's audience: {e}")))?;
    } else if let Some(Value::Object(exts)) = next.get_mut("extensions") {
        exts.remove(AUDIENCE_EXTENSION_ID);
        if exts.is_empty() {
            next.remove("extensions");
        }
    }
    Ok(())
}
