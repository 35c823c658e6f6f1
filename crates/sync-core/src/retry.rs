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

use std::future::Future;
use std::time::Duration;

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
}
