//! A hostile upstream, at random: any status, any `Retry-After` (huge numbers, dates far in
//! the past or future, garbage), bodies of any size, redirects to another host. Whatever it
//! answers, a call through the shared frame and transport ends (no panic, no wait beyond the
//! documented caps) and no credential reaches the other host.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use sync_core::clock::{Clock, FixedClock};
use sync_core::error::{Classify, ErrorKind};
use sync_core::frame::Frame;
use sync_core::retry::{MAX_RETRY_AFTER, RetryPolicy, retry_after_header};
use sync_core::transport::{HttpResponse, ReqwestTransport, TransportError};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client error as a client crate would classify an answer.
#[derive(Debug)]
enum Failure {
    Status(u16, Option<Duration>),
    Transport(TransportError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Classify for Failure {
    fn kind(&self) -> ErrorKind {
        match self {
            Failure::Status(429, _) => ErrorKind::Throttling,
            Failure::Status(s, _) if *s >= 500 => ErrorKind::Server,
            Failure::Status(..) => ErrorKind::Client,
            Failure::Transport(_) => ErrorKind::Transient,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status(_, wait) => *wait,
            Failure::Transport(_) => None,
        }
    }
}

fn retry_after() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        any::<u64>().prop_map(|n| Some(n.to_string())),
        (0u64..100_000).prop_map(|n| Some(format!("{n}.5"))),
        Just(Some("Fri, 31 Dec 9999 23:59:59 GMT".to_owned())),
        Just(Some("Thu, 01 Jan 1970 00:00:00 GMT".to_owned())),
        Just(Some("99999999999999999999999999".to_owned())),
        Just(Some("-5".to_owned())),
        "[ -~]{0,40}".prop_map(Some),
    ]
}

async fn call(frame: &Frame, clock: &Arc<FixedClock>, url: &str) -> Result<Bytes, Failure> {
    frame
        .send(
            "hostile",
            "call",
            || {
                Ok(http::Request::post(url)
                    .header("x-shopify-access-token", "shpat_canary")
                    .header("presharedkey", "psk_canary")
                    .body(Bytes::from_static(b"client_secret=canary"))
                    .expect("request"))
            },
            |answer: Result<HttpResponse, TransportError>| match answer {
                Err(e) => Err(Failure::Transport(e)),
                Ok(r) if r.status().is_success() => Ok(r.into_body()),
                Ok(r) => Err(Failure::Status(
                    r.status().as_u16(),
                    retry_after_header(r.headers(), clock.as_ref()),
                )),
            },
        )
        .await
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_ends_the_call_within_the_caps_and_keeps_credentials_home(
        status in 100u16..600,
        hint in retry_after(),
        body_len in 0usize..200_000,
        redirect in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let elsewhere = MockServer::start().await;
            Mock::given(any_request()).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
            let server = MockServer::start().await;
            // 1xx is not a final answer a server may send on its own: answer 199 as 500.
            let status = if status < 200 { 500 } else { status };
            let mut answer = ResponseTemplate::new(status).set_body_bytes(vec![b'x'; body_len]);
            if let Some(hint) = &hint {
                answer = answer.insert_header("retry-after", hint.as_str());
            }
            if redirect {
                answer = answer.insert_header("location", format!("{}/steal", elsewhere.uri()));
            }
            Mock::given(any_request()).respond_with(answer).mount(&server).await;
            let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
            let started = clock.now_utc();
            let frame = Frame::new(
                Arc::new(ReqwestTransport::new().unwrap()),
                RetryPolicy::default().max_attempts(3),
                clock.clone(),
            );
            let result = call(&frame, &clock, &format!("{}/call", server.uri())).await;
            if let Err(Failure::Status(code, _)) = &result {
                prop_assert_eq!(*code, status);
            }
            // Waits are the clock's: never beyond the cap per retry.
            let waited = (clock.now_utc() - started).to_std().unwrap_or_default();
            prop_assert!(waited <= MAX_RETRY_AFTER * 3, "waited {waited:?}");
            let stolen = elsewhere.received_requests().await.unwrap_or_default();
            prop_assert!(stolen.is_empty(), "a request followed a redirect to another host");
            Ok(())
        })?;
    }
}

/// An answer of 100 MB is refused at the transport's body limit, not held in memory.
#[tokio::test]
async fn a_100_mb_answer_is_refused_not_held() {
    let server = MockServer::start().await;
    Mock::given(any_request())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 100 * 1024 * 1024]))
        .mount(&server)
        .await;
    let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
    let frame = Frame::new(
        Arc::new(ReqwestTransport::new().unwrap()),
        RetryPolicy::none(),
        clock.clone(),
    );
    let result = call(&frame, &clock, &format!("{}/big", server.uri())).await;
    match result {
        Err(Failure::Transport(e)) => assert!(e.to_string().contains("TooLarge"), "{e}"),
        other => panic!("a 100 MB answer was accepted: {other:?}"),
    }
}
