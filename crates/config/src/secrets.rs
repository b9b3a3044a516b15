//! Secrets the config points at: each given in exactly one of the value
//! itself, a file in the data directory, or an environment variable whose
//! value the caller looks up (this crate never reads the environment).
//! Only the resolved copy holds them: config.toml is never rewritten with
//! them.

use std::path::{Path, PathBuf};

use concord_alert::AlertsSection;

use crate::{Config, ConfigError};

/// A secret from exactly one of: the value itself, a file (relative to the
/// data directory; one trailing newline dropped) or an environment
/// variable (`env` looks it up). `None` when none is given; an error when
/// several are.
fn secret(
    data_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    place: &str,
    name: &str,
    inline: Option<String>,
    file: &Option<PathBuf>,
    var: &Option<String>,
) -> Result<Option<String>, ConfigError> {
    let given = [inline.is_some(), file.is_some(), var.is_some()]
        .iter()
        .filter(|g| **g)
        .count();
    let (place, name) = (place.to_string(), name.to_string());
    if given > 1 {
        return Err(ConfigError::SeveralSources { place, name });
    }
    if let Some(f) = file {
        let path = data_dir.join(f);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(source) => {
                return Err(ConfigError::SecretFile {
                    place,
                    name,
                    path,
                    source,
                });
            }
        };
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            return Err(ConfigError::EmptySecretFile { place, name, path });
        }
        return Ok(Some(text.to_string()));
    }
    if let Some(var) = var {
        let var = var.clone();
        return match env(&var) {
            None => Err(ConfigError::UnsetVariable { place, name, var }),
            Some(v) if v.is_empty() => Err(ConfigError::EmptyVariable { place, name, var }),
            Some(v) => Ok(Some(v)),
        };
    }
    Ok(inline)
}

impl Config {
    /// `[alerts]` with its secrets read from where the config says they
    /// are (`secret_file`/`secret_env`, `password_file`/`password_env`);
    /// `env` looks up an environment variable.
    pub fn alerts_with_secrets(
        &self,
        data_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AlertsSection, ConfigError> {
        let mut a = self.alerts.clone();
        for (i, w) in a.webhooks.iter_mut().enumerate() {
            let place = format!("[[alerts.webhooks]] #{} ({})", i + 1, w.url);
            let given = !w.secret.is_empty();
            let inline = given.then(|| w.secret.clone());
            w.secret = secret(
                data_dir,
                env,
                &place,
                "secret",
                inline,
                &w.secret_file,
                &w.secret_env,
            )?
            .ok_or_else(|| ConfigError::NoWebhookSecret {
                place: place.clone(),
            })?;
        }
        if let Some(e) = a.email.as_mut() {
            e.password = secret(
                data_dir,
                env,
                "[alerts.email]",
                "password",
                e.password.clone(),
                &e.password_file,
                &e.password_env,
            )?;
        }
        Ok(a)
    }

    /// The `/metrics` token, from `[metrics]` `token_file` or `token_env`.
    pub fn metrics_token(
        &self,
        data_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let m = &self.metrics;
        let token = secret(
            data_dir,
            env,
            "[metrics]",
            "token",
            None,
            &m.token_file,
            &m.token_env,
        )?;
        if m.access == concord_telemetry::MetricsAccess::Token && token.is_none() {
            return Err(ConfigError::NoMetricsToken);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::Config;

    fn with_hook(secret: &str, extra: &str) -> Config {
        let text = format!(
            "[node]\norg = \"X\"\nidentity = \"identity--00000000-0000-4000-8000-000000000001\"\ncollection = \"c\"\n\n[[alerts.webhooks]]\nurl = \"https://hooks.example/x\"\n{secret}{extra}"
        );
        Config::parse(&text, Path::new("config.toml")).expect("config")
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn secrets_come_from_one_place_and_are_never_written_back() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("hook.secret"), "s3cr3t-from-file\n").expect("secret");
        let c = with_hook("secret_file = \"hook.secret\"\n", "");
        let resolved = c
            .alerts_with_secrets(dir.path(), &no_env)
            .expect("resolved");
        assert_eq!(resolved.webhooks[0].secret, "s3cr3t-from-file");
        // The config as rendered keeps the file's name, never its content.
        let saved = c.to_text().expect("text");
        assert!(saved.contains("hook.secret") && !saved.contains("s3cr3t-from-file"));
        assert!(
            !format!("{resolved:?}").contains("s3cr3t"),
            "no secret in Debug"
        );
        // From the environment the caller gives; several sources or none
        // are refused.
        let c = with_hook("secret_env = \"CONCORD_TEST_HOOK_SECRET\"\n", "");
        let e = c
            .alerts_with_secrets(dir.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CONCORD_TEST_HOOK_SECRET") && e.contains("not set"),
            "{e}"
        );
        let env = |v: &str| (v == "CONCORD_TEST_HOOK_SECRET").then(|| "from-env".to_string());
        let resolved = c.alerts_with_secrets(dir.path(), &env).expect("from env");
        assert_eq!(resolved.webhooks[0].secret, "from-env");
        let empty = |_: &str| Some(String::new());
        let e = c
            .alerts_with_secrets(dir.path(), &empty)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is empty"), "{e}");
        let c = with_hook("secret = \"a\"\n", "secret_file = \"hook.secret\"\n");
        let e = c
            .alerts_with_secrets(dir.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not several"), "{e}");
        let c = with_hook("", "");
        let e = c
            .alerts_with_secrets(dir.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "[[alerts.webhooks]] #1 (https://hooks.example/x): give the HMAC key in secret, secret_file or secret_env"
        );
    }

    #[test]
    fn a_metrics_token_is_required_when_access_needs_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let text = "[node]\norg = \"X\"\nidentity = \"identity--00000000-0000-4000-8000-000000000001\"\ncollection = \"c\"\n\n[metrics]\naccess = \"token\"\n";
        let c = Config::parse(text, Path::new("config.toml")).expect("config");
        let e = c
            .metrics_token(dir.path(), &no_env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "[metrics] access = \"token\" needs token_file or token_env"
        );
    }
}
