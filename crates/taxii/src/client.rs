//! A typed TAXII 2.1 client: discovery, API root, collections, pages of
//! objects, POST and status. Retries transient failures (connection
//! errors, 429, 5xx) with exponential backoff, honouring `Retry-After`;
//! accepts zstd and gzip. Objects come back as raw JSON text, to be checked by the
//! caller through `read_object` like every other way in.

use std::time::Duration;

/// The HTTP method of [`Client::exchange`].
pub use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::TaxiiError;
use crate::media::TAXII_21;

/// The largest answer read from a server (a page of objects, decoded).
pub const MAX_RESPONSE_BYTES: usize = 512 * 1024 * 1024;

/// The largest non-TAXII document read from a peer (governance documents:
/// charters are at most 256 KiB each).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// How the client proves who it is.
#[derive(Clone)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// HTTP Basic authentication.
    Basic {
        /// The user name.
        user: String,
        /// The password, sent with every request.
        password: String,
    },
    /// `Authorization: Bearer <token>` with an API token.
    Bearer(String),
    /// A concord node signing each request with its node key
    /// (`concord_trust::request`).
    Node(std::sync::Arc<concord_trust::Keypair>),
}

// Never print credentials, even in debug output.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Basic { .. } => "Auth::Basic(..)",
            Auth::Bearer(_) => "Auth::Bearer(..)",
            Auth::Node(_) => "Auth::Node(..)",
        })
    }
}

/// How a [`Client`] connects, authenticates and retries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The credentials sent with each request.
    pub auth: Auth,
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// First backoff; doubles per retry.
    pub backoff: Duration,
    /// The limit on one attempt, from connecting to the last byte of the
    /// answer.
    pub timeout: Duration,
    /// Accept compressed answers: zstd (a concord peer's choice: about a
    /// fifth of the JSON, at a fraction of gzip's CPU on both ends) or gzip
    /// (what other TAXII servers offer). Worth it on any link but loopback.
    pub compressed: bool,
    /// Extra trust anchors (PEM), e.g. a community CA.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            auth: Auth::None,
            attempts: 5,
            backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(120),
            compressed: true,
            ca_pem: None,
        }
    }
}

/// The discovery resource.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// The server's human-readable title.
    pub title: String,
    /// The default API root's URL, if the server names one.
    #[serde(default)]
    pub default: Option<String>,
    /// The API roots' URLs, absolute or relative to the discovery URL.
    #[serde(default)]
    pub api_roots: Vec<String>,
}

/// Where a TAXII server was found (see [`Client::locate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The URL that answered: the one given, or `taxii2/` below it.
    pub url: String,
    /// The API root it leads to.
    pub api_root: String,
}

/// A collection resource.
#[derive(Debug, Clone, Deserialize)]
pub struct CollectionInfo {
    /// The collection's id, as used in its URL.
    pub id: String,
    /// Its human-readable title.
    pub title: String,
    /// Its description, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether this client may read its objects.
    pub can_read: bool,
    /// Whether this client may add objects to it.
    pub can_write: bool,
}

#[derive(Deserialize)]
struct Collections {
    #[serde(default)]
    collections: Vec<CollectionInfo>,
}

/// A status resource (the fields a client acts on; others are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// The status id, to poll it at `status/{id}/`.
    pub id: String,
    /// `complete` or `pending`.
    pub status: String,
    /// Objects in the request.
    pub total_count: u64,
    /// Objects the server added.
    pub success_count: u64,
    /// Objects the server refused.
    pub failure_count: u64,
    /// Objects not yet processed.
    pub pending_count: u64,
    /// Why each refused object was refused.
    #[serde(default)]
    pub failures: Vec<StatusDetail>,
}

/// One object in a status resource's `failures` (fields the server left
/// out are empty).
#[derive(Debug, Clone, Deserialize)]
pub struct StatusDetail {
    /// The object's STIX id.
    #[serde(default)]
    pub id: String,
    /// The version (its `modified`, or `created`) as the server gave it.
    #[serde(default)]
    pub version: String,
    /// The server's reason, if given.
    #[serde(default)]
    pub message: Option<String>,
}

