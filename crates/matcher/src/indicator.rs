//! What a hit reports about an indicator, and whether an indicator is
//! active.

use concord_pattern::Timestamp;
use serde_json::Value;

pub use concord_stix::tlp::Tlp;

/// Whether an indicator applies at `at`: not revoked, and `at` inside
/// [valid_from, valid_until) (STIX 2.1 section 4.7). With no time, only
/// revocation counts.
pub fn is_active(indicator: &Value, at: Option<Timestamp>) -> bool {
    if indicator.get("revoked").and_then(Value::as_bool) == Some(true) {
        return false;
    }
    let Some(at) = at else { return true };
    let stamp = |k: &str| {
        indicator
            .get(k)
            .and_then(Value::as_str)
            .and_then(Timestamp::parse)
    };
    if let Some(from) = stamp("valid_from")
        && at < from
    {
        return false;
    }
    if let Some(until) = stamp("valid_until")
        && at >= until
    {
        return false;
    }
    true
}

/// The compact record kept per indexed indicator.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The UUID of `indicator--UUID`, or an index into the long-id table for
    /// ids that are no UUID.
    pub id: IdKey,
    pub name: (u32, u32),
    pub producer: u32,
    pub confidence: u8,
    pub tlp: u8,
    pub alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum IdKey {
    Uuid(u128),
    Other(u32),
}

/// A hit's view of an indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorInfo<'i> {
    /// The indicator's STIX id.
    pub id: String,
    /// Its `name`, `None` when it has none (or an empty one).
    pub name: Option<&'i str>,
    /// Its `confidence` (0 to 100), `None` when it has none.
    pub confidence: Option<u8>,
    /// Its TLP level as a lower-case word (`amber+strict`, see
    /// `Tlp::word`), `None` when it carries no TLP marking.
    pub tlp: Option<&'static str>,
    /// Its `created_by_ref`: the identity that produced it.
    pub created_by_ref: Option<&'i str>,
}

pub(crate) fn parse_uuid(s: &str) -> Option<u128> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

pub(crate) fn format_uuid(u: u128) -> String {
    let h = format!("{u:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A TLP level packed in a byte for the index records: 0 = none.
pub(crate) fn tlp_code(t: Option<Tlp>) -> u8 {
    t.map_or(0, |t| t as u8 + 1)
}

pub(crate) fn tlp_name(code: u8) -> Option<&'static str> {
    Tlp::ALL
        .get(usize::from(code).checked_sub(1)?)
        .map(|t| t.word())
}
