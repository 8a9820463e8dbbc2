//! The URL scope: which URLs a webview may open a stream to. Same entry format as
//! `tauri-plugin-http` (`"https://api.example.com/*"` or `{ "url": … }`, URL Pattern syntax),
//! deny wins, and nothing is allowed unless a capability allows it.

use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use url::{Host, Url};
use urlpattern::{UrlPattern, UrlPatternInit, UrlPatternMatchInput};

use crate::error::{Error, Result};

/// One `allow` / `deny` entry of the `sse` scope.
#[derive(Debug)]
pub struct Entry {
    pattern: UrlPattern,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EntryRaw {
    Value(String),
    Object { url: String },
}

impl Entry {
    /// Parses a URL pattern. As in `tauri-plugin-http`, an omitted path, search or hash matches
    /// anything, so `https://api.example.com` allows the whole origin.
    pub fn parse(pattern: &str) -> std::result::Result<Self, urlpattern::quirks::Error> {
        let mut init = UrlPatternInit::parse_constructor_string::<regex::Regex>(pattern, None)?;
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

impl<'de> Deserialize<'de> for Entry {
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
    allowed: Vec<Arc<Entry>>,
    denied: Vec<Arc<Entry>>,
}

impl Scope {
    pub fn new(allowed: Vec<Arc<Entry>>, denied: Vec<Arc<Entry>>) -> Self {
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
/// host cannot slip past a pattern: `url` lowercases hosts and canonicalises IPv4 forms
/// (`http://0x7f.1` is `http://127.0.0.1`); a trailing dot is removed here. Credentials in the
/// URL are refused: they would be sent to whatever host a redirect names.
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
        return Err(invalid(
            "credentials in the URL are not allowed, send an Authorization header instead",
        ));
    }
    if let Some(Host::Domain(domain)) = url.host() {
        if let Some(stripped) = domain.strip_suffix('.') {
            let stripped = stripped.to_string();
            url.set_host(Some(&stripped))
                .map_err(|e| invalid(&e.to_string()))?;
        }
    }
    url.set_fragment(None); // never sent; keeps patterns with `#` from mattering
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(allow: &[&str], deny: &[&str]) -> Scope {
        let entries = |list: &[&str]| {
            list.iter()
                .map(|p| Arc::new(Entry::parse(p).unwrap()))
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
    fn spellings_of_a_host_are_normalised_before_matching() {
        let s = scope(&["https://api.example.com/*"], &["http://127.0.0.1/*"]);
        assert!(allowed(&s, "https://API.Example.COM./sse"));
        // numeric IPv4 forms cannot dodge a deny entry
        assert!(!allowed(&s, "http://0x7f.0.0.1/sse"));
        assert!(!allowed(&s, "http://2130706433/sse"));
        assert_eq!(
            normalize("http://0x7f.1/x#frag", None).unwrap().as_str(),
            "http://127.0.0.1/x"
        );
    }

    #[test]
    fn credentials_and_other_schemes_are_invalid_urls() {
        for url in [
            "https://user:pw@api.example.com/",
            "file:///etc/passwd",
            "nope",
        ] {
            let err = normalize(url, None).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::InvalidUrl, "{url}");
        }
    }

    #[test]
    fn refusal_names_the_url_and_the_permission_to_add() {
        let err = scope(&[], &[])
            .check(&normalize("http://localhost:1234/sse", None).unwrap())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "http://localhost:1234/sse is not allowed by the sse scope: add \
             {\"identifier\":\"sse:default\",\"allow\":[{\"url\":\"http://localhost:1234/*\"}]} \
             to the permissions of your capability"
        );
    }

    #[test]
    fn entries_deserialize_from_string_or_object() {
        let a: Entry = serde_json::from_value(serde_json::json!("https://a.test/*")).unwrap();
        let b: Entry =
            serde_json::from_value(serde_json::json!({"url": "https://b.test"})).unwrap();
        let s = Scope::new(vec![Arc::new(a), Arc::new(b)], vec![]);
        assert!(allowed(&s, "https://a.test/x"));
        assert!(allowed(&s, "https://b.test/y"));
        let bad = serde_json::from_value::<Entry>(serde_json::json!("https://[::"));
        assert!(bad.is_err());
    }
}
