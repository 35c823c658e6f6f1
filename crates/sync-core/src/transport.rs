//! The transport seam: one async call from an HTTP request to an HTTP response.
//!
//! Clients never talk to `reqwest` directly; they hold an `Arc<dyn Transport>`. The default is
//! [`ReqwestTransport`]; tests can pass a closure instead (see the blanket impl), so pure
//! client logic is tested without a server while retries, auth and tracing still run.
//!
//! ```
//! use bytes::Bytes;
//! use sync_core::transport::{HttpRequest, HttpResponse, Transport, TransportError};
//!
//! # async fn demo() -> Result<(), TransportError> {
//! let canned = |_req: HttpRequest| async {
//!     Ok::<_, TransportError>(http::Response::new(Bytes::from_static(b"{\"ok\":true}")))
//! };
//! let response = canned.send(http::Request::new(Bytes::new())).await?;
//! assert_eq!(response.body().as_ref(), b"{\"ok\":true}");
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// A request with its whole body in memory.
pub type HttpRequest = http::Request<Bytes>;
/// A response with its whole body in memory.
pub type HttpResponse = http::Response<Bytes>;

/// Where a transport failure happened, which tells whether the request may have been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection was made: the request certainly did not reach the server.
    Connect,
    /// The attempt ran out of time; the request may have been processed.
    Timeout,
    /// The connection failed after the request was (maybe) sent.
    Io,
    /// The request could not be built (bad URL, bad header); nothing was sent.
    Build,
    /// The answer was larger than the transport accepts
    /// ([`ReqwestTransportBuilder::max_body_bytes`]); the request was processed.
    TooLarge,
}

/// A failure below HTTP: nothing usable came back.
#[derive(Debug, thiserror::Error)]
#[error("{kind:?} failure talking to the server")]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind` with an optional cause.
    pub fn new(
        kind: TransportErrorKind,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        TransportError { kind, source }
    }

    /// Where it failed.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// `true` when the server may have received (and acted on) the request.
    pub fn maybe_sent(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Timeout | TransportErrorKind::Io | TransportErrorKind::TooLarge
        )
    }

    /// `true` when the attempt timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// What a connection failure was, in a few words an operator reads ("connection
    /// refused", "host not found", "TLS failure", "connect timeout", "cannot connect"), read
    /// from the error's causes.
    pub fn connect_cause(&self) -> &'static str {
        let mut text = String::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = source {
            text.push_str(&e.to_string().to_ascii_lowercase());
            text.push(' ');
            source = e.source();
        }
        let any = |keys: &[&str]| keys.iter().any(|k| text.contains(k));
        if text.contains("refused") {
            "connection refused"
        } else if any(&["dns", "lookup", "resolve", "name or service", "nodename"]) {
            "host not found"
        } else if any(&["tls", "ssl", "certificate", "handshake"]) {
            "TLS failure"
        } else if self.is_timeout() || text.contains("timed out") {
            "connect timeout"
        } else {
            "cannot connect"
        }
    }
}

/// Sends one HTTP request and returns the whole response.
///
/// A response with any status is `Ok`: status handling belongs to the client. `Err` means no
/// response arrived.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `request` and waits for the whole response body.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Sends `request` and hands its body over as it arrives, chunk by chunk, for answers
    /// too large to hold whole (a bulk export's result). The reader bounds what it keeps
    /// (for example the length of a line); the transport's body limit does not apply.
    ///
    /// Reading such a body may take as long as its reader takes, so the whole-request
    /// timeout does not cover it: [`ReqwestTransport`] times out the wait for the answer's
    /// head ([`ReqwestTransportBuilder::timeout`]) and then each wait for the next bytes
    /// ([`ReqwestTransportBuilder::read_timeout`]), not the time the reader spends between
    /// reads.
    ///
    /// The default waits for the whole body ([`send`](Self::send)) and hands it over as one
    /// chunk; [`ReqwestTransport`] streams it.
    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<BodyStream>, TransportError> {
        let response = self.send(request).await?;
        Ok(response
            .map(|body| -> BodyStream { Box::pin(futures::stream::once(async move { Ok(body) })) }))
    }
}

/// A response body handed over as it arrives ([`Transport::send_streaming`]).
pub type BodyStream = futures::stream::BoxStream<'static, Result<Bytes, TransportError>>;

