//! See roomgate_fuzz::h264::h264_keyframe.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| roomgate_fuzz::h264::h264_keyframe(data));
