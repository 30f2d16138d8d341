//! SIP (RFC 3261): the message model, the codec (parse/print, stream framing), URIs, typed
//! headers, transactions (§17) and dialogs (§12).
//!
//! Layering inside this module (an arrow never points back): the leaves `BytesStr` and the
//! lexer ← `message`, `uri` ← `header` (typed headers, and the typed view of messages) ←
//! `codec` (parsing and printing) ← `transaction` ← `dialog` ← `ua`.

mod bytes_str;
pub mod codec;
pub mod dialog;
pub mod digest;
pub mod header;
pub(crate) mod lex;
pub mod message;
pub mod reject;
pub mod transaction;
pub mod ua;
pub mod uri;

pub use message::{HeaderName, Headers, Message, Method, Request, Response, StatusCode};
