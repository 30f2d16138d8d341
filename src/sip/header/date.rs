//! Date (RFC 3261 §20.17): an RFC 1123 date that must be in GMT (RFC 4475 §3.1.2.12).

use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

/// The date as text, validated as `wkday, DD Mon YYYY HH:MM:SS GMT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Date(pub BytesStr);

impl TypedHeader for Date {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Date");
        let v = lex::trim(value);
        let text = std::str::from_utf8(v).map_err(|_| err)?;
        let parts: Vec<&str> = text.split(' ').collect();
        let ok = parts.len() == 6
            && matches!(
                parts[0],
                "Mon," | "Tue," | "Wed," | "Thu," | "Fri," | "Sat," | "Sun,"
            )
            && parts[1].len() == 2
            && parts[1].bytes().all(|c| c.is_ascii_digit())
            && matches!(
                parts[2],
                "Jan"
                    | "Feb"
                    | "Mar"
                    | "Apr"
                    | "May"
                    | "Jun"
                    | "Jul"
                    | "Aug"
                    | "Sep"
                    | "Oct"
                    | "Nov"
                    | "Dec"
            )
            && parts[3].len() == 4
            && parts[3].bytes().all(|c| c.is_ascii_digit())
            && parts[4].len() == 8
            && parts[4].bytes().enumerate().all(|(k, c)| {
                if k == 2 || k == 5 {
                    c == b':'
                } else {
                    c.is_ascii_digit()
                }
            })
            && parts[5] == "GMT";
        if !ok {
            return Err(err);
        }
        Ok(Date(lex::sub_str(value, v).ok_or(err)?))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn gmt_only() {
        round_trip::<Date>("Sat, 13 Nov 2010 23:29:00 GMT");
        assert!(Date::parse(&Bytes::from_static(b"Fri, 01 Jan 2010 16:00:00 EST")).is_err());
        assert!(Date::parse(&Bytes::from_static(b"yesterday")).is_err());
    }
}
