//! See roomgate_fuzz::rtcp::rtcp.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::rtcp::rtcp(data));
