//! How a failed command tells its caller: `error: ...` on stderr, or with
//! `--json` one JSON object `{"error", "kind", "hint"}` on stderr (stdout
//! stays for results), with the same exit codes either way.

use serde_json::json;

/// A node directory without a config file: the one mistake every first
/// command makes, named so `--json` callers can tell it apart.
#[derive(Debug)]
pub struct NotInitialized {
    /// The config file that was looked for.
    pub config: std::path::PathBuf,
    /// The data directory given.
    pub data_dir: std::path::PathBuf,
}

impl std::fmt::Display for NotInitialized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} does not exist: run `concord init --data-dir {}` first",
            self.config.display(),
            self.data_dir.display()
        )
    }
}

impl std::error::Error for NotInitialized {}

/// A word for what went wrong, from the typed errors in the chain.
fn kind_of(e: &anyhow::Error) -> &'static str {
    use concord_federation::FederationError as F;
    use concord_store::StoreError as S;
    use concord_taxii::TaxiiError as T;
    for cause in e.chain() {
        if cause.is::<NotInitialized>() {
            return "not-initialized";
        }
        if let Some(f) = cause.downcast_ref::<F>() {
            match f {
                F::NotFound(_) => return "not-found",
                F::Forbidden(_) => return "forbidden",
                F::Invalid(_) => return "invalid",
                _ => continue,
            }
        }
        let store = |s: &S| match s {
            S::UnknownCollection(_) => "not-found",
            S::Unreachable(_) => "unreachable",
            _ => "store",
        };
        if let Some(s) = cause.downcast_ref::<S>() {
            return store(s);
        }
        if let Some(t) = cause.downcast_ref::<T>() {
            match t {
                // Transparent: the store's error is not a cause of its own.
                T::Store(s) => return store(s),
                T::Http { .. } => return "unreachable",
                T::Status { .. } | T::MediaType { .. } | T::Malformed { .. } => return "remote",
                T::WeakPassword(_) | T::Url(_) => return "invalid",
                _ => continue,
            }
        }
        if cause.is::<concord_community::CommunityError>() {
            return "community";
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::NotFound => "not-found",
                std::io::ErrorKind::PermissionDenied => "forbidden",
                _ => "io",
            };
        }
    }
    // Messages of the binary itself that say something is not there.
    let message = e.to_string();
    if ["no object ", "there is no ", "no collection ", "no user "]
        .iter()
        .any(|w| message.starts_with(w) || message.contains(&format!(" {w}")))
    {
        return "not-found";
    }
    "failed"
}

/// What to do next: the clause of the message that names a command (our
/// messages say "...: run `concord init` first", "(see `concord peer
/// list`)"), else a word for the kind.
fn hint_of(message: &str, kind: &str) -> Option<String> {
    let clause = message
        .split([';', '('])
        .flat_map(|part| part.split(": "))
        .filter(|c| c.contains('`'))
        .last()
        .map(|c| c.trim().trim_end_matches([')', '.']).trim().to_string());
    clause.or_else(|| {
        let general = match kind {
            "not-found" => "check the id or the name (`concord search`, `concord peer list`, `concord collection list`)",
            "forbidden" => "only the author (or the owner of the file) may do this",
            "unreachable" => "check the URL and that the other side is running",
            "usage" => "see `concord --help`",
            _ => return None,
        };
        Some(general.to_string())
    })
}

/// Reports a failed command on stderr.
pub fn report(e: &anyhow::Error, json: bool) {
    let message = format!("{e:#}");
    if json {
        let kind = kind_of(e);
        let hint = hint_of(&message, kind);
        eprintln!("{}", json!({"error": message, "kind": kind, "hint": hint}));
    } else {
        eprintln!("error: {message}");
    }
}

/// Reports a command line clap refused, as JSON (clap prints its own
/// text otherwise).
pub fn usage(e: &clap::Error) {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    eprintln!(
        "{}",
        json!({"error": first, "kind": "usage", "hint": hint_of(&text, "usage")})
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_clause_that_names_a_command() {
        assert_eq!(
            hint_of(
                "d/config.toml does not exist: run `concord init --data-dir d` first",
                "not-initialized"
            )
            .as_deref(),
            Some("run `concord init --data-dir d` first")
        );
        assert_eq!(
            hint_of(
                "there is no peer \"x\" (see `concord peer list`)",
                "not-found"
            )
            .as_deref(),
            Some("see `concord peer list`")
        );
        assert_eq!(hint_of("disk full", "io"), None);
        let e = anyhow::Error::new(NotInitialized {
            config: "d/config.toml".into(),
            data_dir: "d".into(),
        });
        assert_eq!(kind_of(&e), "not-initialized");
        let e = anyhow::Error::new(concord_federation::FederationError::Forbidden("no".into()))
            .context("marking");
        assert_eq!(kind_of(&e), "forbidden");
        let unreachable = concord_store::StoreError::Unreachable("db".into());
        let e = anyhow::Error::new(concord_taxii::TaxiiError::Store(unreachable));
        assert_eq!(kind_of(&e), "unreachable");
    }
}
