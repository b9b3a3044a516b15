//! MISP events and STIX 2.1, both ways.
//!
//! What it is for: reading MISP events (one event, a list, a `restSearch`
//! `{"response": [...]}`, or a MISP feed directory) as STIX 2.1 objects,
//! each with the sharing decision that MISP's distribution, sharing groups
//! and `tlp:*` tags ask for; and writing STIX objects back as MISP events
//! and as the documents of a MISP feed. The mapping follows MISP's own
//! (misp-stix, MISP to STIX 2.1) where concord has no reason to differ; each
//! difference is documented where it is made ([`Importer`]).
//!
//! What it must never do: drop a MISP record without saying so (every
//! record that yields no object is in [`ImportReport::unmapped`]), produce
//! an object that fails `concord-stix` validation, sign anything (the
//! caller marks, sets audiences and signs), read configuration or
//! environment variables, print, or panic on any input. It reads files
//! only where asked to read a feed directory.

mod error;
mod export;
mod feed;
mod field;
mod galaxy;
mod import;
mod model;
mod observable;
mod path;
mod report;
mod sharing;
mod template;

pub use error::MispError;
pub use export::{AudienceNaming, Export, ExportReport, Exporter, Skipped};
pub use feed::{FeedDocuments, feed_documents};
pub use import::{Importer, MISP_NAMESPACE};
pub use model::{Organisation, SharingGroup};
pub use report::{Conversion, Converted, ImportReport, Record, Unmapped};
pub use sharing::{GroupResolver, MemberDirectory, Reach, Sharing, tlp_of_tag};
