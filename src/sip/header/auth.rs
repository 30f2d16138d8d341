//! WWW-Authenticate, Proxy-Authenticate, Authorization and Proxy-Authorization (RFC 3261
//! §20.7, §20.44, §22.4; digest per RFC 2617 / RFC 8760): `scheme param=value, param=value`.
//! Unknown schemes keep their params (RFC 4475 §3.3.7).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use super::{HeaderError, TypedHeader};
use crate::sip::bytes_str::BytesStr;
use crate::sip::lex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthParam {
    pub name: BytesStr,
    /// As received: quoted strings keep their quotes.
    pub value: BytesStr,
}

/// A challenge or credentials: `Digest realm="roomgate", nonce="…", algorithm=MD5`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHeader {
    pub scheme: BytesStr,
    pub params: Vec<AuthParam>,
}

impl AuthHeader {
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
    /// The value of `name`, unquoted.
    pub fn param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| lex::unquote(&p.value))
    }
    /// Adds a parameter, quoting `value` when `quoted` (realm, nonce, uri, response… are
    /// quoted-strings in RFC 2617; algorithm, qop in credentials, nc are tokens).
    pub fn push(&mut self, name: &'static str, value: &str, quoted: bool) {
        let v = if quoted {
            lex::quote(value)
        } else {
            value.to_string()
        };
        self.params.push(AuthParam {
            name: name.into(),
            value: v.into(),
        });
    }
}

impl TypedHeader for AuthHeader {
    fn parse(value: &Bytes) -> Result<Self, HeaderError> {
        let err = HeaderError::Malformed("Authorization");
        let (s, scheme) = lex::token(lex::lws(value)).map_err(|_| err)?;
        let mut params = Vec::new();
        let rest = lex::lws(s);
        if !rest.is_empty() {
            if rest.len() == s.len() {
                return Err(err);
            }
            for part in lex::split_commas(rest) {
                let (r, name) = lex::token(part).map_err(|_| err)?;
                let r = lex::expect(r, b'=').map_err(|_| err)?;
                let (r, v) = lex::gen_value(lex::lws(r)).map_err(|_| err)?;
                if !lex::lws(r).is_empty() {
                    return Err(err);
                }
                params.push(AuthParam {
                    name: lex::sub_str(value, name).ok_or(err)?,
                    value: lex::sub_str(value, v).ok_or(err)?,
                });
            }
        }
        Ok(AuthHeader {
            scheme: lex::sub_str(value, scheme).ok_or(err)?,
            params,
        })
    }
}

impl fmt::Display for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        for (k, p) in self.params.iter().enumerate() {
            f.write_str(if k == 0 { " " } else { ", " })?;
            write!(f, "{}={}", p.name, p.value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::round_trip;

    #[test]
    fn digest_challenge_and_credentials() {
        let c: AuthHeader = round_trip(
            "Digest realm=\"roomgate\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"\", algorithm=MD5",
        );
        assert!(c.is_digest());
        assert_eq!(c.param("realm").as_deref(), Some("roomgate"));
        assert_eq!(c.param("ALGORITHM").as_deref(), Some("MD5"));
        assert_eq!(c.param("opaque").as_deref(), Some(""));
        let a: AuthHeader = round_trip(
            "Digest username=\"room12\", realm=\"roomgate\", nonce=\"abc\", uri=\"sip:1000@127.0.0.1\", response=\"6629fae49393a05397450978507c4ef1\", nc=00000001, cnonce=\"0a4f113b\", qop=auth",
        );
        assert_eq!(a.param("uri").as_deref(), Some("sip:1000@127.0.0.1"));
        assert_eq!(a.param("nc").as_deref(), Some("00000001"));
    }

    #[test]
    fn unknown_scheme_and_builder() {
        let a: AuthHeader = round_trip("NoOneKnowsThisScheme opaque-data=here");
        assert!(!a.is_digest());
        let mut b = AuthHeader {
            scheme: "Digest".into(),
            params: vec![],
        };
        b.push("realm", "room \"gate\"", true);
        b.push("algorithm", "MD5", false);
        let back = AuthHeader::parse(&Bytes::from(b.to_string())).unwrap();
        assert_eq!(back.param("realm").as_deref(), Some("room \"gate\""));
        assert!(AuthHeader::parse(&Bytes::from_static(b"Digest realm")).is_err());
    }
}
