//! Cards that modules add to the dashboard (alerts, sync status, votes
//! waiting): the console cannot call the node, so the node hands it a
//! [`Panel`] per card and the dashboard renders them after its own.
//!
//! A panel decides from the viewer's rights whether it shows anything:
//! `Ok(None)` shows nothing (no card, no number). It is asked on every
//! dashboard request, so it must answer in a few milliseconds.

use std::future::Future;
use std::pin::Pin;

use crate::ConsoleError;
use crate::shell::{ConsoleState, Viewer};

/// What [`Panel::render`] returns: the card's HTML, or nothing.
pub type PanelFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<String>, ConsoleError>> + Send + 'a>>;

/// One dashboard card added by a module.
pub trait Panel: Send + Sync {
    /// The card's HTML (put in the page as is: escape what it shows), or
    /// `None` when this viewer may not see it.
    fn render<'a>(&'a self, st: &'a ConsoleState, v: &'a Viewer) -> PanelFuture<'a>;
}
