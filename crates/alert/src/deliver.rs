//! Delivery of alerts by webhook and e-mail: each (alert, channel) is a
//! job in the outbox; a job is removed when the channel took the alert,
//! retried with doubling waits when it did not, and moved to the
//! dead-letter list after `max_attempts`.
//!
//! A webhook gets the alert as JSON in a POST, with
//! `X-Concord-Signature: sha256=HEX`, the HMAC-SHA256 of the exact body
//! under the webhook's secret, and `X-Concord-Alert` (its id: receivers
//! dedupe on it, since delivery is at least once). E-mail goes over SMTP
//! with STARTTLS or TLS (rustls); plain SMTP only to a loopback host.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use crate::{AlertError, Result};
use concord_stix::Timestamp;
use concord_store::{AnyStore, Record, Store};
use hmac::{KeyInit, Mac};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::{Alert, AlertsSection, DEAD, EmailSection, Job, KIND, Lock, OUTBOX, WebhookSection};

/// The signature header value for a body: `sha256=` and the hex HMAC.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A dead letter: a job given up, with why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DeadLetter {
    /// The alert's id.
    pub alert: String,
    /// The channel that did not take it.
    pub channel: String,
    /// Attempts made.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was given up (a TAXII timestamp).
    pub at: String,
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct DeliveryReport {
    /// Jobs the channel took.
    pub delivered: usize,
    /// Jobs left for a later pass: failed now, or waiting for their retry
    /// time.
    pub retrying: usize,
    /// Jobs given up after their last attempt.
    pub dead: usize,
}

impl std::fmt::Display for DeadLetter {
    /// `ALERT CHANNEL after N attempts: WHY`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = self.last_error.as_deref().unwrap_or("");
        write!(
            f,
            "{} {} after {} attempts: {why}",
            self.alert, self.channel, self.attempts
        )
    }
}

impl std::fmt::Display for DeliveryReport {
    /// Delivered, waiting for a retry, given up.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} delivered, {} waiting for a retry, {} given up",
            self.delivered, self.retrying, self.dead
        )
    }
}

/// Waits before the attempt after `attempts` failures: `retry_secs`
/// doubling, at most an hour.
pub fn backoff(retry_secs: u64, attempts: u32) -> Duration {
    let secs = retry_secs
        .max(1)
        .saturating_mul(1u64 << attempts.saturating_sub(1).min(20));
    Duration::from_secs(secs.min(3_600))
}

async fn webhook(client: &reqwest::Client, hook: &WebhookSection, alert: &Alert) -> Result<()> {
    let body = serde_json::to_vec(alert)?;
    let resp = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-concord-alert", &alert.id)
        .header("x-concord-signature", signature(&hook.secret, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| AlertError::Delivery(format!("posting to {}: {e}", hook.url)))?;
    if !resp.status().is_success() {
        return Err(AlertError::Delivery(format!(
            "{} answered {}",
            hook.url,
            resp.status()
        )));
    }
    Ok(())
}

fn loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

fn transport(e: &EmailSection) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match e.security.as_str() {
        "starttls" => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&e.host).map_err(|err| {
                AlertError::Config(format!("[alerts.email] host {:?}: {err}", e.host))
            })?
        }
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&e.host).map_err(|err| {
            AlertError::Config(format!("[alerts.email] host {:?}: {err}", e.host))
        })?,
        "none" if loopback(&e.host) => {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.host)
        }
        "none" => {
            return Err(AlertError::Config(format!(
                "[alerts.email] security = \"none\" is only allowed to a loopback host, not {:?}: use starttls or tls",
                e.host
            )));
        }
        other => {
            return Err(AlertError::Config(format!(
                "[alerts.email] security {other:?}: expected starttls, tls or none"
            )));
        }
    };
    let mut builder = builder.port(e.port).timeout(Some(Duration::from_secs(20)));
    if let (Some(u), Some(p)) = (&e.username, &e.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

async fn email(e: &EmailSection, alert: &Alert) -> Result<()> {
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|err| AlertError::Delivery(format!("[alerts.email] from {:?}: {err}", e.from)))?;
    let mut msg = Message::builder()
        .from(from)
        .subject(format!("[concord] {}: {}", alert.kind, alert.title));
    if e.to.is_empty() {
        return Err(AlertError::Delivery(
            "[alerts.email] to is empty: list the addresses that get alerts".to_string(),
        ));
    }
    for to in &e.to {
        let mb: Mailbox = to
            .parse()
            .map_err(|err| AlertError::Delivery(format!("[alerts.email] to {to:?}: {err}")))?;
        msg = msg.to(mb);
    }
    let body = format!(
        "{}\n\nkind: {}\ncreated: {}\nobject: {}\nsource: {}\nid: {}\n\n{}\n",
        alert.title,
        alert.kind,
        alert.created,
        alert.object.as_deref().unwrap_or("-"),
        alert.source.as_deref().unwrap_or("-"),
        alert.id,
        serde_json::to_string_pretty(&alert.detail)?
    );
    let msg = msg
        .body(body)
        .map_err(|err| AlertError::Delivery(format!("building the alert e-mail: {err}")))?;
    transport(e)?.send(msg).await.map_err(|err| {
        AlertError::Delivery(format!(
            "sending the alert e-mail through {}:{}: {err}",
            e.host, e.port
        ))
    })?;
    Ok(())
}

