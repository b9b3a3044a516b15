//! The node's exports of what it holds, in the formats that enforce
//! indicators (DNS response policy zones, Suricata rules, the Zeek Intel
//! framework, hosts files, plain lists, CSV) and as STIX bundles, for the
//! command line (`concord export --format`) and for pollers of
//! `/exports/<format>` (unbound's `url:`, suricata-update, Zeek).
//!
//! What it is for: [`publish`] reads the objects a [`Scope`] names from the
//! store (the node's own view, or collections as the sharing policy gives
//! them to a caller, through the same egress filter as TAXII), applies the
//! [`Query`]'s filters and hands them to `concord-exports`. It keeps what
//! must survive between exports in the store: the Suricata sid table
//! (record kind `export-sids`: an indicator keeps its sids, `rev` follows
//! its versions) and the RPZ serial of each view (record kind
//! `export-rpz-serial`, keyed by the scope and the query: the serial moves
//! on when, and only when, the zone's content changes). [`Cache`] keeps the
//! last output of each polled view until the store's change markers of its
//! collections move, so that an unchanged export costs a comparison.
//! [`bundle`] streams the node's own view as one STIX bundle, page by page
//! (for `concord export` without `--format`, and the selection of a signed
//! export); [`output`] writes an export and the files beside it where
//! the command line's `--out` says, each replaced whole.
//!
//! What it must never do: decide who may see what (the caller hands the
//! scope; `concord_taxii::server::egress` decides per object), let an
//! object of one view into another's output or cache entry, hand a sid to
//! a second indicator, or publish a changed zone under an old serial.

pub mod bundle;
mod cache;
mod error;
pub mod output;
mod publish;
pub mod query;
mod scope;
mod state;

pub use cache::{Cache, CacheOptions};
pub use error::PublishError;
pub use publish::{Published, etag, publish};
pub use query::{OutputFormat, Query};
pub use scope::Scope;
pub use state::{SERIAL_RECORDS, SID_RECORDS};
