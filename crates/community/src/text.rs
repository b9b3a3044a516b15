//! The community's documents as an operator reads them (what `concord
//! community` prints without `--json`): a proposal's tally, the
//! competing proposals before a vote, the status, the chain's log, a vote
//! cast, a peer's documents taken in. Each is a [`Display`] with no
//! trailing newline.

use std::fmt::{self, Display, Formatter};

use serde_json::Value;

use crate::IngestReport;
use crate::ballot::{Cast, Tally};

impl Display for Tally {
    /// `  ID  version N+1 on base N: CHANGES` and who signed, below it.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let voters: Vec<&str> = self.votes.iter().map(|v| v.member.as_str()).collect();
        writeln!(
            f,
            "  {}  version {} on base {}: {}",
            self.id,
            self.version,
            self.base_version,
            self.changes.join("; ")
        )?;
        write!(
            f,
            "      {} of quorum {} signed: {}",
            self.count,
            self.quorum,
            if voters.is_empty() {
                "nobody yet".to_string()
            } else {
                voters.join(", ")
            }
        )
    }
}

/// The proposals competing on one base version, shown before a member
/// signs one of them (the discussion stage).
pub struct Competing<'a> {
    /// The base version.
    pub base: u64,
    /// The open proposals on it.
    pub proposals: &'a [Tally],
}

impl Display for Competing<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.proposals.is_empty() {
            return write!(f, "no competing proposals on base version {}", self.base);
        }
        write!(f, "competing proposals on base version {}:", self.base)?;
        for t in self.proposals {
            write!(f, "\n{t}")?;
        }
        Ok(())
    }
}

/// A string field of a JSON document, empty when absent.
fn text<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or("")
}

/// [`crate::Session::status`] for reading: community, version, quorum,
/// expiry, members, open proposals and alarms.
pub struct Status<'a>(pub &'a Value);

impl Display for Status<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s["adopted"] != Value::Bool(true) {
            return write!(f, "no charter adopted yet");
        }
        writeln!(f, "community  {}", text(s, "community"))?;
        writeln!(f, "version    {} (hash {})", s["version"], text(s, "hash"))?;
        let members = s["members"].as_array().map_or(0, Vec::len);
        writeln!(f, "quorum     {} of {members}", s["quorum"])?;
        writeln!(f, "expires    {}", text(s, "expires"))?;
        for m in s["details"].as_array().into_iter().flatten() {
            let (member, name) = (text(m, "member"), text(m, "name"));
            writeln!(f, "  {member}  {name} ({})", text(m, "country"))?;
        }
        write!(f, "open proposals {}", s["open_proposals"])?;
        for a in s["alarms"].as_array().into_iter().flatten() {
            write!(f, "\nALARM: {}", a.as_str().unwrap_or(""))?;
        }
        Ok(())
    }
}

/// [`crate::Session::log`] for reading: each version, its changes and
/// who signed it.
pub struct Log<'a>(pub &'a [Value]);

impl Display for Log<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        for e in self.0 {
            lines.push(format!(
                "version {}  {}  adopted {} ({})",
                e["version"],
                text(e, "hash"),
                e["adopted_at"].as_str().unwrap_or("?"),
                e["via"].as_str().unwrap_or("?")
            ));
            for c in e["changes"].as_array().into_iter().flatten() {
                lines.push(format!("  change: {}", c.as_str().unwrap_or("")));
            }
            for s in e["signatures"].as_array().into_iter().flatten() {
                let recorded = s["recorded"].as_str();
                lines.push(format!(
                    "  signed by {} (key {}){}",
                    text(s, "member"),
                    text(s, "keyid"),
                    recorded
                        .map(|t| format!(", vote recorded {t}"))
                        .unwrap_or_default()
                ));
            }
        }
        write!(f, "{}", lines.join("\n"))
    }
}

impl Display for Cast {
    /// Signed (or already signed), then what the vote adopted or why not.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let signed = if self.new { "signed" } else { "already signed" };
        write!(f, "{signed} proposal {} as {}", self.id, self.member)?;
        for v in &self.adopted {
            write!(f, "\nadopted version {v}")?;
        }
        for r in &self.rejected {
            write!(f, "\n{r}")?;
        }
        Ok(())
    }
}

impl Display for IngestReport {
    /// The versions before and after, what was new, what was refused.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "version {} -> {}; adopted {:?}; new: {} proposals, {} votes, {} evidence",
            self.version_before,
            self.version,
            self.adopted,
            self.new_proposals,
            self.new_votes,
            self.new_evidence
        )?;
        for r in &self.rejected {
            write!(f, "\nrejected: {r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::VoteSummary;
    use serde_json::json;

    fn tally(votes: &[&str]) -> Tally {
        Tally {
            id: "ab12".into(),
            base_version: 1,
            version: 2,
            changes: vec!["add member B".into(), "quorum 2".into()],
            votes: votes
                .iter()
                .map(|m| VoteSummary {
                    member: m.to_string(),
                    keyid: "k".into(),
                    recorded: "2026-01-01T00:00:00Z".into(),
                })
                .collect(),
            count: votes.len() as u64,
            quorum: 2,
        }
    }

    #[test]
    fn tallies_and_competing_proposals_read_as_lines() {
        assert_eq!(
            tally(&[]).to_string(),
            "  ab12  version 2 on base 1: add member B; quorum 2\n      0 of quorum 2 signed: nobody yet"
        );
        let two = [tally(&["a", "b"])];
        let c = Competing {
            base: 1,
            proposals: &two,
        };
        assert_eq!(
            c.to_string(),
            "competing proposals on base version 1:\n  ab12  version 2 on base 1: add member B; quorum 2\n      2 of quorum 2 signed: a, b"
        );
        let none = Competing {
            base: 3,
            proposals: &[],
        };
        assert_eq!(none.to_string(), "no competing proposals on base version 3");
    }

    #[test]
    fn status_and_log_read_as_lines() {
        assert_eq!(
            Status(&json!({"adopted": false})).to_string(),
            "no charter adopted yet"
        );
        let s = json!({"adopted": true, "community": "c1", "version": 2, "hash": "h",
            "members": ["a", "b"], "quorum": 2, "expires": "2027-01-01T00:00:00Z",
            "details": [{"member": "a", "name": "A", "country": "FR"}],
            "open_proposals": 0, "alarms": ["freeze: x"]});
        assert_eq!(
            Status(&s).to_string(),
            "community  c1\nversion    2 (hash h)\nquorum     2 of 2\nexpires    2027-01-01T00:00:00Z\n  a  A (FR)\nopen proposals 0\nALARM: freeze: x"
        );
        let log = [
            json!({"version": 1, "hash": "h1", "adopted_at": null, "via": "genesis",
            "changes": ["genesis"], "signatures": [
                {"member": "a", "keyid": "k", "recorded": null},
                {"member": "b", "keyid": "l", "recorded": "t"}]}),
        ];
        assert_eq!(
            Log(&log).to_string(),
            "version 1  h1  adopted ? (genesis)\n  change: genesis\n  signed by a (key k)\n  signed by b (key l), vote recorded t"
        );
        assert_eq!(Log(&[]).to_string(), "");
    }

    #[test]
    fn an_ingest_report_names_what_was_refused() {
        let r = IngestReport {
            version_before: 1,
            version: 2,
            adopted: vec![2],
            new_proposals: 1,
            rejected: vec!["vote x: bad signature".into()],
            ..IngestReport::default()
        };
        assert_eq!(
            r.to_string(),
            "version 1 -> 2; adopted [2]; new: 1 proposals, 0 votes, 0 evidence\nrejected: vote x: bad signature"
        );
    }
}
