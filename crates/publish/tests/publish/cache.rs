//! The cache serves the same output until the view's collections change.

use std::sync::Arc;

use concord_publish::{Cache, Scope};
use concord_share::Recipient;
use concord_stix::tlp::Tlp;

use super::support::{Fixture, indicator, query, text};

#[tokio::test]
async fn an_unchanged_view_is_served_from_the_cache() {
    let f = Fixture::new().await;
    f.collection("open", true).await;
    f.collection("other", true).await;
    f.put(
        "open",
        &[indicator(
            1,
            "[domain-name:value = 'a.example']",
            Tlp::Clear,
        )],
    )
    .await;
    let cache = Cache::default();
    let scope = Scope::Collections {
        federation: f.federation.clone(),
        collections: vec![("open".into(), Some(Recipient::Public))],
    };
    let q = query("rpz");
    let first = cache.publish(&f.store, &scope, &q).await.unwrap();
    let again = cache.publish(&f.store, &scope, &q).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the second poll is the cached output"
    );
    // Another collection changes: not this view.
    f.put(
        "other",
        &[indicator(
            2,
            "[domain-name:value = 'b.example']",
            Tlp::Clear,
        )],
    )
    .await;
    assert!(Arc::ptr_eq(
        &first,
        &cache.publish(&f.store, &scope, &q).await.unwrap()
    ));
    // This one changes: a new output, with the new name and a new ETag.
    f.put(
        "open",
        &[indicator(
            3,
            "[domain-name:value = 'c.example']",
            Tlp::Clear,
        )],
    )
    .await;
    let changed = cache.publish(&f.store, &scope, &q).await.unwrap();
    assert!(text(&changed.body).contains("c.example CNAME"));
    assert_ne!(changed.etag, first.etag);
    // Another query is another entry.
    let hosts = cache
        .publish(&f.store, &scope, &query("hosts"))
        .await
        .unwrap();
    assert!(
        text(&hosts.body).ends_with("\n0.0.0.0 a.example\n0.0.0.0 c.example\n"),
        "{}",
        text(&hosts.body)
    );
}
