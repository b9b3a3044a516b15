#![no_main]
//! MISP import: any bytes either fail with an error or convert to objects
//! that all pass concord's STIX validation; and the export of those
//! objects never panics.

use concord_misp::{AudienceNaming, Exporter, Importer, MemberDirectory, Organisation};
use libfuzzer_sys::fuzz_target;

struct Names;

impl AudienceNaming for Names {
    fn sharing_group(&self, audience: &[String]) -> Option<String> {
        audience.first().cloned()
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = MemberDirectory::new().with_organisation_name("a", "identity--a");
    if let Ok(c) = Importer::new(&dir).convert_bytes(data) {
        for o in &c.objects {
            let issues = concord_stix::validate::validate(&o.object);
            assert!(concord_stix::validate::is_valid(&issues), "{issues:?}");
        }
        let objects: Vec<_> = c.objects.into_iter().map(|o| o.object).collect();
        let export = Exporter::new(&Names, Organisation { uuid: None, name: "x".into() }).export(&objects);
        let _ = concord_misp::feed_documents(&export.events);
    }
});
