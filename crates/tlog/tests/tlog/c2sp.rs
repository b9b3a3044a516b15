//! The examples of the C2SP specifications (C2SP/C2SP signed-note.md,
//! tlog-checkpoint.md, tlog-cosignature.md, tlog-witness.md) and of Go's
//! golang.org/x/mod/sumdb/note tests, byte for byte.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use concord_tlog::{
    AddCheckpoint, Checkpoint, Note, NoteSigner, NoteVerifier, SignatureLine, SignatureType,
    SignedCheckpoint, TlogError, Verifiers, cosignature_message,
};
use concord_trust::Keypair;

const FOO_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const FOO_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

#[test]
fn signed_note_spec_example_verifies() {
    let v = NoteVerifier::parse(FOO_VKEY).unwrap();
    assert_eq!(v.name(), "example.com/foo");
    assert_eq!(v.key_id(), 0x530d903a);
    assert_eq!(v.kind(), SignatureType::Ed25519);
    assert_eq!(v.to_vkey(), FOO_VKEY);
    let note = Note::parse(FOO_NOTE.as_bytes()).unwrap();
    assert_eq!(note.text(), "This is an example message.\n");
    let verified = note.verify(&Verifiers::one(v.clone())).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(note.to_bytes(), FOO_NOTE.as_bytes());
    // One changed character of the text: the known key's line fails.
    let changed = FOO_NOTE.replacen("example message", "example massage", 1);
    assert_eq!(
        Note::parse(changed.as_bytes())
            .unwrap()
            .verify(&Verifiers::one(v))
            .unwrap_err(),
        TlogError::BadSignature {
            key: "example.com/foo+530d903a".into()
        }
    );
}

#[test]
fn signed_note_poem_parses_and_has_no_known_key() {
    let poem = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned\u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
    let note = Note::parse(poem.as_bytes()).unwrap();
    assert_eq!(
        note.text(),
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned\u{e8} subito sera.\n"
    );
    assert_eq!(note.signatures()[0].name, "quasimodo.example/salvatore");
    assert_eq!(note.to_bytes(), poem.as_bytes());
    let foo = NoteVerifier::parse(FOO_VKEY).unwrap();
    assert_eq!(
        note.verify(&Verifiers::one(foo)).unwrap_err(),
        TlogError::NoKnownSignature { unknown: 1 }
    );
}

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const PETER_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter_signer() -> NoteSigner {
    // Go's private key format: PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed).
    let raw = B64
        .decode(
            PETER_SKEY
                .splitn(5, '+')
                .nth(4)
                .expect("Go's test key is well formed"),
        )
        .expect("Go's test key is well formed");
    assert_eq!(raw[0], 0x01);
    let seed: [u8; 32] = raw[1..].try_into().expect("Go's test key is well formed");
    NoteSigner::new("PeterNeumann", Keypair::from_seed(&seed))
        .expect("Go's test key is well formed")
}

#[test]
fn go_note_signing_is_byte_for_byte() {
    let signer = peter_signer();
    assert_eq!(signer.verifier().to_vkey(), PETER_VKEY);
    let mut note = Note::new(PETER_TEXT).unwrap();
    note.add_signature(signer.sign(note.text())).unwrap();
    assert_eq!(
        String::from_utf8(note.to_bytes()).unwrap(),
        format!("{PETER_TEXT}\n{PETER_SIG}")
    );
}

