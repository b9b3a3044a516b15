//! The console's static files, compiled into the binary: one stylesheet and
//! htmx (vendored, 0BSD; see `assets/htmx.LICENSE`), about 70 KB together
//! (the issue allows 200 KB of JS and CSS). They are served with a
//! version in the URL and cached for a year.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) const CSS: &str = include_str!("../assets/console.css");
pub(crate) const HTMX: &str = include_str!("../assets/htmx.min.js");

/// Changes with every release, so caches never serve an old file.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Total bytes of JavaScript and CSS shipped.
pub fn shipped_bytes() -> usize {
    CSS.len() + HTMX.len()
}

pub(crate) async fn get(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn assets_stay_under_the_budget() {
        assert!(
            super::shipped_bytes() <= 200 * 1024,
            "{} bytes",
            super::shipped_bytes()
        );
    }
}
