//! Request headers a page may not set: the Fetch standard's forbidden request-headers
//! (<https://fetch.spec.whatwg.org/#forbidden-request-header>). Without this check a page allowed
//! `https://api.example.com/*` could name another virtual host behind the same address (`Host`),
//! forge what servers trust (`Origin`, `Referer`, `Cookie`) or break the HTTP framing
//! (`Content-Length`, `Transfer-Encoding`). As with `tauri-plugin-http`'s `unsafe-headers`
//! feature, an app may let them through ([`crate::Builder::unsafe_headers`]). Rust callers of
//! `app.sse().connect` are trusted and never checked.

use crate::error::{Error, Result};

/// Fetch "forbidden request-header" names, lowercase.
const FORBIDDEN: &[&str] = &[
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// Headers that servers and proxies read as the request's method.
const METHOD_OVERRIDES: &[&str] = &[
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
];

/// Fetch "forbidden method"s.
const FORBIDDEN_METHODS: &[&str] = &["CONNECT", "TRACE", "TRACK"];

/// Refuses a forbidden request-header from a page, naming it (`invalid-header`).
pub(crate) fn check(name: &str, value: &str) -> Result<()> {
    let lower = name.to_ascii_lowercase();
    let reason = if FORBIDDEN.contains(&lower.as_str()) {
        "a page may not set it (Fetch forbidden request-header)"
    } else if lower.starts_with("proxy-") || lower.starts_with("sec-") {
        "a page may not set `Proxy-` and `Sec-` headers (Fetch forbidden request-header)"
    } else if METHOD_OVERRIDES.contains(&lower.as_str())
        // Fetch "get, decode, and split": comma-separated, quotes removed
        && value
            .split(',')
            .map(|method| method.trim().trim_matches('"'))
            .any(forbidden_method)
    {
        "it overrides the method with CONNECT, TRACE or TRACK (Fetch forbidden method)"
    } else {
        return Ok(());
    };
    Err(Error::InvalidHeader {
        name: name.to_string(),
        reason: format!("{reason}; the app can allow it with `Builder::unsafe_headers`"),
    })
}

/// Refuses a forbidden method (`CONNECT`, `TRACE`, `TRACK`, any case) from a page.
pub(crate) fn check_method(method: &str) -> Result<()> {
    if forbidden_method(method) {
        return Err(Error::InvalidOptions(format!(
            "a page may not use the method `{method}` (Fetch forbidden method); the app can \
             allow it with `Builder::unsafe_headers`"
        )));
    }
    Ok(())
}

fn forbidden_method(method: &str) -> bool {
    FORBIDDEN_METHODS
        .iter()
        .any(|forbidden| method.eq_ignore_ascii_case(forbidden))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_case_and_by_prefix() {
        for name in [
            "Host",
            "HOST",
            "content-length",
            "Proxy-Authorization",
            "Sec-Fetch-Site",
        ] {
            assert!(check(name, "x").is_err(), "{name}");
        }
        for name in [
            "authorization",
            "x-host",
            "accept",
            "last-event-id",
            "proxy",
            "secret",
        ] {
            assert_eq!(check(name, "x"), Ok(()), "{name}");
        }
    }

    #[test]
    fn method_overrides_are_refused_only_for_forbidden_methods() {
        assert!(check("X-HTTP-Method-Override", "trace").is_err());
        assert!(check("x-method-override", "GET, \"CONNECT\"").is_err());
        assert_eq!(check("x-http-method", "PATCH"), Ok(()));
        assert!(check_method("Track").is_err());
        assert_eq!(check_method("POST"), Ok(()));
    }
}
