//! Founding a community: the founders file and the unsigned genesis.
//!
//! The founders file is a JSON list of `{"member", "name", "country",
//! "governance_key", "node_key", "url"}`, one per founding member, as each
//! gathers them from `concord key show --json`. `member` is the member's
//! STIX identity id and also its member id in the charter (a STIX id is a
//! valid member id, and one name per member leaves nothing to map).

use std::path::Path;

use crate::{CommunityError, Result};
use concord_trust::{Charter, Founder, PublicKey, genesis};
use serde_json::Value;

use super::durable::read_limited;

const FOUNDERS_LIMIT: usize = 4 * 1024 * 1024;

fn text<'a>(file: &Path, i: usize, o: &'a Value, key: &str) -> Result<&'a str> {
    o.get(key).and_then(Value::as_str).ok_or_else(|| {
        CommunityError::Invalid(format!(
            "{}: [{i}].{key}: expected a string",
            file.display()
        ))
    })
}

/// One member entry as the founders file and `propose add-member` give it.
pub fn founder(
    member: &str,
    name: &str,
    country: &str,
    governance_key: &str,
    node_key: Option<&str>,
    url: Option<&str>,
) -> Result<Founder> {
    let governance_key = PublicKey::from_hex(governance_key)
        .map_err(|e| CommunityError::Invalid(format!("governance_key: {e}")))?;
    let node_keys = match node_key {
        Some(k) => vec![
            PublicKey::from_hex(k)
                .map_err(|e| CommunityError::Invalid(format!("node_key: {e}")))?,
        ],
        None => Vec::new(),
    };
    Ok(Founder {
        member: member.to_string(),
        identity: member.to_string(),
        name: name.to_string(),
        country: country.to_string(),
        governance_key,
        node_keys,
        endpoints: url.map(|u| vec![u.to_string()]).unwrap_or_default(),
    })
}

/// Reads a founders file (at most 4 MiB): every entry must give a valid
/// member; errors name the entry (`[i].field`).
pub fn read_founders(file: &Path) -> Result<Vec<Founder>> {
    let bytes = read_limited(file, FOUNDERS_LIMIT)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| CommunityError::Invalid(format!("{} is not JSON: {e}", file.display())))?;
    let Some(list) = value.as_array() else {
        return Err(CommunityError::Invalid(format!(
            "{}: expected a JSON list of founders",
            file.display()
        )));
    };
    if list.is_empty() {
        return Err(CommunityError::Invalid(format!(
            "{}: the list of founders is empty",
            file.display()
        )));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, o) in list.iter().enumerate() {
        if !o.is_object() {
            return Err(CommunityError::Invalid(format!(
                "{}: [{i}]: expected an object",
                file.display()
            )));
        }
        let f = founder(
            text(file, i, o, "member")?,
            text(file, i, o, "name")?,
            text(file, i, o, "country")?,
            text(file, i, o, "governance_key")?,
            o.get("node_key").and_then(Value::as_str),
            o.get("url").and_then(Value::as_str),
        )
        .map_err(|e| CommunityError::Invalid(format!("{}: [{i}].{e}", file.display())))?;
        out.push(f);
    }
    Ok(out)
}

/// The unsigned genesis of a new community.
pub fn genesis_of(founders: &[Founder], community: Option<&str>, expires: &str) -> Result<Charter> {
    let id = community
        .map(str::to_string)
        .unwrap_or_else(concord_trust::new_community_id);
    Ok(genesis(&id, founders, expires)?)
}
