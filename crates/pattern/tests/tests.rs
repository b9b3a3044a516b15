//! The integration tests of concord-pattern, as one test binary (one link
//! step instead of one per file).

mod differential;
mod pathological;
mod properties;
mod support;
