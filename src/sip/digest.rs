//! Digest authentication as a client (RFC 3261 §22.2–§22.4, RFC 2617 §3.2.2, RFC 8760):
//! answering a 401/407 challenge to our INVITE with an `Authorization` or
//! `Proxy-Authorization` header.
//!
//! Pure computation: the caller supplies the challenge, the credentials, the request line and
//! a client nonce from its own (seeded) random source.

use md5::Md5;
use sha2::{Sha256, Sha512_256};

use super::header::AuthHeader;

/// An account roomgate may use when a peer or proxy challenges its requests.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The realm these credentials are for; `None` answers any realm.
    pub realm: Option<String>,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credential {
    // The password is a secret: never let it reach a log line through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("realm", &self.realm)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("challenge scheme is not Digest")]
    NotDigest,
    #[error("challenge has no {0}")]
    Missing(&'static str),
    #[error("unsupported digest algorithm {0:?}")]
    Algorithm(String),
    #[error("challenge offers no qop we support ({0:?})")]
    Qop(String),
    #[error("no credentials for realm {0:?}")]
    NoCredentials(String),
}

/// Digest algorithms (RFC 2617 §3.2.1, RFC 8760 §2.2); the `-sess` variants hash the client
/// nonce into HA1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
    Sha512_256,
}

impl Algorithm {
    fn parse(s: &str) -> Option<(Algorithm, bool)> {
        let (name, sess) = match s.len().checked_sub(5) {
            Some(k) if s.is_char_boundary(k) && s[k..].eq_ignore_ascii_case("-sess") => {
                (&s[..k], true)
            }
            _ => (s, false),
        };
        let alg = if name.eq_ignore_ascii_case("MD5") {
            Algorithm::Md5
        } else if name.eq_ignore_ascii_case("SHA-256") {
            Algorithm::Sha256
        } else if name.eq_ignore_ascii_case("SHA-512-256") {
            Algorithm::Sha512_256
        } else {
            return None;
        };
        Some((alg, sess))
    }

    /// Lower-case hex of the hash of `parts` joined by `:`.
    fn hex(self, parts: &[&[u8]]) -> String {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> String {
            let mut d = D::new();
            for (k, p) in parts.iter().enumerate() {
                if k > 0 {
                    d.update(b":");
                }
                d.update(p);
            }
            let out = d.finalize();
            let mut s = String::with_capacity(out.len() * 2);
            for b in out {
                s.push(char::from(HEX[usize::from(b >> 4)]));
                s.push(char::from(HEX[usize::from(b & 15)]));
            }
            s
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match self {
            Algorithm::Md5 => run::<Md5>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
            Algorithm::Sha512_256 => run::<Sha512_256>(parts),
        }
    }
}

/// Whether we can answer `challenge` at all (a complete Digest challenge with an algorithm
/// and qop we know).
pub fn supported(challenge: &AuthHeader) -> bool {
    challenge.is_digest()
        && challenge.param("realm").is_some()
        && challenge.param("nonce").is_some()
        && challenge
            .param("algorithm")
            .is_none_or(|a| Algorithm::parse(&a).is_some())
        && challenge
            .param("qop")
            .is_none_or(|q| pick_qop(&q).is_some())
}

/// `auth` when offered, else `auth-int` (RFC 2617 §3.2.1: qop-options is a list).
fn pick_qop(options: &str) -> Option<&'static str> {
    let mut found = None;
    for q in options.split(',').map(str::trim) {
        if q.eq_ignore_ascii_case("auth") {
            return Some("auth");
        }
        if q.eq_ignore_ascii_case("auth-int") {
            found = Some("auth-int");
        }
    }
    found
}

/// The request being authorized.
pub struct RequestLine<'a> {
    pub method: &'a str,
    /// The Request-URI, used verbatim as `uri` (RFC 3261 §22.4).
    pub uri: &'a str,
    pub body: &'a [u8],
}

