//! Heap bytes, not time: what an established call and an Opus leg keep allocated, measured
//! with a counting allocator. Its own binary because a global allocator is the whole
//! process's: the other families do not pay for it, and its count is per thread (see
//! `counting_alloc`) so the two tests do not see each other's allocations.
//!
//! One test binary per family (each binary links the whole crate); shared helpers are in
//! `tests/support/`, helpers of this family only beside its tests.

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

#[path = "../support/mod.rs"]
mod support;

mod counting_alloc;

mod opus_leg;
mod sip_dialog_per_call;
