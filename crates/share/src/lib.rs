//! concord's sharing policy: the single place where the rules of who gets
//! what live (FEDERATION.md sections 6 and 7).
//!
//! Every way out of a node asks this crate before answering: TAXII objects,
//! manifests, versions, status and counts, `export`, the API and match
//! results. If a recipient may not see an object, the object does not
//! exist for it: it is not sent, counted, or named by any other object it
//! is sent (see [`withhold_dangling`]).
//!
//! The core is one pure function, [`decide`]: a member's [`EgressPolicy`],
//! one object version, one [`Recipient`] and the node's [`Provenance`] for
//! that version give a [`Decision`], either `Share` or `Withhold` with the
//! [`Reason`] naming the rule. It fails closed: unmarked objects, unknown
//! markings, malformed audience extensions and anything else it does not
//! understand are withheld. The rules, in FEDERATION.md's words:
//!
//! - TLP 2.0 (and the TLP 1.0 ids of STIX 2.1): CLEAR to any member and
//!   public collections; GREEN to charter members, never public; AMBER and
//!   AMBER+STRICT only to members the audience names; RED only to named
//!   members the policy explicitly allows (never synced automatically).
//!   Several markings: the strictest wins. A granular marking stricter than
//!   the recipient's entitlement withholds the whole object.
//! - The audience extension ([`AUDIENCE_EXTENSION_ID`]) narrows, never
//!   widens; an empty audience means nobody.
//! - A node that is not the author relays only CLEAR and GREEN (GREEN to
//!   charter members), and only if the author allowed relaying.
//! - The member's `never_export` classes always win.
//!
//! What this crate must never do: I/O, reading configuration, logging or
//! printing, or widening an audience. The node builds the policy and peers
//! from its configuration and the charter, and records the reasons.

#![forbid(unsafe_code)]

mod audience;
mod closure;
mod decide;
mod error;
mod policy;
mod view;

pub use audience::{AUDIENCE_EXTENSION_ID, Audience, Relay, read_audience};
pub use closure::{Reference, decide_set, referenced_ids, references, withhold_dangling};
pub use decide::{Decision, decide};
pub use error::{AudienceError, NeverExportClass, Reason, ViewError};
pub use policy::{EgressPolicy, NeverExport, Peer, Provenance, Recipient};
pub use view::sharing_view;
