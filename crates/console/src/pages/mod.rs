//! One module per page group; each translates HTTP into calls on the
//! store, the rights and the library crates, and renders a template.

pub mod dashboard;
pub mod import;
pub mod intel;
pub mod login;
pub mod object;
pub mod settings;
