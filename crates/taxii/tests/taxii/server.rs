//! The server and client in one process over real sockets on 127.0.0.1:
//! TLS, pull and push between two nodes (resumed after an interruption),
//! the rate limit and the slow-client timeout.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns: a failed setup is a failed test"
)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use concord_stix::StixObject;
use concord_stix::json::parse_object;
use concord_store::{
    AnyStore, Grant, ListQuery, NewCollection, PreparedObject, SqliteStore, Store, User, VersionSel,
};
use concord_taxii::access::hash_password;
use concord_taxii::client::{Auth, Client, ClientOptions};
use concord_taxii::server::{self, ServerOptions, listen};
use concord_taxii::sync::{self, PullOptions};

fn obj(n: u32, modified: &str) -> PreparedObject {
    let text = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{n:012}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"n{n}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#,
        n % 250
    );
    let o = StixObject::from_map(parse_object(text.as_bytes()).unwrap());
    PreparedObject::new(&o, text)
}

async fn store_with(dir: &std::path::Path, collections: &[&str]) -> AnyStore {
    let s = AnyStore::Sqlite(SqliteStore::open_dir(dir).unwrap());
    for c in collections {
        s.create_collection(NewCollection {
            id: Some((*c).into()),
            title: (*c).into(),
            description: String::new(),
            public: false,
        })
        .await
        .unwrap();
    }
    s
}

async fn count(s: &AnyStore, collection: &str) -> usize {
    s.list(ListQuery {
        collection: collection.into(),
        added_after_us: None,
        limit: 100_000,
        ids: vec![],
        types: vec![],
        spec_versions: vec![],
        versions: VersionSel::All,
    })
    .await
    .unwrap()
    .objects
    .len()
}

