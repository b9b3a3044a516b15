//! A node's config file, as an operator (or a configuration tool) wrote
//! it: any text must give a config or an error naming the file, never a
//! panic; a config that parses renders to text that parses to the same
//! text again, secrets unresolved.
#![no_main]

use std::path::Path;

use concord_config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("config.toml");
    match Config::parse(text, file) {
        Ok(config) => {
            let rendered = config.to_text().expect("a parsed config renders");
            let again = Config::parse(&rendered, file).expect("a rendered config parses");
            assert_eq!(
                again.to_text().expect("renders again"),
                rendered,
                "rendering is stable"
            );
            let _ = config.storage_setting(None);
        }
        Err(e) => assert!(e.to_string().contains("config.toml"), "{e}"),
    }
});
