//! The publication of exports from a real (embedded) store: views under
//! the sharing policy, sids and serials kept across exports, the cache.

mod publish {
    mod cache;
    mod output;
    mod serials_and_sids;
    mod support;
    mod views;
}
