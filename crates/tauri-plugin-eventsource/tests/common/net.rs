//! Servers for the network tests whose behaviour the bundled server lacks: an HTTP/1.1 server
//! whose handler writes the response by hand, over TCP or TLS; an HTTP/2-only event server; an
//! HTTP and a SOCKS5 proxy; a test CA. Each
//! server runs on its own thread and runtime, so sync IPC tests and async tests can both use it.
//! Loopback only.

use std::{
    future::Future,
    net::{Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// A request line and its headers (names lowercase).
#[derive(Debug, Clone)]
pub struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A client connection after its request head: read the body from it, write the response to it.
pub type Conn = BufReader<Box<dyn Io>>;

async fn read_head(conn: &mut Conn) -> Option<Head> {
    let mut line = String::new();
    conn.read_line(&mut line).await.ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        conn.read_line(&mut line).await.ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Some(Head {
        method,
        target,
        headers,
    })
}

/// An HTTP/1.1 server on `127.0.0.1`: one request per connection, answered by `handler`; the
/// connection closes when the handler returns.
pub struct HttpServer {
    pub port: u16,
    scheme: &'static str,
    requests: Arc<Mutex<Vec<Head>>>,
}

impl HttpServer {
    pub fn start<F, Fut>(tls: Option<rustls::ServerConfig>, handler: F) -> Self
    where
        F: Fn(Head, Conn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let tls = tls.map(|config| tokio_rustls::TlsAcceptor::from(Arc::new(config)));
        let handler = Arc::new(handler);
        let port = listen(move |tcp| {
            let (tls, handler, recorded) = (tls.clone(), handler.clone(), recorded.clone());
            async move {
                let io: Box<dyn Io> = match tls {
                    // a refused handshake is the client's error to see
                    Some(tls) => match tls.accept(tcp).await {
                        Ok(stream) => Box::new(stream),
                        Err(_) => return,
                    },
                    None => Box::new(tcp),
                };
                let mut conn = BufReader::new(io);
                if let Some(head) = read_head(&mut conn).await {
                    recorded.lock().unwrap().push(head.clone());
                    handler(head, conn).await;
                }
            }
        });
        Self {
            port,
            scheme,
            requests,
        }
    }

    /// `http(s)://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    pub fn requests(&self) -> Vec<Head> {
        self.requests.lock().unwrap().clone()
    }
}

/// Serves every connection to a new `127.0.0.1` port with `handler`, on a runtime of its own
/// thread, for as long as the test process lives; the port.
fn listen<F, Fut>(handler: F) -> u16
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                tokio::spawn(handler(tcp));
            }
        })
    });
    port
}

/// The loopback address a proxy may forward to, or a panic.
fn loopback(host: &str, port: u16) -> SocketAddr {
    assert!(
        matches!(host, "127.0.0.1" | "localhost"),
        "the test proxies forward to loopback only, not {host}"
    );
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Writes a response head (`status` such as `200 OK`, then `headers` lines) for a body that
/// ends when the connection closes.
pub async fn write_head(conn: &mut Conn, status: &str, headers: &[(&str, &str)]) {
    let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.flush().await.unwrap();
}

/// A `text/event-stream` response with `headers` and `body`, then the connection closes.
pub async fn event_stream(mut conn: Conn, headers: &[(&str, &str)], body: &str) {
    let mut all = vec![("content-type", "text/event-stream")];
    all.extend_from_slice(headers);
    write_head(&mut conn, "200 OK", &all).await;
    let _ = conn.write_all(body.as_bytes()).await;
    let _ = conn.shutdown().await;
}

/// A forward proxy to loopback targets, reached over TLS with `tls`: absolute-form requests for
/// plain HTTP, `CONNECT` tunnels for HTTPS. It records every request it forwards.
pub fn forward_proxy(tls: Option<rustls::ServerConfig>) -> HttpServer {
    HttpServer::start(tls, |head, mut conn| async move {
        if head.method == "CONNECT" {
            let (host, port) = head.target.rsplit_once(':').unwrap();
            let mut upstream = TcpStream::connect(loopback(host, port.parse().unwrap()))
                .await
                .unwrap();
            conn.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .unwrap();
            let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
            return;
        }
        let url = url::Url::parse(&head.target).expect("a proxy request is in absolute form");
        let addr = loopback(url.host_str().unwrap(), url.port().unwrap());
        let mut upstream = TcpStream::connect(addr).await.unwrap();
        let path = &url[url::Position::BeforePath..];
        let mut forwarded = format!("{} {path} HTTP/1.1\r\n", head.method);
        for (name, value) in &head.headers {
            forwarded.push_str(&format!("{name}: {value}\r\n"));
        }
        forwarded.push_str("\r\n");
        upstream.write_all(forwarded.as_bytes()).await.unwrap();
        // the rest (a body, then the response) flows through as it is
        let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
    })
}

/// A SOCKS5 proxy (RFC 1928: no authentication, `CONNECT` to a loopback IPv4 address or name);
/// the port, and the `host:port` of every connection it made.
pub fn socks5_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let targets = Arc::new(Mutex::new(Vec::new()));
    let recorded = targets.clone();
    let port = listen(move |mut client| {
        let recorded = recorded.clone();
        async move {
            let mut greeting = [0; 2];
            client.read_exact(&mut greeting).await.unwrap();
            let mut methods = vec![0; usize::from(greeting[1])];
            client.read_exact(&mut methods).await.unwrap();
            assert!(
                greeting[0] == 5 && methods.contains(&0),
                "{greeting:?} {methods:?}"
            );
            client.write_all(&[5, 0]).await.unwrap();
            let mut request = [0; 4];
            client.read_exact(&mut request).await.unwrap();
            assert_eq!(request[..3], [5, 1, 0], "only CONNECT");
            let host = match request[3] {
                1 => {
                    let mut ip = [0; 4];
                    client.read_exact(&mut ip).await.unwrap();
                    Ipv4Addr::from(ip).to_string()
                }
                3 => {
                    let mut name = vec![0; usize::from(client.read_u8().await.unwrap())];
                    client.read_exact(&mut name).await.unwrap();
                    String::from_utf8(name).unwrap()
                }
                other => panic!("address type {other}"),
            };
            let port = client.read_u16().await.unwrap();
            recorded.lock().unwrap().push(format!("{host}:{port}"));
            let mut upstream = TcpStream::connect(loopback(&host, port)).await.unwrap();
            client
                .write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])
                .await
                .unwrap();
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    });
    (port, targets)
}

