//! The digit of a SIP INFO body (`application/dtmf-relay`, `application/dtmf`), as
//! `roomgate::call::keypad::info_digit` reads it.

use roomgate::call::keypad::info_digit;

/// Content types the input picks from when it does not spell its own.
const TYPES: &[&str] = &[
    "application/dtmf-relay",
    "application/dtmf",
    "Application/DTMF-Relay; charset=utf-8",
    "application/sdp",
    "application/media_control+xml",
    "text/plain",
];

/// The input is `content type NUL body`, or, without a NUL, a first byte choosing one of
/// [`TYPES`] and the body. Whatever the body: the content type compares case-insensitively, a
/// digit is never whitespace, only the two DTMF types carry one, and a digit line put first
/// (relay) or a digit put first (bare) is the one read, whatever follows it.
pub fn info_dtmf(data: &[u8]) {
    let (content_type, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => match data.split_first() {
            Some((&k, body)) => (TYPES[usize::from(k) % TYPES.len()].to_string(), body),
            None => return,
        },
    };
    let digit = info_digit(&content_type, body);
    assert_eq!(info_digit(&content_type.to_ascii_uppercase(), body), digit);
    let ct = content_type.to_ascii_lowercase();
    let relay = ct.starts_with("application/dtmf-relay");
    if !ct.starts_with("application/dtmf") {
        assert_eq!(digit, None, "{content_type:?} carries no digit");
    }
    if let Some(d) = digit {
        assert!(!d.is_whitespace(), "whitespace {d:?} read as a digit");
        if relay {
            assert!(String::from_utf8_lossy(body).contains("Signal="));
        }
    }

    // Put a known digit first; it must win over anything the body says after it.
    let known = String::from_utf8_lossy(body)
        .chars()
        .find(|c| !c.is_whitespace())
        .unwrap_or('5');
    let mut first = Vec::new();
    if relay {
        first.extend_from_slice(format!("Signal={known}\r\nDuration=160\r\n").as_bytes());
        first.extend_from_slice(body);
        assert_eq!(info_digit(&content_type, &first), Some(known));
    } else if ct.starts_with("application/dtmf") {
        first.extend_from_slice(format!("\r\n {known}").as_bytes());
        first.extend_from_slice(body);
        assert_eq!(info_digit(&content_type, &first), Some(known));
    }
}
