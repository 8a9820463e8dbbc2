//! Errors, with the kinds of docs/architecture.md ("Error kinds").

use serde::{ser::SerializeStruct, Serialize, Serializer};

/// The stable, machine-readable error category (`kind` on the wire, `SseError.kind` in TS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    InvalidUrl,
    Scope,
    InvalidHeader,
    Headers,
    InvalidOptions,
    Network,
    HttpStatus,
    ContentType,
    IdleTimeout,
    EventTooLarge,
    MaxAttempts,
    NotFound,
    Limit,
    Replaced,
}

/// Bytes of a refused response's body kept in [`Error::HttpStatus`]; the TS loop keeps as many.
pub const ERROR_BODY_BYTES: usize = 4096;

/// Errors of the plugin. Serialized to the webview as `{ kind, message, status?, body? }`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error(
        "{url} is not allowed by the eventsource scope: add \
         {{\"identifier\":\"eventsource:default\",\"allow\":[{{\"url\":\"{suggestion}\"}}]}} \
         to the permissions of your capability"
    )]
    Scope { url: String, suggestion: String },
    #[error("invalid header `{name}`: {reason}")]
    InvalidHeader { name: String, reason: String },
    /// The page's headers function threw; the message is the page's (`set_headers`).
    #[error("{0}")]
    Headers(String),
    #[error("invalid options: {0}")]
    InvalidOptions(String),
    #[error("network error: {0}")]
    Network(String),
    /// `body`: the start of the response's body as text (at most 4096 bytes, `ERROR_BODY_BYTES`),
    /// so a page can show the server's "token expired" rather than "401".
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        status: u16,
        url: String,
        body: String,
    },
    #[error("{url} answered with content type `{content_type}`, expected `text/event-stream`")]
    ContentType { content_type: String, url: String },
    #[error("no data for {0} ms")]
    IdleTimeout(u64),
    #[error("an event larger than {0} bytes was discarded")]
    EventTooLarge(usize),
    #[error("gave up after {attempts} failed attempts: {last}")]
    MaxAttempts { attempts: u32, last: Box<Error> },
    #[error("no such connection: {0}")]
    NotFound(String),
    /// The webview has this many connections (or pipes), the most allowed.
    #[error("this webview already has {0} {1}, the most allowed")]
    Limit(usize, &'static str),
    /// The connection was taken over by a `connect` with its name or by another `attach`; the
    /// page that loses it hears this, then `closed`.
    #[error("connection `{0}` was taken over by another connect or attach")]
    Replaced(String),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidUrl { .. } => ErrorKind::InvalidUrl,
            Self::Scope { .. } => ErrorKind::Scope,
            Self::InvalidHeader { .. } => ErrorKind::InvalidHeader,
            Self::Headers(_) => ErrorKind::Headers,
            Self::InvalidOptions(_) => ErrorKind::InvalidOptions,
            Self::Network(_) => ErrorKind::Network,
            Self::HttpStatus { .. } => ErrorKind::HttpStatus,
            Self::ContentType { .. } => ErrorKind::ContentType,
            Self::IdleTimeout(_) => ErrorKind::IdleTimeout,
            Self::EventTooLarge(_) => ErrorKind::EventTooLarge,
            Self::MaxAttempts { .. } => ErrorKind::MaxAttempts,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Limit(..) => ErrorKind::Limit,
            Self::Replaced(_) => ErrorKind::Replaced,
        }
    }

    /// The HTTP status behind the error, if a response had one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::HttpStatus { status, .. } => Some(*status),
            Self::MaxAttempts { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The start of the body of the response behind the error, if a response had one.
    pub fn body(&self) -> Option<&str> {
        match self {
            Self::HttpStatus { body, .. } => Some(body),
            Self::MaxAttempts { last, .. } => last.body(),
            _ => None,
        }
    }

    /// `reqwest::Error`'s `Display` omits its sources ("error sending request"); the cause
    /// (connection refused, reset, DNS) is what a developer needs.
    pub(crate) fn network(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Network(message)
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let (status, body) = (self.status(), self.body());
        let fields = 2 + usize::from(status.is_some()) + usize::from(body.is_some());
        let mut s = serializer.serialize_struct("Error", fields)?;
        s.serialize_field("kind", &self.kind())?;
        s.serialize_field("message", &self.to_string())?;
        if let Some(status) = status {
            s.serialize_field("status", &status)?;
        }
        if let Some(body) = body {
            s.serialize_field("body", body)?;
        }
        s.end()
    }
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_kind_message_and_status() {
        let error = Error::MaxAttempts {
            attempts: 3,
            last: Box::new(Error::HttpStatus {
                status: 503,
                url: "http://127.0.0.1/sse".into(),
                body: "down for maintenance".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({
                "kind": "max-attempts",
                "message": "gave up after 3 failed attempts: http://127.0.0.1/sse answered HTTP 503",
                "status": 503,
                "body": "down for maintenance",
            })
        );
        let value = serde_json::to_value(Error::Limit(16, "connections")).unwrap();
        assert_eq!(value["kind"], "limit");
        assert!(value.get("status").is_none());
    }
}
