//! Lexical pieces shared by the URI and typed-header grammars (RFC 3261 §25.1), written with
//! nom 8 over byte slices. Every function returns sub-slices of its input so callers can turn
//! them into zero-copy `Bytes` with [`sub`]. A leaf under the message, URI and header modules
//! (it knows only [`BytesStr`]), so none of them depends on another for its grammar.

use bytes::Bytes;
use nom::bytes::complete::take_while1;
use nom::{IResult, Parser};

use crate::sip::bytes_str::BytesStr;

mod params;
pub use params::{Param, ParamRef, Params, ParamsIter};

/// A 256-entry class table: one load per byte on the hot paths instead of a chain of
/// comparisons.
pub(crate) const fn class(extra: &[u8], alnum: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = alnum && b.is_ascii_alphanumeric();
        c += 1;
    }
    let mut k = 0;
    while k < extra.len() {
        t[extra[k] as usize] = true;
        k += 1;
    }
    t
}

const TOKEN: [bool; 256] = class(b"-.!%*_+`'~", true);
const WORD: [bool; 256] = class(b"-.!%*_+`'~()<>:\\\"/[]?{}", true);
const GEN_VALUE: [bool; 256] = class(b"-.!%*_+`'~:[]", true);
const DIGIT: [bool; 256] = class(b"0123456789", false);

/// `token` characters (RFC 3261 §25.1).
#[inline]
pub fn is_token(c: u8) -> bool {
    TOKEN[c as usize]
}

/// Length of the `token` at the start of `s`.
#[inline]
pub fn span_token(s: &[u8]) -> usize {
    span(s, &TOKEN)
}

/// `word` characters (Call-ID, §25.1).
#[inline]
pub fn is_word(c: u8) -> bool {
    WORD[c as usize]
}

/// Length of the longest prefix of `s` whose bytes are in `table`.
#[inline]
pub fn span(s: &[u8], table: &[bool; 256]) -> usize {
    s.iter()
        .position(|&c| !table[c as usize])
        .unwrap_or(s.len())
}

#[inline]
pub fn is_wsp(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// Linear white space, after unfolding; CR and LF are accepted too so values built by hand
/// with folding still parse.
#[inline]
pub fn is_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

#[inline]
pub fn lws(i: &[u8]) -> &[u8] {
    let n = i.iter().position(|&c| !is_lws(c)).unwrap_or(i.len());
    &i[n..]
}

#[inline]
pub fn trim(i: &[u8]) -> &[u8] {
    let i = lws(i);
    let n = i.iter().rposition(|&c| !is_lws(c)).map_or(0, |p| p + 1);
    &i[..n]
}

/// `token` (`take_while1` by the class table, without nom's parser machinery: this runs for
/// every Via, CSeq and option tag).
#[inline]
pub fn token(i: &[u8]) -> IResult<&[u8], &[u8]> {
    split_nonempty(i, span(i, &TOKEN))
}

#[inline]
pub fn digits(i: &[u8]) -> IResult<&[u8], &[u8]> {
    split_nonempty(i, span(i, &DIGIT))
}

#[inline]
fn split_nonempty(i: &[u8], n: usize) -> IResult<&[u8], &[u8]> {
    if n == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::TakeWhile1,
        )));
    }
    Ok((&i[n..], &i[..n]))
}

/// A decimal number that must fit in `u32` (delta-seconds, CSeq, Content-Length…).
pub fn parse_u32(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Leading zeros are legal ("0068", RFC 4475 §3.1.1.1).
    let nz = d.iter().position(|&c| c != b'0').unwrap_or(d.len());
    let d = &d[nz..];
    if d.len() > 10 {
        return None;
    }
    let v = d.iter().fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    u32::try_from(v).ok()
}

