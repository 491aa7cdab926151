//! The formats this build of Stowage serves. Adding a format is its crate plus one line here.

use std::sync::Arc;
use stowage_core::format::Format;

/// Every registered format, in the order the UI's recipe picker lists them. One line each.
#[rustfmt::skip]
pub fn registered() -> Vec<Arc<dyn Format>> {
    vec![
        stowage_docker_format::format(),
        stowage_raw::format(),
    ]
}
