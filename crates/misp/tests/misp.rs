//! Integration tests of concord-misp: realistic MISP events, checked
//! against concord's own STIX validation and, as oracles, misp-stix and
//! PyMISP (see `misp/support.rs` for how the Python interpreter is found).

mod misp {
    mod convert;
    mod feed;
    mod oracle;
    mod support;
}
