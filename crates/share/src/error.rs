//! Why the sharing policy withholds an object, and the audience reader's
//! error. Every variant names the rule that was applied.

use concord_stix::tlp::Tlp;
use thiserror::Error;

/// A malformed audience extension: which field, and the rule it broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("malformed audience extension at {field:?}: {rule}")]
pub struct AudienceError {
    /// The field inside the extension ("" for the extension itself).
    pub field: &'static str,
    /// The rule the field breaks.
    pub rule: &'static str,
}

/// Stored JSON text that could not be read as an object.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unreadable object JSON: {0}")]
pub struct ViewError(pub String);

/// Which of the member's `never_export` classes matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeverExportClass {
    /// [`crate::NeverExport::Type`]: the object's type.
    Type(String),
    /// [`crate::NeverExport::Label`]: the label the object carries.
    Label(String),
    /// [`crate::NeverExport::DataClass`]: the class's name.
    DataClass(String),
}

/// Why an object version is withheld from a recipient. Reasons are for the
/// node's own logs and receipts; they are never sent to the peer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Reason {
    /// The member's own `never_export` class (no extension overrides it).
    #[error("never exported by node rule: {0:?}")]
    NeverExport(NeverExportClass),
    /// The author set `never_export` in the audience extension.
    #[error("the author marked the object never_export")]
    NeverExportByAuthor,
    /// The object has no `id` string.
    #[error("the object has no id")]
    MissingId,
    /// `labels` is not a list of strings, so label rules cannot be applied.
    #[error("labels is not a list of strings")]
    MalformedLabels,
    /// `object_marking_refs` or `granular_markings` is malformed.
    #[error("malformed markings at {path}")]
    MalformedMarkings {
        /// The property: `object_marking_refs` or `granular_markings`.
        path: &'static str,
    },
    /// A marking ref that is neither TLP (2.0 or 1.0) nor accepted by policy.
    #[error("unknown marking definition in {path}")]
    UnknownMarking {
        /// The property: `object_marking_refs` or `granular_markings`.
        path: &'static str,
    },
    /// No TLP marking: the node default (AMBER+STRICT, not exported).
    #[error("no TLP marking: node default, not exported")]
    Unmarked,
    /// The audience extension is malformed.
    #[error(transparent)]
    MalformedAudience(#[from] AudienceError),
    /// The member's policy does not export this object type.
    #[error("object type not exported by policy")]
    TypeDenied,
    /// The member's policy does not export objects with this label.
    #[error("label not exported by policy")]
    LabelDenied,
    /// The member's policy does not export this TLP level.
    #[error("{} not exported by policy", .0.name())]
    TlpDenied(Tlp),
    /// A public collection gets CLEAR only (GREEN is never public).
    #[error("{} never goes to a public collection", .0.name())]
    NotPublic(Tlp),
    /// GREEN and above go to charter members only.
    #[error("{} goes to charter members only", .0.name())]
    NotCharterMember(Tlp),
    /// AMBER, AMBER+STRICT and RED need an audience naming the recipient.
    #[error("{} needs an audience naming the recipient", .0.name())]
    NoAudience(Tlp),
    /// The audience does not name the recipient (or is empty: nobody).
    #[error("the recipient is not in the audience")]
    NotInAudience,
    /// RED is never synced automatically: the policy must name the member.
    #[error("TLP:RED not allowed for this member by policy")]
    RedNotAllowed,
    /// A non-author may forward CLEAR and GREEN only.
    #[error("{} is never relayed by a non-author", .0.name())]
    RelayAboveGreen(Tlp),
    /// The author's audience says `relay: "none"`.
    #[error("the author forbids relaying")]
    RelayForbiddenByAuthor,
    /// The provenance names no author.
    #[error("relayed object with no author member id")]
    UnknownAuthor,
    /// A granular marking is stricter than what the recipient may see.
    #[error("granular marking {} above the recipient's entitlement", .0.name())]
    GranularAbove(Tlp),
    /// A `*_ref`/`*_refs` property is not a string / list of strings.
    #[error("malformed reference at {path}")]
    MalformedReference {
        /// JSON path of the property, e.g. `object_refs[2]`.
        path: String,
    },
    /// A reference points at an object the recipient may not see.
    #[error("reference at {path} points at an object the recipient may not see")]
    DanglingReference {
        /// JSON path of the reference, e.g. `object_refs[2]`.
        path: String,
    },
}
