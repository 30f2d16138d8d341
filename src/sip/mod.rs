//! SIP (RFC 3261): the message model, the codec (parse/print, stream framing), URIs, typed
//! headers, transactions (§17) and dialogs (§12).
//!
//! Layering inside this module: `message`/`codec`/`uri`/`header` ← `transaction` ← `dialog`.

pub mod codec;
pub mod dialog;
pub mod digest;
pub mod header;
pub mod message;
pub mod reject;
pub mod transaction;
pub mod ua;
pub mod uri;

pub use message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
