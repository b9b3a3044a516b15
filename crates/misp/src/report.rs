//! What a conversion produced and what it could not map.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::sharing::Sharing;

/// One STIX object made from MISP, with the sharing decision for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The object, valid STIX 2.1, `object_marking_refs` set from
    /// `sharing.tlp`; not signed.
    pub object: Map<String, Value>,
    /// Who may receive it.
    pub sharing: Sharing,
}

/// What kind of MISP record an [`Unmapped`] entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// An attribute (standalone or in an object).
    Attribute,
    /// A galaxy cluster.
    Cluster,
    /// A sighting.
    Sighting,
    /// A MISP object whose template concord does not map: its attributes
    /// were converted one by one instead.
    Object,
}

/// A MISP record that produced no STIX object, or not the one expected,
/// and why. Nothing is dropped without an entry here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The event's UUID.
    pub event: Uuid,
    /// The record's UUID (nil when MISP gave none).
    pub uuid: Uuid,
    /// What kind of record.
    pub record: Record,
    /// Its MISP type (attribute type, galaxy type, object template, sighting type).
    pub misp_type: String,
    /// Why.
    pub reason: String,
    /// Its JSON path in the input.
    pub path: String,
}

/// Counts and the list of unmapped records of one conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Events read.
    pub events: usize,
    /// Attributes read (standalone and inside objects).
    pub attributes: usize,
    /// Attributes that became part of at least one STIX object.
    pub attributes_mapped: usize,
    /// Records not mapped, with the reason.
    pub unmapped: Vec<Unmapped>,
}

/// The result of converting MISP input.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversion {
    /// The objects, each once (deterministic ids make repeats one object).
    pub objects: Vec<Converted>,
    /// What was read and what was not mapped.
    pub report: ImportReport,
}
