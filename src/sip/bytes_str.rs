//! [`BytesStr`]: the string type of the whole SIP stack (message, URIs, typed headers). A leaf
//! module, so every other SIP module can use it without depending on another.

use bytes::Bytes;
use std::fmt;

/// A UTF-8 string that is a zero-copy slice of a received buffer (or a static/owned string for
/// values we build). Derefs to `str`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BytesStr(Bytes);

impl BytesStr {
    #[inline]
    pub const fn from_static(s: &'static str) -> Self {
        BytesStr(Bytes::from_static(s.as_bytes()))
    }
    #[inline]
    pub fn from_utf8(b: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&b)?;
        Ok(BytesStr(b))
    }
    /// Bytes already known to be ASCII (checked in debug builds).
    #[inline]
    pub(crate) fn from_ascii(b: Bytes) -> Self {
        debug_assert!(b.is_ascii());
        BytesStr(b)
    }
    #[inline]
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given) valid UTF-8 and the bytes are immutable.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }
    /// The zero-copy `BytesStr` of `s`, which must be a slice of `self` (panics otherwise).
    #[inline]
    pub fn slice_ref(&self, s: &str) -> BytesStr {
        if s.is_empty() {
            return BytesStr::default();
        }
        BytesStr(self.0.slice_ref(s.as_bytes()))
    }
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for BytesStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for BytesStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for BytesStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for BytesStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for BytesStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&'static str> for BytesStr {
    fn from(s: &'static str) -> Self {
        BytesStr::from_static(s)
    }
}

impl From<String> for BytesStr {
    fn from(s: String) -> Self {
        BytesStr(Bytes::from(s))
    }
}

impl PartialEq<str> for BytesStr {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<&str> for BytesStr {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}