/// Builds the credentials answering `challenge` (RFC 2617 §3.2.2). `nc` counts our uses of
/// this nonce (1 for the first); `cnonce` comes from the caller's random source.
pub fn authorize(
    challenge: &AuthHeader,
    credentials: &[Credential],
    req: &RequestLine<'_>,
    cnonce: &str,
    nc: u32,
) -> Result<AuthHeader, DigestError> {
    if !challenge.is_digest() {
        return Err(DigestError::NotDigest);
    }
    let realm = challenge
        .param("realm")
        .ok_or(DigestError::Missing("realm"))?;
    let nonce = challenge
        .param("nonce")
        .ok_or(DigestError::Missing("nonce"))?;
    let (alg, sess, alg_name) = match challenge.param("algorithm") {
        Some(a) => {
            let (alg, sess) =
                Algorithm::parse(&a).ok_or_else(|| DigestError::Algorithm(a.to_string()))?;
            (alg, sess, Some(a))
        }
        // RFC 2617 §3.2.1: absent means MD5.
        None => (Algorithm::Md5, false, None),
    };
    let qop = match challenge.param("qop") {
        Some(q) => Some(pick_qop(&q).ok_or_else(|| DigestError::Qop(q.to_string()))?),
        None => None,
    };
    let cred = credentials
        .iter()
        .find(|c| c.realm.as_deref() == Some(realm.as_ref()))
        .or_else(|| credentials.iter().find(|c| c.realm.is_none()))
        .ok_or_else(|| DigestError::NoCredentials(realm.to_string()))?;

    let mut ha1 = alg.hex(&[
        cred.username.as_bytes(),
        realm.as_bytes(),
        cred.password.as_bytes(),
    ]);
    if sess {
        ha1 = alg.hex(&[ha1.as_bytes(), nonce.as_bytes(), cnonce.as_bytes()]);
    }
    let ha2 = if qop == Some("auth-int") {
        let body = alg.hex(&[req.body]);
        alg.hex(&[req.method.as_bytes(), req.uri.as_bytes(), body.as_bytes()])
    } else {
        alg.hex(&[req.method.as_bytes(), req.uri.as_bytes()])
    };
    let nc = format!("{nc:08x}");
    let response = match qop {
        Some(q) => alg.hex(&[
            ha1.as_bytes(),
            nonce.as_bytes(),
            nc.as_bytes(),
            cnonce.as_bytes(),
            q.as_bytes(),
            ha2.as_bytes(),
        ]),
        None => alg.hex(&[ha1.as_bytes(), nonce.as_bytes(), ha2.as_bytes()]),
    };

    let mut out = AuthHeader {
        scheme: "Digest".into(),
        params: Vec::with_capacity(10),
    };
    out.push("username", &cred.username, true);
    out.push("realm", &realm, true);
    out.push("nonce", &nonce, true);
    out.push("uri", req.uri, true);
    out.push("response", &response, true);
    if let Some(a) = alg_name {
        out.push("algorithm", &a, false);
    }
    if let Some(opaque) = challenge.param("opaque") {
        // RFC 2617 §3.2.2: returned unchanged.
        out.push("opaque", &opaque, true);
    }
    if let Some(q) = qop {
        out.push("qop", q, false);
        out.push("nc", &nc, false);
        out.push("cnonce", cnonce, true);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::header::TypedHeader;
    use bytes::Bytes;

    fn challenge(s: &'static str) -> AuthHeader {
        AuthHeader::parse(&Bytes::from_static(s.as_bytes())).unwrap()
    }

    fn any(user: &str, pass: &str) -> Vec<Credential> {
        vec![Credential {
            realm: None,
            username: user.into(),
            password: pass.into(),
        }]
    }

    fn req(method: &'static str, uri: &'static str, body: &'static [u8]) -> RequestLine<'static> {
        RequestLine { method, uri, body }
    }

    /// RFC 2617 §3.5's worked example (an HTTP GET, but the digest is the same arithmetic).
    #[test]
    fn rfc2617_example() {
        let c = challenge(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        );
        let a = authorize(
            &c,
            &any("Mufasa", "Circle Of Life"),
            &req("GET", "/dir/index.html", b""),
            "0a4f113b",
            1,
        )
        .unwrap();
        assert_eq!(
            a.param("response").as_deref(),
            Some("6629fae49393a05397450978507c4ef1")
        );
        assert_eq!(a.param("nc").as_deref(), Some("00000001"));
        assert_eq!(a.param("qop").as_deref(), Some("auth"));
        assert_eq!(
            a.param("opaque").as_deref(),
            Some("5ccc069c403ebaf9f0171e9517f40e41")
        );
        // Printed the way RFC 2617 writes credentials: tokens bare, strings quoted.
        let s = a.to_string();
        assert!(s.starts_with("Digest username=\"Mufasa\", realm=\"testrealm@host.com\""));
        assert!(
            s.contains(", qop=auth, nc=00000001, cnonce=\"0a4f113b\""),
            "{s}"
        );
    }

    /// RFC 7616 §3.9.1's SHA-256 example (same arithmetic as RFC 8760 for SIP).
    #[test]
    fn rfc7616_sha256_example() {
        let c = challenge(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
        );
        let a = authorize(
            &c,
            &any("Mufasa", "Circle of Life"),
            &req("GET", "/dir/index.html", b""),
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            1,
        )
        .unwrap();
        assert_eq!(
            a.param("response").as_deref(),
            Some("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        );
        assert_eq!(a.param("algorithm").as_deref(), Some("SHA-256"));
    }

    /// Without qop (RFC 2069 compatibility, still common on PBXs): no nc/cnonce.
    #[test]
    fn no_qop() {
        let c = challenge("Digest realm=\"pbx\", nonce=\"abc\"");
        let req = req("INVITE", "sip:room@127.0.0.1", b"v=0\r\n");
        let a = authorize(&c, &any("gw", "secret"), &req, "x", 1).unwrap();
        let ha1 = Algorithm::Md5.hex(&[b"gw", b"pbx", b"secret"]);
        let ha2 = Algorithm::Md5.hex(&[b"INVITE", b"sip:room@127.0.0.1"]);
        let want = Algorithm::Md5.hex(&[ha1.as_bytes(), b"abc", ha2.as_bytes()]);
        assert_eq!(a.param("response").as_deref(), Some(want.as_str()));
        assert!(a.param("cnonce").is_none() && a.param("nc").is_none());
    }

    #[test]
    fn sess_and_auth_int_hash_what_they_say() {
        let c = challenge("Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess, qop=\"auth-int\"");
        let req = req("INVITE", "sip:a@b", b"v=0\r\n");
        let a = authorize(&c, &any("u", "p"), &req, "cn", 2).unwrap();
        let ha1 = Algorithm::Md5.hex(&[b"u", b"r", b"p"]);
        let ha1 = Algorithm::Md5.hex(&[ha1.as_bytes(), b"n", b"cn"]);
        let hb = Algorithm::Md5.hex(&[b"v=0\r\n"]);
        let ha2 = Algorithm::Md5.hex(&[b"INVITE", b"sip:a@b", hb.as_bytes()]);
        let want = Algorithm::Md5.hex(&[
            ha1.as_bytes(),
            b"n",
            b"00000002",
            b"cn",
            b"auth-int",
            ha2.as_bytes(),
        ]);
        assert_eq!(a.param("response").as_deref(), Some(want.as_str()));
        assert_eq!(a.param("algorithm").as_deref(), Some("MD5-sess"));
    }

    #[test]
    fn realm_specific_credentials_win_over_catch_all() {
        let creds = vec![
            Credential {
                realm: None,
                username: "any".into(),
                password: "x".into(),
            },
            Credential {
                realm: Some("pbx".into()),
                username: "gw".into(),
                password: "y".into(),
            },
        ];
        let req = req("INVITE", "sip:a@b", b"");
        let c = challenge("Digest realm=\"pbx\", nonce=\"n\"");
        let a = authorize(&c, &creds, &req, "c", 1).unwrap();
        assert_eq!(a.param("username").as_deref(), Some("gw"));
        let only_pbx = &creds[1..];
        let other = challenge("Digest realm=\"elsewhere\", nonce=\"n\"");
        assert_eq!(
            authorize(&other, only_pbx, &req, "c", 1),
            Err(DigestError::NoCredentials("elsewhere".into()))
        );
    }

    #[test]
    fn unsupported_challenges_are_errors() {
        let req = req("INVITE", "sip:a@b", b"");
        let creds = any("u", "p");
        for (c, e) in [
            ("Basic realm=\"r\"", DigestError::NotDigest),
            ("Digest nonce=\"n\"", DigestError::Missing("realm")),
            ("Digest realm=\"r\"", DigestError::Missing("nonce")),
            (
                "Digest realm=\"r\", nonce=\"n\", algorithm=AKAv1-MD5",
                DigestError::Algorithm("AKAv1-MD5".into()),
            ),
            (
                "Digest realm=\"r\", nonce=\"n\", qop=\"x-new\"",
                DigestError::Qop("x-new".into()),
            ),
        ] {
            let ch = challenge(c);
            assert!(!supported(&ch), "{c}");
            assert_eq!(authorize(&ch, &creds, &req, "c", 1), Err(e), "{c}");
        }
        assert!(supported(&challenge(
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256-sess"
        )));
    }
}
