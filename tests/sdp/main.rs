//! SDP: parse and print, golden offer → answer fixtures, hold and resume, our own offers,
//! errors naming the line, round-trips.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

mod attributes;
mod golden;
mod hold_resume;
mod offerer;
mod parse_errors;
mod roundtrip;
