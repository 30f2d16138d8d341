//! Frame any byte stream, whole and in chunks; both must give the same frames and the buffer
//! must stay bounded (see roomgate::sip::codec::fuzzing::check_framer).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    roomgate::sip::codec::fuzzing::check_framer(data);
});
