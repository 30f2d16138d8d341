//! Header and URI parameters (`;name[=value]`, RFC 3261 §7.3.1, §19.1.1, §25.1): one type for
//! both grammars, so it sits with the lexer both share.

use std::fmt;

use super::{next_checked_param, unquote};
use crate::sip::bytes_str::BytesStr;

/// One `;name[=value]` parameter. The value is kept as received (quoted strings keep their
/// quotes) so printing is faithful; [`Param::unquoted`] gives the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: BytesStr,
    pub value: Option<BytesStr>,
}

impl Param {
    pub fn unquoted(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.value.as_deref().map(unquote)
    }
}

/// A parameter as read from [`Params`]: borrowed, whichever way the params are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamRef<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
}

impl<'a> ParamRef<'a> {
    pub fn unquoted(&self) -> Option<std::borrow::Cow<'a, str>> {
        self.value.map(unquote)
    }
}

/// Parameters in received order; names compare case-insensitively (RFC 3261 §7.3.1).
///
/// Received parameters stay one slice of the message, already checked by the parser, and are
/// read by scanning it: a message's params are few and mostly never looked at, so this beats
/// two reference-counted slices and a `Vec` per param. The first edit turns them into a list.
#[derive(Clone, Default)]
pub struct Params(Repr);

#[derive(Clone)]
enum Repr {
    /// `;name[=value]…` exactly as received (LWS included; never empty).
    Raw(BytesStr),
    List(Vec<Param>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::List(Vec::new())
    }
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }
    /// Received parameter text the caller has checked against the param grammar (header
    /// params, §25.1 `generic-param`, or URI params, §19.1.1): the scan in [`Params::iter`]
    /// relies on it.
    pub(crate) fn from_checked(text: BytesStr) -> Self {
        if text.is_empty() {
            Self::default()
        } else {
            Params(Repr::Raw(text))
        }
    }
    pub fn get(&self, name: &str) -> Option<ParamRef<'_>> {
        self.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }
    /// The raw value of `name`; `None` when absent or valueless.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|p| p.value)
    }
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    pub fn push(&mut self, name: impl Into<BytesStr>, value: Option<BytesStr>) {
        self.list_mut().push(Param {
            name: name.into(),
            value,
        });
    }
    /// Sets `name` (replacing an existing value in place, or appending).
    pub fn set(&mut self, name: impl Into<BytesStr>, value: Option<BytesStr>) {
        let name = name.into();
        let list = self.list_mut();
        if let Some(p) = list.iter_mut().find(|p| p.name.eq_ignore_ascii_case(&name)) {
            p.value = value;
        } else {
            list.push(Param { name, value });
        }
    }
    pub fn remove(&mut self, name: &str) {
        self.list_mut()
            .retain(|p| !p.name.eq_ignore_ascii_case(name));
    }
    pub fn iter(&self) -> ParamsIter<'_> {
        match &self.0 {
            Repr::Raw(text) => ParamsIter::Raw(text.as_str()),
            Repr::List(list) => ParamsIter::List(list.iter()),
        }
    }
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Raw(_) => self.iter().count(),
            Repr::List(list) => list.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        match &self.0 {
            Repr::Raw(_) => false,
            Repr::List(list) => list.is_empty(),
        }
    }

    /// The list form, made from the received text on the first edit (zero-copy slices of it).
    fn list_mut(&mut self) -> &mut Vec<Param> {
        if let Repr::Raw(text) = &self.0 {
            let list = ParamsIter::Raw(text.as_str())
                .map(|p| Param {
                    name: text.slice_ref(p.name),
                    value: p.value.map(|v| text.slice_ref(v)),
                })
                .collect();
            self.0 = Repr::List(list);
        }
        match &mut self.0 {
            Repr::List(list) => list,
            Repr::Raw(_) => unreachable!("made a list above"),
        }
    }
}

/// Iterates [`Params`] in order.
pub enum ParamsIter<'a> {
    Raw(&'a str),
    List(std::slice::Iter<'a, Param>),
}

impl<'a> Iterator for ParamsIter<'a> {
    type Item = ParamRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<ParamRef<'a>> {
        match self {
            ParamsIter::List(it) => it.next().map(|p| ParamRef {
                name: &p.name,
                value: p.value.as_deref(),
            }),
            ParamsIter::Raw(text) => {
                let (p, rest) = next_checked_param(text)?;
                *text = rest;
                Some(p)
            }
        }
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = ParamRef<'a>;
    type IntoIter = ParamsIter<'a>;
    fn into_iter(self) -> ParamsIter<'a> {
        self.iter()
    }
}

/// Same params in the same order, however stored.
impl PartialEq for Params {
    fn eq(&self, o: &Params) -> bool {
        self.iter().eq(o.iter())
    }
}

impl Eq for Params {}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self {
            write!(f, ";{}", p.name)?;
            if let Some(v) = p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::lex;
    use bytes::Bytes;

    fn received(text: &'static str) -> Params {
        let src = Bytes::from_static(text.as_bytes());
        let (params, rest) = lex::params(&src, &src).expect("params parse");
        assert!(rest.is_empty(), "{text:?} left {rest:?}");
        params
    }

    #[test]
    fn received_params_are_read_in_place() {
        let p = received(r#" ; tag = 98asjd8 ;lr; text="a;b \"c\"" ;rport"#);
        let all: Vec<_> = p.iter().map(|p| (p.name, p.value)).collect();
        assert_eq!(
            all,
            [
                ("tag", Some("98asjd8")),
                ("lr", None),
                ("text", Some(r#""a;b \"c\"""#)),
                ("rport", None),
            ]
        );
        assert_eq!(p.len(), 4);
        assert_eq!(p.value("TAG"), Some("98asjd8"));
        assert_eq!(
            p.get("text").and_then(|t| t.unquoted()).as_deref(),
            Some(r#"a;b "c""#)
        );
        assert!(p.contains("rport") && !p.contains("received"));
        assert_eq!(p.to_string(), r#";tag=98asjd8;lr;text="a;b \"c\"";rport"#);
    }

    #[test]
    fn an_edit_keeps_the_received_params() {
        let mut p = received(";branch=z9hG4bK1;rport");
        let before = p.clone();
        p.set("rport", Some(BytesStr::from("5060")));
        p.push("received", Some(BytesStr::from("127.0.0.2")));
        assert_eq!(
            p.to_string(),
            ";branch=z9hG4bK1;rport=5060;received=127.0.0.2"
        );
        p.remove("branch");
        assert_eq!(p.to_string(), ";rport=5060;received=127.0.0.2");
        assert_eq!(before.value("rport"), None, "the clone kept its own params");
    }

    #[test]
    fn equality_does_not_depend_on_storage() {
        let raw = received(";tag=1;lr");
        let mut built = Params::new();
        built.push("tag", Some(BytesStr::from("1")));
        built.push("lr", None);
        assert_eq!(raw, built);
        built.set("tag", Some(BytesStr::from("2")));
        assert_ne!(raw, built);
        assert!(Params::new().is_empty() && !raw.is_empty());
        assert_eq!(received("").len(), 0);
    }

    #[test]
    fn malformed_params_are_refused() {
        for bad in [";", "; =x", ";a=", ";a=\"open", ";a=b c"] {
            let src = Bytes::from_static(bad.as_bytes());
            let ok = lex::params(&src, &src).is_ok_and(|(_, rest)| lex::lws(rest).is_empty());
            assert!(!ok, "{bad:?} must be refused");
        }
    }
}