/// A test certificate authority, with a server certificate for `localhost` and `127.0.0.1` and
/// a client certificate.
pub struct TestCa {
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "tauri-sse test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { ca }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA certificate, for `Builder::add_root_certificate`.
    pub fn root(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(self.pem().as_bytes()).unwrap()
    }

    /// An HTTPS server with a certificate from this CA (and requiring a client certificate from
    /// it with `client_auth`) whose streams are `body`, then end.
    pub fn event_server(&self, client_auth: bool, body: &'static str) -> HttpServer {
        HttpServer::start(Some(self.server_config(client_auth)), move |_, conn| {
            event_stream(conn, &[], body)
        })
    }

    /// An HTTPS server that speaks HTTP/2 only (ALPN `h2`, no HTTP/1.1 fallback), with a
    /// certificate from this CA: every request gets `body` as an event stream, which then ends.
    /// Its URL, and the `Last-Event-ID` of every request (`None`: none), as UTF-8.
    pub fn h2_event_server(&self, body: &'static str) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
        let mut config = self.server_config(false);
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let ids = Arc::new(Mutex::new(Vec::new()));
        let recorded = ids.clone();
        let port = listen(move |tcp| {
            let (acceptor, recorded) = (acceptor.clone(), recorded.clone());
            async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut conn) = h2::server::handshake(tls).await else {
                    return;
                };
                // Accepting drives the connection, the responses' frames included.
                while let Some(Ok((request, mut respond))) = conn.accept().await {
                    let id = request.headers().get("last-event-id");
                    let id = id.map(|v| String::from_utf8(v.as_bytes().to_vec()).unwrap());
                    recorded.lock().unwrap().push(id);
                    let response = http::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(())
                        .unwrap();
                    let mut send = respond.send_response(response, false).unwrap();
                    send.send_data(bytes::Bytes::from_static(body.as_bytes()), true)
                        .unwrap();
                }
            }
        });
        (format!("https://127.0.0.1:{port}/sse"), ids)
    }

    /// A certificate for `names` with `usage`, and its key.
    fn issue(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
    ) -> (rcgen::Certificate, KeyPair) {
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        (params.signed_by(&key, &self.ca).unwrap(), key)
    }

    /// A server configuration with a certificate from this CA; with `client_auth`, the server
    /// requires a client certificate from this CA too.
    pub fn server_config(&self, client_auth: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca.der().clone()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let (cert, key) = self.issue(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        builder
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap()
    }

    /// A client certificate from this CA and its key, PEM (what `reqwest::Identity::from_pem`
    /// reads).
    pub fn client_identity_pem(&self) -> String {
        let (cert, key) = self.issue(&["client.test"], ExtendedKeyUsagePurpose::ClientAuth);
        format!("{}{}", cert.pem(), key.serialize_pem())
    }
}
