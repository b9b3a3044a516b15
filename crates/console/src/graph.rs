//! The relationship graph of one object, drawn on the server as SVG: the
//! object in the middle, its neighbours on a circle around it, one line
//! per relationship with its type written on it. Every node links to its
//! object page, so the picture works with no script at all.

use std::fmt::Write;

use crate::shell::escape;
use crate::summary::truncate;

/// A node around the centre.
#[derive(Debug, Clone)]
pub(crate) struct Neighbour {
    pub id: String,
    pub title: String,
    pub object_type: String,
    /// What links it to the centre (relationship type or property name).
    pub label: String,
    /// The edge points from the centre to this node.
    pub outgoing: bool,
}

const W: f64 = 720.0;
const H: f64 = 520.0;

/// The colour class of a node by its type family.
fn class_of(t: &str) -> &'static str {
    match t {
        "indicator" => "n-indicator",
        "malware" | "tool" => "n-malware",
        "threat-actor" | "intrusion-set" | "campaign" => "n-actor",
        "attack-pattern" | "course-of-action" | "vulnerability" => "n-ttp",
        "report" | "note" | "opinion" | "grouping" => "n-report",
        "identity" | "location" => "n-identity",
        "sighting" | "observed-data" | "incident" => "n-sighting",
        _ => "n-other",
    }
}

/// Draws the graph; `title` is the SVG's accessible name.
pub(crate) fn svg(
    title: &str,
    center_id: &str,
    center: &str,
    center_type: &str,
    around: &[Neighbour],
) -> String {
    let (cx, cy) = (W / 2.0, H / 2.0);
    let n = around.len().max(1) as f64;
    let r = if around.len() <= 8 { 170.0 } else { 210.0 };
    let mut s = String::with_capacity(2048 + around.len() * 400);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-labelledby="graph-title" class="graph" data-testid="graph-svg"><title id="graph-title">{}</title><defs><marker id="arrow" viewBox="0 0 10 10" refX="26" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>"#,
        escape(title)
    );
    let points: Vec<(f64, f64)> = (0..around.len())
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    for (nb, (x, y)) in around.iter().zip(&points) {
        let (x1, y1, x2, y2) = if nb.outgoing {
            (cx, cy, *x, *y)
        } else {
            (*x, *y, cx, cy)
        };
        let _ = write!(
            s,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" class="edge" marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" class="edge-label" text-anchor="middle">{}</text>"#,
            (cx + x) / 2.0,
            (cy + y) / 2.0 - 4.0,
            escape(&truncate(&nb.label, 24))
        );
    }
    for (nb, (x, y)) in around.iter().zip(&points) {
        let _ = write!(
            s,
            r#"<a href="/intel/{}" data-testid="graph-node"><g class="node {}"><circle cx="{x:.1}" cy="{y:.1}" r="16"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text><text x="{x:.1}" y="{:.1}" text-anchor="middle" class="node-type">{}</text></g></a>"#,
            escape(&crate::pages::dashboard::urlencode(&nb.id)),
            class_of(&nb.object_type),
            y + 32.0,
            escape(&truncate(&nb.title, 28)),
            y + 46.0,
            escape(&nb.object_type),
        );
    }
    let _ = write!(
        s,
        r#"<g class="node center {}" data-testid="graph-center" data-id="{}"><circle cx="{cx}" cy="{cy}" r="22"/><text x="{cx}" y="{:.1}" text-anchor="middle">{}</text></g></svg>"#,
        class_of(center_type),
        escape(center_id),
        cy + 40.0,
        escape(&truncate(center, 36)),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_nodes_and_escapes() {
        let around = vec![Neighbour {
            id: "malware--1".into(),
            title: "<Evil & Co>".into(),
            object_type: "malware".into(),
            label: "indicates".into(),
            outgoing: true,
        }];
        let s = svg("Graph", "indicator--x", "bad.example", "indicator", &around);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;Evil &amp; Co&gt;"));
        assert!(s.contains(r#"href="/intel/malware--1""#));
        assert_eq!(s.matches("data-testid=\"graph-node\"").count(), 1);
        let empty = svg("Graph", "x--1", "x", "x", &[]);
        assert!(empty.contains("graph-center"));
    }
}
