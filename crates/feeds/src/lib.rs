//! IOC feeds: the CSV and plain-text lists CERTs receive, and the fetching
//! of any feed (CSV, text, STIX, MISP, TAXII) over HTTP.
//!
//! - [`FeedSpec`]: where a feed lives, its format, how often to fetch it,
//!   its marking and audience, and how a CSV list is read. The node keeps
//!   it as a record.
//! - [`fetch`]: one conditional GET (ETag / Last-Modified) with a size
//!   limit and a timeout; [`FeedState`] keeps the validators, the times of
//!   the last fetch and last success, the last error and the version of
//!   every object the feed gave.
//! - [`parse`]: a body to STIX 2.1 objects and a report of every line, row
//!   or object that gave nothing, with its place and the reason. Text and
//!   CSV lists become `indicator` objects whose patterns are built with the
//!   pattern crate's quoting (any value gives a valid pattern), whose ids
//!   are UUIDv5 of the feed's name and the pattern, and whose `created` and
//!   `modified` come from the state (first seen, content last changed), so
//!   that fetching an unchanged list again gives the very same (id,
//!   modified) and never a duplicate. MISP and TAXII bodies are read by the
//!   caller's [`ForeignReader`] (concord-misp and the TAXII client own those
//!   formats); STIX bodies by concord-stix. Every object is checked against
//!   STIX 2.1 and every pattern parsed before it is returned.
//!
//! What it must never do: schedule fetches (the node does), store objects,
//! sign them or apply the sharing policy (the node does, with the spec's TLP
//! and audience), drop a bad line in silence, read files, environment
//! variables or configuration, print, or panic on any body.

mod csv;
mod error;
mod fetch;
mod indicator;
mod parse;
mod spec;
pub mod state;
mod text;

pub use error::FeedError;
pub use fetch::{FetchLimits, Fetched, fetch};
pub use indicator::Change;
pub use parse::{FeedObject, ForeignReader, Parsed, Problem, parse};
pub use spec::{Column, ColumnMapping, CsvOptions, FeedFormat, FeedSpec, Target};
pub use state::{FeedState, FetchFailure, KnownVersion, Validators};
