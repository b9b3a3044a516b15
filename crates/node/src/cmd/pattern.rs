//! `concord pattern check PATTERN` and `concord pattern eval PATTERN FILE`.
//!
//! `eval` prints `{"matched": bool, "observed_data": [ids of the
//! observed-data of the first matching binding], "positions": [their
//! places among the input's observed-data, from 0 in input order]}` (an
//! observed-data without an id has a null id) and exits 0 on a match, 1
//! on no match, 2 on an invalid pattern or input (the error on stderr; with
//! `--json`, also `{"error": {"kind", "message"}}` on stdout, where `kind`
//! is `syntax`, `pattern`, `input` or `evaluation`, so a caller can tell a
//! pattern that does not parse from one refused later).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use concord_pattern::{Observations, Pattern, PatternError};
use serde_json::{Value, json};

use crate::Outcome;
use crate::config::Global;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Check that a STIX pattern is valid (exit 0), or say where it is not (exit 2).
    Check {
        /// The pattern, e.g. "[ipv4-addr:value = '198.51.100.1']".
        pattern: String,
    },
    /// Match a pattern against observed data: exit 0 on a match, 1 on none, 2 on bad input.
    Eval {
        /// The STIX version of the pattern and the observed data (2.0 or 2.1).
        #[arg(long, default_value = "2.1")]
        stix_version: String,
        /// The pattern.
        pattern: String,
        /// For 2.1, a bundle, an observed-data object, or a list of them
        /// (observed-data and the objects they reference); for 2.0, a list
        /// of observed-data objects.
        file: PathBuf,
    },
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    match command {
        Command::Check { pattern } => {
            Pattern::parse(&pattern).map_err(|e| anyhow!("invalid pattern: {e}"))?;
            super::print(global, &json!({"valid": true}), || "valid".into())?;
            Ok(Outcome::Ok)
        }
        Command::Eval {
            stix_version,
            pattern,
            file,
        } => match eval(&stix_version, &pattern, &file) {
            Ok(found) => {
                let matched = found.is_some();
                let (ids, positions): (Vec<_>, Vec<_>) =
                    found.unwrap_or_default().into_iter().unzip();
                println!(
                    "{}",
                    json!({"matched": matched, "observed_data": ids, "positions": positions})
                );
                Ok(if matched {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                })
            }
            Err((kind, e)) => {
                if global.json {
                    println!(
                        "{}",
                        json!({"error": {"kind": kind, "message": format!("{e:#}")}})
                    );
                }
                Err(e)
            }
        },
    }
}

/// Why `eval` failed, as `--json` names it, with the error.
type Refusal = (&'static str, anyhow::Error);

/// The observed-data of a binding: each one's id (if it has one) and its
/// place among the input's observed-data.
type Binding = Vec<(Option<String>, usize)>;

/// The observed-data of the first matching binding, each as its id (none
/// for one without) and its place among the input's observed-data, or
/// `None` when nothing matched.
fn eval(stix_version: &str, pattern: &str, file: &Path) -> Result<Option<Binding>, Refusal> {
    let pattern = Pattern::parse(pattern).map_err(|e| {
        let kind = match e {
            PatternError::Syntax { .. } => "syntax",
            _ => "pattern",
        };
        (kind, anyhow!("invalid pattern: {e}"))
    })?;
    let input = || -> Result<Value> {
        let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", file.display()))
    };
    let input = input().map_err(|e| ("input", e))?;
    let list = match input {
        Value::Array(v) => v,
        single => vec![single],
    };
    let observations = match stix_version {
        "2.1" => Observations::from_stix21(&list),
        "2.0" => Observations::from_observed_data_v20(&list),
        other => {
            return Err((
                "input",
                anyhow!("--stix-version {other:?}: expected 2.0 or 2.1"),
            ));
        }
    }
    .map_err(|e| ("input", anyhow!("invalid observed data: {e}")))?;
    let found = pattern
        .matches(&observations)
        .map_err(|e| ("evaluation", anyhow!("evaluation failed: {e}")))?;
    Ok(found.map(|m| {
        m.observations
            .iter()
            .map(|i| {
                let id = observations.items.get(*i).and_then(|o| o.id());
                (id.map(str::to_string), *i)
            })
            .collect()
    }))
}
