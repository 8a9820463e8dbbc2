//! The transport's network settings (proxy, trust, timeouts, cookies) and the one
//! `reqwest::Client` built from them at setup. Only the app sets them, through
//! [`crate::Builder`]: nothing a page sends reaches this module.

use std::{fmt, sync::Arc, time::Duration};

/// The app's own adjustment of the client ([`crate::Builder::client_builder`]).
pub(crate) type AdjustClient =
    Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// Unanswered keep-alive probes after which the OS drops the connection.
const KEEPALIVE_PROBES: u32 = 3;

/// The options of [`crate::Builder`] that shape the HTTP client.
#[derive(Clone)]
pub(crate) struct ClientOptions {
    pub(crate) proxies: Vec<reqwest::Proxy>,
    pub(crate) system_proxy: bool,
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    pub(crate) root_certificates: Vec<reqwest::Certificate>,
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    pub(crate) identity: Option<reqwest::Identity>,
    pub(crate) connect_timeout: Duration,
    pub(crate) tcp_keepalive: Option<Duration>,
    #[cfg(feature = "cookies")]
    pub(crate) cookie_store: Option<Arc<dyn reqwest::cookie::CookieStore>>,
    pub(crate) adjust_client: Option<AdjustClient>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            proxies: Vec::new(),
            system_proxy: true,
            #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
            root_certificates: Vec::new(),
            #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
            identity: None,
            // Long enough for DNS, TCP and TLS over a slow mobile link; short enough that a
            // blackholed address is retried (the reconnect loop goes on) rather than waited on
            // for the OS's minutes.
            connect_timeout: Duration::from_secs(10),
            // A stream is silent between events: probes find a peer or NAT that dropped it
            // within a minute (reqwest's own default).
            tcp_keepalive: Some(Duration::from_secs(15)),
            #[cfg(feature = "cookies")]
            cookie_store: None,
            adjust_client: None,
        }
    }
}

impl ClientOptions {
    /// The client every connection uses. The app's adjustment runs after the plugin's options
    /// and before the redirect policy, which it cannot undo.
    pub(crate) fn build(&self) -> reqwest::Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .connect_timeout(self.connect_timeout)
            .tcp_keepalive(self.tcp_keepalive)
            .tcp_keepalive_interval(self.tcp_keepalive)
            .tcp_keepalive_retries(self.tcp_keepalive.map(|_| KEEPALIVE_PROBES));
        if !self.system_proxy {
            builder = builder.no_proxy();
        }
        // reqwest: an explicit proxy also turns the system's off
        for proxy in &self.proxies {
            builder = builder.proxy(proxy.clone());
        }
        #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
        {
            for certificate in &self.root_certificates {
                builder = builder.add_root_certificate(certificate.clone());
            }
            if let Some(identity) = &self.identity {
                builder = builder.identity(identity.clone());
            }
        }
        #[cfg(feature = "cookies")]
        if let Some(store) = &self.cookie_store {
            builder = builder.cookie_provider(Arc::new(SharedCookieStore(store.clone())));
        }
        if let Some(adjust) = &self.adjust_client {
            builder = adjust(builder);
        }
        // Redirects are followed by the connection loop, which checks the scope on every hop
        // and withholds credentials from other origins (connection.rs `open`).
        builder.redirect(reqwest::redirect::Policy::none()).build()
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ClientOptions");
        debug
            .field("proxies", &self.proxies)
            .field("system_proxy", &self.system_proxy);
        #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
        debug
            .field("root_certificates", &self.root_certificates.len())
            .field("identity", &self.identity.is_some());
        debug
            .field("connect_timeout", &self.connect_timeout)
            .field("tcp_keepalive", &self.tcp_keepalive);
        #[cfg(feature = "cookies")]
        debug.field("cookie_store", &self.cookie_store.is_some());
        debug
            .field("adjust_client", &self.adjust_client.is_some())
            .finish()
    }
}

/// The app's store, shared: `ClientBuilder::cookie_provider` takes a sized `Arc<C>`.
#[cfg(feature = "cookies")]
struct SharedCookieStore(Arc<dyn reqwest::cookie::CookieStore>);

#[cfg(feature = "cookies")]
impl reqwest::cookie::CookieStore for SharedCookieStore {
    fn set_cookies(
        &self,
        cookie_headers: &mut dyn Iterator<Item = &http::HeaderValue>,
        url: &url::Url,
    ) {
        self.0.set_cookies(cookie_headers, url);
    }

    fn cookies(&self, url: &url::Url) -> Option<http::HeaderValue> {
        self.0.cookies(url)
    }
}
