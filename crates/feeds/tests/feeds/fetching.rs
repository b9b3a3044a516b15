//! Fetching over real HTTP: Python's http.server (Last-Modified and
//! If-Modified-Since, as a plain web server serves a list) and an axum
//! server that sends ETags. Twice with the validators gives 304 and no new
//! objects; changed content gives new objects; a server that is down gives
//! an error in the state and keeps the last good data; the size limit and
//! the timeout hold. Needs `python3` on the PATH.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use concord_feeds::{Change, FeedError, FeedFormat, FeedState, FetchLimits, Fetched, fetch, parse};

use super::support::{Readers, at, spec};

/// `python3 -m http.server` on a free loopback port, stopped on drop.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    fn start(dir: &Path) -> PythonServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "python3 must be installed: these tests serve lists with python3 -m http.server",
            );
        let server = PythonServer { child, port };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("python3 -m http.server did not start on port {port}");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_list(path: &Path, text: &str, mtime_secs: u64) {
    std::fs::write(path, text).expect("write list");
    let f = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open list");
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(mtime_secs))
        .expect("set mtime");
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client")
}

#[tokio::test]
async fn text_list_from_a_plain_web_server() {
    let dir = tempfile::tempdir().expect("dir");
    let list = dir.path().join("blocklist.txt");
    write_list(
        &list,
        "# blocklist\n203.0.113.7\nevil.example\n198.51.100.0/24\n",
        1_764_756_000,
    );
    let mut server = PythonServer::start(dir.path());
    let spec = spec(
        "python list",
        &format!("http://127.0.0.1:{}/blocklist.txt", server.port),
        FeedFormat::Text,
    );
    let (client, limits) = (client(), FetchLimits::default());
    let mut state = FeedState::default();

    let Fetched::Body { bytes, validators } = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T10:00:00Z"),
    )
    .await
    .expect("first fetch") else {
        panic!("a first fetch has a body")
    };
    assert!(
        validators.last_modified.is_some(),
        "http.server sends Last-Modified"
    );
    let first = parse(&spec, &bytes, at("2026-12-03T10:00:00Z"), &state, &Readers).expect("parse");
    assert_eq!(first.to_store().count(), 3);
    state.commit(&first, validators.clone(), "2026-12-03T10:00:00.000Z");

    // Nothing changed: 304, nothing new.
    let second = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T11:00:00Z"),
    )
    .await
    .expect("second fetch");
    assert_eq!(second, Fetched::NotModified);
    assert_eq!(
        state.last_good_fetch.as_deref(),
        Some("2026-12-03T11:00:00.000Z")
    );
    assert_eq!(state.objects.len(), 3);

    // Changed: one value gone, one new.
    write_list(
        &list,
        "# blocklist\n203.0.113.7\nevil.example\n192.0.2.55\n",
        1_764_759_600,
    );
    let Fetched::Body { bytes, validators } = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T12:00:00Z"),
    )
    .await
    .expect("third fetch") else {
        panic!("a changed list has a body")
    };
    let third = parse(&spec, &bytes, at("2026-12-03T12:00:00Z"), &state, &Readers).expect("parse");
    let changes: Vec<Change> = third.objects.iter().map(|o| o.change).collect();
    assert_eq!(changes, [Change::Unchanged, Change::Unchanged, Change::New]);
    assert_eq!(
        third.objects[0].object, first.objects[0].object,
        "same (id, modified) and content"
    );
    assert_eq!(third.removed.len(), 1);
    state.commit(&third, validators, "2026-12-03T12:00:00.000Z");
    let kept = state.clone();

    // The server is down: the error is recorded, the last good data kept.
    server.stop();
    let err = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T13:00:00Z"),
    )
    .await
    .expect_err("server down");
    assert!(matches!(err, FeedError::Http { .. }), "{err}");
    let failure = state.last_error.clone().expect("error recorded");
    assert_eq!(failure.at, "2026-12-03T13:00:00.000Z");
    assert!(failure.message.contains(&spec.url), "{}", failure.message);
    assert_eq!(
        state.last_fetch.as_deref(),
        Some("2026-12-03T13:00:00.000Z")
    );
    assert_eq!(
        (&state.validators, &state.objects, &state.last_good_fetch),
        (&kept.validators, &kept.objects, &kept.last_good_fetch)
    );
}

/// What the axum server serves, and what it saw.
#[derive(Default)]
struct Served {
    body: String,
    requests: usize,
    conditional: usize,
}

