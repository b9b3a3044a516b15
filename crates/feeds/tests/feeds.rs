//! The feeds crate's integration tests, in one binary: fetching over real
//! HTTP servers (Python's http.server, an axum server with ETags), and the
//! objects lists give (valid STIX, patterns that parse, stable versions).

mod feeds {
    mod fetching;
    mod objects;
    mod support;
}
