//! `concord pattern check PATTERN` and `concord pattern eval PATTERN FILE`.
//!
//! `eval` prints `{"matched": bool, "observed_data": [ids of the
//! observed-data of the first matching binding]}` and exits 0 on a match, 1
//! on no match, 2 on an invalid pattern or input (the error on stderr).

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use concord_pattern::{Observations, Pattern};
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
        /// A JSON list of bundles (observed-data and the objects they reference);
        /// for 2.0, a list of observed-data objects.
        file: PathBuf,
    },
}

pub fn run(global: &Global, command: Command) -> Result<Outcome> {
    match command {
        Command::Check { pattern } => {
            Pattern::parse(&pattern).map_err(|e| anyhow!("invalid pattern: {e}"))?;
            if global.json {
                println!("{}", json!({"valid": true}));
            } else {
                println!("valid");
            }
            Ok(Outcome::Ok)
        }
        Command::Eval {
            stix_version,
            pattern,
            file,
        } => {
            let pattern = Pattern::parse(&pattern).map_err(|e| anyhow!("invalid pattern: {e}"))?;
            let text =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let input: Value = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let list = match input {
                Value::Array(v) => v,
                single => vec![single],
            };
            let observations = match stix_version.as_str() {
                "2.1" => Observations::from_bundles(&list),
                "2.0" => Observations::from_observed_data_v20(&list),
                other => return Err(anyhow!("--stix-version {other:?}: expected 2.0 or 2.1")),
            }
            .map_err(|e| anyhow!("invalid observed data: {e}"))?;
            let found = pattern
                .matches(&observations)
                .map_err(|e| anyhow!("evaluation failed: {e}"))?;
            let ids: Vec<&str> = found
                .iter()
                .flat_map(|m| m.observations.iter())
                .filter_map(|i| observations.items.get(*i).and_then(|o| o.id()))
                .collect();
            println!(
                "{}",
                json!({"matched": found.is_some(), "observed_data": ids})
            );
            Ok(if found.is_some() {
                Outcome::Ok
            } else {
                Outcome::Failed
            })
        }
    }
}
