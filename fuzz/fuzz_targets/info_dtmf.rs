//! See roomgate_fuzz::info_dtmf::info_dtmf.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::info_dtmf::info_dtmf(data));
