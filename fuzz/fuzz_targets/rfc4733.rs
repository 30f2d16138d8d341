//! See roomgate_fuzz::rfc4733::rfc4733.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::rfc4733::rfc4733(data));
