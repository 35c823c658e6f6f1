//! The request frame every client runs its calls in: span → retry driver → transport send →
//! classify.
//!
//! [`Frame`] holds the three pieces each client used to hold (and wire) on its own: the
//! [`Transport`], the [`RetryPolicy`] and the [`Clock`]. One logical call is
//!
//! 1. a tracing span for the call ([`request_span`]), under which
//! 2. the retry driver ([`retry::run`]) runs attempts, sleeping on the injected clock;
//! 3. each attempt builds its request (the client's part: URL, body, auth header) and
//!    [`exchange`](Frame::exchange)s it: the transport sends it and the answer's status is
//!    recorded on the span;
//! 4. the client's classifier turns the answer (or the transport failure) into a value or the
//!    client's `Error`, whose [`Classify`] impl tells the driver whether to try again.
//!
//! [`Frame::send`] is the whole frame for calls whose attempts need nothing but "build, send,
//! classify". Calls that do more per attempt (fetch a token first, repeat the exchange once
//! with a renewed token after a 401) write the attempt themselves with
//! [`Frame::execute`] around [`Frame::exchange`]; both keep the same span and driver.
//!
//! [`FrameBuilder`] is the part of every client builder behind its `transport`, `retry` and
//! `clock` setters; [`frame_setters!`](crate::frame_setters) writes those setters.
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use sync_core::error::{Classify, ErrorKind};
//! use sync_core::frame::FrameBuilder;
//! use sync_core::retry::RetryPolicy;
//! use sync_core::transport::{HttpRequest, HttpResponse, TransportError};
//!
//! #[derive(Debug)]
//! struct Failed(u16);
//! impl std::fmt::Display for Failed {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "HTTP {}", self.0) }
//! }
//! impl Classify for Failed {
//!     fn kind(&self) -> ErrorKind { if self.0 >= 500 { ErrorKind::Server } else { ErrorKind::Client } }
//! }
//!
//! # async fn demo() {
//! let canned = |_req: HttpRequest| async {
//!     Ok::<_, TransportError>(http::Response::new(Bytes::from_static(b"pong")))
//! };
//! let frame = FrameBuilder::default()
//!     .transport(Arc::new(canned))
//!     .retry(RetryPolicy::none())
//!     .build()
//!     .unwrap();
//! let body = frame
//!     .send(
//!         "demo",
//!         "ping",
//!         || Ok(http::Request::get("http://127.0.0.1/ping").body(Bytes::new()).unwrap()),
//!         |sent: Result<HttpResponse, TransportError>| {
//!             let response = sent.map_err(|_| Failed(0))?;
//!             if response.status().is_success() { Ok(response.into_body()) } else { Err(Failed(response.status().as_u16())) }
//!         },
//!     )
//!     .await
//!     .unwrap();
//! assert_eq!(body.as_ref(), b"pong");
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo());
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::clock::{Clock, TokioClock};
use crate::error::Classify;
use crate::retry::{self, RetryPolicy};
use crate::trace::request_span;
use crate::transport::{
    HttpRequest, HttpResponse, ReqwestTransport, ReqwestTransportBuilder, Transport, TransportError,
};

/// The transport, retry policy and clock of one client, and the frame its calls run in.
///
/// Cheap to clone (two `Arc`s and a small policy).
#[derive(Clone)]
pub struct Frame {
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("retry", &self.retry)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Frame {
    /// A frame over these three pieces. Client builders use [`FrameBuilder`] instead.
    pub fn new(transport: Arc<dyn Transport>, retry: RetryPolicy, clock: Arc<dyn Clock>) -> Self {
        Frame {
            transport,
            retry,
            clock,
        }
    }

    /// The transport every request goes through.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// The retry policy of every logical call.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The clock for sleeps, waits and wall time.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs one logical call: opens the span for `service`/`endpoint` and, inside it, runs
    /// `attempt` under the retry driver with this frame's policy and clock.
    ///
    /// `attempt` receives the attempt number (1-based). It is where the client builds its
    /// request and [`exchange`](Self::exchange)s it (possibly twice, e.g. with a renewed
    /// token after a 401).
    ///
    /// # Errors
    ///
    /// The error of the last attempt, when the policy stops.
    pub async fn execute<T, E, F, Fut>(
        &self,
        service: &'static str,
        endpoint: &str,
        attempt: F,
    ) -> Result<T, E>
    where
        E: Classify + fmt::Display,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        execute(&self.retry, &*self.clock, service, endpoint, attempt).await
    }

