//! One module per page group; each translates HTTP into calls on the
//! store, the rights and the library crates, and renders a template.

pub(crate) mod dashboard;
pub(crate) mod import;
pub(crate) mod intel;
pub(crate) mod login;
pub(crate) mod object;
pub(crate) mod settings;
