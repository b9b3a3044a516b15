//! The member's own egress rules and the recipients they are applied to.
//!
//! These are plain data: the node builds them from its configuration and
//! the charter; this crate never reads either.

use std::collections::BTreeSet;

use concord_stix::tlp::Tlp;

/// One `never_export` class (FEDERATION.md section 7): objects in it never
/// leave the node, whatever their TLP or audience extension says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeverExport {
    /// Every object of this STIX type.
    Type(String),
    /// Every object carrying this label.
    Label(String),
    /// A named data class: objects (of `object_type`, or of any type when
    /// `None`) that carry the top-level property `property`. For example
    /// sightings naming victims: `sighting` with `where_sighted_refs`.
    DataClass {
        /// The class's name, reported in [`crate::Reason::NeverExport`].
        name: String,
        /// The STIX type it applies to; `None`: every type.
        object_type: Option<String>,
        /// The top-level property whose presence puts an object in the class.
        property: String,
    },
}

/// The member's egress policy, applied to every recipient.
///
/// Rules that are not configurable, because FEDERATION.md sections 6 and 7
/// fix them: unmarked objects are never exported (node default
/// AMBER+STRICT, not exported); GREEN and above never go to a public
/// collection; an object's extension never overrides `never_export`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressPolicy {
    /// TLP levels the member exports at all, below RED. Default: CLEAR and
    /// GREEN ("default deny above GREEN").
    pub allow_tlp: BTreeSet<Tlp>,
    /// Members (ids) that may receive RED objects whose audience names them.
    /// RED is never synced automatically: empty by default.
    pub red_to: BTreeSet<String>,
    /// Whether CLEAR objects may go to public collections. Default: yes.
    pub clear_to_public: bool,
    /// When set, only these object types are exported.
    pub allow_types: Option<BTreeSet<String>>,
    /// Object types never exported by this rule (overridable by changing the
    /// policy, unlike `never_export`).
    pub deny_types: BTreeSet<String>,
    /// Objects with any of these labels are not exported.
    pub deny_labels: BTreeSet<String>,
    /// Classes that never leave the node.
    pub never_export: Vec<NeverExport>,
    /// Marking-definition ids, besides TLP, that the member knows and that
    /// restrict nothing (e.g. its own copyright statement). Any other
    /// non-TLP marking withholds the object.
    pub accepted_markings: BTreeSet<String>,
}

impl Default for EgressPolicy {
    fn default() -> Self {
        EgressPolicy {
            allow_tlp: [Tlp::Clear, Tlp::Green].into_iter().collect(),
            red_to: BTreeSet::new(),
            clear_to_public: true,
            allow_types: None,
            deny_types: BTreeSet::new(),
            deny_labels: BTreeSet::new(),
            never_export: Vec::new(),
            accepted_markings: BTreeSet::new(),
        }
    }
}

impl EgressPolicy {
    /// The default policy plus AMBER and AMBER+STRICT for the members an
    /// object's audience names: what a member that shares with named peers
    /// configures.
    pub fn with_audiences() -> Self {
        let mut p = EgressPolicy::default();
        p.allow_tlp.extend([Tlp::Amber, Tlp::AmberStrict]);
        p
    }
}

/// A configured peer node, as the charter and config describe its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The member's STIX identity id.
    pub member: String,
    /// The groups the member belongs to (names an audience may use).
    pub groups: BTreeSet<String>,
    /// Whether the member is in the current charter.
    pub charter_member: bool,
}

/// Who an object would go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A configured peer node.
    Peer(Peer),
    /// A public collection: anyone, including non-members.
    Public,
}

/// How this node came to hold the object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// This node's member authored it.
    Author,
    /// It was received from another member; this node may only relay it.
    Relay {
        /// The author's member id.
        author: String,
    },
}