async fn list(
    State(served): State<Arc<Mutex<Served>>>,
    headers: HeaderMap,
) -> axum::response::Response {
    let mut s = served.lock().expect("lock");
    s.requests += 1;
    let etag = format!(
        "\"{:016x}\"",
        s.body
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b))
                .wrapping_mul(0x100_0000_01b3))
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        s.conditional += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "text/csv".to_string()),
        ],
        s.body.clone(),
    )
        .into_response()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late\n"
}

async fn axum_server(served: Arc<Mutex<Served>>) -> SocketAddr {
    let app = axum::Router::new()
        .route("/iocs.csv", axum::routing::get(list))
        .route("/slow.txt", axum::routing::get(slow))
        .route(
            "/gone.csv",
            axum::routing::get(|| async { StatusCode::NOT_FOUND }),
        )
        .with_state(served);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

#[tokio::test]
async fn csv_list_with_etags() {
    let served = Arc::new(Mutex::new(Served {
        body: "ipv4-addr:value,domain-name:value,description\n203.0.113.7,evil.example,C2\n".into(),
        ..Served::default()
    }));
    let addr = axum_server(served.clone()).await;
    let spec = spec(
        "etag list",
        &format!("http://{addr}/iocs.csv"),
        FeedFormat::Csv,
    );
    let (client, limits) = (client(), FetchLimits::default());
    let mut state = FeedState::default();

    let Fetched::Body { bytes, validators } = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T10:00:00Z"),
    )
    .await
    .expect("fetch") else {
        panic!("body")
    };
    assert!(validators.etag.is_some());
    let first = parse(&spec, &bytes, at("2026-12-03T10:00:00Z"), &state, &Readers).expect("parse");
    assert_eq!(first.to_store().count(), 2);
    state.commit(&first, validators, "2026-12-03T10:00:00.000Z");

    assert_eq!(
        fetch(
            &client,
            &spec,
            &mut state,
            &limits,
            at("2026-12-03T11:00:00Z")
        )
        .await
        .expect("fetch"),
        Fetched::NotModified
    );
    assert_eq!(
        served.lock().expect("lock").conditional,
        1,
        "If-None-Match was sent"
    );

    served.lock().expect("lock").body = "ipv4-addr:value,domain-name:value,description\n203.0.113.7,evil.example,C2 of Op. Winter\n".into();
    let Fetched::Body { bytes, validators } = fetch(
        &client,
        &spec,
        &mut state,
        &limits,
        at("2026-12-03T12:00:00Z"),
    )
    .await
    .expect("fetch") else {
        panic!("changed body")
    };
    let changed =
        parse(&spec, &bytes, at("2026-12-03T12:00:00Z"), &state, &Readers).expect("parse");
    let to_store: Vec<_> = changed.to_store().collect();
    assert_eq!(to_store.len(), 2);
    for (new, old) in to_store.iter().zip(first.to_store()) {
        assert_eq!(new["id"], old["id"]);
        assert_eq!(new["created"], old["created"]);
        assert_eq!(new["modified"], "2026-12-03T12:00:00.000Z");
    }
    state.commit(&changed, validators, "2026-12-03T12:00:00.000Z");
    assert_eq!(served.lock().expect("lock").requests, 3);

    // Limits: a body larger than allowed, an answer too slow, a 404.
    let tiny = FetchLimits {
        max_bytes: 16,
        timeout: Duration::from_secs(10),
    };
    let mut fresh = FeedState::default();
    let err = fetch(
        &client,
        &spec,
        &mut fresh,
        &tiny,
        at("2026-12-03T13:00:00Z"),
    )
    .await
    .expect_err("too large");
    assert!(
        matches!(err, FeedError::TooLarge { limit: 16, .. }),
        "{err}"
    );
    assert!(fresh.last_error.is_some() && fresh.objects.is_empty());
    let slow_spec =
        super::support::spec("slow", &format!("http://{addr}/slow.txt"), FeedFormat::Text);
    let quick = FetchLimits {
        max_bytes: 1 << 20,
        timeout: Duration::from_millis(300),
    };
    let err = fetch(
        &client,
        &slow_spec,
        &mut fresh,
        &quick,
        at("2026-12-03T13:00:00Z"),
    )
    .await
    .expect_err("timeout");
    assert!(err.to_string().contains("timed out"), "{err}");
    let gone = super::support::spec("gone", &format!("http://{addr}/gone.csv"), FeedFormat::Csv);
    let before = state.clone();
    let err = fetch(
        &client,
        &gone,
        &mut state,
        &limits,
        at("2026-12-03T14:00:00Z"),
    )
    .await
    .expect_err("404");
    assert!(
        matches!(err, FeedError::Status { status: 404, .. }),
        "{err}"
    );
    assert_eq!(
        (&state.objects, &state.validators),
        (&before.objects, &before.validators)
    );
}
