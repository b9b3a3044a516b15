//! The indicator matcher: checks events from logs against the active
//! indicators of the community, fast.
//!
//! Indicator objects (as JSON values, from wherever the caller keeps them)
//! are compiled into an [`Index`]: IPv4/IPv6 addresses and CIDR networks,
//! domain names (exact, and subdomains where a pattern asks with
//! `LIKE '%.example.com'`), URLs (normalised), file hashes (MD5, SHA-1,
//! SHA-256, SHA-512) and e-mail addresses are found by lookups; every other
//! pattern runs on `concord-pattern`'s evaluator, and only for events that
//! pass its prefilter. A [`LogReader`] turns the lines of a file (Zeek TSV
//! with its header, Zeek and Suricata EVE JSON, generic JSON, free text)
//! into observables and says which lines are events; [`extract`] finds
//! every address, domain, URL, e-mail address and hash of free text,
//! defanged forms included, and reads single indicator values for the
//! feeds. A hit names the indicator and the observable that hit it.
//!
//! Lookups normalise values (lower-case domains, e-mail addresses and hex
//! hashes; URL scheme and host; numeric addresses), as log sources write
//! them in any case. It must never read the store, files, environment
//! variables or configuration, print, or panic on any event line; the
//! binary feeds it indicators and lines and prints what it returns.
//!
//! For whole inputs, [`match_stream`] reads what the caller opened in
//! large blocks of lines ([`BlockReader`]) and matches them on several
//! threads, results in input order; [`Index::to_snapshot`] and
//! [`Index::from_snapshot`] let the caller keep a compiled index in a file
//! (the bytes are checked, never trusted).

mod blocks;
mod error;
mod event_time;
pub mod extract;
mod index;
mod indicator;
mod observable;
mod plan;
mod reader;
mod snapshot;
mod stream;

pub use blocks::{Block, BlockReader};
pub use error::MatcherError;
pub use event_time::event_time_us;
pub use index::{Hit, Index, Scratch};
pub use indicator::{IndicatorInfo, Tlp, is_active};
pub use observable::{HashAlgorithm, Observable, normal_domain, normal_url};
pub use reader::{FieldMapping, Format, LineKind, LogReader, observables_of, read_line};
pub use stream::{EventHits, Piece, StreamOptions, match_stream};
