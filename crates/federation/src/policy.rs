//! The member's sharing policy as its operator writes it (`[sharing]` in
//! config.toml), turned into the egress policy `concord-share` decides
//! with.

use std::collections::BTreeSet;

use concord_share::EgressPolicy;
use concord_stix::tlp::Tlp;
use serde::{Deserialize, Serialize};

use crate::{FederationError, Result};

/// `[sharing]`: the member's egress policy (FEDERATION.md sections 6, 7).
/// Whatever it says, unmarked objects never leave the node, GREEN and above
/// never reach a public collection, AMBER and AMBER+STRICT go only to the
/// members an object's audience names, and a relay forwards only CLEAR and
/// GREEN.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SharingSection {
    /// TLP levels shared at all (below RED).
    pub allow_tlp: Vec<String>,
    /// Members (identity ids) that may receive RED objects naming them.
    pub red_to: Vec<String>,
    /// Whether TLP:CLEAR objects may be served in public collections.
    pub clear_to_public: bool,
    /// Object types and labels not shared (policy; can be changed).
    pub deny_types: Vec<String>,
    pub deny_labels: Vec<String>,
    /// Object types and labels that never leave the node, whatever an
    /// object says.
    pub never_export_types: Vec<String>,
    pub never_export_labels: Vec<String>,
}

impl Default for SharingSection {
    fn default() -> Self {
        SharingSection {
            allow_tlp: ["clear", "green", "amber", "amber+strict"]
                .map(String::from)
                .to_vec(),
            red_to: Vec::new(),
            clear_to_public: true,
            deny_types: Vec::new(),
            deny_labels: Vec::new(),
            never_export_types: Vec::new(),
            never_export_labels: Vec::new(),
        }
    }
}

/// The member's egress policy from `[sharing]` in config.toml.
pub fn policy(s: &SharingSection) -> Result<EgressPolicy> {
    let mut p = EgressPolicy::default();
    p.allow_tlp.clear();
    for word in &s.allow_tlp {
        match Tlp::parse(word) {
            Some(Tlp::Red) => return Err(FederationError::Invalid("[sharing] allow_tlp cannot list RED: RED goes only to the members listed in red_to".to_string()).into()),
            Some(t) => {
                p.allow_tlp.insert(t);
            }
            None => return Err(FederationError::Invalid(format!("[sharing] allow_tlp: {word:?} is not a TLP level (clear, green, amber, amber+strict)")).into()),
        }
    }
    p.red_to = s.red_to.iter().cloned().collect();
    p.clear_to_public = s.clear_to_public;
    p.deny_types = s.deny_types.iter().cloned().collect::<BTreeSet<_>>();
    p.deny_labels = s.deny_labels.iter().cloned().collect();
    p.never_export = s
        .never_export_types
        .iter()
        .map(|t| concord_share::NeverExport::Type(t.clone()))
        .chain(
            s.never_export_labels
                .iter()
                .map(|l| concord_share::NeverExport::Label(l.clone())),
        )
        .collect();
    Ok(p)
}