#[test]
fn go_note_open_cases() {
    let peter = NoteVerifier::parse(PETER_VKEY).unwrap();
    let enoch = NoteVerifier::parse(ENOCH_VKEY).unwrap();
    let both = format!("{PETER_TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let note = Note::parse(both.as_bytes()).unwrap();
    assert_eq!(
        note.verify(&Verifiers::one(peter.clone())).unwrap().len(),
        1
    );
    let two = Verifiers::new([peter.clone(), enoch.clone()]).unwrap();
    assert_eq!(note.verify(&two).unwrap().len(), 2);
    assert!(matches!(
        note.verify(&Verifiers::default()),
        Err(TlogError::NoKnownSignature { unknown: 2 })
    ));
    assert!(Verifiers::new([enoch.clone(), peter.clone(), enoch]).is_err());
    // Too many signatures.
    let many = format!("{PETER_TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(Note::parse(many.as_bytes()).is_err());
    // A signature with four characters inserted.
    let broken = format!("{PETER_TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(
        Note::parse(broken.as_bytes())
            .unwrap()
            .verify(&Verifiers::one(peter.clone())),
        Err(TlogError::BadSignature { .. })
    ));
    // Go's malformed messages.
    for bad in [
        PETER_TEXT.to_string(),
        format!("{PETER_TEXT}\n"),
        format!("{PETER_TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{PETER_TEXT}\n{PETER_SIG}"),
        format!(
            "{PETER_TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        ),
        format!("{PETER_TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ] {
        assert!(Note::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    let mut invalid_utf8 = vec![0xff];
    invalid_utf8.extend_from_slice(format!("{PETER_TEXT}\n{PETER_SIG}").as_bytes());
    assert!(Note::parse(&invalid_utf8).is_err());
}

#[test]
fn go_verifier_key_manglings_are_all_refused() {
    // sumdb/note TestNewVerifier: every proper substring and every byte
    // incremented must be refused.
    NoteVerifier::parse(PETER_VKEY).unwrap();
    let b = PETER_VKEY.as_bytes();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            let s = String::from_utf8_lossy(&b[i..j]);
            assert!(NoteVerifier::parse(&s).is_err(), "{s}");
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] = m[i].wrapping_add(1);
        let s = String::from_utf8_lossy(&m);
        assert!(NoteVerifier::parse(&s).is_err(), "{s}");
    }
    // Wrong key length and unknown algorithm, each with a matching key id.
    assert!(
        NoteVerifier::parse(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
        )
        .is_err()
    );
    assert!(
        NoteVerifier::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
}

const SOFA: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
const SOFA_SIG: &str = "\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
const W1_COSIG: &str = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

#[test]
fn checkpoint_spec_example_parses_byte_for_byte() {
    let bytes = format!("{SOFA}\n{SOFA_SIG}");
    let sc = SignedCheckpoint::parse(bytes.as_bytes()).unwrap();
    let c = sc.checkpoint();
    assert_eq!(c.origin, "example.com/behind-the-sofa");
    assert_eq!(c.size, 20_852_163);
    assert_eq!(
        c.root.to_base64(),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert!(c.extensions.is_empty());
    assert_eq!(c.to_text(), SOFA);
    assert_eq!(sc.to_bytes(), bytes.as_bytes());
    let line = &sc.note().signatures()[0];
    assert_eq!(line.signature.len(), 64, "an Ed25519 signature");
    assert_eq!(Checkpoint::parse(SOFA).unwrap(), c.clone());
}

#[test]
fn cosignature_spec_example_carries_its_time() {
    let bytes = format!("{SOFA}\n{SOFA_SIG}{W1_COSIG}");
    let sc = SignedCheckpoint::parse(bytes.as_bytes()).unwrap();
    let w1 = &sc.note().signatures()[1];
    assert_eq!(w1.name, "witness.example.com/w1");
    assert_eq!(w1.signature.len(), 72, "u64 time ‖ 64-byte signature");
    let time = u64::from_be_bytes(w1.signature[..8].try_into().unwrap());
    assert_eq!(time, 1_679_315_147);
    // The spec's example of the signed message, byte for byte.
    assert_eq!(
        String::from_utf8(cosignature_message(SOFA, time)).unwrap(),
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
    assert_eq!(sc.to_bytes(), bytes.as_bytes());
    // transparency-dev/formats note_cosigv1_test.go: a cosignature whose
    // timestamp is 1727964367.
    let formats = SignatureLine::parse(
        "\u{2014} w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==",
        1,
    )
    .unwrap();
    assert_eq!(
        u64::from_be_bytes(formats.signature[..8].try_into().unwrap()),
        1_727_964_367
    );
}

#[test]
fn witness_spec_example_response_lines_parse() {
    let response = "\u{2014} witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLrdk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n\
\u{2014} witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+DlkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n\
\u{2014} witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n";
    let lines: Vec<SignatureLine> = response
        .lines()
        .enumerate()
        .map(|(i, l)| SignatureLine::parse(l, i + 1).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l.signature.len(), 72);
    }
    assert_eq!(
        lines.iter().map(|l| l.to_line()).collect::<String>(),
        response
    );
    // The spec: "the client MAY concatenate it to the checkpoint".
    let joined = format!("{SOFA}\n{SOFA_SIG}{response}");
    assert_eq!(
        SignedCheckpoint::parse(joined.as_bytes())
            .unwrap()
            .note()
            .signatures()
            .len(),
        4
    );
    // And the example request body round-trips.
    let body =
        format!("old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\n{SOFA}\n{SOFA_SIG}");
    let req = AddCheckpoint::parse(body.as_bytes()).unwrap();
    assert_eq!(req.to_bytes(), body.as_bytes());
}
