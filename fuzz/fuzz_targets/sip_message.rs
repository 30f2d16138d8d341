//! See roomgate_fuzz::sip_message.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::sip_message(data));
