//! Signed notes, checkpoints and verifier keys from anyone: any bytes give
//! a verdict, never a panic; what parses is written back byte for byte,
//! and verification against a fixed log key and witness never panics.
#![no_main]

use std::sync::OnceLock;

use concord_tlog::{
    Checkpoint, Cosigner, Note, NoteSigner, NoteVerifier, SignedCheckpoint, Verifiers,
};
use concord_trust::Keypair;
use libfuzzer_sys::fuzz_target;

fn verifiers() -> &'static Verifiers {
    static V: OnceLock<Verifiers> = OnceLock::new();
    V.get_or_init(|| {
        let log = NoteSigner::new("log.example", Keypair::from_seed(&[1; 32])).expect("valid name");
        let w = Cosigner::new("w.example", Keypair::from_seed(&[2; 32])).expect("valid name");
        Verifiers::new([log.verifier(), w.verifier()]).expect("distinct keys")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(
            note.to_bytes(),
            data,
            "a parsed note is written back as it was"
        );
        let _ = note.verify(verifiers());
    }
    if let Ok(sc) = SignedCheckpoint::parse(data) {
        let c = sc.checkpoint();
        assert_eq!(c.to_text(), sc.note().text());
        assert_eq!(&Checkpoint::parse(&c.to_text()).expect("round trip"), c);
        let _ = sc.cosignatures(verifiers());
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(c) = Checkpoint::parse(s) {
            assert_eq!(c.to_text(), s);
        }
        if let Ok(v) = NoteVerifier::parse(s) {
            assert_eq!(v.to_vkey(), s, "a verifier key has one spelling");
        }
    }
});
