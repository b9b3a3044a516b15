//! What an export did: how many values of each kind it wrote, every
//! indicator or value it left out and why, and the files that go beside the
//! output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::Format;

/// The kind of an exported value (the observable and, for files, the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `ipv4-addr:value`: an address or a CIDR network.
    Ipv4Addr,
    /// `ipv6-addr:value`: an address or a CIDR network.
    Ipv6Addr,
    /// `domain-name:value`.
    DomainName,
    /// `url:value`.
    Url,
    /// `email-addr:value`.
    EmailAddr,
    /// `file:hashes.MD5`.
    Md5,
    /// `file:hashes.'SHA-1'`.
    Sha1,
    /// `file:hashes.'SHA-256'`.
    Sha256,
}

impl Kind {
    /// Every kind, in output order.
    pub const ALL: [Kind; 8] = [
        Kind::Ipv4Addr,
        Kind::Ipv6Addr,
        Kind::DomainName,
        Kind::Url,
        Kind::EmailAddr,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
    ];

    /// The name used in CSV rows, reports and the `text` format's filter.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Ipv4Addr => "ipv4-addr",
            Kind::Ipv6Addr => "ipv6-addr",
            Kind::DomainName => "domain-name",
            Kind::Url => "url",
            Kind::EmailAddr => "email-addr",
            Kind::Md5 => "md5",
            Kind::Sha1 => "sha1",
            Kind::Sha256 => "sha256",
        }
    }

    /// Reads [`Kind::word`] back.
    pub fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == word)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// Why an indicator, or one value of it, was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "skip", rename_all = "kebab-case")]
pub enum SkipReason {
    /// The object is no indicator.
    NotAnIndicator {
        /// Its `type`.
        object_type: String,
    },
    /// The object has no string `id`.
    MissingId,
    /// The `id` is no STIX identifier of an indicator (`indicator--` and an
    /// RFC 4122 UUID): it would be written into comments and metadata.
    InvalidId {
        /// The rule it breaks.
        why: String,
    },
    /// A newer version of the same id was in the input.
    Superseded {
        /// The `modified` of the version left out.
        modified: String,
    },
    /// `revoked: true` (and no concord withdrawal reason).
    Revoked,
    /// Withdrawn by its author: a revoked version carrying concord's
    /// `x_concord_withdrawal_reason`.
    Withdrawn {
        /// The author's reason.
        reason: String,
    },
    /// `valid_until` is not after `now`.
    Expired {
        /// The indicator's `valid_until`.
        valid_until: String,
    },
    /// `valid_from` is after `now`.
    NotYetValid {
        /// The indicator's `valid_from`.
        valid_from: String,
    },
    /// A validity timestamp cannot be read, so activity cannot be decided.
    BadTimestamp {
        /// `valid_from` or `valid_until`.
        field: &'static str,
    },
    /// The confidence is below the minimum asked for (or absent, which
    /// meets no minimum).
    LowConfidence {
        /// The indicator's confidence.
        confidence: Option<u8>,
        /// The minimum asked for.
        minimum: u8,
    },
    /// `pattern_type` is not `stix`.
    PatternType {
        /// The indicator's `pattern_type`.
        pattern_type: String,
    },
    /// The indicator has no string `pattern`.
    MissingPattern,
    /// The pattern does not parse.
    InvalidPattern {
        /// The parser's message, with line and column.
        error: String,
    },
    /// The pattern uses something no enforcement format can say without
    /// changing its meaning (AND, FOLLOWEDBY, a qualifier, NOT, an
    /// operator other than `=`, `IN` or ISSUBSET, an unsupported property).
    UnsupportedPattern {
        /// The construct.
        construct: String,
    },
    /// The pattern ORs comparisons on different observable types.
    MixedObservables {
        /// The object types, sorted.
        types: String,
    },
    /// The value is not valid for its observable type.
    InvalidValue {
        /// The kind it claims to be.
        kind: Kind,
        /// The rule it breaks.
        why: String,
    },
    /// The target format cannot express this kind of value (or this value:
    /// `why` says which).
    NotExpressible {
        /// The format.
        format: Format,
        /// The kind of value.
        kind: Kind,
        /// What is missing.
        why: Cow<'static, str>,
    },
}

impl SkipReason {
    pub(crate) fn not_expressible(
        format: Format,
        kind: Kind,
        why: impl Into<Cow<'static, str>>,
    ) -> SkipReason {
        SkipReason::NotExpressible {
            format,
            kind,
            why: why.into(),
        }
    }

