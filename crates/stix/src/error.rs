use std::fmt;

/// How serious a finding is: errors reject the object, warnings are reported
/// and the object is kept (open vocabularies, SHOULD rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST rule is broken: the object is refused.
    Error,
    /// A SHOULD rule or an open vocabulary is not followed: the object is kept.
    Warning,
}

/// One finding about one object: where (a JSON path relative to the object,
/// such as `$.kill_chain_phases[0].phase_name`), which rule (a stable
/// identifier tools may match on), and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Whether the finding refuses the object.
    pub severity: Severity,
    /// A JSON path relative to the object (`$` is the object itself).
    pub path: String,
    /// A stable identifier of the rule (such as `json-syntax`), for tools.
    pub rule: &'static str,
    /// What is wrong, in a sentence for people.
    pub message: String,
}

impl Issue {
    /// An [`Severity::Error`] finding at `path` breaking `rule`.
    pub fn error(path: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            path: path.into(),
            rule,
            message: message.into(),
        }
    }

    /// A [`Severity::Warning`] finding at `path` about `rule`.
    pub fn warning(
        path: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            severity: Severity::Warning,
            path: path.into(),
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.path, self.message, self.rule)
    }
}

/// Errors of the STIX crate that are not about one property of one object.
#[derive(Debug, thiserror::Error)]
pub enum StixError {
    /// A value breaks a rule (the issue names it and where).
    #[error("{0}")]
    Invalid(Issue),
    /// The input is not JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON reader found wrong.
        message: String,
    },
    /// Reading the input failed.
    #[error("reading input failed: {0}")]
    Io(#[from] std::io::Error),
}