/// `quoted-string` including its quotes (§25.1); backslash escapes (quoted-pair) are kept.
#[inline]
pub fn quoted_string(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let err = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Char));
    if i.first() != Some(&b'"') {
        return Err(err());
    }
    let mut k = 1;
    while k < i.len() {
        match i[k] {
            b'"' => return Ok((&i[k + 1..], &i[..k + 1])),
            // quoted-pair excludes CR and LF.
            b'\\' if k + 1 < i.len() && i[k + 1] != b'\r' && i[k + 1] != b'\n' => k += 2,
            b'\\' => return Err(err()),
            c if c < 0x20 && c != b'\t' && c != b'\r' && c != b'\n' => return Err(err()),
            0x7f => return Err(err()),
            _ => k += 1,
        }
    }
    Err(err())
}

/// Removes the quotes and quoted-pair backslashes of a `quoted-string`; other text is returned
/// as is.
pub fn unquote(s: &str) -> std::borrow::Cow<'_, str> {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return std::borrow::Cow::Borrowed(s);
    };
    if !inner.contains('\\') {
        return std::borrow::Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Quotes `s` as a `quoted-string`, escaping `"` and `\`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A `gen-value` (token / host / quoted-string, §25.1). Hosts add `:` `[` `]` for IPv6.
pub fn gen_value(i: &[u8]) -> IResult<&[u8], &[u8]> {
    if i.first() == Some(&b'"') {
        return quoted_string(i);
    }
    take_while1(|c: u8| GEN_VALUE[c as usize]).parse(i)
}

/// Zero-copy slice of `src`; `s` must lie inside `src` (it always does: every lexer returns
/// sub-slices of its input).
#[inline]
pub fn sub(src: &Bytes, s: &[u8]) -> Bytes {
    if s.is_empty() {
        Bytes::new()
    } else {
        src.slice_ref(s)
    }
}

/// A `BytesStr` slice of `src`; `None` when not UTF-8.
#[inline]
pub fn sub_str(src: &Bytes, s: &[u8]) -> Option<BytesStr> {
    // Common parameter names and values become static strings: no reference count to bump
    // and drop (the typed accessors create many of these per message).
    if let Some(k) = interned(s) {
        return Some(BytesStr::from_static(k));
    }
    if s.is_ascii() {
        return Some(BytesStr::from_ascii(sub(src, s)));
    }
    BytesStr::from_utf8(sub(src, s)).ok()
}

#[inline]
fn interned(s: &[u8]) -> Option<&'static str> {
    // Values that recur in every message of their kind (Via version, Reason protocol,
    // Content-Type, option tags). Parameters do not come here: they stay in place.
    Some(match s {
        b"2.0" => "2.0",
        b"SIP" => "SIP",
        b"Q.850" => "Q.850",
        b"application" => "application",
        b"sdp" => "sdp",
        b"timer" => "timer",
        b"100rel" => "100rel",
        _ => return None,
    })
}

/// `*( SEMI generic-param )` with LWS allowed around `;` and `=` (§7.3.1, §25.1). Returns the
/// params and the rest of the input (starting at the first byte that is not part of them).
/// The params keep the checked text whole (see [`Params`]).
#[inline]
pub fn params<'a>(src: &Bytes, i: &'a [u8]) -> Result<(Params, &'a [u8]), ()> {
    let mut rest = i;
    let mut quoted = false;
    loop {
        let j = lws(rest);
        if j.first() != Some(&b';') {
            break;
        }
        let j = lws(&j[1..]);
        let n = span(j, &TOKEN);
        if n == 0 {
            return Err(());
        }
        let j = &j[n..];
        let k = lws(j);
        rest = if k.first() == Some(&b'=') {
            let k = lws(&k[1..]);
            if k.first() == Some(&b'"') {
                quoted = true;
                quoted_string(k).map_err(|_| ())?.0
            } else {
                let m = span(k, &GEN_VALUE);
                if m == 0 {
                    return Err(());
                }
                &k[m..]
            }
        } else {
            j
        };
    }
    let text = &i[..i.len() - rest.len()];
    if text.is_empty() {
        return Ok((Params::new(), rest));
    }
    // Quoted strings may carry UTF-8; everything else is ASCII by the grammar.
    let text = if !quoted || text.is_ascii() {
        BytesStr::from_ascii(sub(src, text))
    } else {
        BytesStr::from_utf8(sub(src, text)).map_err(|_| ())?
    };
    Ok((Params::from_checked(text), rest))
}

/// The next parameter of text already checked as header params ([`params`]) or URI params
/// (§19.1.1), and the text after it. Both grammars keep `;`, `=` and white space out of names
/// and unquoted values, which is all this scan needs.
#[inline]
pub(crate) fn next_checked_param(text: &str) -> Option<(ParamRef<'_>, &str)> {
    let b = text.as_bytes();
    let skip = |mut k: usize| {
        while k < b.len() && is_lws(b[k]) {
            k += 1;
        }
        k
    };
    let ends = |c: u8| is_lws(c) || c == b';' || c == b'=';
    let k = skip(0);
    if b.get(k) != Some(&b';') {
        return None;
    }
    let n0 = skip(k + 1);
    let mut n1 = n0;
    while n1 < b.len() && !ends(b[n1]) {
        n1 += 1;
    }
    let eq = skip(n1);
    let (value, end) = if b.get(eq) == Some(&b'=') {
        let v0 = skip(eq + 1);
        let v1 = match quoted_string(&b[v0..]) {
            Ok((rest, _)) => b.len() - rest.len(),
            Err(_) => {
                let mut v1 = v0;
                while v1 < b.len() && !ends(b[v1]) {
                    v1 += 1;
                }
                v1
            }
        };
        (Some(&text[v0..v1]), v1)
    } else {
        (None, n1)
    };
    let p = ParamRef {
        name: &text[n0..n1],
        value,
    };
    Some((p, &text[end..]))
}

/// Splits a comma-separated header value (§7.3.1) outside quoted strings and angle brackets.
/// Elements are trimmed; empty elements are kept so callers can reject them.
pub fn split_commas(v: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut in_angle = false;
    let mut k = 0;
    while k < v.len() {
        match v[k] {
            b'\\' if in_quote => k += 1,
            b'"' if !in_angle => in_quote = !in_quote,
            b'<' if !in_quote => in_angle = true,
            b'>' if !in_quote => in_angle = false,
            b',' if !in_quote && !in_angle => {
                out.push(trim(&v[start..k]));
                start = k + 1;
            }
            _ => {}
        }
        k += 1;
    }
    out.push(trim(&v[start.min(v.len())..]));
    out
}

/// Skips white space then expects `c`.
pub fn expect(i: &[u8], c: u8) -> Result<&[u8], ()> {
    let i = lws(i);
    if i.first() == Some(&c) {
        Ok(&i[1..])
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u32(b"0068"), Some(68));
        assert_eq!(parse_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(parse_u32(b"4294967296"), None);
        assert_eq!(parse_u32(b"000000000000001"), Some(1));
        assert_eq!(parse_u32(b"36893488147419103232"), None);
        assert_eq!(parse_u32(b""), None);
        assert_eq!(parse_u32(b"-1"), None);
    }

    #[test]
    fn quoted() {
        let (rest, q) = quoted_string(br#""a \"b\" c" x"#).unwrap();
        assert_eq!(q, br#""a \"b\" c""#);
        assert_eq!(rest, b" x");
        assert!(quoted_string(br#""open"#).is_err());
        assert_eq!(unquote(r#""a \"b\"""#), r#"a "b""#);
        assert_eq!(quote(r#"a "b""#), r#""a \"b\"""#);
    }

    #[test]
    fn commas_respect_quotes_and_brackets() {
        let v = br#""a, b" <sip:x@y;p=1,2>, <sip:z>"#;
        let parts = split_commas(v);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1], b"<sip:z>");
    }
}
