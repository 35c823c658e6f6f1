//! The retry policy, a pure function, and the driver loop that runs it.
//!
//! [`RetryPolicy::decide`] looks at one failed attempt and answers [`Outcome::Stop`] or
//! [`Outcome::RetryAfter`]. In order it considers:
//!
//! 1. the limits: the attempt count and the total time budget;
//! 2. the error: client errors and uncertain outcomes ([`Classify::is_uncertain`]) stop;
//! 3. the server's hint ([`Classify::retry_after`]: `Retry-After`, a throttle estimate), used as
//!    given when it fits in the time budget;
//! 4. otherwise capped exponential backoff with "equal jitter": half the step is fixed, the
//!    other half random, so waits are spread out but never collapse to zero.
//!
//! Randomness is passed in (`jitter` in `[0, 1)`), so the function is deterministic and tested
//! without a clock. [`run`] is the async loop that every client uses; its sleeps go through a
//! [`Clock`], so `tokio::time::pause()` makes tests instant.
//!
//! The server's hint is read by one rule for every client: [`parse_retry_after`] (and
//! [`retry_after_header`] on a header map) takes `Retry-After` as delta-seconds or as an
//! HTTP-date, measures a date from the injected [`Clock`]'s now, and caps the wait at
//! [`MAX_RETRY_AFTER`].

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::error::{Classify, ErrorKind};

/// How a retry decision came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Give up and return the error.
    Stop,
    /// Wait this long, then try again.
    RetryAfter(Duration),
}

/// Bounds and backoff shape for retrying one logical request.
///
/// Every limit counts the whole logical request: `max_attempts` includes the first attempt,
/// and `max_elapsed` includes the time spent in attempts and in backoff sleeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, 2 minutes in all, backoff from 250 ms doubling up to 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries (one attempt).
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the most attempts, the first included. Default 6. Values below 1 count as 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the total time budget, sleeps included. Default 120 s.
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Sets the first backoff step. Default 250 ms.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// Sets the largest backoff step (the server's hint may exceed it). Default 30 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most attempts, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff step before jitter for a given attempt (1-based): `base × 2^(attempt-1)`,
    /// capped at `max_delay`.
    pub fn backoff_step(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.base_delay
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Decides what to do after attempt number `attempt` (1-based) failed with `error`,
    /// `elapsed` after the logical request began. `jitter` is a sample from `[0, 1)`.
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        error: &(impl Classify + ?Sized),
        jitter: f64,
    ) -> Outcome {
        if attempt >= self.max_attempts || elapsed >= self.max_elapsed {
            return Outcome::Stop;
        }
        if error.is_uncertain() || error.kind() == ErrorKind::Client {
            return Outcome::Stop;
        }
        let remaining = self.max_elapsed - elapsed;
        let wait = match error.retry_after() {
            Some(hint) => hint,
            None => {
                let step = self.backoff_step(attempt);
                let jitter = jitter.clamp(0.0, 1.0);
                step / 2 + step.mul_f64(jitter / 2.0)
            }
        };
        if wait > remaining {
            Outcome::Stop
        } else {
            Outcome::RetryAfter(wait)
        }
    }
}

