//! Offline bundles: built from a log, verified with the member's key
//! alone, the first failing object named; and still a STIX bundle that
//! python-stix2 reads (with allow_custom for the bundle's extra property;
//! each object parses strictly) and stix2-validator finds valid. Needs
//! CONCORD_PYTHON with stix2 3.0.2 and stix2-validator.

use std::process::Command;

use concord_tlog::{
    BundleItem, TileNodes, TlogError, build_bundle, inclusion_proof, verify_bundle,
};
use concord_trust::Keypair;
use serde_json::{Map, Value};

use super::common::{Log, MEMBER, intel, log_signer, node_key, signed_indicator};

pub(crate) struct Fixture {
    pub(crate) bytes: Vec<u8>,
}

/// A log with `n` signed indicators among other entries, and a bundle of
/// all of them.
pub(crate) fn bundle_of(n: usize) -> Fixture {
    let mut log = Log::with_entries(37);
    let objects: Vec<Map<String, Value>> = (0..n).map(signed_indicator).collect();
    let mut placed = Vec::new();
    for o in &objects {
        let (entry, nonce) = intel(o);
        let index = log.size;
        log.append(&[entry, b"someone else's entry".to_vec()]);
        placed.push((index, nonce));
    }
    let checkpoint = log.checkpoint(&log_signer());
    let mut nodes = TileNodes::new(&log.tiles, log.size);
    let items: Vec<BundleItem<'_>> = objects
        .iter()
        .zip(&placed)
        .map(|(o, (index, nonce))| BundleItem {
            object: o,
            nonce: *nonce,
            leaf_index: *index,
            proof: inclusion_proof(*index, log.size, &mut nodes)
                .expect("the fixture bundle is well formed"),
        })
        .collect();
    Fixture {
        bytes: build_bundle(&items, &checkpoint, &node_key())
            .expect("the fixture bundle is well formed"),
    }
}

#[test]
fn a_bundle_verifies_offline_with_the_members_key() {
    let f = bundle_of(4);
    let report = verify_bundle(&f.bytes, &node_key().public()).unwrap();
    assert_eq!(report.objects.len(), 4);
    assert_eq!(report.objects[0].signer, MEMBER);
    assert_eq!(report.origin, super::common::ORIGIN);
    assert_eq!(report.objects[1].leaf_index, 39);
    assert!(verify_bundle(&f.bytes, &Keypair::from_seed(&[3; 32]).public()).is_err());
}

fn edit(bytes: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).expect("the fixture bundle is well formed");
    change(&mut v);
    serde_json::to_vec(&v).expect("the fixture bundle is well formed")
}

/// Re-signs an edited bundle with the member's key, as a member who made
/// a mistake would: the objects' own checks must still catch it.
fn resign(bytes: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut v: Value = serde_json::from_slice(bytes).expect("the fixture bundle is well formed");
    let map = v
        .as_object_mut()
        .expect("the fixture bundle is well formed");
    let jcs =
        concord_stix::canonical::to_canonical_string_omitting(map, &["x_concord_log", "signature"])
            .expect("the fixture bundle is well formed");
    let mut message = concord_tlog::BUNDLE_SIGNATURE_PREFIX.to_vec();
    message.extend_from_slice(jcs.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(node_key().sign(&message));
    map["x_concord_log"]["signature"] = sig.into();
    serde_json::to_vec(&v).expect("the fixture bundle is well formed")
}

#[test]
fn the_first_failing_object_is_named() {
    let f = bundle_of(3);
    let key = node_key().public();
    // Without re-signing, any edit breaks the bundle signature.
    let renamed = edit(&f.bytes, |v| v["objects"][1]["name"] = "changed".into());
    assert!(matches!(
        verify_bundle(&renamed, &key),
        Err(TlogError::Bundle(_))
    ));
    // Re-signed: object 1's provenance signature fails.
    let err = verify_bundle(&resign(&renamed), &key).unwrap_err();
    let TlogError::BundleObject { index, id, reason } = err else {
        panic!("{err:?}")
    };
    assert_eq!(index, 1);
    assert!(id.starts_with("indicator--00000001"));
    assert!(matches!(*reason, TlogError::Provenance(_)), "{reason:?}");
    // A wrong nonce: the commitment is not the logged leaf.
    let bad_nonce = resign(&edit(&f.bytes, |v| {
        v["x_concord_log"]["entries"][2]["nonce"] =
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into()
    }));
    let err = verify_bundle(&bad_nonce, &key).unwrap_err();
    assert!(
        matches!(&err, TlogError::BundleObject { index: 2, reason, .. } if matches!(**reason, TlogError::Inclusion { .. })),
        "{err:?}"
    );
    // A wrong leaf index.
    let moved = resign(&edit(&f.bytes, |v| {
        v["x_concord_log"]["entries"][0]["leaf_index"] = 38.into()
    }));
    assert!(matches!(
        verify_bundle(&moved, &key),
        Err(TlogError::BundleObject { index: 0, .. })
    ));
    // Objects swapped without their entries.
    let swapped = resign(&edit(&f.bytes, |v| {
        let objects = v["objects"].as_array_mut().unwrap();
        objects.swap(0, 1);
    }));
    assert!(matches!(
        verify_bundle(&swapped, &key),
        Err(TlogError::BundleObject { index: 0, .. })
    ));
    // An entry missing.
    let short = resign(&edit(&f.bytes, |v| {
        v["x_concord_log"]["entries"].as_array_mut().unwrap().pop();
    }));
    assert!(matches!(
        verify_bundle(&short, &key),
        Err(TlogError::Bundle(_))
    ));
    // An object signed by another node key, re-signed bundle: named.
    let stranger = concord_trust::sign_object(
        &signed_indicator(9),
        "identity--0d5c0d37-52c2-4a09-8a51-3f1a0e8c0a01",
        &Keypair::from_seed(&[8; 32]),
    )
    .unwrap();
    let foreign = resign(&edit(&f.bytes, |v| {
        v["objects"][2] = Value::Object(stranger)
    }));
    let err = verify_bundle(&foreign, &key).unwrap_err();
    assert!(
        matches!(&err, TlogError::BundleObject { index: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn plain_stix_tools_read_the_objects() {
    let f = bundle_of(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    std::fs::write(&path, &f.bytes).unwrap();
    let python = std::env::var("CONCORD_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys
try:
    import stix2
except ImportError:
    print("NO-STIX2")
    sys.exit(3)
data = open(sys.argv[1]).read()
b = stix2.parse(data, allow_custom=True)
print(len(b.objects), b.objects[0].type, b.objects[0].id)
# Without allow_custom, each object still parses on its own.
for o in json.loads(data)["objects"]:
    stix2.parse(json.dumps(o))
print("objects parse strictly")
from stix2validator import validate_string, ValidationOptions
r = validate_string(data, ValidationOptions(strict=False))
print("validator", "valid" if r.is_valid else "invalid")
"#;
    let out = Command::new(&python)
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; set CONCORD_PYTHON to a Python with stix2 3.0.2 (scripts/python-env.sh makes one)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("NO-STIX2"),
        "{python} has no stix2: set CONCORD_PYTHON to a Python with stix2 3.0.2 (scripts/python-env.sh makes one)"
    );
    assert!(
        out.status.success(),
        "stix2 could not read the bundle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("2 indicator indicator--00000000"),
        "{stdout}"
    );
    assert!(stdout.contains("objects parse strictly"), "{stdout}");
    // stix2-validator: valid (a warning 401 names the custom property).
    assert!(stdout.contains("validator valid"), "{stdout}");
}
