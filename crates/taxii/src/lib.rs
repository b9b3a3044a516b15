//! TAXII 2.1 for concord: the server's routes over the `Store` trait and a
//! typed client.
//!
//! What it is for: speaking TAXII 2.1 exactly as the OASIS specification
//! says (media types, paging with `more`/`next` and the
//! `X-TAXII-Date-Added-First/-Last` headers, every filter, the status and
//! error resources), so that any TAXII client can read from a node and a
//! node can pull from any TAXII server. Every object that comes in, by POST
//! or by pull, goes through `concord_stix::ingest::read_object`; every
//! object that goes out comes from the store's `list`. Access (users,
//! per-collection rights, tokens, public collections) is decided here, with
//! the rule that a caller never learns of a collection it may not see.
//!
//! What it must never do: trust a client's clock or a peer's timestamps as
//! a cursor (the only cursor is the server's `date_added`), write part of an
//! object, keep a password or a token in clear, read configuration or the
//! environment, print, or exit. Reading files (TLS certificates) happens
//! only when the caller asks for it with a path.

pub mod access;
pub mod admin;
pub mod client;
pub mod envelope;
mod error;
pub mod gate;
pub mod media;
pub mod query;
pub mod replay;
pub mod server;
pub mod sync;
pub mod throttle;

pub use error::{ApiError, TaxiiError};