/// One page of objects.
#[derive(Debug)]
pub struct ObjectsPage {
    /// Whether the server has more objects after this page.
    pub more: bool,
    /// The server's cursor for the next page (`None` when absent or empty).
    pub next: Option<String>,
    /// The objects as raw JSON text, unchecked.
    pub objects: Vec<Box<RawValue>>,
    /// A concord node's log material for each object (leaf index, nonce),
    /// when it sent any (`envelope::LOG_PROPERTY`).
    pub log: Option<Vec<LogMaterial>>,
    /// The server's `X-TAXII-Date-Added-First` / `-Last` headers, verbatim.
    pub date_added_first: Option<String>,
    /// See `date_added_first`.
    pub date_added_last: Option<String>,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<Box<RawValue>>,
    #[serde(default)]
    x_concord_log: Option<Vec<Option<(u64, String)>>>,
}

/// The filters of a GET objects request.
#[derive(Debug, Clone, Default)]
pub struct ObjectsQuery {
    /// `added_after`: a TAXII timestamp, sent as given.
    pub added_after: Option<String>,
    /// `next`: the cursor of the previous page.
    pub next: Option<String>,
    /// `limit`: the most objects wanted in the page.
    pub limit: Option<usize>,
    /// `match[id]`: STIX ids (any of them).
    pub ids: Vec<String>,
    /// `match[type]`: STIX types (any of them).
    pub types: Vec<String>,
    /// `match[version]` as given (`all`, `first,last`, ...).
    pub version: Option<String>,
    /// `match[spec_version]`: STIX spec versions (any of them).
    pub spec_versions: Vec<String>,
}

impl ObjectsQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if let Some(a) = &self.added_after {
            p.push(("added_after", a.clone()));
        }
        if let Some(n) = &self.next {
            p.push(("next", n.clone()));
        }
        if let Some(l) = self.limit {
            p.push(("limit", l.to_string()));
        }
        for (k, v) in [
            ("match[id]", &self.ids),
            ("match[type]", &self.types),
            ("match[spec_version]", &self.spec_versions),
        ] {
            if !v.is_empty() {
                p.push((k, v.join(",")));
            }
        }
        if let Some(v) = &self.version {
            p.push(("match[version]", v.clone()));
        }
        p
    }
}

/// A TAXII 2.1 client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    opts: ClientOptions,
}

fn join(base: &str, rel: &str) -> Result<String, TaxiiError> {
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    let u = url::Url::parse(&base).map_err(|_| TaxiiError::Url(base.clone()))?;
    u.join(rel)
        .map(|u| u.to_string())
        .map_err(|_| TaxiiError::Url(format!("{base}{rel}")))
}

/// The `Authorization` value of a request signed with this node's key,
/// bound to the method, path and query, and the host it is sent to.
fn node_signature(key: &concord_trust::Keypair, method: &Method, full: &url::Url) -> String {
    let host = match full.port() {
        Some(p) => format!("{}:{p}", full.host_str().unwrap_or("")),
        None => full.host_str().unwrap_or("").to_string(),
    };
    let path_and_query = match full.query() {
        Some(q) => format!("{}?{q}", full.path()),
        None => full.path().to_string(),
    };
    let line = concord_trust::request::RequestLine {
        method: method.as_str(),
        path_and_query: &path_and_query,
        host: &host,
    };
    concord_trust::request::sign_request(key, &line)
}

/// An object's log material as a concord node sends it with a page: its
/// leaf index in its author's log and its commitment's nonce.
pub type LogMaterial = Option<(u64, [u8; 32])>;

/// The answer of [`Client::exchange`].
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// The HTTP status.
    pub status: u16,
    /// Its `Content-Type`, as sent.
    pub content_type: String,
    /// The body, decoded.
    pub body: Vec<u8>,
}

