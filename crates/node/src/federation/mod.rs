//! The node's side of federation (FEDERATION.md sections 5 to 7): what it
//! authors (marked and signed), whom it trusts (peers and their keys), how
//! it pulls from them (verified, quarantined), and the sharing policy its
//! server applies to them.

pub mod authoring;
pub mod membership;
pub mod peers;
pub mod pull;

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use concord_share::EgressPolicy;
use concord_stix::tlp::Tlp;

use crate::config::SharingSection;

/// The member's egress policy from `[sharing]` in config.toml.
pub fn policy(s: &SharingSection) -> Result<EgressPolicy> {
    let mut p = EgressPolicy::default();
    p.allow_tlp.clear();
    for word in &s.allow_tlp {
        match Tlp::parse(word) {
            Some(Tlp::Red) => bail!(
                "[sharing] allow_tlp cannot list RED: RED goes only to the members listed in red_to"
            ),
            Some(t) => {
                p.allow_tlp.insert(t);
            }
            None => bail!(
                "[sharing] allow_tlp: {word:?} is not a TLP level (clear, green, amber, amber+strict)"
            ),
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

/// Whether a peer URL may be used: TLS, or plain HTTP on loopback only.
pub fn check_peer_url(url: &str) -> Result<url::Url> {
    let u = url::Url::parse(url).map_err(|e| {
        anyhow::anyhow!("{url:?} is not a URL: {e} (e.g. https://node.example/taxii2/)")
    })?;
    match u.scheme() {
        "https" => Ok(u),
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if loopback {
                Ok(u)
            } else {
                bail!(
                    "{url} is plain HTTP on a non-loopback address: peers are reached over https:// (plain http only on 127.0.0.1)"
                )
            }
        }
        other => bail!("{url}: scheme {other:?} is neither https nor http"),
    }
}
