//! Converts one MISP event file to STIX and prints what it took, for
//! `bench/misp.sh`: `misp_import EVENT.json [ROUNDS]`.

use std::time::Instant;

use concord_misp::{Importer, MemberDirectory};

#[expect(clippy::print_stdout, reason = "a measuring tool prints its figures")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: misp_import EVENT.json [ROUNDS]")?;
    let rounds: u32 = args.next().map_or(Ok(3), |r| r.parse())?;
    let bytes = std::fs::read(&file)?;
    let dir = MemberDirectory::new();
    let mut best = f64::MAX;
    let mut attributes = 0;
    let mut objects = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let c = Importer::new(&dir).convert_bytes(&bytes)?;
        best = best.min(t.elapsed().as_secs_f64());
        attributes = c.report.attributes;
        objects = c.objects.len();
    }
    println!(
        "{{\"attributes\": {attributes}, \"objects\": {objects}, \"seconds\": {best:.4}, \"attributes_per_second\": {:.0}}}",
        attributes as f64 / best
    );
    Ok(())
}