/// Serves `store` on a free loopback port; returns the API root URL.
async fn start(
    store: AnyStore,
    opts: ServerOptions,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let app = server::router(store, opts);
    tokio::spawn(listen::serve(listener, tls, app, std::future::pending()));
    format!("{scheme}://localhost:{}/taxii2/root/", addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_and_push_over_tls_resume_without_loss_or_duplicates() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let tls =
        listen::tls_config(&dir.path().join("cert.pem"), &dir.path().join("key.pem")).unwrap();

    let a_dir = tempfile::tempdir().unwrap();
    let a = store_with(a_dir.path(), &["feed", "inbox"]).await;
    // Three batches, two versions of some objects, many in one transaction.
    a.put_batch(
        "feed",
        (0..1200)
            .map(|n| obj(n, "2020-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await
    .unwrap();
    a.put_batch(
        "feed",
        (0..300)
            .map(|n| obj(n, "2021-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await
    .unwrap();
    a.put_batch(
        "feed",
        (1200..1500)
            .map(|n| obj(n, "2020-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await
    .unwrap();
    a.put_user(User {
        name: "peer".into(),
        password_hash: hash_password("peer-pw").unwrap(),
        admin: false,
        grants: vec![
            Grant {
                collection: "feed".into(),
                read: true,
                write: false,
            },
            Grant {
                collection: "inbox".into(),
                read: true,
                write: true,
            },
        ],
    })
    .await
    .unwrap();
    let root = start(a.clone(), ServerOptions::default(), Some(tls)).await;

    let client = Client::new(ClientOptions {
        auth: Auth::Basic {
            user: "peer".into(),
            password: "peer-pw".into(),
        },
        ca_pem: Some(cert.cert.pem().into_bytes()),
        ..ClientOptions::default()
    })
    .unwrap();
    assert_eq!(
        client
            .resolve_api_root(&root.replace("root/", ""))
            .await
            .unwrap(),
        root
    );
    // A bare base URL leads to the discovery below it.
    let base = root.replace("taxii2/root/", "");
    let found = client.locate(&base).await.unwrap();
    assert_eq!(
        (found.url.as_str(), found.api_root.as_str()),
        (format!("{base}taxii2/").as_str(), root.as_str())
    );
    let found = client.locate(base.trim_end_matches('/')).await.unwrap();
    assert_eq!(found.url, format!("{base}taxii2/"));
    // A TAXII URL is kept as given.
    assert_eq!(client.locate(&root).await.unwrap().url, root);
    // Below a TAXII URL there is nothing more to try; elsewhere the error
    // says what each URL answered.
    let e = client.locate(&format!("{base}nothing/")).await.unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, concord_taxii::TaxiiError::NotTaxii { .. })
            && text.contains(&format!("{base}nothing/ answered 404"))
            && text.contains(&format!("{base}nothing/taxii2/ answered 404")),
        "{text}"
    );
    // Absolute URLs in discovery, whether the client spoke HTTP/2 (host in
    // the authority) or HTTP/1.1 (host in Host).
    let d = client.discover(&root.replace("root/", "")).await.unwrap();
    assert_eq!(d.default.as_deref(), Some(root.as_str()));
    let b_dir = tempfile::tempdir().unwrap();
    let b = store_with(b_dir.path(), &["feed", "outbox"]).await;

    // Interrupted after 3 pages of 100 ...
    let short = PullOptions {
        page: 100,
        max_pages: 3,
        ..PullOptions::default()
    };
    let r1 = sync::pull(&client, &b, &root, "feed", "feed", &short)
        .await
        .unwrap();
    assert_eq!((r1.pages, r1.stored), (3, 300));
    // ... then resumed from the stored cursor: everything, once.
    let full = PullOptions {
        page: 100,
        ..PullOptions::default()
    };
    let r2 = sync::pull(&client, &b, &root, "feed", "feed", &full)
        .await
        .unwrap();
    assert_eq!(r1.stored + r2.stored, 1800, "{r1:?} {r2:?}");
    assert_eq!(count(&b, "feed").await, 1800);
    assert_eq!(b.stats().await.unwrap().versions, 1800);
    let r3 = sync::pull(&client, &b, &root, "feed", "feed", &full)
        .await
        .unwrap();
    assert_eq!(r3.stored, 0);

    // Push B's outbox to A's inbox; a second push sends nothing.
    b.put_batch(
        "outbox",
        (5000..5250)
            .map(|n| obj(n, "2022-01-01T00:00:00.000Z"))
            .collect(),
    )
    .await
    .unwrap();
    let p1 = sync::push(&client, &b, &root, "inbox", "outbox", 100)
        .await
        .unwrap();
    assert_eq!((p1.envelopes, p1.succeeded, p1.failed), (3, 250, 0));
    assert_eq!(count(&a, "inbox").await, 250);
    let p2 = sync::push(&client, &b, &root, "inbox", "outbox", 100)
        .await
        .unwrap();
    assert_eq!(p2.sent, 0);

    // The peer may not write the feed: the POST is refused with 403.
    let denied = client
        .post_envelope(&root, "feed", br#"{"objects":[]}"#)
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("403"), "{denied}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_answers_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_with(dir.path(), &[]).await;
    let root = start(
        s,
        ServerOptions {
            rate_per_second: 0.5,
            rate_burst: 3.0,
            // Requests without credentials are counted on their own budget.
            anonymous_rate_per_second: 0.5,
            anonymous_rate_burst: 3.0,
            ..ServerOptions::default()
        },
        None,
    )
    .await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(http.get(&root).send().await.unwrap().status(), 200);
    }
    let r = http.get(&root).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["http_status"], "429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_body_gets_408() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_with(dir.path(), &["c"]).await;
    s.put_user(User {
        name: "w".into(),
        password_hash: hash_password("pw").unwrap(),
        admin: true,
        grants: vec![],
    })
    .await
    .unwrap();
    let root = start(
        s.clone(),
        ServerOptions {
            request_timeout: Duration::from_secs(1),
            ..ServerOptions::default()
        },
        None,
    )
    .await;
    let port = root
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // "w:pw" in base64; 1000 bytes announced, 20 sent, then silence.
        write!(
            tcp,
            "POST /taxii2/root/collections/c/objects/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dzpwdw==\r\nContent-Type: application/taxii+json;version=2.1\r\nContent-Length: 1000\r\n\r\n{{\"objects\":[{{\"type\""
        )
        .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tcp.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"http_status\":\"408\""), "{answer}");
    assert_eq!(count(&s, "c").await, 0, "nothing was written");
}