async fn attempt(
    client: &reqwest::Client,
    section: &AlertsSection,
    job: &Job,
    alert: &Alert,
) -> Result<()> {
    if let Some(url) = job.channel.strip_prefix("webhook ") {
        let hook = section
            .webhooks
            .iter()
            .find(|w| w.url == url)
            .ok_or_else(|| {
                AlertError::Delivery(format!("the webhook {url} is no longer in [alerts]"))
            })?;
        return webhook(client, hook, alert).await;
    }
    if job.channel == "email" {
        let e = section.email.as_ref().ok_or_else(|| {
            AlertError::Delivery("[alerts.email] is no longer configured".to_string())
        })?;
        return email(e, alert).await;
    }
    Err(AlertError::Delivery(format!(
        "unknown delivery channel {:?}",
        job.channel
    )))
}

/// One pass over the outbox: every due job is attempted once. Only one
/// process delivers at a time; if another is at it, this pass does
/// nothing.
pub async fn run(
    store: &AnyStore,
    data_dir: &Path,
    section: &AlertsSection,
) -> Result<DeliveryReport> {
    let mut report = DeliveryReport::default();
    let Some(_lock) = Lock::try_take(data_dir, "alerts-delivery.lock")? else {
        return Ok(report);
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| AlertError::Delivery(format!("building the webhook client: {e}")))?;
    let mut after: Option<String> = None;
    loop {
        let page = store.records(OUTBOX, after.as_deref(), 200).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        for r in &page {
            let now = Timestamp::now().0;
            let Ok(mut job) = serde_json::from_str::<Job>(&r.value) else {
                store.delete_records(OUTBOX, vec![r.key.clone()]).await?;
                continue;
            };
            if job.next_at_us > now {
                report.retrying += 1;
                continue;
            }
            let alert: Option<Alert> = store
                .record(KIND, &job.alert)
                .await?
                .and_then(|a| serde_json::from_str(&a.value).ok());
            let Some(alert) = alert else {
                store.delete_records(OUTBOX, vec![r.key.clone()]).await?;
                continue;
            };
            match attempt(&client, section, &job, &alert).await {
                Ok(()) => {
                    store.delete_records(OUTBOX, vec![r.key.clone()]).await?;
                    report.delivered += 1;
                }
                Err(e) => {
                    job.attempts = job.attempts.saturating_add(1);
                    job.last_error = Some(format!("{e:#}"));
                    if job.attempts >= section.max_attempts.max(1) {
                        let dead = DeadLetter {
                            alert: job.alert.clone(),
                            channel: job.channel.clone(),
                            attempts: job.attempts,
                            last_error: job.last_error.clone(),
                            at: Timestamp::now().to_taxii(),
                        };
                        store
                            .put_records(vec![Record::new(
                                DEAD,
                                r.key.clone(),
                                serde_json::to_string(&dead)?,
                            )])
                            .await?;
                        store.delete_records(OUTBOX, vec![r.key.clone()]).await?;
                        report.dead += 1;
                    } else {
                        let wait = backoff(section.retry_secs, job.attempts);
                        job.next_at_us =
                            now.saturating_add(wait.as_micros().min(i64::MAX as u128) as i64);
                        store
                            .put_records(vec![Record::new(
                                OUTBOX,
                                r.key.clone(),
                                serde_json::to_string(&job)?,
                            )])
                            .await?;
                        report.retrying += 1;
                    }
                }
            }
        }
    }
    Ok(report)
}

/// The dead-letter list.
pub async fn dead_letters(store: &AnyStore) -> Result<Vec<DeadLetter>> {
    crate::all_records(store, DEAD).await
}

/// Puts dead letters back in the outbox for a fresh round of attempts.
pub async fn retry_dead(store: &AnyStore) -> Result<usize> {
    let dead = store.records(DEAD, None, 100_000).await?;
    let mut records = Vec::new();
    for r in &dead {
        let Ok(d) = serde_json::from_str::<DeadLetter>(&r.value) else {
            continue;
        };
        let job = Job {
            alert: d.alert,
            channel: d.channel,
            attempts: 0,
            next_at_us: 0,
            last_error: d.last_error,
        };
        records.push(Record::new(
            OUTBOX,
            r.key.clone(),
            serde_json::to_string(&job)?,
        ));
    }
    let n = records.len();
    if n > 0 {
        store.put_records(records).await?;
        store
            .delete_records(DEAD, dead.iter().map(|r| r.key.clone()).collect())
            .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_and_dead_letters_read_as_lines() {
        let r = DeliveryReport {
            delivered: 2,
            retrying: 1,
            dead: 0,
        };
        assert_eq!(
            r.to_string(),
            "2 delivered, 1 waiting for a retry, 0 given up"
        );
        let d = DeadLetter {
            alert: "a1".into(),
            channel: "webhook".into(),
            attempts: 8,
            last_error: Some("503".into()),
            at: "t".into(),
        };
        assert_eq!(d.to_string(), "a1 webhook after 8 attempts: 503");
        let s = crate::scan::ScanReport {
            examined: 10,
            raised: 1,
        };
        assert_eq!(s.to_string(), "10 entries examined, 1 alerts raised");
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_back_off_doubling_up_to_an_hour() {
        assert_eq!(backoff(5, 1), Duration::from_secs(5));
        assert_eq!(backoff(5, 2), Duration::from_secs(10));
        assert_eq!(backoff(5, 4), Duration::from_secs(40));
        assert_eq!(backoff(5, 40), Duration::from_secs(3_600));
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        let mut e = EmailSection {
            host: "smtp.example.org".into(),
            port: 25,
            security: "none".into(),
            from: "concord@example.org".into(),
            to: vec!["soc@example.org".into()],
            username: None,
            password: Some("hunter2".into()),
            password_file: None,
            password_env: None,
        };
        assert!(
            !format!("{e:?}").contains("hunter2"),
            "no secret in a debug print"
        );
        assert!(transport(&e).is_err());
        e.host = "127.0.0.1".into();
        assert!(transport(&e).is_ok());
    }
}
