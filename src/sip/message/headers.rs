//! The raw header multimap. Typed access to it (`via()`, `cseq()`…) belongs to the header
//! module, which decodes these raw values on demand.

use bytes::Bytes;

use super::HeaderName;

/// The raw header multimap, in received order (order matters for Via, Route, Record-Route).
/// A header line with several comma-separated values stays one entry; typed decoders split it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(HeaderName, Bytes)>,
}

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(n: usize) -> Self {
        Headers {
            entries: Vec::with_capacity(n),
        }
    }
    #[inline]
    pub fn push(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.entries.push((name, value.into()));
    }
    /// Insert before all existing entries (a new top Via, §8.1.1.7).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.entries.insert(0, (name, value.into()));
    }
    /// Replace every value of `name` with one value.
    pub fn set(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let value = value.into();
        if let Some(i) = self.entries.iter().position(|(n, _)| *n == name) {
            self.entries[i].1 = value;
            let mut seen = false;
            self.entries.retain(|(n, _)| {
                if *n != name {
                    return true;
                }
                let keep = !seen;
                seen = true;
                keep
            });
        } else {
            self.entries.push((name, value));
        }
    }
    pub fn remove(&mut self, name: &HeaderName) {
        self.entries.retain(|(n, _)| n != name);
    }
    /// The first raw value of `name`.
    #[inline]
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// Every raw value of `name`, in order.
    #[inline]
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &Bytes)> {
        self.entries.iter().map(|(n, v)| (n, v))
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_all_values() {
        let mut h = Headers::new();
        h.push(HeaderName::Via, "a");
        h.push(HeaderName::From, "f");
        h.push(HeaderName::Via, "b");
        h.set(HeaderName::Via, "c");
        assert_eq!(h.get_all(&HeaderName::Via).count(), 1);
        assert_eq!(h.get(&HeaderName::Via).unwrap(), "c");
    }
}
