//! [`Text`], an event's data: owned, or shared with the network buffer it arrived in.

use std::{fmt, ops::Deref};

use bytes::Bytes;
use serde::Serialize;

#[cfg(doc)]
use crate::parser::Parser;

/// An event's data, read as a `&str`. A long `data:` line that arrives whole in one network
/// chunk stays a slice of that chunk (see [`Parser::feed_bytes`]), so a multi-MiB event is not
/// copied on its way out of the parser; other data is the `String` the parser built.
///
/// A slice keeps alive the HTTP client's read buffer it came from: call [`Text::compact`] on
/// data kept for long, as the plugin does with the events it holds for a page.
#[derive(Clone)]
pub struct Text(Repr);

/// Two representations, not a `Bytes` for both: turning a `String` with spare capacity into
/// `Bytes` allocates a reference count, one more allocation per small event.
#[derive(Clone)]
enum Repr {
    Owned(String),
    /// Validated UTF-8.
    Shared(Bytes),
}

impl Text {
    /// Shares `bytes` as they are.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    pub(crate) unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        Self(Repr::Shared(bytes))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(text) => text,
            // SAFETY: `Shared` holds UTF-8 only (`from_utf8_unchecked`'s contract).
            Repr::Shared(bytes) => unsafe { std::str::from_utf8_unchecked(bytes) },
        }
    }

    /// Holds exactly its own bytes from now on: a slice copies itself out of the chunk it
    /// shares, a `String` the parser grew by doubling gives back its spare capacity. For data
    /// that is kept a while.
    pub fn compact(&mut self) {
        match &mut self.0 {
            Repr::Owned(text) => text.shrink_to_fit(),
            Repr::Shared(_) => self.0 = Repr::Owned(self.as_str().to_owned()),
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Self(Repr::Owned(String::new()))
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Self(Repr::Owned(text))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self(Repr::Owned(text.to_owned()))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        match text.0 {
            Repr::Owned(text) => text,
            Repr::Shared(_) => text.as_str().to_owned(),
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

/// `Eq`, `Ord` and `Hash` all compare the text, as `str`'s do.
impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}