    /// One exchange of an attempt: sends `request` through the transport, records the
    /// answer's status on the current span, and hands the answer (or the transport failure)
    /// to `classify`.
    ///
    /// # Errors
    ///
    /// Whatever `classify` makes of the answer.
    pub async fn exchange<T, E>(
        &self,
        request: HttpRequest,
        classify: impl FnOnce(Result<HttpResponse, TransportError>) -> Result<T, E>,
    ) -> Result<T, E> {
        exchange(&*self.transport, request, classify).await
    }

    /// The whole frame for a call whose attempts need nothing but a request and a
    /// classification: a span, the retry driver, and per attempt `build` → send →
    /// `classify`.
    ///
    /// # Errors
    ///
    /// The error of the last attempt (from `build` or `classify`), when the policy stops.
    pub async fn send<T, E, B, C>(
        &self,
        service: &'static str,
        endpoint: &str,
        build: B,
        classify: C,
    ) -> Result<T, E>
    where
        E: Classify + fmt::Display,
        B: Fn() -> Result<HttpRequest, E>,
        C: Fn(Result<HttpResponse, TransportError>) -> Result<T, E>,
    {
        let (build, classify) = (&build, &classify);
        self.execute(service, endpoint, move |_| async move {
            self.exchange(build()?, classify).await
        })
        .await
    }
}

/// [`Frame::execute`] for callers that hold the policy and clock but no [`Frame`] (a helper
/// handed a bare transport, such as an OAuth code exchange).
///
/// # Errors
///
/// The error of the last attempt, when the policy stops.
pub async fn execute<T, E, F, Fut>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    service: &'static str,
    endpoint: &str,
    attempt: F,
) -> Result<T, E>
where
    E: Classify + fmt::Display,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let span = request_span(service, endpoint);
    retry::run(policy, clock, attempt).instrument(span).await
}

/// [`Frame::exchange`] over a bare transport.
///
/// # Errors
///
/// Whatever `classify` makes of the answer.
pub async fn exchange<T, E>(
    transport: &dyn Transport,
    request: HttpRequest,
    classify: impl FnOnce(Result<HttpResponse, TransportError>) -> Result<T, E>,
) -> Result<T, E> {
    let sent = transport.send(request).await;
    if let Ok(response) = &sent {
        tracing::Span::current().record("status", response.status().as_u16());
    }
    classify(sent)
}

/// The builder part every client builder embeds: transport, retry policy, clock, and the
/// timeouts of the default transport.
///
/// Client builders expose its setters through [`frame_setters!`](crate::frame_setters) and
/// call [`build`](Self::build) from their own `build`.
#[derive(Clone)]
pub struct FrameBuilder {
    transport: Option<Arc<dyn Transport>>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    default_transport: ReqwestTransportBuilder,
}

impl Default for FrameBuilder {
    /// No transport set (a [`ReqwestTransport`] with its defaults is built), the default
    /// [`RetryPolicy`], and the [`TokioClock`].
    fn default() -> Self {
        FrameBuilder {
            transport: None,
            retry: RetryPolicy::default(),
            clock: Arc::new(TokioClock),
            default_transport: ReqwestTransport::builder(),
        }
    }
}

impl fmt::Debug for FrameBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameBuilder")
            .field("custom_transport", &self.transport.is_some())
            .field("retry", &self.retry)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl FrameBuilder {
    /// Sends every request through `transport`. Default: a [`ReqwestTransport`] built with
    /// [`timeout`](Self::timeout) and [`connect_timeout`](Self::connect_timeout).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry policy of every logical call. Default [`RetryPolicy::default`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock for backoff sleeps, waits and wall time. Default [`TokioClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Time allowed for one attempt, backoff sleeps not counted; used by the default
    /// transport only. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.default_transport = self.default_transport.timeout(timeout);
        self
    }

    /// Time allowed to open a connection; used by the default transport only. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.default_transport = self.default_transport.connect_timeout(timeout);
        self
    }

    /// The retry policy set so far.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The frame, with the default transport built when none was set.
    ///
    /// # Errors
    ///
    /// When the default transport's TLS backend cannot be initialised.
    pub fn build(self) -> Result<Frame, TransportError> {
        let transport = match self.transport {
            Some(transport) => transport,
            None => Arc::new(self.default_transport.build()?),
        };
        Ok(Frame::new(transport, self.retry, self.clock))
    }
}

