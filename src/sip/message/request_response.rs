//! Requests, responses and the message that is either, as raw values. Their typed accessors
//! and builders (`via()`, `with_via()`, `cancel()`…) are the header module's; printing them
//! (`to_bytes()`) is the codec's.

use bytes::Bytes;

use super::{HeaderName, Headers, Method, StatusCode};

/// A request. `uri` is the raw Request-URI; [`Request::request_uri`] decodes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Bytes,
    pub headers: Headers,
    pub body: Bytes,
}

/// A response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: StatusCode,
    pub reason: Bytes,
    pub headers: Headers,
    pub body: Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

impl Request {
    pub fn with_header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.headers.push(name, value);
        self
    }
}

impl Response {
    /// A response with the default reason phrase and no headers.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            reason: Bytes::from_static(status.reason().as_bytes()),
            headers: Headers::with_capacity(10),
            body: Bytes::new(),
        }
    }

    /// A response to `req` (RFC 3261 §8.2.6.2): every Via in order, From, To, Call-ID and CSeq
    /// copied as received (raw values, so nothing is re-encoded), plus Record-Route for
    /// responses that may establish a dialog (§12.1.1). Add a To tag with [`Self::with_to_tag`].
    pub fn from_request(req: &Request, status: StatusCode) -> Response {
        let mut r = Response::new(status);
        for (name, value) in req.headers.iter() {
            let copy = match name {
                HeaderName::Via
                | HeaderName::From
                | HeaderName::To
                | HeaderName::CallId
                | HeaderName::CSeq => true,
                HeaderName::RecordRoute => {
                    req.method == Method::Invite && status.0 > 100 && status.0 < 300
                }
                _ => false,
            };
            if copy {
                r.headers.push(name.clone(), value.clone());
            }
        }
        r
    }

    pub fn with_reason_phrase(mut self, reason: &str) -> Self {
        self.reason = Bytes::from(reason.to_string());
        self
    }
    pub fn with_header(mut self, name: HeaderName, value: impl Into<Bytes>) -> Self {
        self.headers.push(name, value);
        self
    }
}
