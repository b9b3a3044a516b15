//! TAXII envelope reading, as a POST takes it: any body gives an envelope
//! or an error, never a panic; each member goes through the strict object
//! path, and an envelope written from raw members reads back the same.
#![no_main]

use concord_stix::ingest::read_object;
use concord_taxii::envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = envelope::parse(data) else {
        return;
    };
    for raw in &env.objects {
        let _ = read_object(raw.get().as_bytes(), &concord_pattern::Grammar);
        let _ = envelope::key_of(raw);
    }
    let written = envelope::write(env.more, env.next.as_deref(), env.objects.iter().map(|r| r.get()));
    let again = envelope::parse(written.as_bytes()).expect("a written envelope reads back");
    assert_eq!(again.more, env.more);
    assert_eq!(again.next, env.next);
    assert_eq!(again.objects.len(), env.objects.len());
    for (a, b) in again.objects.iter().zip(&env.objects) {
        assert_eq!(a.get(), b.get());
    }
});
