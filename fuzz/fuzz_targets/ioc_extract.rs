//! Free-text extraction and single-value parsing on any text: never a
//! panic; every value parse_ioc accepts reads back the same from its own
//! text; every observable extracted from text is found again in its own
//! text (when that text has nothing left to refang: `[[.]]` refangs to
//! `[.]`, which refangs again).
#![no_main]

use concord_matcher::Observable;
use concord_matcher::extract::{extract, parse_ioc, refang};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut out = Vec::new();
    extract(text, &mut out);
    for o in &out {
        let mut again = Vec::new();
        let t = o.text();
        if refang(&t) != t {
            continue;
        }
        extract(&t, &mut again);
        assert!(again.contains(o), "{o:?} not found again in {t:?} (from {text:?})");
        if !matches!(o, Observable::Url(_)) {
            assert!(parse_ioc(&t).is_ok(), "{t:?} extracted but not parsed alone");
        }
    }
    if let Ok(ioc) = parse_ioc(text)
        && refang(&ioc.value()) == ioc.value()
    {
        assert_eq!(parse_ioc(&ioc.value()).ok(), Some(ioc.clone()), "{text:?}");
    }
});
