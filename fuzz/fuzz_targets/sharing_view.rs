//! The sharing view a serving node parses from stored JSON instead of the
//! whole object: any bytes give a view or an error, never a panic, and for
//! any JSON object the view decides exactly as the whole object does and
//! names the same references and signer.
#![no_main]

use concord_share::{
    EgressPolicy, NeverExport, Peer, Provenance, Recipient, decide, references, sharing_view,
};
use concord_stix::StixObject;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut policy = EgressPolicy::with_audiences();
    policy.never_export.push(NeverExport::DataClass {
        name: "named".into(),
        object_type: None,
        property: "name".into(),
    });
    let view = sharing_view(data, &policy);
    let Ok(map) = concord_stix::json::parse_object(data) else {
        return;
    };
    let view = view.expect("a JSON object always has a view");
    let whole = StixObject::from_map(map);
    assert_eq!(references(&whole), references(&view));
    let signer = |o: &StixObject| concord_trust::signer_of(o.as_map()).map(str::to_string);
    assert_eq!(signer(&whole), signer(&view));
    let audience = |o: &StixObject| concord_share::read_audience(o.as_map());
    assert_eq!(audience(&whole), audience(&view));
    let peer = Recipient::Peer(Peer {
        member: "identity--b".into(),
        groups: Default::default(),
        charter_member: true,
    });
    for recipient in [Recipient::Public, peer] {
        for provenance in [
            Provenance::Author,
            Provenance::Relay {
                author: "identity--a".into(),
            },
        ] {
            assert_eq!(
                decide(&policy, &whole, &recipient, &provenance),
                decide(&policy, &view, &recipient, &provenance)
            );
        }
    }
});