impl Client {
    /// A client with these options. Fails only when the CA bundle cannot
    /// be read or the TLS stack cannot be set up.
    pub fn new(opts: ClientOptions) -> Result<Client, TaxiiError> {
        let mut b = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("concord/", env!("CARGO_PKG_VERSION")))
            .zstd(opts.compressed)
            .gzip(opts.compressed);
        if let Some(pem) = &opts.ca_pem {
            for c in reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| TaxiiError::Tls(format!("reading the CA bundle: {e}")))?
            {
                b = b.add_root_certificate(c);
            }
        }
        let http = b.build().map_err(|e| TaxiiError::Http {
            url: String::new(),
            source: e,
        })?;
        Ok(Client { http, opts })
    }

    /// One request with retries; returns the headers and body of a 2xx.
    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&'static str, String)],
        body: Option<&[u8]>,
    ) -> Result<(HeaderMap, axum::body::Bytes), TaxiiError> {
        self.send_limited(method, url, query, body, MAX_RESPONSE_BYTES)
            .await
    }

    /// [`Client::send`] reading at most `limit` bytes of the (decoded)
    /// answer: a peer cannot make us hold more than that.
    async fn send_limited(
        &self,
        method: Method,
        url: &str,
        query: &[(&'static str, String)],
        body: Option<&[u8]>,
        limit: usize,
    ) -> Result<(HeaderMap, axum::body::Bytes), TaxiiError> {
        let mut full = url::Url::parse(url).map_err(|_| TaxiiError::Url(url.to_string()))?;
        if !query.is_empty() {
            let mut pairs = full.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let body = body.map(|b| (TAXII_21, axum::body::Bytes::copy_from_slice(b)));
        let (status, headers, bytes) = self
            .answered(&method, &full, url, Some(TAXII_21), body, true, limit)
            .await?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| {
                    let t = v.get("title")?.as_str()?.to_string();
                    Some(match v.get("description").and_then(|d| d.as_str()) {
                        Some(d) => format!("{t}: {d}"),
                        None => t,
                    })
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            return Err(TaxiiError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                message,
            });
        }
        if !bytes.is_empty() {
            let ct = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let ct = ct.to_ascii_lowercase();
            if !(ct.starts_with("application/taxii+json")
                || (method == Method::GET
                    && ct.starts_with("application/json")
                    && !url.contains("/collections/")))
            {
                return Err(TaxiiError::MediaType {
                    url: url.to_string(),
                    found: ct.to_string(),
                });
            }
        }
        Ok((headers, bytes))
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        resource: &'static str,
    ) -> Result<T, TaxiiError> {
        let (_, body) = self.send(Method::GET, url, &[], None).await?;
        serde_json::from_slice(&body).map_err(|e| TaxiiError::Malformed {
            url: url.to_string(),
            resource,
            message: e.to_string(),
        })
    }

    /// A JSON document that is not a TAXII resource (concord's own
    /// node-to-node endpoints, e.g. `/concord/v1/community`).
    pub async fn get_document(&self, url: &str) -> Result<serde_json::Value, TaxiiError> {
        let (_, body) = self
            .send_limited(Method::GET, url, &[], None, MAX_DOCUMENT_BYTES)
            .await?;
        serde_json::from_slice(&body).map_err(|e| TaxiiError::Malformed {
            url: url.to_string(),
            resource: "document",
            message: e.to_string(),
        })
    }

    /// One request to a node endpoint outside TAXII (concord's transparency
    /// log: checkpoints, tiles, `add-checkpoint`, proofs), signed like every
    /// other request of this client; `body` is its content type and bytes.
    /// Answers any status with its body (at most `limit` bytes, decoded):
    /// the caller decides what a 404 or a 409 means. Connection failures
    /// and 5xx are retried as for TAXII.
    pub async fn exchange(
        &self,
        method: Method,
        url: &str,
        body: Option<(&'static str, Vec<u8>)>,
        limit: usize,
    ) -> Result<Exchanged, TaxiiError> {
        let full = url::Url::parse(url).map_err(|_| TaxiiError::Url(url.to_string()))?;
        let body = body.map(|(ct, b)| (ct, axum::body::Bytes::from(b)));
        let (status, headers, body) = self
            .answered(&method, &full, url, None, body, false, limit)
            .await?;
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok(Exchanged {
            status: status.as_u16(),
            content_type,
            body: body.to_vec(),
        })
    }

    /// One request, authorized as this client is, with retries: connection
    /// failures and 5xx (and 429, after its `Retry-After`, when
    /// `retry_busy`) are tried again with a doubling wait, up to the
    /// configured attempts. Answers the last status with its headers and
    /// at most `limit` bytes of (decoded) body: a peer cannot make us hold
    /// more than that.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private request path for both callers"
    )]
    async fn answered(
        &self,
        method: &Method,
        full: &url::Url,
        url: &str,
        accept: Option<&'static str>,
        body: Option<(&'static str, axum::body::Bytes)>,
        retry_busy: bool,
        limit: usize,
    ) -> Result<(StatusCode, HeaderMap, axum::body::Bytes), TaxiiError> {
        let mut wait = self.opts.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut rb = self.http.request(method.clone(), full.clone());
            if let Some(a) = accept {
                rb = rb.header(ACCEPT, a);
            }
            rb = match &self.opts.auth {
                Auth::None => rb,
                Auth::Basic { user, password } => rb.basic_auth(user, Some(password)),
                Auth::Bearer(t) => rb.bearer_auth(t),
                Auth::Node(key) => rb.header(
                    reqwest::header::AUTHORIZATION,
                    node_signature(key, method, full),
                ),
            };
            // The body is shared, not copied, by each attempt.
            if let Some((ct, b)) = &body {
                rb = rb.header(CONTENT_TYPE, *ct).body(b.clone());
            }
            let last = attempt >= self.opts.attempts.max(1);
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) if !last && (e.is_connect() || e.is_timeout() || e.is_request()) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
                Err(e) => {
                    return Err(TaxiiError::Http {
                        url: url.to_string(),
                        source: e,
                    });
                }
            };
            let status = resp.status();
            let busy = retry_busy && status == StatusCode::TOO_MANY_REQUESTS;
            if !last && (busy || status.is_server_error()) {
                let hint = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(60)));
                tokio::time::sleep(hint.unwrap_or(wait).max(wait)).await;
                wait *= 2;
                continue;
            }
            let headers = resp.headers().clone();
            let mut resp = resp;
            let hint = resp.content_length().unwrap_or(0).min(limit as u64) as usize;
            let mut buf = Vec::with_capacity(hint);
            while let Some(chunk) = resp.chunk().await.map_err(|e| TaxiiError::Http {
                url: url.to_string(),
                source: e,
            })? {
                if buf.len() + chunk.len() > limit {
                    return Err(TaxiiError::Malformed {
                        url: url.to_string(),
                        resource: "answer",
                        message: format!("larger than {limit} bytes: refused"),
                    });
                }
                buf.extend_from_slice(&chunk);
            }
            return Ok((status, headers, axum::body::Bytes::from(buf)));
        }
    }

    /// The discovery resource at `url`.
    pub async fn discover(&self, url: &str) -> Result<Discovery, TaxiiError> {
        self.get_json(url, "discovery resource").await
    }

    /// The API root at `url`, or, if `url` is a discovery endpoint, its
    /// default (or first) API root. Returns the API root's URL.
    pub async fn resolve_api_root(&self, url: &str) -> Result<String, TaxiiError> {
        let v: serde_json::Value = self.get_json(url, "TAXII resource").await?;
        if v.get("api_roots").is_some() {
            let d: Discovery = serde_json::from_value(v).map_err(|e| TaxiiError::Malformed {
                url: url.to_string(),
                resource: "discovery resource",
                message: e.to_string(),
            })?;
            let root = d
                .default
                .or_else(|| d.api_roots.first().cloned())
                .ok_or_else(|| TaxiiError::Malformed {
                    url: url.to_string(),
                    resource: "discovery resource",
                    message: "it names no API root".into(),
                })?;
            return join(url, &root);
        }
        if v.get("versions").is_some() {
            return join(url, ".");
        }
        Err(TaxiiError::Malformed {
            url: url.to_string(),
            resource: "discovery or API root resource",
            message: "neither api_roots nor versions present".into(),
        })
    }

    /// Finds the TAXII server behind a URL as a user gives it (often the
    /// bare base URL copied from a browser, which serves a web page): the
    /// URL itself when it answers with a discovery or API root resource,
    /// else `taxii2/` below it, where TAXII 2.1 servers (concord's and
    /// medallion's among them) serve discovery. A host that cannot be
    /// reached is reported at once; when nothing answers TAXII, the error
    /// says what each URL answered.
    pub async fn locate(&self, url: &str) -> Result<Located, TaxiiError> {
        let mut candidates = vec![url.to_string()];
        let below = join(url, "taxii2/")?;
        if !url.trim_end_matches('/').ends_with("/taxii2") && below != url {
            candidates.push(below);
        }
        let mut answers = Vec::new();
        for candidate in candidates {
            match self.resolve_api_root(&candidate).await {
                Ok(api_root) => {
                    return Ok(Located {
                        url: candidate,
                        api_root,
                    });
                }
                Err(e @ (TaxiiError::Http { .. } | TaxiiError::Url(_))) => return Err(e),
                Err(e) => answers.push(e.to_string()),
            }
        }
        Err(TaxiiError::NotTaxii {
            url: url.to_string(),
            answers: answers.join("; "),
        })
    }

    /// The collections of the API root at `api_root` that this client sees.
    pub async fn collections(&self, api_root: &str) -> Result<Vec<CollectionInfo>, TaxiiError> {
        let url = join(api_root, "collections/")?;
        Ok(self
            .get_json::<Collections>(&url, "collections resource")
            .await?
            .collections)
    }

    /// One page of a collection's objects, filtered by `q`.
    pub async fn get_objects(
        &self,
        api_root: &str,
        collection: &str,
        q: &ObjectsQuery,
    ) -> Result<ObjectsPage, TaxiiError> {
        let url = join(api_root, &format!("collections/{collection}/objects/"))?;
        let (headers, body) = self.send(Method::GET, &url, &q.pairs(), None).await?;
        let env: EnvelopeIn = serde_json::from_slice(&body).map_err(|e| TaxiiError::Malformed {
            url: url.clone(),
            resource: "envelope",
            message: e.to_string(),
        })?;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        // Material that does not line up with the objects is not used.
        let log = env
            .x_concord_log
            .filter(|l| l.len() == env.objects.len())
            .map(|l| {
                use base64::Engine;
                l.into_iter()
                    .map(|m| {
                        m.and_then(|(leaf, nonce)| {
                            base64::engine::general_purpose::STANDARD
                                .decode(nonce)
                                .ok()
                                .and_then(|n| <[u8; 32]>::try_from(n).ok())
                                .map(|n| (leaf, n))
                        })
                    })
                    .collect()
            });
        Ok(ObjectsPage {
            more: env.more,
            next: env.next.filter(|n| !n.is_empty()),
            log,
            objects: env.objects,
            date_added_first: header("x-taxii-date-added-first"),
            date_added_last: header("x-taxii-date-added-last"),
        })
    }

    /// POSTs an envelope (already JSON) and returns the first status.
    pub async fn post_envelope(
        &self,
        api_root: &str,
        collection: &str,
        envelope: &[u8],
    ) -> Result<Status, TaxiiError> {
        let url = join(api_root, &format!("collections/{collection}/objects/"))?;
        let (_, body) = self.send(Method::POST, &url, &[], Some(envelope)).await?;
        serde_json::from_slice(&body).map_err(|e| TaxiiError::Malformed {
            url,
            resource: "status resource",
            message: e.to_string(),
        })
    }

    /// The status resource `id` of the API root at `api_root`.
    pub async fn status(&self, api_root: &str, id: &str) -> Result<Status, TaxiiError> {
        let url = join(api_root, &format!("status/{id}/"))?;
        self.get_json(&url, "status resource").await
    }

    /// Polls a status until it is complete, at most `max_polls` times.
    pub async fn wait_complete(
        &self,
        api_root: &str,
        mut status: Status,
        max_polls: u32,
    ) -> Result<Status, TaxiiError> {
        let mut wait = Duration::from_millis(100);
        for _ in 0..max_polls {
            if status.status == "complete" {
                break;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
            status = self.status(api_root, &status.id).await?;
        }
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_urls() {
        assert_eq!(
            join("http://h:1/api1", "collections/").unwrap(),
            "http://h:1/api1/collections/"
        );
        assert_eq!(
            join("http://h:1/taxii2/", "/taxii2/root/").unwrap(),
            "http://h:1/taxii2/root/"
        );
        assert_eq!(
            join("http://h:1/taxii2/", "http://other/x/").unwrap(),
            "http://other/x/"
        );
        assert!(join("not a url", "x").is_err());
        let q = ObjectsQuery {
            limit: Some(5),
            types: vec!["indicator".into(), "malware".into()],
            version: Some("all".into()),
            ..Default::default()
        };
        assert_eq!(
            q.pairs(),
            [
                ("limit", "5".to_string()),
                ("match[type]", "indicator,malware".into()),
                ("match[version]", "all".into())
            ]
        );
    }

    #[test]
    fn auth_is_never_printed() {
        let a = Auth::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
    }
}
