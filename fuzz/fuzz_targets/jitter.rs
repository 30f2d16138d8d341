//! See roomgate_fuzz::jitter::jitter.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::jitter::jitter(data));
