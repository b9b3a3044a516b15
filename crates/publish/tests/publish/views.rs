//! Who sees what: the public a public collection's CLEAR indicators only,
//! a user with rights whole collections, a peer its share; the filters.

use concord_publish::{Scope, publish};
use concord_share::{Peer, Recipient};
use concord_stix::tlp::Tlp;

use super::support::{Fixture, indicator, now, query, text};

async fn fixture() -> Fixture {
    let f = Fixture::new().await;
    f.collection("open", true).await;
    f.collection("closed", false).await;
    f.put(
        "open",
        &[
            indicator(1, "[domain-name:value = 'clear.example']", Tlp::Clear),
            indicator(2, "[domain-name:value = 'green.example']", Tlp::Green),
            indicator(3, "[domain-name:value = 'amber.example']", Tlp::Amber),
            indicator(4, "[domain-name:value = 'red.example']", Tlp::Red),
            indicator(5, "[ipv4-addr:value = '198.51.100.7']", Tlp::Clear),
        ],
    )
    .await;
    f.put(
        "closed",
        &[indicator(
            6,
            "[domain-name:value = 'closed.example']",
            Tlp::Clear,
        )],
    )
    .await;
    f
}

#[tokio::test]
async fn the_public_sees_clear_only_and_users_see_collections_whole() {
    let f = fixture().await;
    let public = Scope::Collections {
        federation: f.federation.clone(),
        collections: vec![("open".into(), Some(Recipient::Public))],
    };
    let zone = publish(&f.store, &public, &query("rpz"), now())
        .await
        .unwrap();
    let zone = text(&zone.body);
    assert!(zone.contains("clear.example CNAME . ;"), "{zone}");
    assert!(zone.contains("32.7.100.51.198.rpz-ip CNAME . ;"), "{zone}");
    for hidden in [
        "green.example",
        "amber.example",
        "red.example",
        "closed.example",
    ] {
        assert!(
            !zone.contains(hidden),
            "{hidden} leaked to the public:\n{zone}"
        );
    }
    let user = Scope::Collections {
        federation: f.federation.clone(),
        collections: vec![("open".into(), None), ("closed".into(), None)],
    };
    let hosts = publish(&f.store, &user, &query("hosts"), now())
        .await
        .unwrap();
    let hosts = text(&hosts.body);
    for name in [
        "clear.example",
        "green.example",
        "amber.example",
        "red.example",
        "closed.example",
    ] {
        assert!(
            hosts.contains(&format!("\n0.0.0.0 {name}\n")),
            "{name}:\n{hosts}"
        );
    }
}

#[tokio::test]
async fn a_peer_gets_its_share() {
    let f = fixture().await;
    let peer = Recipient::Peer(Peer {
        member: "identity--peer".into(),
        groups: Default::default(),
        charter_member: true,
    });
    let scope = Scope::Collections {
        federation: f.federation.clone(),
        collections: vec![("open".into(), Some(peer))],
    };
    let out = publish(&f.store, &scope, &query("text"), now())
        .await
        .unwrap();
    // The default policy: CLEAR and GREEN to charter members; AMBER needs
    // an audience, RED a red_to entry.
    assert_eq!(
        text(&out.body),
        "198.51.100.7\nclear.example\ngreen.example\n"
    );
}

#[tokio::test]
async fn filters_of_the_query() {
    let f = fixture().await;
    let all = Scope::Node;
    let mut q = query("text");
    q.set("tlp", "green").unwrap();
    let out = publish(&f.store, &all, &q, now()).await.unwrap();
    assert_eq!(
        text(&out.body),
        "198.51.100.7\nclear.example\nclosed.example\ngreen.example\n"
    );
    q.set("type", "ipv4-addr").unwrap();
    let out = publish(&f.store, &all, &q, now()).await.unwrap();
    assert_eq!(text(&out.body), "198.51.100.7\n");
    let report = out.report.unwrap();
    assert_eq!(report.indicators, 1);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    // A collection alone, in STIX.
    let one = Scope::Collections {
        federation: f.federation.clone(),
        collections: vec![("closed".into(), None)],
    };
    let bundle = publish(&f.store, &one, &query("stix"), now())
        .await
        .unwrap();
    let bundle: serde_json::Value = serde_json::from_slice(&bundle.body).unwrap();
    assert_eq!(bundle["type"], "bundle");
    assert_eq!(bundle["objects"].as_array().unwrap().len(), 1);
    assert_eq!(
        bundle["objects"][0]["pattern"],
        "[domain-name:value = 'closed.example']"
    );
    let again = publish(&f.store, &one, &query("stix"), now())
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&again.body).unwrap(),
        bundle
    );
}