/// The longest wait a `Retry-After` header can ask for: one hour. Longer values are capped to
/// it.
///
/// The cap sits far above any sensible time budget of a [`RetryPolicy`] (the default is two
/// minutes), so a capped hint still ends the retries as the full one would; but a number of
/// seconds with twenty digits, or a date in the year 9999, can never overflow the date
/// arithmetic of a clock or put a task to sleep for years.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Reads a `Retry-After` value: the wait it asks for, measured from `now`, at most
/// [`MAX_RETRY_AFTER`].
///
/// - **delta-seconds** (`"120"`): that many seconds. A fraction (`"0.5"`, sent by some
///   services although RFC 9110 allows whole seconds only) is read exactly, down to the
///   nanosecond. A number too large for any integer type is capped like any other.
/// - **HTTP-date** (`"Wed, 21 Oct 2026 07:28:00 GMT"`, and the two obsolete forms
///   RFC 9110 requires a reader to accept): the time from `now` until then. Pass the injected
///   [`Clock::now_utc`] as `now`, so tests that fix the clock fix this too. A date that has
///   already passed gives `None`: the server's wait is over, and the caller's own backoff
///   applies, so a server clock behind ours cannot make a client retry in a tight loop.
///
/// Anything else (empty, negative, `"soon"`, a malformed date) is `None`.
///
/// ```
/// use std::time::Duration;
/// use chrono::{TimeZone, Utc};
/// use sync_core::retry::{parse_retry_after, MAX_RETRY_AFTER};
///
/// let now = Utc.with_ymd_and_hms(2026, 10, 21, 7, 27, 0).unwrap();
/// assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_retry_after("99999999999999999999999", now), Some(MAX_RETRY_AFTER));
/// assert_eq!(parse_retry_after("later", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let text = value.trim();
    if text.is_empty() {
        return None;
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return delta_seconds(text);
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(text).ok()?.into();
    // Both ends lie within chrono's range, so the difference is exact; a date already past
    // is negative and `to_std` refuses it.
    let wait = at.signed_duration_since(now).to_std().ok()?;
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `digits` or `digits.digits`, exactly, capped at [`MAX_RETRY_AFTER`].
fn delta_seconds(text: &str) -> Option<Duration> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() && !fraction.contains('.') => {
            (whole, fraction)
        }
        Some(_) => return None,
        None => (text, ""),
    };
    if whole.is_empty() {
        return None;
    }
    // Only digits are left, so a failed parse means the number is too large for a u64.
    let Ok(seconds) = whole.parse::<u64>() else {
        return Some(MAX_RETRY_AFTER);
    };
    if seconds >= MAX_RETRY_AFTER.as_secs() {
        return Some(MAX_RETRY_AFTER);
    }
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, digit| n * 10 + u32::from(digit - b'0'));
    Some(Duration::new(seconds, nanos).min(MAX_RETRY_AFTER))
}

/// The `Retry-After` header of `headers` read by [`parse_retry_after`], with the date form
/// measured from `clock`'s now. `None` when the header is absent, not ASCII, or unreadable.
pub fn retry_after_header(headers: &http::HeaderMap, clock: &dyn Clock) -> Option<Duration> {
    let text = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(text, clock.now_utc())
}

