//! The URL scope: which URLs a webview may open a stream to. Same entry format as
//! `tauri-plugin-http` (`"https://api.example.com/*"` or `{ "url": … }`, URL Pattern syntax),
//! deny wins, and nothing is allowed unless a capability allows it.

use std::{borrow::Cow, net::IpAddr, sync::Arc};

use serde::{Deserialize, Deserializer};
use url::{Host, Url};
use urlpattern::{UrlPattern, UrlPatternInit, UrlPatternMatchInput};

use crate::error::{Error, Result};

/// One `allow` / `deny` entry of the `eventsource` scope.
#[derive(Debug)]
pub struct ScopeEntry {
    pattern: UrlPattern,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EntryRaw {
    Value(String),
    Object { url: String },
}

impl ScopeEntry {
    /// Parses a URL pattern. As in `tauri-plugin-http`, an omitted path, search or hash matches
    /// anything, so `https://api.example.com` allows the whole origin.
    pub fn parse(pattern: &str) -> std::result::Result<Self, urlpattern::quirks::Error> {
        let pattern = escape_ipv6_host(pattern);
        let mut init = UrlPatternInit::parse_constructor_string::<regex::Regex>(&pattern, None)?;
        for part in [&mut init.search, &mut init.hash] {
            if part.as_deref().is_none_or(str::is_empty) {
                *part = Some("*".into());
            }
        }
        if init
            .pathname
            .as_deref()
            .is_none_or(|p| p.is_empty() || p == "/")
        {
            init.pathname = Some("*".into());
        }
        Ok(Self {
            pattern: UrlPattern::parse(init, Default::default())?,
        })
    }

    fn matches(&self, url: &Url) -> bool {
        self.pattern
            .test(UrlPatternMatchInput::Url(url.clone()))
            .unwrap_or(false)
    }
}

/// URL Pattern syntax reads `:` as the start of a named group, so `http://[::1]/*` is a syntax
/// error there; the colons of a bracketed IPv6 host are escaped to mean themselves.
fn escape_ipv6_host(pattern: &str) -> Cow<'_, str> {
    let Some(open) = pattern.find("://[").map(|i| i + 4) else {
        return Cow::Borrowed(pattern);
    };
    let Some(close) = pattern[open..].find(']').map(|i| i + open) else {
        return Cow::Borrowed(pattern);
    };
    let mut host = String::new();
    let mut escaped = false;
    for c in pattern[open..close].chars() {
        if c == ':' && !escaped {
            host.push('\\');
        }
        escaped = c == '\\' && !escaped;
        host.push(c);
    }
    Cow::Owned(format!("{}{host}{}", &pattern[..open], &pattern[close..]))
}

impl<'de> Deserialize<'de> for ScopeEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let (EntryRaw::Value(url) | EntryRaw::Object { url }) =
            EntryRaw::deserialize(deserializer)?;
        Self::parse(&url).map_err(|e| {
            serde::de::Error::custom(format!("`{url}` is not a valid URL pattern: {e}"))
        })
    }
}

/// The entries of the command scope and the global scope, merged.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    allowed: Vec<Arc<ScopeEntry>>,
    denied: Vec<Arc<ScopeEntry>>,
}

impl Scope {
    pub fn new(allowed: Vec<Arc<ScopeEntry>>, denied: Vec<Arc<ScopeEntry>>) -> Self {
        Self { allowed, denied }
    }

    /// Allows `url` (already [`normalize`]d) or explains which permission would allow it.
    pub fn check(&self, url: &Url) -> Result<()> {
        let denied = self.denied.iter().any(|e| e.matches(url));
        if !denied && self.allowed.iter().any(|e| e.matches(url)) {
            return Ok(());
        }
        Err(Error::Scope {
            url: url.to_string(),
            suggestion: format!("{}/*", url.origin().ascii_serialization()),
        })
    }
}

/// Parses and canonicalises a URL before it is matched or requested, so that spellings of one
/// host or path cannot slip past a pattern: `url` lowercases hosts, applies IDNA, canonicalises
/// IPv4 and IPv6 forms (`http://0x7f.1` is `http://127.0.0.1`) and resolves dot segments; here
/// a trailing dot is removed, an IPv4-mapped IPv6 address becomes its IPv4 address and
/// percent-encoded unreserved characters of the path are decoded. Credentials in the URL are
/// refused: they would be sent to whatever host a redirect names.
pub fn normalize(input: &str, base: Option<&Url>) -> Result<Url> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: input.to_string(),
        reason: reason.to_string(),
    };
    let mut url = Url::options()
        .base_url(base)
        .parse(input)
        .map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("only http and https URLs can be streamed"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Not in the message: the URL's password.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        return Err(Error::InvalidUrl {
            url: format!("{url} (credentials left out here)"),
            reason: "credentials in the URL are not allowed, send an Authorization header instead"
                .into(),
        });
    }
    match url.host() {
        Some(Host::Domain(domain)) if domain.ends_with('.') => {
            let stripped = domain.trim_end_matches('.').to_string();
            url.set_host(Some(&stripped))
                .map_err(|e| invalid(&e.to_string()))?;
        }
        // `[::ffff:127.0.0.1]` reaches 127.0.0.1 on a dual-stack system: a deny entry for the
        // IPv4 address must cover it, and an allow entry for it admits it, like any spelling.
        Some(Host::Ipv6(ip)) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                url.set_ip_host(IpAddr::V4(v4))
                    .map_err(|()| invalid("cannot rewrite the IPv4-mapped address"))?;
            }
        }
        _ => {}
    }
    if let Some(path) = decode_unreserved(url.path()) {
        url.set_path(&path);
    }
    url.set_fragment(None); // never sent; keeps patterns with `#` from mattering
    Ok(url)
}

