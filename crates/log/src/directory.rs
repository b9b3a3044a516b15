//! Whose logs this node keeps, follows and checks: its own and every
//! member's, each with its origin, the node key that signs it, and where
//! its node serves it. The federation builds it from the configured peers
//! and the adopted charter; this crate only reads it.

use std::time::Duration;

use concord_tlog::{Cosigner, NoteVerifier, SignatureType, TlogError, Verifiers};
use concord_trust::{Keypair, PublicKey};

use crate::{LogError, Result};

/// The origin of a member's log before the community has a charter: the
/// charter's `log_origin` (`concord/<community>/<member-id>`) replaces it
/// once one is adopted, and the node then signs under the new origin.
pub fn default_origin(identity: &str) -> String {
    format!("concord/local/{identity}")
}

/// The key name a member's node cosigns under as a witness.
pub fn witness_name(origin: &str) -> String {
    format!("{origin}/witness")
}

/// `[log]` in config.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// Seconds between two checkpoints of the node's log (when it grew);
    /// `None`: the charter's `policy.checkpoint_interval_s`, else 60.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval_s: Option<u64>,
}

impl LogSection {
    /// Whether config.toml can leave it out.
    pub fn is_default(&self) -> bool {
        *self == LogSection::default()
    }

    /// The interval in force: this section's, else the charter's, else 60 s.
    pub fn interval(&self, charter: Option<u64>) -> Duration {
        Duration::from_secs(self.checkpoint_interval_s.or(charter).unwrap_or(60).max(1))
    }
}

/// One member's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLog {
    /// The member's STIX identity id.
    pub member: String,
    /// A name to show (its peer name).
    pub name: String,
    /// The log's origin.
    pub origin: String,
    /// The node key that signs its checkpoints.
    pub key: PublicKey,
    /// Its node's TAXII URL (empty: not reachable from here).
    pub url: String,
}

impl MemberLog {
    /// Its node's base URL (`scheme://host:port`), where `/log/` is served.
    pub fn base(&self) -> Option<String> {
        base_of(&self.url)
    }

    /// The verifier of its checkpoints.
    pub fn verifier(&self) -> Result<NoteVerifier> {
        Ok(concord_tlog::log_verifier(&self.origin, &self.key)?)
    }

    /// The verifier of its node's cosignatures.
    pub fn witness_verifier(&self) -> Result<NoteVerifier> {
        Ok(NoteVerifier::new(
            &witness_name(&self.origin),
            SignatureType::Cosignature,
            self.key,
        )?)
    }
}

/// `scheme://host:port` of a URL.
pub fn base_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some(match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    })
}

/// This node's log and every other member's.
#[derive(Debug, Clone)]
pub struct Directory {
    /// This member: its log's origin and its node key.
    pub own: MemberLog,
    /// Every other member whose log this node follows.
    pub members: Vec<MemberLog>,
    /// The checkpoint interval in force.
    pub interval: Duration,
}

impl Directory {
    /// The member whose log has this origin.
    pub fn by_origin(&self, origin: &str) -> Option<&MemberLog> {
        self.members.iter().find(|m| m.origin == origin)
    }

    /// The member with this identity id (or peer name).
    pub fn by_member(&self, member: &str) -> Option<&MemberLog> {
        self.members
            .iter()
            .find(|m| m.member == member || m.name == member)
    }

    /// The witness this node is: its cosigning key named after its log,
    /// following every member's log.
    pub fn witness(&self, key: &Keypair) -> Result<concord_tlog::Witness> {
        if key.public() != self.own.key {
            return Err(LogError::Refused(
                "the node key does not match this member's log".into(),
            ));
        }
        let cosigner = Cosigner::new(&witness_name(&self.own.origin), key.clone())?;
        let mut w = concord_tlog::Witness::new(cosigner);
        for m in &self.members {
            w.follow(&m.origin, &m.key)?;
        }
        Ok(w)
    }

    /// Every member's witness key (this node's included), to check the
    /// cosignatures on a checkpoint.
    pub fn witnesses(&self) -> Result<Verifiers> {
        let mut list = vec![self.own.witness_verifier()?];
        for m in &self.members {
            list.push(m.witness_verifier()?);
        }
        Verifiers::new(list).map_err(|e: TlogError| e.into())
    }
}
