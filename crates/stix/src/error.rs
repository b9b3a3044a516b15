use std::fmt;

/// How serious a finding is: errors reject the object, warnings are reported
/// and the object is kept (open vocabularies, SHOULD rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about one object: where (a JSON path relative to the object,
/// such as `$.kill_chain_phases[0].phase_name`), which rule (a stable
/// identifier tools may match on), and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub path: String,
    pub rule: &'static str,
    pub message: String,
}

impl Issue {
    pub fn error(path: impl Into<String>, rule: &'static str, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            path: path.into(),
            rule,
            message: message.into(),
        }
    }

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
    #[error("{0}")]
    Invalid(Issue),
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("reading input failed: {0}")]
    Io(#[from] std::io::Error),
}
