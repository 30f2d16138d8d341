//! The SIP message model shared by the codec, transactions and dialogs.
//!
//! Zero-copy: header values are `Bytes` slices of the received buffer (folded values are the
//! rare exception and are copied once, unfolded). Typed headers are decoded on demand from the
//! raw values by the header module, so a proxy-like path that only reads Via and CSeq never
//! pays for the rest.
//!
//! This module holds raw values only and knows no other SIP module but the leaves
//! ([`BytesStr`], the lexer): the typed view (`via()`, `with_via()`, `cancel()`…) is defined
//! with the typed headers, and printing (`to_bytes()`, `validate()`) with the codec, so the
//! arrows point one way: (`BytesStr`, lexer) ← message, uri ← header ← codec.

mod header_name;
mod headers;
mod method;
mod request_response;
mod status;

pub use crate::sip::bytes_str::BytesStr;
pub use header_name::HeaderName;
pub use headers::Headers;
pub use method::Method;
pub use request_response::{Message, Request, Response};
pub use status::StatusCode;
