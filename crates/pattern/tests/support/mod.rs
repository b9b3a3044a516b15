//! Shared pieces of the differential test against stix2-matcher.

pub(crate) mod corpus_cases;
pub(crate) mod edge_cases;
pub(crate) mod oracle;

use serde_json::Value;

/// A verdict, ours or the reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Matched; the ids of the observed-data of the first binding.
    Match(Vec<String>),
    NoMatch,
    /// The pattern text does not follow the grammar.
    Syntax,
    /// The pattern parses but a literal or qualifier is refused (the
    /// reference raises on every evaluation of such a pattern).
    Invalid,
    /// The evaluation failed on this input.
    Error,
}

/// One (pattern, observations) pair.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub name: String,
    pub pattern: String,
    pub version: &'static str,
    /// Indices into the pool of bundles (2.1) or observed-data (2.0).
    pub inputs: Vec<usize>,
    /// Set where the reference is wrong: why (with the STIX 2.1 section),
    /// and the verdict the specification asks for, which we must give.
    pub reference_wrong: Option<(&'static str, Verdict)>,
}

/// Cases and the inputs they share.
#[derive(Default)]
pub(crate) struct Suite {
    pub pool: Vec<Value>,
    pub cases: Vec<Case>,
}

impl Suite {
    pub(crate) fn add_input(&mut self, v: Value) -> usize {
        self.pool.push(v);
        self.pool.len() - 1
    }

    pub(crate) fn case(
        &mut self,
        name: impl Into<String>,
        pattern: impl Into<String>,
        inputs: Vec<usize>,
    ) {
        self.cases.push(Case {
            name: name.into(),
            pattern: pattern.into(),
            version: "2.1",
            inputs,
            reference_wrong: None,
        });
    }
}
