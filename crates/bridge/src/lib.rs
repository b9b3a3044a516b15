//! The MISP bridge and the IOC feeds, wired to a node.
//!
//! What it is for: the node's binary and its HTTP API call it to
//! - import MISP events and CSV and text IOC lists ([`intake`]): each
//!   object marked and addressed from its MISP sharing (or the operator's
//!   `--tlp` and `--audience`), signed as this member's ([`addressing`]),
//!   with every record that gave nothing named;
//! - keep feeds (MISP, STIX, TAXII, CSV, text) as store records, pull them
//!   now or on their interval, and republish what they bring as this
//!   member's ([`feed`]);
//! - write what the node holds as MISP events and as a MISP feed, under
//!   the same sharing policy as TAXII for the same caller ([`misp_out`]);
//! - map MISP organisations and sharing groups to the community's members
//!   and groups, and back ([`directory`]).
//!
//! The conversions themselves are concord-misp's and concord-feeds'; this
//! crate only joins them to the store, the signing key and the policy.
//!
//! What it must never do: let an object out to a caller that TAXII would
//! not give it; sign an object whose id another member published first;
//! mark an object MISP keeps in one organisation ("your organisation
//! only"); duplicate a version on re-import or re-fetch; commit a feed's
//! state before its objects are stored; read configuration or environment
//! variables, print or exit.

pub mod addressing;
pub mod directory;
mod error;
pub mod feed;
pub mod intake;
pub mod misp_out;

pub use addressing::{Floor, Signer};
pub use directory::Directory;
pub use error::{BridgeError, Result};
