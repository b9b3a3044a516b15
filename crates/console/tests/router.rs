//! The console's contract, in process (no browser): the log-in form and
//! its fields, cookies, CSRF, languages, rights on every page and count,
//! import, search, object page, log-out.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use concord_store::{AnyStore, Grant, NewCollection, SqliteStore, Store, User};
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Page {
    status: StatusCode,
    cookies: Vec<String>,
    location: Option<String>,
    body: String,
}

async fn call(app: &Router, req: Request<Body>) -> Page {
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    // Fluent isolates placeables with U+2068/U+2069: compare without them.
    let body = String::from_utf8_lossy(&bytes).replace(['\u{2068}', '\u{2069}'], "");
    Page {
        status,
        cookies,
        location,
        body,
    }
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request")
}

fn cookie_value(p: &Page, name: &str) -> Option<String> {
    p.cookies.iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .and_then(|r| r.split(';').next())
            .map(str::to_string)
    })
}

/// The value of `name="csrf"` in a page.
fn csrf_in(body: &str) -> String {
    let at = body.find(r#"name="csrf" value=""#).expect("a csrf field");
    let rest = &body[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').expect("end")].to_string()
}

struct Fixture {
    app: Router,
    coll: String,
    _tmp: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = AnyStore::Sqlite(SqliteStore::open_dir(tmp.path()).expect("store"));
    let coll = store
        .create_collection(NewCollection {
            id: None,
            title: "Local".into(),
            description: String::new(),
            public: false,
        })
        .await
        .expect("collection")
        .id;
    let hash = concord_taxii::access::hash_password("pw-admin-1").expect("hash");
    store
        .put_user(User {
            name: "admin".into(),
            password_hash: hash,
            admin: true,
            grants: Vec::new(),
        })
        .await
        .expect("admin");
    let hash = concord_taxii::access::hash_password("pw-nobody-1").expect("hash");
    store
        .put_user(User {
            name: "nobody".into(),
            password_hash: hash,
            admin: false,
            grants: Vec::new(),
        })
        .await
        .expect("nobody");
    let hash = concord_taxii::access::hash_password("pw-reader-1").expect("hash");
    store
        .put_user(User {
            name: "reader".into(),
            password_hash: hash,
            admin: false,
            grants: vec![Grant {
                collection: coll.clone(),
                read: true,
                write: false,
            }],
        })
        .await
        .expect("reader");
    let app = concord_console::router(
        store,
        concord_console::ConsoleOptions {
            secure_cookies: false,
            ..Default::default()
        },
    );
    Fixture {
        app,
        coll,
        _tmp: tmp,
    }
}

/// Logs in; returns the `Cookie` header value of the session.
async fn login(app: &Router, user: &str, password: &str) -> String {
    let form = call(app, get("/", "")).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = cookie_value(&form, "concord_login_csrf").expect("login csrf cookie");
    assert_eq!(csrf_in(&form.body), token);
    let body = format!("csrf={token}&next=%2F&username={user}&password={password}");
    let resp = call(
        app,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("concord_login_csrf={token}"))
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let set = resp
        .cookies
        .iter()
        .find(|c| c.starts_with("concord_session="))
        .expect("session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    format!(
        "concord_session={}",
        cookie_value(&resp, "concord_session").expect("value")
    )
}

fn multipart(csrf: &str, collection: &str, file: &str) -> (String, String) {
    let b = "XbOuNdArY42";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"collection\"\r\n\r\n{collection}\r\n--{b}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n--{b}--\r\n"
    );
    (format!("multipart/form-data; boundary={b}"), body)
}

const BUNDLE: &str = r#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Zebrafish beacon","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]},
{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-02-01T00:00:00.000Z","name":"Zebrafish beacon v2","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]},
{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Zebrafish","is_family":true},
{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc"},
{"type":"indicator","id":"indicator--broken"}
]}"#;

