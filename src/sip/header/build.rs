//! Building requests and responses from typed values: `Request::new(method, &uri)
//! .with_via(&via)…`, the CANCEL and non-2xx ACK of a request, a response's To tag. Here, with
//! the typed headers, for the reason given in [`super::access`]'s docs.

use bytes::Bytes;

use super::{
    AddressHeader, CSeq, Contact, ContentType, HeaderError, MaxForwards, TypedHeader, Via,
};
use crate::sip::bytes_str::BytesStr;
use crate::sip::message::{HeaderName, Headers, Method, Request, Response};
use crate::sip::uri::{Uri, UriError};

impl Request {
    /// A request with no headers and no body; add headers with the `with_*` methods.
    pub fn new(method: Method, uri: &Uri) -> Request {
        Request {
            method,
            uri: Bytes::from(uri.to_string()),
            headers: Headers::with_capacity(12),
            body: Bytes::new(),
        }
    }
    /// The Request-URI decoded.
    pub fn request_uri(&self) -> Result<Uri, UriError> {
        Uri::parse(&self.uri)
    }
    pub fn with_typed<T: TypedHeader>(mut self, name: HeaderName, value: &T) -> Self {
        self.headers.push_typed(name, value);
        self
    }
    pub fn with_via(self, via: &Via) -> Self {
        self.with_typed(HeaderName::Via, via)
    }
    pub fn with_from(self, from: &AddressHeader) -> Self {
        self.with_typed(HeaderName::From, from)
    }
    pub fn with_to(self, to: &AddressHeader) -> Self {
        self.with_typed(HeaderName::To, to)
    }
    pub fn with_call_id(self, id: &str) -> Self {
        self.with_header(HeaderName::CallId, Bytes::from(id.to_string()))
    }
    pub fn with_cseq(self, seq: u32) -> Self {
        let c = CSeq::new(seq, self.method.clone());
        self.with_typed(HeaderName::CSeq, &c)
    }
    pub fn with_max_forwards(self, n: u8) -> Self {
        self.with_typed(HeaderName::MaxForwards, &MaxForwards(n))
    }
    pub fn with_contact(self, c: &Contact) -> Self {
        self.with_typed(HeaderName::Contact, c)
    }
    pub fn with_route(self, r: &AddressHeader) -> Self {
        self.with_typed(HeaderName::Route, r)
    }
    /// Sets the body and its Content-Type (Content-Length is written when printing).
    pub fn with_body(mut self, content_type: &ContentType, body: impl Into<Bytes>) -> Self {
        self.headers
            .set_typed(HeaderName::ContentType, content_type);
        self.body = body.into();
        self
    }

    /// The CANCEL for this request (RFC 3261 §9.1): same Request-URI, top Via, From, To,
    /// Call-ID and CSeq number, method CANCEL; Route copied.
    pub fn cancel(&self) -> Result<Request, HeaderError> {
        self.derived(Method::Cancel, None)
    }

    /// The ACK for a non-2xx final response to this INVITE (RFC 3261 §17.1.1.3): the To of
    /// the response (with its tag), the top Via only, Route copied.
    pub fn ack_for(&self, response: &Response) -> Result<Request, HeaderError> {
        let to = response
            .headers
            .get(&HeaderName::To)
            .ok_or(HeaderError::Missing("To"))?
            .clone();
        self.derived(Method::Ack, Some(to))
    }

    fn derived(&self, method: Method, to: Option<Bytes>) -> Result<Request, HeaderError> {
        let top = self.via()?;
        let cseq = self.cseq()?;
        let mut h = Headers::with_capacity(8);
        h.push_typed(HeaderName::Via, &top);
        if let Some(mf) = self.headers.get(&HeaderName::MaxForwards) {
            h.push(HeaderName::MaxForwards, mf.clone());
        }
        for (name, want) in [(HeaderName::From, true), (HeaderName::To, to.is_none())] {
            if want {
                let v = self
                    .headers
                    .get(&name)
                    .ok_or(HeaderError::Missing(name.static_name()))?;
                h.push(name, v.clone());
            }
        }
        if let Some(to) = to {
            h.push(HeaderName::To, to);
        }
        let call_id = self
            .headers
            .get(&HeaderName::CallId)
            .ok_or(HeaderError::Missing("Call-ID"))?;
        h.push(HeaderName::CallId, call_id.clone());
        h.push_typed(HeaderName::CSeq, &CSeq::new(cseq.seq, method.clone()));
        for r in self.headers.get_all(&HeaderName::Route) {
            h.push(HeaderName::Route, r.clone());
        }
        Ok(Request {
            method,
            uri: self.uri.clone(),
            headers: h,
            body: Bytes::new(),
        })
    }
}

impl Response {
    /// Adds `tag` to the To header unless it already has one (§8.2.6.2: a UAS adds its tag;
    /// a request inside a dialog already carries it).
    pub fn with_to_tag(mut self, tag: &str) -> Result<Response, HeaderError> {
        let mut to = self.to()?;
        if to.tag().is_none() {
            to.set_tag(BytesStr::from(tag.to_string()));
            self.headers.set_typed(HeaderName::To, &to);
        }
        Ok(self)
    }
    pub fn with_typed<T: TypedHeader>(mut self, name: HeaderName, value: &T) -> Self {
        self.headers.push_typed(name, value);
        self
    }
    pub fn with_contact(self, c: &Contact) -> Self {
        self.with_typed(HeaderName::Contact, c)
    }
    pub fn with_body(mut self, content_type: &ContentType, body: impl Into<Bytes>) -> Self {
        self.headers
            .set_typed(HeaderName::ContentType, content_type);
        self.body = body.into();
        self
    }
}
