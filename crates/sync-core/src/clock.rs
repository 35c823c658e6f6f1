//! Injectable time: wall clock for token expiry and timestamps, monotonic time and sleep for
//! retries and rate limits.
//!
//! [`TokioClock`] uses `tokio::time`, so tests that call `tokio::time::pause()` control every
//! wait. Wall-clock time can be fixed with [`FixedClock`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A source of time and of waiting.
#[async_trait]
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time in UTC.
    fn now_utc(&self) -> DateTime<Utc>;
    /// A monotonic instant (pausable under tokio's test clock).
    fn instant(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// The real clock: `chrono::Utc::now()` and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

#[async_trait]
impl Clock for TokioClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock whose wall time is set by hand and advanced by its own `sleep`; for tests.
///
/// `sleep` does not wait: it adds the duration to the wall time, records it (so a test can
/// assert on the waits a component asked for) and yields to the runtime.
#[derive(Clone, Default)]
pub struct FixedClock {
    inner: Arc<Mutex<FixedInner>>,
}

#[derive(Default)]
struct FixedInner {
    now: DateTime<Utc>,
    slept: Vec<Duration>,
}

impl fmt::Debug for FixedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedClock")
            .field("now", &self.now_utc())
            .finish()
    }
}

impl FixedClock {
    /// A clock standing at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        let clock = FixedClock::default();
        clock.set(now);
        clock
    }
    /// Sets the wall time.
    pub fn set(&self, now: DateTime<Utc>) {
        self.lock().now = now;
    }
    /// Moves the wall time forward; a step past the end of chrono's range stops there (no
    /// overflow, whatever `by` is).
    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        inner.now = chrono::Duration::from_std(by)
            .ok()
            .and_then(|step| inner.now.checked_add_signed(step))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
    }
    /// Every wait requested through [`Clock::sleep`], in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().slept.clone()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, FixedInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Clock for FixedClock {
    fn now_utc(&self) -> DateTime<Utc> {
        self.lock().now
    }
    async fn sleep(&self, duration: Duration) {
        self.lock().slept.push(duration);
        self.advance(duration);
        // Still a point where other tasks run, as a real sleep is: a loop that waits on this
        // clock must not starve the tasks it waits for (a connection being returned to a
        // pool) on a single-threaded runtime.
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_clock_records_sleeps_and_saturates_instead_of_overflowing() {
        let clock = FixedClock::default();
        let start = clock.now_utc();
        clock.sleep(Duration::from_secs(90)).await;
        assert_eq!(clock.now_utc() - start, chrono::Duration::seconds(90));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(90)]);
        clock.advance(Duration::MAX);
        assert_eq!(clock.now_utc(), DateTime::<Utc>::MAX_UTC);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now_utc(), DateTime::<Utc>::MAX_UTC);
    }
}