#[tokio::test]
async fn the_whole_console_contract() {
    let f = fixture().await;
    let app = &f.app;

    // The console is at `/`: a log-in form with username and password.
    let front = call(app, get("/", "")).await;
    assert_eq!(front.status, StatusCode::OK);
    assert!(front.body.contains(r#"name="username""#) && front.body.contains(r#"name="password""#));
    // Pages need a session.
    let redirect = call(app, get("/intel", "")).await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER);
    assert!(
        redirect
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login?next="))
    );

    // A log-in without the CSRF token is refused.
    let bad = call(
        app,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("username=admin&password=pw-admin-1"))
            .expect("req"),
    )
    .await;
    // It says the form expired, not that the password was wrong: no
    // password was checked.
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    assert!(cookie_value(&bad, "concord_session").is_none());
    assert!(
        bad.body.contains(r#"data-testid="login-expired""#),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains(r#"data-testid="login-failed""#));

    // Languages: ?lang, Accept-Language, Arabic right-to-left.
    let ar = call(app, get("/?lang=ar", "")).await;
    assert!(ar.body.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(ar.cookies.iter().any(|c| c.starts_with("concord_lang=ar")));
    let zh = call(
        app,
        Request::get("/")
            .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(zh.body.contains(r#"<html lang="zh" dir="ltr">"#) && zh.body.contains("登录"));

    // Admin: import a bundle, with one rejected object.
    let admin = login(app, "admin", "pw-admin-1").await;
    let form = call(app, get("/import", &admin)).await;
    let csrf = csrf_in(&form.body);
    let (ct, body) = multipart("forged", &f.coll, BUNDLE);
    let forged = call(
        app,
        Request::post("/import")
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, &admin)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "an import without the CSRF token"
    );
    let (ct, body) = multipart(&csrf, &f.coll, BUNDLE);
    let imported = call(
        app,
        Request::post("/import")
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, &admin)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert!(imported.body.contains("4 stored"), "{}", imported.body);
    assert!(imported.body.contains("1 rejected"));
    assert_eq!(
        imported
            .body
            .matches(r#"data-testid="import-rejection""#)
            .count(),
        1
    );

    // Dashboard counts, search, object page with versions, diff and graph.
    let dash = call(app, get("/", &admin)).await;
    assert!(
        dash.body
            .contains(r#"data-testid="count-type-indicator">1<"#),
        "{}",
        dash.body
    );
    assert!(dash.body.contains(r#"data-testid="count-tlp-amber">1<"#));
    let search = call(app, get("/intel?q=Zebrafish", &admin)).await;
    assert_eq!(search.body.matches(r#"data-testid="intel-row""#).count(), 2);
    let id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let obj = call(
        app,
        get(
            &format!("/intel/{id}?a=2024-01-01T00:00:00.000Z&b=2024-02-01T00:00:00.000Z"),
            &admin,
        ),
    )
    .await;
    assert_eq!(obj.status, StatusCode::OK);
    assert_eq!(obj.body.matches(r#"data-testid="version""#).count(), 2);
    assert!(obj.body.contains(r#"data-testid="diff""#) && obj.body.contains("Zebrafish beacon v2"));
    assert!(
        obj.body
            .contains("malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc")
    );
    assert!(obj.body.contains(r#"data-testid="graph-node""#));
    assert!(obj.body.contains("no provenance signature"));
    // Match: a pasted observable and an uploaded log line hit the indicator.
    let page = call(app, get("/match", &admin)).await;
    let csrf = csrf_in(&page.body);
    let b = "XbOuNdArY42";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"input\"\r\n\r\n198.51.100.1\r\n--{b}\r\nContent-Disposition: form-data; name=\"log\"; filename=\"conn.log\"\r\nContent-Type: text/plain\r\n\r\n{{\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":\"198.51.100.1\"}}\r\n--{b}--\r\n"
    );
    let matched = call(
        app,
        Request::post("/match")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={b}"),
            )
            .header(header::COOKIE, &admin)
            .body(Body::from(body))
            .expect("req"),
    )
    .await;
    assert_eq!(matched.status, StatusCode::OK, "{}", matched.body);
    assert_eq!(
        matched.body.matches(r#"data-testid="match-hit""#).count(),
        2,
        "{}",
        matched.body
    );
    // Filters: type, TLP, label, author.
    let amber = call(app, get("/intel?tlp=amber", &admin)).await;
    assert_eq!(amber.body.matches(r#"data-testid="intel-row""#).count(), 1);
    let malware = call(app, get("/intel?type=malware", &admin)).await;
    assert_eq!(
        malware.body.matches(r#"data-testid="intel-row""#).count(),
        1
    );
    let authored = call(app, get("/intel?author=identity--nobody", &admin)).await;
    assert!(authored.body.contains(r#"data-testid="intel-empty""#));
    // Keyset paging: a page after the last entry is empty.
    let paged = call(app, get("/intel?after=9000000000000000", &admin)).await;
    assert!(paged.body.contains(r#"data-testid="intel-empty""#));

    // A user without rights: neither pages nor counts.
    let nobody = login(app, "nobody", "pw-nobody-1").await;
    for path in [
        "/",
        "/intel",
        "/intel?q=Zebrafish",
        &format!("/intel/{id}"),
        "/match",
        "/import",
    ] {
        let p = call(app, get(path, &nobody)).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            !p.body.contains("data-testid=\"count-"),
            "{path} shows counts"
        );
        assert!(!p.body.contains("Zebrafish beacon"), "{path} shows intel");
        // Matching needs every collection: its page says so, not "a
        // collection".
        assert_eq!(
            path == "/match",
            p.body.contains("read rights on all collections"),
            "{path}: {}",
            p.body
        );
        assert!(!p.body.contains(r#"data-testid="nav-intel""#));
    }
    let settings = call(app, get("/settings", &nobody)).await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(!settings.body.contains(r#"data-testid="settings-users""#));

    // A reader sees the collection's objects but may not import or manage users.
    let reader = login(app, "reader", "pw-reader-1").await;
    let dash = call(app, get("/", &reader)).await;
    assert!(
        dash.body
            .contains(r#"data-testid="count-type-indicator">1<"#)
    );
    assert!(
        !dash.body.contains(r#"data-testid="count-objects""#),
        "node totals are for admins"
    );
    assert_eq!(
        call(app, get("/import", &reader)).await.status,
        StatusCode::FORBIDDEN
    );

    // Log-out needs the token, then ends the session.
    let page = call(app, get("/settings", &reader)).await;
    let csrf = csrf_in(&page.body);
    let post = |token: String| {
        Request::post("/logout")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &reader)
            .body(Body::from(format!("csrf={token}")))
            .expect("req")
    };
    assert_eq!(
        call(app, post("nope".into())).await.status,
        StatusCode::FORBIDDEN
    );
    let out = call(app, post(csrf)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(call(app, get("/", &reader)).await.status, StatusCode::OK);
    assert!(
        call(app, get("/", &reader))
            .await
            .body
            .contains(r#"name="password""#)
    );
    assert_eq!(
        call(app, get("/intel", &reader)).await.status,
        StatusCode::SEE_OTHER
    );

    // Assets are embedded and small.
    let css = call(app, get("/assets/console.css", "")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(concord_console::shipped_bytes() <= 200 * 1024);
}

/// A module adds a section (say, incidents): its link appears in the
/// navigation of users it is for, and its pages use the console's layout,
/// session and rights.
#[tokio::test]
async fn sections_plug_in() {
    use axum::extract::State;
    use axum::response::Response;
    use concord_console::{Console, Rights, Section, Shared, Viewer, render};

    async fn incidents(State(st): State<Shared>, v: Viewer) -> Response {
        render(
            &st,
            &v,
            "incidents",
            StatusCode::OK,
            "Incidents",
            "<p data-testid=\"incidents-page\">ok</p>",
        )
    }

    let tmp = tempfile::tempdir().expect("tmp");
    let store = AnyStore::Sqlite(SqliteStore::open_dir(tmp.path()).expect("store"));
    let hash = concord_taxii::access::hash_password("pw-admin-1").expect("hash");
    store
        .put_user(User {
            name: "admin".into(),
            password_hash: hash,
            admin: true,
            grants: Vec::new(),
        })
        .await
        .expect("admin");
    let app = Console::new(
        store,
        concord_console::ConsoleOptions {
            secure_cookies: false,
            ..Default::default()
        },
    )
    .section(
        Section::new("incidents", "/incidents", "nav-dashboard", |r: &Rights| {
            r.admin
        }),
        Router::new().route("/incidents", axum::routing::get(incidents)),
    )
    .into_router();
    let admin = login(&app, "admin", "pw-admin-1").await;
    let page = call(&app, get("/incidents", &admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"data-testid="incidents-page""#));
    assert!(
        page.body
            .contains(r#"data-testid="nav-incidents" aria-current="page""#)
    );
    // Settings stays last.
    let nav = page.body.find("nav-incidents").expect("link");
    assert!(page.body.find("nav-settings").is_some_and(|s| s > nav));
    // Signed out, the section's pages send to the log-in page.
    assert_eq!(
        call(&app, get("/incidents", "")).await.status,
        StatusCode::SEE_OTHER
    );
}

/// Five wrong passwords lock that user name out of the form for a while,
/// even with the right password; the answer says so (429).
#[tokio::test]
async fn password_guessing_is_throttled() {
    let f = fixture().await;
    let app = &f.app;
    let form = call(app, get("/", "")).await;
    let token = cookie_value(&form, "concord_login_csrf").expect("csrf");
    let attempt = |password: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("concord_login_csrf={token}"))
            .body(Body::from(format!(
                "csrf={token}&next=%2F&username=reader&password={password}"
            )))
            .expect("req")
    };
    for _ in 0..concord_taxii::throttle::MAX_FAILURES {
        assert_eq!(
            call(app, attempt("wrong")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = call(app, attempt("pw-reader-1")).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains(r#"data-testid="login-throttled""#));
    assert!(cookie_value(&locked, "concord_session").is_none());
    // Another user is not affected.
    login(app, "admin", "pw-admin-1").await;
}

// --- one policy for every way out ---------------------------------------------
//
// For random objects (types, references, TLP markings, audiences, signed
// by this member or not), collections (public or not) and users (admin,
// grants on some collections, none), the console shows a user exactly the
// (id, version) pairs TAXII serves that same user.

mod one_policy {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, header};
    use concord_console::Rights;
    use concord_stix::StixObject;
    use concord_stix::tlp::Tlp;
    use concord_store::{AnyStore, Grant, NewCollection, PreparedObject, SqliteStore, Store, User};
    use concord_taxii::access::token_hash;
    use concord_taxii::gate::Gate;
    use concord_taxii::server::egress::Federation;
    use concord_taxii::server::{ServerOptions, router_with};
    use concord_trust::{Audience, Keypair, Relay, set_audience, sign_object};
    use http_body_util::BodyExt;
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};
    use tower::ServiceExt;

    const ME: &str = "identity--00000000-0000-4000-8000-0000000000aa";
    const OTHER: &str = "identity--00000000-0000-4000-8000-0000000000bb";

    #[derive(Debug, Clone)]
    struct Obj {
        kind: u8,
        tlp: Option<Tlp>,
        audience: bool,
        signed: bool,
        versions: u8,
        refers_to: usize,
        collections: Vec<usize>,
    }

    fn obj() -> impl Strategy<Value = Obj> {
        (
            0u8..3,
            prop_oneof![
                Just(None),
                Just(Some(Tlp::Clear)),
                Just(Some(Tlp::Green)),
                Just(Some(Tlp::Amber)),
                Just(Some(Tlp::Red)),
            ],
            any::<bool>(),
            any::<bool>(),
            1u8..3,
            0usize..8,
            proptest::collection::vec(0usize..3, 1..3),
        )
            .prop_map(
                |(kind, tlp, audience, signed, versions, refers_to, collections)| Obj {
                    kind,
                    tlp,
                    audience,
                    signed,
                    versions,
                    refers_to,
                    collections,
                },
            )
    }

    fn id(n: usize, kind: u8) -> String {
        let t = ["indicator", "malware", "relationship"][kind as usize];
        format!("{t}--00000000-0000-4000-8000-{n:012}")
    }

    fn build(n: usize, o: &Obj, v: u8, all: &[Obj], key: &Keypair) -> Map<String, Value> {
        let modified = format!("2026-11-2{}T10:00:00.000Z", v);
        let kind = ["indicator", "malware", "relationship"][o.kind as usize];
        let mut m = json!({
            "type": kind,
            "spec_version": "2.1",
            "id": id(n, o.kind),
            "created": "2026-11-20T10:00:00.000Z",
            "modified": modified,
        });
        match o.kind {
            0 => {
                m["name"] = json!(format!("i{n}"));
                m["pattern"] = json!(format!("[ipv4-addr:value = '10.0.0.{n}']"));
                m["pattern_type"] = json!("stix");
                m["valid_from"] = json!("2026-11-20T10:00:00Z");
            }
            1 => {
                m["name"] = json!(format!("m{n}"));
                m["is_family"] = json!(false);
            }
            _ => {
                let target = o.refers_to % all.len();
                m["relationship_type"] = json!("related-to");
                m["source_ref"] = json!(id(n, 2));
                m["target_ref"] = json!(id(target, all[target].kind));
            }
        }
        let mut map = match m {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if let Some(t) = o.tlp {
            map.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        if o.audience {
            let _ = set_audience(
                &mut map,
                &Audience {
                    audience: vec![OTHER.into()],
                    relay: Relay::None,
                    retain_days: None,
                    never_export: false,
                },
            );
        }
        if o.signed {
            sign_object(&map, ME, key).expect("sign")
        } else {
            map
        }
    }

    async fn taxii_set(app: &axum::Router, token: &str) -> BTreeSet<(String, String)> {
        let get = |path: String| {
            Request::get(path)
                .header(header::ACCEPT, "application/taxii+json;version=2.1")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request")
        };
        let body = |r: axum::response::Response| async {
            let b = r.into_body().collect().await.expect("body").to_bytes();
            serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null)
        };
        let cols = body(
            app.clone()
                .oneshot(get("/taxii2/root/collections/".into()))
                .await
                .expect("collections"),
        )
        .await;
        let mut out = BTreeSet::new();
        for c in cols["collections"].as_array().into_iter().flatten() {
            if c["can_read"] != true {
                continue;
            }
            let cid = c["id"].as_str().expect("id");
            let mut next: Option<String> = None;
            loop {
                let mut path =
                    format!("/taxii2/root/collections/{cid}/objects/?match[version]=all&limit=3");
                if let Some(n) = &next {
                    path.push_str(&format!("&next={n}"));
                }
                let page = body(app.clone().oneshot(get(path)).await.expect("objects")).await;
                for o in page["objects"].as_array().into_iter().flatten() {
                    out.insert((
                        o["id"].as_str().unwrap_or("").to_string(),
                        o["modified"].as_str().unwrap_or("").to_string(),
                    ));
                }
                match (page["more"].as_bool(), page["next"].as_str()) {
                    (Some(true), Some(n)) => next = Some(n.to_string()),
                    _ => break,
                }
            }
        }
        out
    }

    async fn check(objs: Vec<Obj>, public: [bool; 3], grants: Vec<usize>) {
        let tmp = tempfile::tempdir().expect("tmp");
        let store = AnyStore::Sqlite(SqliteStore::open_dir(tmp.path()).expect("store"));
        let key = Keypair::generate();
        let mut cids = Vec::new();
        for (i, p) in public.iter().enumerate() {
            let c = store
                .create_collection(NewCollection {
                    id: None,
                    title: format!("c{i}"),
                    description: String::new(),
                    public: *p,
                })
                .await
                .expect("collection");
            cids.push(c.id);
        }
        for (n, o) in objs.iter().enumerate() {
            for v in 0..o.versions {
                let map = build(n, o, v, &objs, &key);
                let text = Value::Object(map.clone()).to_string();
                let object = StixObject::from_map(map);
                for c in &o.collections {
                    store
                        .put_batch(&cids[*c], vec![PreparedObject::new(&object, text.clone())])
                        .await
                        .expect("put");
                }
            }
        }
        let users = [
            ("admin", true, Vec::new()),
            ("granted", false, grants),
            ("nobody", false, Vec::new()),
        ];
        let fed = Arc::new(Federation::new(ME.to_string(), Default::default()));
        let gate = Gate::new(store.clone(), Some(fed.clone()), Default::default());
        let app = router_with(store.clone(), ServerOptions::default(), gate);
        let every: BTreeSet<String> = objs
            .iter()
            .enumerate()
            .map(|(n, o)| id(n, o.kind))
            .collect();
        for (name, admin, granted) in users {
            let user = User {
                name: name.into(),
                password_hash: String::new(),
                admin,
                grants: granted
                    .iter()
                    .map(|c| Grant {
                        collection: cids[*c].clone(),
                        read: true,
                        write: false,
                    })
                    .collect(),
            };
            store.put_user(user.clone()).await.expect("user");
            let token = format!("token-{name}");
            store
                .add_token(name, &token_hash(&token))
                .await
                .expect("token");
            let taxii = taxii_set(&app, &token).await;
            let rights = Rights::of(&store, user, fed.clone()).await.expect("rights");
            let mut console = BTreeSet::new();
            for id in &every {
                for v in rights.versions(&store, id).await.expect("versions") {
                    console.insert((v.id, v.version));
                }
            }
            assert_eq!(
                console, taxii,
                "user {name} (public {public:?}): the console and TAXII disagree"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]
        #[test]
        fn the_console_shows_what_taxii_serves(
            objs in proptest::collection::vec(obj(), 1..8),
            public in proptest::array::uniform3(any::<bool>()),
            grants in proptest::collection::vec(0usize..3, 0..3),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
            rt.block_on(check(objs, public, grants));
        }
    }
}
