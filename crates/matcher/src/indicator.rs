//! What a hit reports about an indicator, and whether an indicator is
//! active.

use concord_pattern::Timestamp;
use serde_json::Value;

/// The TLP 2.0 marking-definition ids (OASIS cti-stix-common-objects) and
/// the TLP 1.0 ids of STIX 2.1 section 7.2.1.4.
const TLP_IDS: &[(&str, Tlp)] = &[
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
    ),
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];

/// A TLP level (TLP 2.0 names; TLP 1.0 WHITE reads as CLEAR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<Tlp> {
        [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ]
        .get(usize::from(c).checked_sub(1)?)
        .copied()
    }
}

/// The most restrictive TLP among an object's markings.
pub fn tlp_of(object: &Value) -> Option<Tlp> {
    let refs = object.get("object_marking_refs")?.as_array()?;
    refs.iter()
        .filter_map(Value::as_str)
        .filter_map(|r| TLP_IDS.iter().find(|(id, _)| *id == r).map(|(_, t)| *t))
        .max_by_key(|t| t.code())
}

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
    pub id: String,
    pub name: Option<&'i str>,
    pub confidence: Option<u8>,
    pub tlp: Option<&'static str>,
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

pub(crate) fn tlp_code(t: Option<Tlp>) -> u8 {
    t.map_or(0, Tlp::code)
}

pub(crate) fn tlp_name(code: u8) -> Option<&'static str> {
    Tlp::from_code(code).map(Tlp::as_str)
}
