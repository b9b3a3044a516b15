//! What can be wrong with a config and the secrets it points at: each
//! error names the file or the section and key.

use std::path::PathBuf;

/// Errors of the config crate.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config text is not TOML of the config's shape (the TOML error
    /// names the line and key).
    #[error("{} is not a valid config", file.display())]
    Invalid {
        /// The config file the text came from.
        file: PathBuf,
        /// What the parser found.
        #[source]
        source: toml::de::Error,
    },
    /// The config could not be written as TOML.
    #[error("writing the config as TOML")]
    Render(#[from] toml::ser::Error),
    /// A secret is given in more than one place.
    #[error("{place}: give {name} in one of {name}, {name}_file or {name}_env, not several")]
    SeveralSources {
        /// The section (`[metrics]`, `[[alerts.webhooks]] #1 (URL)`).
        place: String,
        /// The key (`secret`, `password`, `token`).
        name: String,
    },
    /// A secret's file could not be read.
    #[error("{place}: reading {name}_file {}", path.display())]
    SecretFile {
        /// The section.
        place: String,
        /// The key.
        name: String,
        /// The file, in the data directory.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A secret's file is empty.
    #[error("{place}: {name}_file {} is empty", path.display())]
    EmptySecretFile {
        /// The section.
        place: String,
        /// The key.
        name: String,
        /// The file, in the data directory.
        path: PathBuf,
    },
    /// A secret's environment variable is not set.
    #[error("{place}: {name}_env names {var}, which is not set in the environment")]
    UnsetVariable {
        /// The section.
        place: String,
        /// The key.
        name: String,
        /// The variable.
        var: String,
    },
    /// A secret's environment variable is empty.
    #[error("{place}: the environment variable {var} ({name}_env) is empty")]
    EmptyVariable {
        /// The section.
        place: String,
        /// The key.
        name: String,
        /// The variable.
        var: String,
    },
    /// A webhook without its HMAC key.
    #[error("{place}: give the HMAC key in secret, secret_file or secret_env")]
    NoWebhookSecret {
        /// The webhook's section.
        place: String,
    },
    /// `[metrics]` asks for a token without saying where it is.
    #[error("[metrics] access = \"token\" needs token_file or token_env")]
    NoMetricsToken,
}
