//! The RPZ serial moves on with the content and only then; sids and revs
//! survive across exports in the store.

use concord_publish::{Scope, publish};
use concord_stix::Timestamp;
use concord_stix::tlp::Tlp;

use super::support::{Fixture, indicator, now, query, text, version};

fn serial_of(zone: &str) -> u32 {
    let soa = zone.lines().nth(2).expect("an SOA line");
    soa.split(' ')
        .nth(4)
        .expect("a serial")
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_serial_changes_with_the_content_only() {
    let f = Fixture::new().await;
    f.collection("c", false).await;
    let a = indicator(1, "[domain-name:value = 'a.example']", Tlp::Green);
    f.put("c", std::slice::from_ref(&a)).await;
    let scope = Scope::Node;
    let q = query("rpz");
    let first = publish(&f.store, &scope, &q, now()).await.unwrap();
    let s1 = serial_of(&text(&first.body));
    assert_eq!(Some(s1), first.serial);
    assert_eq!(s1, concord_exports::serial::serial_from_time(now()));
    // Later, nothing changed: the same serial, the same bytes and ETag.
    let later = Timestamp(now().0 + 3_600_000_000);
    let same = publish(&f.store, &scope, &q, later).await.unwrap();
    assert_eq!(same.body, first.body);
    assert_eq!(same.etag, first.etag);
    // A new indicator: a greater serial, even at an earlier clock.
    f.put(
        "c",
        &[indicator(
            2,
            "[domain-name:value = 'b.example']",
            Tlp::Green,
        )],
    )
    .await;
    let earlier = Timestamp(now().0 - 3_600_000_000);
    let changed = publish(&f.store, &scope, &q, earlier).await.unwrap();
    let s2 = serial_of(&text(&changed.body));
    assert!(
        concord_exports::serial::serial_gt(s2, s1),
        "{s2} after {s1}"
    );
    assert_ne!(changed.etag, first.etag);
    // Withdrawn again (a revoked version): back to the first content, yet
    // a greater serial still, or resolvers would keep the second zone.
    let mut gone = version(
        &indicator(2, "[domain-name:value = 'b.example']", Tlp::Green),
        "2026-11-02T00:00:00.000Z",
    );
    gone["revoked"] = serde_json::json!(true);
    f.put("c", &[gone]).await;
    let back = publish(&f.store, &scope, &q, later).await.unwrap();
    let s3 = serial_of(&text(&back.body));
    assert!(
        concord_exports::serial::serial_gt(s3, s2),
        "{s3} after {s2}"
    );
    // Another view (another zone name) keeps its own serial.
    let mut other = q.clone();
    other.set("zone", "other.concord.").unwrap();
    let o = publish(&f.store, &scope, &other, now()).await.unwrap();
    assert!(text(&o.body).starts_with("$ORIGIN other.concord.\n"));
    assert_eq!(
        o.serial,
        Some(concord_exports::serial::serial_from_time(now()))
    );
}

#[tokio::test]
async fn sids_stay_and_revs_follow_versions() {
    let f = Fixture::new().await;
    f.collection("c", false).await;
    let a = indicator(1, "[domain-name:value = 'a.example']", Tlp::Green);
    f.put(
        "c",
        &[
            a.clone(),
            indicator(2, "[ipv4-addr:value = '192.0.2.1']", Tlp::Green),
        ],
    )
    .await;
    let mut q = query("suricata");
    q.set("sid-range", "5000-5999").unwrap();
    let rules = |body: &[u8]| -> Vec<(String, String)> {
        text(body)
            .lines()
            .filter(|l| l.starts_with("alert"))
            .map(|l| {
                let field = |name: &str| {
                    l.split(&format!("{name}:"))
                        .nth(1)
                        .unwrap()
                        .split(';')
                        .next()
                        .unwrap()
                        .to_string()
                };
                (field("sid"), format!("{}|{}", field("rev"), field("msg")))
            })
            .collect()
    };
    let first = rules(
        &publish(&f.store, &Scope::Node, &q, now())
            .await
            .unwrap()
            .body,
    );
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(
        first.iter().all(|(sid, _)| sid.starts_with('5')),
        "{first:?}"
    );
    // A new indicator and a new version of the first.
    f.put(
        "c",
        &[
            indicator(3, "[domain-name:value = 'c.example']", Tlp::Green),
            version(&a, "2026-11-05T00:00:00.000Z"),
        ],
    )
    .await;
    let second = rules(
        &publish(&f.store, &Scope::Node, &q, now())
            .await
            .unwrap()
            .body,
    );
    assert_eq!(second.len(), 5, "{second:?}");
    for (sid, rest) in &first {
        let now = second
            .iter()
            .find(|(s, _)| s == sid)
            .expect("every sid stays");
        let msg = |r: &str| r.split('|').nth(1).unwrap().to_string();
        assert_eq!(msg(&now.1), msg(rest), "sid {sid} names the same rule");
        let rev = |r: &str| r.split('|').next().unwrap().to_string();
        let expected = if rest.contains("indicator 1") {
            "2"
        } else {
            "1"
        };
        assert_eq!(rev(&now.1), expected, "{sid}: {now:?}");
    }
    let new: Vec<_> = second
        .iter()
        .filter(|(s, _)| !first.iter().any(|(f, _)| f == s))
        .collect();
    assert_eq!(new.len(), 2, "{new:?}");
    assert!(
        new.iter().all(|(_, r)| r.contains("indicator 3")),
        "{new:?}"
    );
    // The table is a record of the store.
    use concord_store::Store;
    assert!(
        f.store
            .record(concord_publish::SID_RECORDS, "suricata")
            .await
            .unwrap()
            .is_some()
    );
}
