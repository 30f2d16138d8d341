//! Parse any datagram; if accepted, printing and parsing again must agree
//! (see roomgate::sip::codec::fuzzing::check_message).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    roomgate::sip::codec::fuzzing::check_message(data);
});
