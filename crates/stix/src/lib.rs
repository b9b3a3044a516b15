//! The STIX 2.1 model of concord.
//!
//! What it is for: turning outside bytes into STIX objects that keep every
//! property they arrived with (unknown, custom, extensions, granular markings),
//! checking them against the MUST rules of STIX 2.1 with errors that name the
//! JSON path and the rule, computing deterministic SCO ids, reading strict
//! STIX timestamps, the TLP 2.0 marking definitions, RFC 8785 canonical JSON,
//! and reading bundles as a stream so that no file is ever held whole.
//!
//! What it must never do: drop or rewrite a property it does not understand,
//! re-format a received timestamp, panic on any input, do I/O other than
//! reading the `std::io::Read` it is handed, read configuration, or print.

pub mod bundle;
pub mod canonical;
mod error;
pub mod id;
pub mod ingest;
pub mod json;
mod object;
pub mod timestamp;
pub mod tlp;
pub mod validate;

pub use error::{Issue, Severity, StixError};
pub use object::StixObject;
pub use timestamp::Timestamp;
