//! See roomgate_fuzz::sdp::sdp.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::sdp::sdp(data));