#[async_trait]
impl<T: Transport + ?Sized> Transport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<BodyStream>, TransportError> {
        (**self).send_streaming(request).await
    }
}

/// Any `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>>` is a
/// transport; convenient for unit tests.
#[async_trait]
impl<F, Fut> Transport for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (self)(request).await
    }
}

/// The default transport, on `reqwest`, with a connect timeout and a per-attempt timeout
/// (for a streamed body: a timeout on its head and one on each wait for its next bytes).
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
    timeout: Duration,
    read_timeout: Duration,
}

/// The largest answer body a transport accepts by default (64 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// An answer body over the transport's limit.
#[derive(Debug, thiserror::Error)]
#[error("the answer's body is over {limit} bytes")]
pub struct BodyTooLarge {
    /// The limit.
    pub limit: usize,
}

/// A streamed answer body that stopped arriving ([`ReqwestTransportBuilder::read_timeout`]).
#[derive(Debug, thiserror::Error)]
#[error("no bytes of the answer's body arrived for {} ms (the read timeout)", waited.as_millis())]
pub struct BodyStalled {
    /// How long the transport waited for the next bytes.
    pub waited: Duration,
}

/// The answer's head did not arrive within the transport's timeout.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {} ms (the request timeout)", waited.as_millis())]
pub struct NoAnswer {
    /// How long the transport waited.
    pub waited: Duration,
}

/// Builder for [`ReqwestTransport`].
#[derive(Debug, Clone)]
pub struct ReqwestTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    read_timeout: Duration,
    user_agent: String,
    native_tls: bool,
    max_body_bytes: usize,
}