/// Writes the `transport`, `retry` and `clock` setters of a client builder that keeps a
/// [`FrameBuilder`] in the field named first.
///
/// Each setter's doc is the shared one followed by the sentence given for it, which states
/// the default and what the client uses the setting for.
///
/// ```
/// use sync_core::frame::FrameBuilder;
///
/// /// A builder.
/// #[derive(Debug, Default)]
/// pub struct DemoBuilder {
///     frame: FrameBuilder,
/// }
///
/// impl DemoBuilder {
///     sync_core::frame_setters! {
///         frame,
///         transport: "Default: a `ReqwestTransport` with its defaults.",
///         retry: "Default `RetryPolicy::default()`.",
///         clock: "Default `TokioClock`.",
///     }
/// }
///
/// let builder = DemoBuilder::default().retry(sync_core::retry::RetryPolicy::none());
/// assert_eq!(builder.frame.retry_policy().attempts(), 1);
/// ```
#[macro_export]
macro_rules! frame_setters {
    (
        $field:ident,
        transport: $transport_doc:literal,
        retry: $retry_doc:literal,
        clock: $clock_doc:literal $(,)?
    ) => {
        /// Sends every request through `transport` (any
        /// [`Transport`](sync_core::transport::Transport), a closure included, so tests need
        /// no server); retries, auth and tracing still run around it.
        ///
        #[doc = $transport_doc]
        pub fn transport(
            mut self,
            transport: ::std::sync::Arc<dyn $crate::transport::Transport>,
        ) -> Self {
            self.$field = self.$field.transport(transport);
            self
        }

        /// The [`RetryPolicy`](sync_core::retry::RetryPolicy) of every logical call, for
        /// transient failures, 5xx and throttling.
        ///
        #[doc = $retry_doc]
        pub fn retry(mut self, policy: $crate::retry::RetryPolicy) -> Self {
            self.$field = self.$field.retry(policy);
            self
        }

        /// The [`Clock`](sync_core::clock::Clock) for backoff sleeps and wall time
        /// (`Retry-After` dates included).
        ///
        #[doc = $clock_doc]
        pub fn clock(mut self, clock: ::std::sync::Arc<dyn $crate::clock::Clock>) -> Self {
            self.$field = self.$field.clock(clock);
            self
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use bytes::Bytes;

    use super::*;
    use crate::clock::FixedClock;
    use crate::error::ErrorKind;
    use crate::transport::TransportErrorKind;

    #[derive(Debug, PartialEq)]
    enum TestError {
        Status(u16),
        Transport,
        Build,
    }
    impl fmt::Display for TestError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{self:?}")
        }
    }
    impl Classify for TestError {
        fn kind(&self) -> ErrorKind {
            match self {
                TestError::Status(s) if *s >= 500 => ErrorKind::Server,
                TestError::Transport => ErrorKind::Transient,
                _ => ErrorKind::Client,
            }
        }
    }

    fn classify(sent: Result<HttpResponse, TransportError>) -> Result<Bytes, TestError> {
        let response = sent.map_err(|_| TestError::Transport)?;
        if response.status().is_success() {
            Ok(response.into_body())
        } else {
            Err(TestError::Status(response.status().as_u16()))
        }
    }

    fn request() -> Result<HttpRequest, TestError> {
        Ok(http::Request::get("http://127.0.0.1/x")
            .body(Bytes::new())
            .unwrap())
    }

    /// A transport answering with `statuses` in turn (the last one repeats), counting calls.
    fn scripted(statuses: &'static [u16], calls: Arc<AtomicU32>) -> Arc<dyn Transport> {
        Arc::new(move |_req: HttpRequest| {
            let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
            let status = statuses[n.min(statuses.len() - 1)];
            async move {
                Ok::<_, TransportError>(
                    http::Response::builder()
                        .status(status)
                        .body(Bytes::from_static(b"body"))
                        .unwrap(),
                )
            }
        })
    }

    fn frame(transport: Arc<dyn Transport>, policy: RetryPolicy, clock: &FixedClock) -> Frame {
        FrameBuilder::default()
            .transport(transport)
            .retry(policy)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap()
    }

    fn quick(attempts: u32) -> RetryPolicy {
        RetryPolicy::default()
            .max_attempts(attempts)
            .base_delay(Duration::from_millis(10))
    }

    #[tokio::test]
    async fn send_retries_through_the_policy_and_sleeps_on_the_clock() {
        let calls = Arc::new(AtomicU32::new(0));
        let clock = FixedClock::default();
        let frame = frame(scripted(&[503, 502, 200], calls.clone()), quick(5), &clock);
        let body = frame.send("test", "x", request, classify).await.unwrap();
        assert_eq!(body.as_ref(), b"body");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(clock.sleeps().len(), 2);
    }

    #[tokio::test]
    async fn send_honours_a_one_attempt_policy() {
        let calls = Arc::new(AtomicU32::new(0));
        let clock = FixedClock::default();
        let frame = frame(scripted(&[503], calls.clone()), RetryPolicy::none(), &clock);
        let err = frame
            .send("test", "x", request, classify)
            .await
            .unwrap_err();
        assert_eq!(err, TestError::Status(503));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(clock.sleeps().is_empty());
    }

    #[tokio::test]
    async fn a_build_failure_is_classified_like_any_other_error() {
        let calls = Arc::new(AtomicU32::new(0));
        let clock = FixedClock::default();
        let frame = frame(scripted(&[200], calls.clone()), quick(5), &clock);
        let err = frame
            .send(
                "test",
                "x",
                || Err::<HttpRequest, _>(TestError::Build),
                classify,
            )
            .await
            .unwrap_err();
        assert_eq!(err, TestError::Build);
        assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing was sent");
    }

    #[tokio::test]
    async fn transport_failures_reach_the_classifier() {
        let clock = FixedClock::default();
        let failing: Arc<dyn Transport> = Arc::new(|_req: HttpRequest| async {
            Err::<HttpResponse, _>(TransportError::new(TransportErrorKind::Connect, None))
        });
        let seen = Mutex::new(Vec::new());
        let frame = frame(failing, quick(2), &clock);
        let err = frame
            .send("test", "x", request, |sent| {
                seen.lock()
                    .unwrap()
                    .push(sent.as_ref().err().map(|e| e.kind()));
                classify(sent)
            })
            .await
            .unwrap_err();
        assert_eq!(err, TestError::Transport);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![Some(TransportErrorKind::Connect); 2]
        );
    }

    #[tokio::test]
    async fn execute_lets_an_attempt_exchange_twice() {
        let calls = Arc::new(AtomicU32::new(0));
        let clock = FixedClock::default();
        let frame = frame(scripted(&[401, 200], calls.clone()), quick(3), &clock);
        let frame = &frame;
        let out = frame
            .execute("test", "x", move |_| async move {
                let first = frame
                    .exchange(request()?, |sent| sent.map_err(|_| TestError::Transport))
                    .await?;
                if first.status() == 401 {
                    return frame.exchange(request()?, classify).await;
                }
                classify(Ok(first))
            })
            .await
            .unwrap();
        assert_eq!(out.as_ref(), b"body");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert!(clock.sleeps().is_empty(), "one attempt, no backoff");
    }

    #[test]
    fn the_builder_keeps_its_settings_and_debug_names_them() {
        let builder = FrameBuilder::default()
            .retry(RetryPolicy::none())
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(2));
        assert_eq!(builder.retry_policy().attempts(), 1);
        let text = format!("{builder:?}");
        assert!(text.contains("custom_transport: false"), "{text}");
        let frame = builder.build().unwrap();
        assert_eq!(frame.retry_policy().attempts(), 1);
        assert!(format!("{frame:?}").contains("Frame"));
    }
}