/// Runs `op` until it succeeds or the policy says stop; returns the last error then.
///
/// `op` receives the attempt number (1-based). Each wait goes through `clock`. The current
/// tracing span gets an `attempt` field recorded per attempt, and a warning is logged when
/// the driver gives up after retrying.
///
/// # Errors
///
/// The error of the last attempt, when the policy stops.
pub async fn run<T, E, F, Fut>(policy: &RetryPolicy, clock: &dyn Clock, mut op: F) -> Result<T, E>
where
    E: Classify + std::fmt::Display,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = clock.instant();
    let mut slept = Duration::ZERO;
    let mut attempt = 1u32;
    loop {
        tracing::Span::current().record("attempt", attempt);
        match op(attempt).await {
            Ok(value) => return Ok(value),
            Err(error) => {
                let elapsed = started.elapsed().max(slept);
                let jitter: f64 = rand::random();
                match policy.decide(attempt, elapsed, &error, jitter) {
                    Outcome::Stop => {
                        if attempt > 1 {
                            tracing::warn!(attempt, %error, "giving up after retries");
                        }
                        return Err(error);
                    }
                    Outcome::RetryAfter(wait) => {
                        tracing::debug!(attempt, ?wait, %error, "retrying");
                        if error.kind() == ErrorKind::Throttling {
                            metrics::counter!("sync_http_throttled_total").increment(1);
                        }
                        clock.sleep(wait).await;
                        slept += wait;
                        attempt += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[derive(Debug)]
    struct TestError {
        kind: ErrorKind,
        hint: Option<Duration>,
        uncertain: bool,
    }
    impl TestError {
        fn of(kind: ErrorKind) -> Self {
            TestError {
                kind,
                hint: None,
                uncertain: false,
            }
        }
    }
    impl std::fmt::Display for TestError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.kind)
        }
    }
    impl Classify for TestError {
        fn kind(&self) -> ErrorKind {
            self.kind
        }
        fn retry_after(&self) -> Option<Duration> {
            self.hint
        }
        fn is_uncertain(&self) -> bool {
            self.uncertain
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
            .max_attempts(5)
            .max_elapsed(Duration::from_secs(60))
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(8))
    }

    #[test]
    fn retry_after_hint_wins_over_backoff() {
        let mut error = TestError::of(ErrorKind::Throttling);
        error.hint = Some(Duration::from_millis(1700));
        for jitter in [0.0, 0.5, 0.99] {
            assert_eq!(
                policy().decide(3, Duration::ZERO, &error, jitter),
                Outcome::RetryAfter(Duration::from_millis(1700))
            );
        }
    }

    #[test]
    fn hint_beyond_the_time_budget_stops() {
        let mut error = TestError::of(ErrorKind::Throttling);
        error.hint = Some(Duration::from_secs(30));
        assert_eq!(
            policy().decide(1, Duration::from_secs(45), &error, 0.3),
            Outcome::Stop
        );
    }

    #[test]
    fn jitter_stays_within_half_step_and_full_step() {
        let p = policy();
        let error = TestError::of(ErrorKind::Server);
        for attempt in 1..5 {
            let step = p.backoff_step(attempt);
            for i in 0..100 {
                let jitter = f64::from(i) / 100.0;
                let Outcome::RetryAfter(wait) = p.decide(attempt, Duration::ZERO, &error, jitter)
                else {
                    panic!("server errors are retried");
                };
                assert!(wait >= step / 2, "{wait:?} below half of {step:?}");
                assert!(wait <= step, "{wait:?} above {step:?}");
            }
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = policy();
        assert_eq!(p.backoff_step(1), Duration::from_secs(1));
        assert_eq!(p.backoff_step(2), Duration::from_secs(2));
        assert_eq!(p.backoff_step(4), Duration::from_secs(8));
        assert_eq!(p.backoff_step(10), Duration::from_secs(8));
        assert_eq!(p.backoff_step(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn stops_at_the_attempt_limit_and_the_time_limit() {
        let p = policy();
        let error = TestError::of(ErrorKind::Transient);
        assert!(matches!(
            p.decide(4, Duration::ZERO, &error, 0.0),
            Outcome::RetryAfter(_)
        ));
        assert_eq!(p.decide(5, Duration::ZERO, &error, 0.0), Outcome::Stop);
        assert_eq!(
            p.decide(1, Duration::from_secs(60), &error, 0.0),
            Outcome::Stop
        );
    }

    #[test]
    fn client_errors_and_uncertain_outcomes_stop_at_once() {
        let p = policy();
        assert_eq!(
            p.decide(1, Duration::ZERO, &TestError::of(ErrorKind::Client), 0.0),
            Outcome::Stop
        );
        let mut uncertain = TestError::of(ErrorKind::Transient);
        uncertain.uncertain = true;
        assert_eq!(p.decide(1, Duration::ZERO, &uncertain, 0.0), Outcome::Stop);
    }

    #[tokio::test]
    async fn driver_retries_until_success_and_sleeps_through_the_clock() {
        let clock = FixedClock::default();
        let mut calls = 0;
        let result: Result<u32, TestError> = run(&policy(), &clock, |attempt| {
            calls += 1;
            async move {
                if attempt < 3 {
                    let mut e = TestError::of(ErrorKind::Throttling);
                    e.hint = Some(Duration::from_secs(2));
                    Err(e)
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(calls, 3);
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(2); 2]);
    }

    #[tokio::test]
    async fn driver_returns_the_last_error_when_it_gives_up() {
        let clock = FixedClock::default();
        let result: Result<(), TestError> = run(&policy(), &clock, |_| async {
            Err(TestError::of(ErrorKind::Server))
        })
        .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::Server);
        assert_eq!(clock.sleeps().len(), 4, "5 attempts means 4 waits");
    }

    mod retry_after {
        use super::super::*;
        use crate::clock::FixedClock;
        use chrono::TimeZone;

        fn now() -> DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 10, 21, 7, 28, 0).unwrap()
        }

        #[test]
        fn delta_seconds_whole_and_fractional() {
            assert_eq!(parse_retry_after("0", now()), Some(Duration::ZERO));
            assert_eq!(
                parse_retry_after(" 120 ", now()),
                Some(Duration::from_secs(120))
            );
            assert_eq!(
                parse_retry_after("0.05", now()),
                Some(Duration::from_millis(50))
            );
            assert_eq!(
                parse_retry_after("1.000000001999", now()),
                Some(Duration::new(1, 1)),
                "nanoseconds at most, the rest dropped"
            );
        }

        #[test]
        fn http_date_in_the_future_is_measured_from_the_given_now() {
            assert_eq!(
                parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now()),
                Some(Duration::from_secs(30))
            );
            // The obsolete RFC 850 and asctime forms are read too.
            assert_eq!(
                parse_retry_after("Wednesday, 21-Oct-26 07:29:00 GMT", now()),
                Some(Duration::from_secs(60))
            );
            assert_eq!(
                parse_retry_after("Wed Oct 21 07:30:00 2026", now()),
                Some(Duration::from_secs(120))
            );
            assert_eq!(
                parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now()),
                Some(Duration::ZERO),
                "now exactly: no wait"
            );
        }

        #[test]
        fn http_date_in_the_past_gives_no_hint() {
            assert_eq!(
                parse_retry_after("Wed, 21 Oct 2026 07:27:59 GMT", now()),
                None
            );
            assert_eq!(
                parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now()),
                None
            );
        }

        #[test]
        fn garbage_is_no_hint() {
            for text in [
                "",
                "   ",
                "soon",
                "-1",
                "+5",
                "1e3",
                "inf",
                "NaN",
                ".5",
                "5.",
                "1.2.3",
                "0x10",
                "Wed, 32 Oct 2026 07:28:00 GMT",
                "21 Oct 2026",
                "3 s",
            ] {
                assert_eq!(parse_retry_after(text, now()), None, "{text:?}");
            }
        }

        #[test]
        fn huge_values_are_capped_and_never_overflow() {
            for text in [
                "3600",
                "3601",
                "18446744073709551615",
                "18446744073709551616",
                "99999999999999999999999999999999999999.9",
                "Fri, 31 Dec 9999 23:59:59 GMT",
            ] {
                assert_eq!(
                    parse_retry_after(text, now()),
                    Some(MAX_RETRY_AFTER),
                    "{text:?}"
                );
            }
            assert_eq!(
                parse_retry_after("3599.999999999", now()),
                Some(Duration::new(3599, 999_999_999))
            );
            // The far end of chrono's range as "now" still subtracts without overflow.
            assert_eq!(
                parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", DateTime::<Utc>::MIN_UTC),
                Some(MAX_RETRY_AFTER)
            );
            assert_eq!(
                parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", DateTime::<Utc>::MAX_UTC),
                None
            );
        }

        #[test]
        fn the_header_is_read_on_the_injected_clock() {
            let clock = FixedClock::new(now());
            let mut headers = http::HeaderMap::new();
            assert_eq!(retry_after_header(&headers, &clock), None);
            headers.insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("Wed, 21 Oct 2026 07:29:00 GMT"),
            );
            assert_eq!(
                retry_after_header(&headers, &clock),
                Some(Duration::from_secs(60))
            );
            clock.advance(Duration::from_secs(45));
            assert_eq!(
                retry_after_header(&headers, &clock),
                Some(Duration::from_secs(15)),
                "the date is measured from the clock's now, not the system's"
            );
            headers.insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_bytes(b"\xff7").unwrap(),
            );
            assert_eq!(retry_after_header(&headers, &clock), None);
        }
    }
}
