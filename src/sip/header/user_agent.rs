//! User-Agent (RFC 3261 §20.41): `product *(LWS (product / comment))`, kept as text.

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserAgent(pub BytesStr);

/// Checks `product / comment` words: tokens with an optional `/version`, or `( … )` comments.
pub(crate) fn parse_product_text(
    value: &Bytes,
    name: &'static str,
) -> Result<BytesStr, HeaderError> {
    let err = HeaderError::Malformed(name);
    let v = lex::trim(value);
    if v.is_empty() {
        return Err(err);
    }
    let mut s = v;
    while !s.is_empty() {
        if s[0] == b'(' {
            // comment: nested parentheses and quoted-pairs (§25.1).
            let mut depth = 0usize;
            let mut k = 0;
            loop {
                match s.get(k) {
                    None => return Err(err),
                    Some(b'\\') => k += 1,
                    Some(b'(') => depth += 1,
                    Some(b')') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            s = &s[k + 1..];
        } else {
            let (r, _) = lex::token(s).map_err(|_| err)?;
            s = r;
            if s.first() == Some(&b'/') {
                let (r, _) = lex::token(&s[1..]).map_err(|_| err)?;
                s = r;
            }
        }
        let r = lex::lws(s);
        if r.len() == s.len() && !r.is_empty() && r[0] != b'(' {
            return Err(err);
        }
        s = r;
    }
    lex::sub_str(value, v).ok_or(err)
}

impl TypedHeader for UserAgent {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        parse_product_text(value, "User-Agent").map(UserAgent)
    }
}

impl fmt::Display for UserAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn products_and_comments() {
        let u: UserAgent = round_trip("Cisco-CE/11.9 (Room Kit (Codec Plus)) TANDBERG/529");
        assert!(u.0.starts_with("Cisco-CE"));
        round_trip::<UserAgent>("Poly/RealPresence-Group-500 6.2.2");
        assert!(UserAgent::parse(&Bytes::from_static(b"")).is_err());
        assert!(UserAgent::parse(&Bytes::from_static(b"x (unclosed")).is_err());
    }
}
