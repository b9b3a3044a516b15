use super::*;
use proptest::prelude::*;

const ALICE: &str = "identity--00000000-0000-4000-8000-000000000001";
const BOB: &str = "identity--00000000-0000-4000-8000-000000000002";

fn indicator() -> Map<String, Value> {
    match json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Сервер управления 恶意软件",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z", "confidence": 80,
        "x_custom_score": 1.5,
        "extensions": {"extension-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":
            {"extension_type": "property-extension", "rank": 3}}
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn setup() -> (Keypair, Keypair, TrustedKeySet) {
    let a = Keypair::from_seed(&[1; 32]);
    let b = Keypair::from_seed(&[2; 32]);
    let mut t = TrustedKeySet::new();
    t.insert(ALICE, &a.public()).unwrap();
    t.insert(BOB, &b.public()).unwrap();
    (a, b, t)
}

fn ext_mut(o: &mut Map<String, Value>) -> &mut Map<String, Value> {
    o.get_mut("extensions")
        .and_then(|e| e.get_mut(PROVENANCE_EXTENSION_ID))
        .and_then(Value::as_object_mut)
        .unwrap()
}

#[test]
fn signed_object_verifies_and_is_valid_stix() {
    let (a, _, t) = setup();
    let signed = sign_object(&indicator(), ALICE, &a).unwrap();
    let p = verify_object(&signed, &t).unwrap();
    assert_eq!(p.signer, ALICE);
    assert_eq!(p.key_id, a.key_id());
    let bytes = serde_json::to_vec(&signed).unwrap();
    concord_stix::ingest::read_object(&bytes, &concord_pattern::Grammar).unwrap();
    // The bytes a relay forwards verify as they are.
    let relayed = concord_stix::json::parse_object(&bytes).unwrap();
    verify_object(&relayed, &t).unwrap();
}

#[test]
fn signing_an_owned_object_gives_the_same_bytes() {
    let (a, _, t) = setup();
    let mut plain = indicator();
    plain.remove("extensions");
    for object in [indicator(), plain] {
        let borrowed = sign_object(&object, ALICE, &a).unwrap();
        let owned = sign_owned(object, ALICE, &a).unwrap();
        assert_eq!(
            serde_json::to_string(&borrowed).unwrap(),
            serde_json::to_string(&owned).unwrap()
        );
        verify_object(&owned, &t).unwrap();
    }
    assert!(
        sign_owned(
            indicator(),
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            &a
        )
        .is_err()
    );
}

#[test]
fn extension_definition_is_valid_stix() {
    let bytes = serde_json::to_vec(&provenance_extension_definition()).unwrap();
    let checked = concord_stix::ingest::read_object(&bytes, &concord_pattern::Grammar).unwrap();
    assert_eq!(checked.object.id(), PROVENANCE_EXTENSION_ID);
}

#[test]
fn unsigned_object() {
    let (_, _, t) = setup();
    assert_eq!(verify_object(&indicator(), &t), Err(TrustError::Unsigned));
}

#[test]
fn unknown_key() {
    let (_, _, t) = setup();
    let stranger = Keypair::from_seed(&[3; 32]);
    let signed = sign_object(&indicator(), ALICE, &stranger).unwrap();
    assert_eq!(
        verify_object(&signed, &t),
        Err(TrustError::UnknownKey {
            key_id: stranger.key_id().to_hex()
        })
    );
    // Integrity alone still holds: the object is intact, its author unknown.
    verify_integrity(&signed).unwrap();
}

#[test]
fn signer_key_mismatch() {
    let (_, b, t) = setup();
    let signed = sign_object(&indicator(), ALICE, &b).unwrap();
    assert!(matches!(
        verify_object(&signed, &t),
        Err(TrustError::SignerMismatch { signer, owner, .. }) if signer == ALICE && owner == BOB
    ));
}

#[test]
fn re_attribution_breaks_the_signature() {
    let (a, _, t) = setup();
    let mut signed = sign_object(&indicator(), ALICE, &a).unwrap();
    let mut other = TrustedKeySet::new();
    other.insert(BOB, &a.public()).unwrap();
    ext_mut(&mut signed).insert("signer".into(), BOB.into());
    assert!(matches!(
        verify_object(&signed, &other),
        Err(TrustError::BadSignature { .. })
    ));
    assert!(matches!(
        verify_object(&signed, &t),
        Err(TrustError::SignerMismatch { .. })
    ));
}

#[test]
fn tampered_content_is_a_bad_signature() {
    let (a, _, t) = setup();
    let mut signed = sign_object(&indicator(), ALICE, &a).unwrap();
    signed.insert("confidence".into(), 81.into());
    assert_eq!(
        verify_object(&signed, &t),
        Err(TrustError::BadSignature {
            key_id: a.key_id().to_hex()
        })
    );
}

#[test]
fn malformed_extensions_name_the_path() {
    let (a, _, t) = setup();
    let signed = sign_object(&indicator(), ALICE, &a).unwrap();
    let cases: [(&str, Value); 4] = [
        ("sig", "not base64!".into()),
        ("sig", "AAAA".into()),
        ("key", "00".into()),
        ("extension_type", "new-sdo".into()),
    ];
    for (field, value) in cases {
        let mut o = signed.clone();
        ext_mut(&mut o).insert(field.into(), value);
        match verify_object(&o, &t) {
            Err(TrustError::MalformedExtension { path, .. }) => {
                assert!(path.ends_with(field), "{path} for {field}")
            }
            other => panic!("{field}: expected malformed, got {other:?}"),
        }
    }
    let mut o = signed.clone();
    ext_mut(&mut o).remove("signer");
    assert!(matches!(
        verify_object(&o, &t),
        Err(TrustError::MalformedExtension { .. })
    ));
    let mut o = signed;
    o.insert("extensions".into(), json!("x"));
    assert!(matches!(
        verify_object(&o, &t),
        Err(TrustError::MalformedExtension { .. })
    ));
}

#[test]
fn signer_must_be_an_identity() {
    let (a, _, _) = setup();
    assert!(matches!(
        sign_object(
            &indicator(),
            "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            &a
        ),
        Err(TrustError::Field { .. })
    ));
}

#[test]
fn a_key_belongs_to_one_member() {
    let (a, _, mut t) = setup();
    assert!(matches!(
        t.insert(BOB, &a.public()),
        Err(TrustError::DuplicateKey { .. })
    ));
    t.remove_member(ALICE);
    let signed = sign_object(&indicator(), ALICE, &a).unwrap();
    assert!(matches!(
        verify_object(&signed, &t),
        Err(TrustError::UnknownKey { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any one-byte change of the signed object's canonical bytes is either
    /// not a JSON object any more or fails verification.
    #[test]
    fn any_one_byte_change_fails(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (a, _, t) = setup();
        let signed = sign_object(&indicator(), ALICE, &a).unwrap();
        let canonical = concord_stix::canonical::to_canonical_string(&Value::Object(signed)).unwrap();
        let mut bytes = canonical.into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(o) = concord_stix::json::parse_object(&bytes) {
            prop_assert!(verify_object(&o, &t).is_err());
        }
    }

    /// Signing is deterministic for a given key.
    #[test]
    fn signing_is_deterministic(seed in any::<[u8; 32]>(), name in "\\PC{0,30}") {
        let k = Keypair::from_seed(&seed);
        let mut o = indicator();
        o.insert("name".into(), name.into());
        prop_assert_eq!(sign_object(&o, ALICE, &k).unwrap(), sign_object(&o, ALICE, &k).unwrap());
    }

    /// Unknown and custom properties survive signing and verification, and
    /// removing the provenance extension gives back the original object.
    #[test]
    fn unknown_properties_survive(
        props in proptest::collection::btree_map("x_[a-z_]{1,12}", any::<i32>(), 0..6),
        text in "\\PC{0,20}",
    ) {
        let (a, _, t) = setup();
        let mut o = indicator();
        for (k, v) in &props {
            o.insert(k.clone(), (*v).into());
        }
        o.insert("x_note".into(), text.into());
        let signed = sign_object(&o, ALICE, &a).unwrap();
        prop_assert!(verify_object(&signed, &t).is_ok());
        let mut back = signed.clone();
        if let Some(Value::Object(e)) = back.get_mut("extensions") {
            e.remove(PROVENANCE_EXTENSION_ID);
        }
        prop_assert_eq!(back, o);
    }
}

#[test]
fn batch_verification_gives_the_verdicts_of_one_by_one() {
    let (a, b, t) = setup();
    let stranger = Keypair::from_seed(&[9; 32]);
    let mut objects = Vec::new();
    for i in 0..40 {
        let mut o = indicator();
        o.insert(
            "id".into(),
            format!("indicator--00000000-0000-4000-8000-{i:012}").into(),
        );
        let signed = match i % 8 {
            0 => sign_object(&o, BOB, &b).unwrap(),
            1 => sign_object(&o, ALICE, &stranger).unwrap(),
            2 => sign_object(&o, BOB, &a).unwrap(),
            3 => o.clone(),
            4 => {
                let mut s = sign_object(&o, ALICE, &a).unwrap();
                s.insert("name".into(), "changed".into());
                s
            }
            _ => sign_object(&o, ALICE, &a).unwrap(),
        };
        objects.push(signed);
    }
    let refs: Vec<&Map<String, Value>> = objects.iter().collect();
    let batch = verify_objects(&refs, &t);
    assert_eq!(batch.len(), objects.len());
    for (o, got) in objects.iter().zip(&batch) {
        let want = verify_object(o, &t);
        assert_eq!(
            got.as_ref().map(|p| &p.signer),
            want.as_ref().map(|p| &p.signer)
        );
        assert_eq!(got.as_ref().err(), want.as_ref().err());
    }
    // All valid: one batch, all accepted.
    let good: Vec<&Map<String, Value>> = objects
        .iter()
        .zip(&batch)
        .filter(|(_, v)| v.is_ok())
        .map(|(o, _)| o)
        .collect();
    assert!(good.len() >= 20);
    assert!(verify_objects(&good, &t).iter().all(Result::is_ok));
    assert!(verify_objects(&[], &t).is_empty());
}

#[test]
fn the_view_without_sig_is_the_signed_bytes() {
    let (a, _, _) = setup();
    let mut o = indicator();
    o.insert(
        "nested".into(),
        json!({"sig": "kept: not the provenance one", "b": [1, 2.5, "é"]}),
    );
    let signed = sign_object(&o, ALICE, &a).unwrap();
    let mut copy = signed.clone();
    ext_mut(&mut copy).remove("sig");
    assert_eq!(
        unsigned_message(&signed).unwrap(),
        signing_input(&copy).unwrap()
    );
    // An object without `extensions`, or whose extension has no `sig`.
    let plain = indicator();
    assert_eq!(
        unsigned_message(&plain).unwrap(),
        signing_input(&plain).unwrap()
    );
}
