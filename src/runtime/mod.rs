//! See the crate docs for where this module sits.
