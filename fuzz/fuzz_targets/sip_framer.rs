//! See roomgate_fuzz::sip_framer.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::sip_framer(data));