impl Default for ReqwestTransportBuilder {
    fn default() -> Self {
        ReqwestTransportBuilder {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            user_agent: concat!("flow-shopify-eta/", env!("CARGO_PKG_VERSION")).to_owned(),
            native_tls: false,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl ReqwestTransportBuilder {
    /// Time allowed to open a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt, from sending to the end of the body; backoff sleeps are
    /// not part of it. Default 60 s.
    ///
    /// For a body read as it arrives ([`Transport::send_streaming`]) it covers the wait for
    /// the answer's head only; the body then has [`read_timeout`](Self::read_timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// For a body read as it arrives ([`Transport::send_streaming`], a bulk export's
    /// result): the longest wait for its next bytes, each time its reader asks for more. The
    /// time the reader spends between two reads is not counted, so a download read slowly
    /// (each chunk processed before the next is asked for) may take as long as it needs,
    /// while a server that stops sending mid-body is an error
    /// ([`TransportErrorKind::Timeout`], [`BodyStalled`]). Default 60 s.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The `User-Agent` header. Default `flow-shopify-eta/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// The largest answer body accepted; a larger one is an error
    /// ([`TransportErrorKind::TooLarge`]) read no further, so a misbehaving upstream cannot
    /// exhaust memory. Default [`DEFAULT_MAX_BODY_BYTES`] (64 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Uses the platform TLS library instead of rustls (needs the `native-tls` feature;
    /// ignored without it). Default `false`.
    pub fn native_tls(mut self, yes: bool) -> Self {
        self.native_tls = yes;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// When the TLS backend cannot be initialised.
    pub fn build(self) -> Result<ReqwestTransport, TransportError> {
        let builder = reqwest::Client::builder()
            // Never follow a redirect: reqwest would forward the request's headers (Shopify's
            // access token, Flow's API keys, ETA's pre-shared key) and, on 307/308, its body
            // (passwords, client secrets) to wherever the answer points, https to http
            // included. A 3xx comes back to the client as the answer it is, and each client
            // refuses it as an error naming the status.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            // No client-wide timeout: `send` sets its own on each request, and a streamed
            // body is timed per read (`send_streaming`), not as a whole.
            .user_agent(self.user_agent);
        #[cfg(feature = "native-tls")]
        let builder = if self.native_tls {
            builder.tls_backend_native()
        } else {
            builder
        };
        #[cfg(not(feature = "native-tls"))]
        let _ = self.native_tls;
        let client = builder
            .build()
            .map_err(|e| TransportError::new(TransportErrorKind::Build, Some(Box::new(e))))?;
        Ok(ReqwestTransport {
            client,
            max_body_bytes: self.max_body_bytes,
            timeout: self.timeout,
            read_timeout: self.read_timeout,
        })
    }
}

impl ReqwestTransport {
    /// A builder with the defaults documented on its setters.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder::default()
    }

    /// A transport with default settings.
    ///
    /// # Errors
    ///
    /// When the TLS backend cannot be initialised.
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }
}

fn classify_reqwest(error: reqwest::Error) -> TransportError {
    let kind = if error.is_builder() {
        TransportErrorKind::Build
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Io
    };
    // The URL may carry a token in its query: drop it from the error.
    TransportError::new(kind, Some(Box::new(error.without_url())))
}

impl ReqwestTransport {
    /// Sends `request` and returns the answer's head and the reqwest response to read its
    /// body from; `whole` sets reqwest's timeout over the whole request, body included
    /// (`None` for a streamed body, timed here instead).
    async fn start(
        &self,
        request: HttpRequest,
        whole: Option<Duration>,
    ) -> Result<(http::response::Builder, reqwest::Response), TransportError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let mut builder = self
            .client
            .request(parts.method, url)
            .version(parts.version)
            .body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = match whole {
            Some(timeout) => builder.timeout(timeout).send().await,
            None => match tokio::time::timeout(self.timeout, builder.send()).await {
                Ok(sent) => sent,
                Err(_) => {
                    return Err(TransportError::new(
                        TransportErrorKind::Timeout,
                        Some(Box::new(NoAnswer {
                            waited: self.timeout,
                        })),
                    ));
                }
            },
        }
        .map_err(classify_reqwest)?;
        let mut out = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = out.headers_mut() {
            headers.extend(
                response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        Ok((out, response))
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<http::Response<BodyStream>, TransportError> {
        let (out, response) = self.start(request, None).await?;
        let waited = self.read_timeout;
        // Each read waits at most `read_timeout` for the next bytes; the clock starts when the
        // reader asks, so the reader's own pace is not counted.
        let chunks = futures::stream::try_unfold(response, move |mut response| async move {
            let next = tokio::time::timeout(waited, response.chunk())
                .await
                .map_err(|_| {
                    TransportError::new(
                        TransportErrorKind::Timeout,
                        Some(Box::new(BodyStalled { waited })),
                    )
                })?;
            Ok(next
                .map_err(classify_reqwest)?
                .map(|chunk| (chunk, response)))
        });
        out.body(Box::pin(chunks) as BodyStream)
            .map_err(|e| TransportError::new(TransportErrorKind::Io, Some(Box::new(e))))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let (out, mut response) = self.start(request, Some(self.timeout)).await?;
        let limit = self.max_body_bytes;
        let too_large = || {
            TransportError::new(
                TransportErrorKind::TooLarge,
                Some(Box::new(BodyTooLarge { limit })),
            )
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(classify_reqwest)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        out.body(body.freeze())
            .map_err(|e| TransportError::new(TransportErrorKind::Io, Some(Box::new(e))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reqwest_transport_round_trips_through_a_real_server() {
        use wiremock::matchers::{header, method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/echo"))
            .and(header("x-test", "1"))
            .respond_with(ResponseTemplate::new(201).set_body_string("made"))
            .expect(1)
            .mount(&server)
            .await;
        let transport = ReqwestTransport::new().unwrap();
        let request = http::Request::post(format!("{}/echo", server.uri()))
            .header("x-test", "1")
            .body(Bytes::from_static(b"hi"))
            .unwrap();
        let response = transport.send(request).await.unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.body().as_ref(), b"made");
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_nothing_reaches_the_other_host() {
        use wiremock::matchers::any;
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let elsewhere = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&elsewhere)
            .await;
        let server = MockServer::start().await;
        for status in [301, 302, 303, 307, 308] {
            server.reset().await;
            Mock::given(any())
                .respond_with(
                    ResponseTemplate::new(status)
                        .insert_header("location", format!("{}/steal", elsewhere.uri())),
                )
                .expect(1)
                .mount(&server)
                .await;
            let transport = ReqwestTransport::new().unwrap();
            let request = http::Request::post(format!("{}/login", server.uri()))
                .header("x-shopify-access-token", "shpat_canary")
                .body(Bytes::from_static(b"password=canary"))
                .unwrap();
            let response = transport.send(request).await.unwrap();
            assert_eq!(response.status(), status, "the redirect itself comes back");
            server.verify().await;
        }
        assert!(
            elsewhere
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty(),
            "a request followed the redirect to the other host"
        );
    }

    #[tokio::test]
    async fn an_answer_over_the_body_limit_is_an_error_not_a_memory_blowup() {
        use wiremock::matchers::any;
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 4096]))
            .mount(&server)
            .await;
        let get = || {
            http::Request::get(format!("{}/big", server.uri()))
                .body(Bytes::new())
                .unwrap()
        };
        let small = ReqwestTransport::builder()
            .max_body_bytes(1024)
            .build()
            .unwrap();
        let error = small.send(get()).await.unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::TooLarge);
        assert!(error.maybe_sent(), "the server processed the request");
        let roomy = ReqwestTransport::builder()
            .max_body_bytes(4096)
            .build()
            .unwrap();
        assert_eq!(roomy.send(get()).await.unwrap().body().len(), 4096);
    }

    /// A loopback server answering every request with `chunks` (chunked encoding), waiting
    /// `gap` before each, then holding the connection open for `hold` before ending it.
    async fn chunked_server(
        chunks: Vec<&'static [u8]>,
        gap: Duration,
        hold: Duration,
    ) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await;
            for chunk in chunks {
                tokio::time::sleep(gap).await;
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
                if socket.write_all(&frame).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
            }
            tokio::time::sleep(hold).await;
            let _ = socket.write_all(b"0\r\n\r\n").await;
        });
        addr
    }

    fn get(addr: std::net::SocketAddr) -> HttpRequest {
        http::Request::get(format!("http://{addr}/result.jsonl"))
            .body(Bytes::new())
            .unwrap()
    }

    #[tokio::test]
    async fn a_streamed_body_read_slowly_outlasts_the_request_timeout_and_completes() {
        use futures::StreamExt;
        let chunks: Vec<&'static [u8]> = vec![b"one\n", b"two\n", b"three\n", b"four\n", b"five\n"];
        let addr = chunked_server(chunks, Duration::from_millis(50), Duration::ZERO).await;
        let timeout = Duration::from_millis(300);
        let transport = ReqwestTransport::builder()
            .timeout(timeout)
            .read_timeout(timeout)
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let mut body = transport
            .send_streaming(get(addr))
            .await
            .unwrap()
            .into_body();
        let mut read = Vec::new();
        while let Some(chunk) = body.next().await {
            read.extend_from_slice(&chunk.expect("every chunk arrives"));
            // A slow reader: each chunk takes longer to process than the server takes to send
            // the next, and the whole read much longer than the request timeout.
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert_eq!(read, b"one\ntwo\nthree\nfour\nfive\n");
        assert!(
            started.elapsed() > timeout * 2,
            "the read took {:?}, not longer than the timeout",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_streamed_body_that_stops_arriving_fails_with_the_read_timeout() {
        use futures::StreamExt;
        let addr = chunked_server(
            vec![b"first line\n"],
            Duration::ZERO,
            Duration::from_secs(30),
        )
        .await;
        let transport = ReqwestTransport::builder()
            .timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let mut body = transport
            .send_streaming(get(addr))
            .await
            .unwrap()
            .into_body();
        let first = body.next().await.unwrap().unwrap();
        assert_eq!(first.as_ref(), b"first line\n");
        let error = body.next().await.unwrap().unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Timeout);
        let cause = std::error::Error::source(&error).unwrap().to_string();
        assert!(
            cause.contains("no bytes of the answer's body arrived for 200 ms"),
            "{cause}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_whole_body_still_has_the_request_timeout() {
        let addr = chunked_server(vec![b"slow"], Duration::from_millis(500), Duration::ZERO).await;
        let transport = ReqwestTransport::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let error = transport.send(get(addr)).await.unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Timeout);
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error_that_was_not_sent() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let transport = ReqwestTransport::new().unwrap();
        let request = http::Request::get(format!("http://127.0.0.1:{port}/"))
            .body(Bytes::new())
            .unwrap();
        let error = transport.send(request).await.unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Connect);
        assert!(!error.maybe_sent());
    }
}