/// RFC 3986 §6.2.2.2: a percent-encoded unreserved character (`%73` for `s`) is that character.
/// Servers commonly decode them before routing, so `/%73se` must not dodge a deny for `/sse`.
/// Other escapes (`%2F`) change the meaning and are kept. `None` when there is nothing to decode.
fn decode_unreserved(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut decoded = String::with_capacity(path.len());
    let (mut i, mut changed) = (0, false);
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? * 16 + hex(*bytes.get(i + 2)?)?))
            .flatten()
            .map(|v| v as u8 as char)
            .filter(|c| c.is_ascii_alphanumeric() || "-._~".contains(*c));
        match escape {
            Some(c) => {
                decoded.push(c);
                (i, changed) = (i + 3, true);
            }
            None => {
                decoded.push(bytes[i] as char);
                i += 1;
            }
        }
    }
    changed.then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(allow: &[&str], deny: &[&str]) -> Scope {
        let entries = |list: &[&str]| {
            list.iter()
                .map(|p| Arc::new(ScopeEntry::parse(p).unwrap()))
                .collect()
        };
        Scope::new(entries(allow), entries(deny))
    }

    fn allowed(scope: &Scope, url: &str) -> bool {
        scope.check(&normalize(url, None).unwrap()).is_ok()
    }

    #[test]
    fn deny_by_default() {
        assert!(!allowed(&Scope::default(), "https://api.example.com/sse"));
    }

    #[test]
    fn deny_wins_over_allow() {
        let s = scope(
            &["https://api.example.com/*"],
            &["https://api.example.com/admin/*"],
        );
        assert!(allowed(&s, "https://api.example.com/sse?x=1"));
        assert!(!allowed(&s, "https://api.example.com/admin/sse"));
    }

    #[test]
    fn origin_pattern_allows_whole_origin_only() {
        let s = scope(&["http://127.0.0.1:8080"], &[]);
        assert!(allowed(&s, "http://127.0.0.1:8080/sse?count=1"));
        assert!(!allowed(&s, "http://127.0.0.1:8081/sse"));
        assert!(!allowed(&s, "https://127.0.0.1:8080/sse"));
    }

    #[test]
    fn a_pattern_without_a_port_means_the_default_port() {
        // URL Pattern semantics (as in tauri-plugin-http): deny entries need `:*` for all ports
        let s = scope(&["http://*:*/*"], &["http://127.0.0.1/*"]);
        assert!(!allowed(&s, "http://127.0.0.1/sse"));
        assert!(!allowed(&s, "http://127.0.0.1:80/sse"));
        assert!(allowed(&s, "http://127.0.0.1:8080/sse"));
        let s = scope(&["http://*:*/*"], &["http://127.0.0.1:*/*"]);
        assert!(!allowed(&s, "http://127.0.0.1:8080/sse"));
    }

    #[test]
    fn refusal_names_the_url_and_the_permission_to_add() {
        let err = scope(&[], &[])
            .check(&normalize("http://localhost:1234/sse", None).unwrap())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "http://localhost:1234/sse is not allowed by the eventsource scope: add \
             {\"identifier\":\"eventsource:default\",\"allow\":[{\"url\":\"http://localhost:1234/*\"}]} \
             to the permissions of your capability"
        );
    }

    #[test]
    fn entries_deserialize_from_string_or_object() {
        let a: ScopeEntry = serde_json::from_value(serde_json::json!("https://a.test/*")).unwrap();
        let b: ScopeEntry =
            serde_json::from_value(serde_json::json!({"url": "https://b.test"})).unwrap();
        let s = Scope::new(vec![Arc::new(a), Arc::new(b)], vec![]);
        assert!(allowed(&s, "https://a.test/x"));
        assert!(allowed(&s, "https://b.test/y"));
        let bad = serde_json::from_value::<ScopeEntry>(serde_json::json!("https://[::"));
        assert!(bad.is_err());
    }
}