    /// A short stable code, for counting reasons.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::NotAnIndicator { .. } => "not-an-indicator",
            SkipReason::MissingId => "missing-id",
            SkipReason::InvalidId { .. } => "invalid-id",
            SkipReason::Superseded { .. } => "superseded",
            SkipReason::Revoked => "revoked",
            SkipReason::Withdrawn { .. } => "withdrawn",
            SkipReason::Expired { .. } => "expired",
            SkipReason::NotYetValid { .. } => "not-yet-valid",
            SkipReason::BadTimestamp { .. } => "bad-timestamp",
            SkipReason::LowConfidence { .. } => "low-confidence",
            SkipReason::PatternType { .. } => "pattern-type",
            SkipReason::MissingPattern => "missing-pattern",
            SkipReason::InvalidPattern { .. } => "invalid-pattern",
            SkipReason::UnsupportedPattern { .. } => "unsupported-pattern",
            SkipReason::MixedObservables { .. } => "mixed-observables",
            SkipReason::InvalidValue { .. } => "invalid-value",
            SkipReason::NotExpressible { .. } => "not-expressible",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotAnIndicator { object_type } => {
                write!(f, "a {object_type} is no indicator")
            }
            SkipReason::MissingId => write!(f, "no id"),
            SkipReason::InvalidId { why } => write!(f, "invalid id: {why}"),
            SkipReason::Superseded { modified } => {
                write!(f, "version {modified} is superseded by a newer one")
            }
            SkipReason::Revoked => write!(f, "revoked"),
            SkipReason::Withdrawn { reason } => write!(f, "withdrawn by its author: {reason}"),
            SkipReason::Expired { valid_until } => write!(f, "expired (valid_until {valid_until})"),
            SkipReason::NotYetValid { valid_from } => {
                write!(f, "not valid yet (valid_from {valid_from})")
            }
            SkipReason::BadTimestamp { field } => write!(f, "{field} is no STIX timestamp"),
            SkipReason::LowConfidence {
                confidence: Some(c),
                minimum,
            } => write!(f, "confidence {c} is below {minimum}"),
            SkipReason::LowConfidence {
                confidence: None,
                minimum,
            } => write!(f, "no confidence, and the minimum is {minimum}"),
            SkipReason::PatternType { pattern_type } => {
                write!(f, "pattern_type {pattern_type} is not stix")
            }
            SkipReason::MissingPattern => write!(f, "no pattern"),
            SkipReason::InvalidPattern { error } => write!(f, "invalid pattern: {error}"),
            SkipReason::UnsupportedPattern { construct } => {
                write!(f, "pattern uses {construct}, which is not exported")
            }
            SkipReason::MixedObservables { types } => {
                write!(f, "pattern ORs different observables ({types})")
            }
            SkipReason::InvalidValue { kind, why } => write!(f, "invalid {kind}: {why}"),
            SkipReason::NotExpressible { format, kind, why } => {
                write!(f, "{format} cannot express this {kind}: {why}")
            }
        }
    }
}

/// One indicator, or one value of an indicator, that was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The STIX id (empty when the object had none).
    pub id: String,
    /// The pattern, when the object had one.
    pub pattern: Option<String>,
    /// The value left out, when only that value was (the indicator's other
    /// values may still be exported).
    pub value: Option<String>,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A file the output refers to, to be written beside it (Suricata's hash
/// lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraFile {
    /// The file name (no directory), as the output names it.
    pub name: String,
    /// Its bytes.
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// What an export wrote and what it left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// The format written.
    pub format: Format,
    /// Indicators that contributed at least one value.
    pub indicators: usize,
    /// Values written, per kind (one per indicator and value, before
    /// merging duplicates).
    pub exported: BTreeMap<Kind, usize>,
    /// Records written: zone records, rules or lines (after merging).
    pub records: usize,
    /// Everything left out, in input order.
    pub skipped: Vec<Skipped>,
    /// Files to write beside the output.
    pub files: Vec<ExtraFile>,
}

impl ExportReport {
    pub(crate) fn new(format: Format) -> ExportReport {
        ExportReport {
            format,
            indicators: 0,
            exported: BTreeMap::new(),
            records: 0,
            skipped: Vec::new(),
            files: Vec::new(),
        }
    }

    /// How many skips there were for each reason code.
    pub fn skipped_by_reason(&self) -> BTreeMap<&'static str, usize> {
        let mut out = BTreeMap::new();
        for s in &self.skipped {
            *out.entry(s.reason.code()).or_insert(0) += 1;
        }
        out
    }

    /// Values written, all kinds together.
    pub fn exported_total(&self) -> usize {
        self.exported.values().sum()
    }

    pub(crate) fn skip(
        &mut self,
        id: &str,
        pattern: Option<&str>,
        value: Option<String>,
        reason: SkipReason,
    ) {
        self.skipped.push(Skipped {
            id: id.to_string(),
            pattern: pattern.map(str::to_string),
            value,
            reason,
        });
    }

    pub(crate) fn count(&mut self, kind: Kind) {
        *self.exported.entry(kind).or_insert(0) += 1;
    }
}
