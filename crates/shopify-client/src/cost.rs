//! A local model of Shopify's cost-based leaky bucket, one per shop (app + store pair).
//!
//! Shopify gives every app a bucket of `maximumAvailable` points per store, refilled at
//! `restoreRate` points per second; every query costs points (objects 1, connections sized by
//! `first`, mutations 10) and a query the bucket cannot afford is answered `THROTTLED`.
//! Every response carries `extensions.cost`
//! (<https://shopify.dev/docs/apps/build/graphql/admin/rate-limits>):
//!
//! ```json
//! {"requestedQueryCost": 101, "actualQueryCost": 46,
//!  "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1954, "restoreRate": 100.0}}
//! ```
//!
//! [`CostBucket`] keeps the last `throttleStatus` it saw, refills it locally with the elapsed
//! time, and makes each caller wait until the bucket can afford the query's estimated cost
//! before the request is sent. Points of requests still in flight are reserved, so concurrent
//! callers don't spend the same points twice, and the refill never fills over them (Shopify
//! may run a request later than it was sent, and its points must still be there). An answer
//! showing fewer points than the requests in flight need leaves a debt the refill pays before
//! anything new is let through. Because the model is fed by every answer, it stays aligned
//! with the server, and a long run sees (almost) no `THROTTLED` answers.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sync_core::clock::Clock;
use tokio::time::Instant;

/// `extensions.cost.throttleStatus` of a response.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    /// Bucket size.
    pub maximum_available: f64,
    /// Points available after this request.
    pub currently_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
}

/// `extensions.cost` of a response.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    /// The cost Shopify computed before running the query.
    pub requested_query_cost: f64,
    /// The cost actually charged (absent when throttled).
    pub actual_query_cost: Option<f64>,
    /// The bucket after the request.
    pub throttle_status: ThrottleStatus,
}

impl QueryCost {
    /// How long until a bucket in this state can afford `cost`: `(cost − available) / rate`.
    pub fn wait_for(&self, cost: f64) -> Duration {
        wait(
            cost.min(self.throttle_status.maximum_available),
            self.throttle_status.currently_available,
            self.throttle_status.restore_rate,
        )
    }
}

fn wait(cost: f64, available: f64, rate: f64) -> Duration {
    if available + EPSILON >= cost {
        return Duration::ZERO;
    }
    if rate <= 0.0 {
        return Duration::from_secs(1);
    }
    // Rounded up to the millisecond: after the wait the bucket can afford the cost.
    let ms = ((cost - available) / rate * 1000.0).min(3_600_000.0).ceil();
    Duration::from_millis(ms as u64)
}

/// Float slack when comparing points (refill arithmetic is not exact).
const EPSILON: f64 = 1e-6;

#[derive(Debug)]
struct State {
    maximum: f64,
    available: f64,
    rate: f64,
    at: Instant,
    in_flight: f64,
    /// Points charged by every request answered so far (a running total): the actual cost
    /// its answer showed, or what was reserved for it when the answer showed none.
    answered: f64,
}

impl State {
    /// Refills up to `now`. The server's bucket never holds more than `maximum`, and the
    /// points of requests in flight are still to be charged from it, so what is free to
    /// reserve never exceeds `maximum − in_flight`: a request Shopify runs late must still
    /// find its points there.
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let ceiling = (self.maximum - self.in_flight).max(0.0);
        self.available = (self.available + elapsed * self.rate).min(ceiling);
        self.at = now;
    }
}

/// The leaky-bucket model of one shop. Share one (in an `Arc`) between every client of the
/// same shop and app; [`ShopifyClient`](crate::ShopifyClient) clones share theirs.
#[derive(Debug)]
pub struct CostBucket {
    state: Mutex<State>,
}

/// Points reserved for one request; give them back with [`CostBucket::settle`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reservation {
    points: f64,
    /// The bucket's running total of answered points when this reservation was made.
    answered_before: f64,
}

impl Default for CostBucket {
    /// A full bucket of 1,000 points restored at 50 points/s: the smallest plan's figures.
    /// The first response replaces them with the shop's real ones.
    fn default() -> Self {
        CostBucket::new(1000.0, 50.0)
    }
}

impl CostBucket {
    /// A full bucket of `maximum` points restored at `restore_rate` points per second.
    pub fn new(maximum: f64, restore_rate: f64) -> Self {
        CostBucket {
            state: Mutex::new(State {
                maximum: maximum.max(1.0),
                available: maximum.max(1.0),
                rate: restore_rate.max(0.0),
                at: Instant::now(),
                in_flight: 0.0,
                answered: 0.0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Points the model thinks are free to reserve at `now` (never below zero).
    pub fn available(&self, now: Instant) -> f64 {
        let mut s = self.lock();
        s.refill(now);
        s.available.max(0.0)
    }

    /// The bucket size and restore rate currently assumed.
    pub fn limits(&self) -> (f64, f64) {
        let s = self.lock();
        (s.maximum, s.rate)
    }

    /// Reserves `cost` points if the bucket can afford them at `now`; otherwise returns how
    /// long to wait. A cost above the bucket size is treated as the bucket size (Shopify
    /// refuses such queries itself with `MAX_COST_EXCEEDED`).
    ///
    /// # Errors
    ///
    /// The wait, when the bucket cannot afford `cost` yet.
    pub fn try_reserve(&self, cost: f64, now: Instant) -> Result<Reservation, Duration> {
        let mut s = self.lock();
        s.refill(now);
        let cost = cost.clamp(0.0, s.maximum);
        if s.available + EPSILON >= cost {
            s.available = (s.available - cost).max(0.0);
            s.in_flight += cost;
            Ok(Reservation {
                points: cost,
                answered_before: s.answered,
            })
        } else {
            Err(wait(cost, s.available, s.rate))
        }
    }

    /// Waits (through `clock`) until `cost` points are affordable and reserves them.
    pub async fn reserve(&self, cost: f64, clock: &dyn Clock) -> Reservation {
        loop {
            match self.try_reserve(cost, clock.instant()) {
                Ok(reservation) => return reservation,
                Err(wait) => {
                    tracing::debug!(?wait, cost, "waiting for the cost bucket");
                    clock.sleep(wait.max(Duration::from_millis(1))).await;
                }
            }
        }
    }

    /// Ends a reservation. With the response's `cost`, the model takes the server's view
    /// minus the points that view may not include yet; without it (the request failed before
    /// Shopify costed it), the reserved points stay spent.
    ///
    /// The view describes the bucket when Shopify answered this request. Requests still in
    /// flight may not be charged in it, and neither may the requests answered while this one
    /// was in flight: answers come back in any order, so one of those may have been charged
    /// after this view was taken. Both are taken off (a request counted twice only makes the
    /// model cautious), so a stale view never lets through a request the server cannot afford:
    /// a request in flight with its *requested* cost (Shopify admits it on that), a request
    /// answered meanwhile with what it was *charged* (its answer's actual cost: Shopify gave
    /// the rest back when it finished running, before it answered). So a query that asks for
    /// much and spends little holds its requested points only until its answer comes back.
    pub fn settle(&self, reservation: Reservation, cost: Option<&QueryCost>, now: Instant) {
        let mut s = self.lock();
        s.refill(now);
        s.in_flight = (s.in_flight - reservation.points).max(0.0);
        let answered_meanwhile = (s.answered - reservation.answered_before).max(0.0);
        // What the server charged for this request: the actual cost its answer shows (none
        // when it was throttled), or, without an answer, possibly all that was reserved.
        s.answered += match cost {
            Some(cost) => cost.actual_query_cost.unwrap_or(0.0).max(0.0),
            None => reservation.points,
        };
        if let Some(cost) = cost {
            let t = cost.throttle_status;
            s.maximum = t.maximum_available.max(1.0);
            s.rate = t.restore_rate.max(0.0);
            // Below zero is a debt, kept: requests in flight still need those points.
            s.available = (t.currently_available - s.in_flight - answered_meanwhile)
                .min(s.maximum - s.in_flight);
            s.at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(max: f64, current: f64, rate: f64) -> QueryCost {
        charged(max, current, rate, 0.0)
    }

    /// An answer of a request that was charged `actual` points, showing the bucket after it.
    fn charged(max: f64, current: f64, rate: f64, actual: f64) -> QueryCost {
        QueryCost {
            requested_query_cost: 0.0,
            actual_query_cost: Some(actual),
            throttle_status: ThrottleStatus {
                maximum_available: max,
                currently_available: current,
                restore_rate: rate,
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refuses_what_it_cannot_afford_and_names_the_wait() {
        let bucket = CostBucket::new(1000.0, 100.0);
        let now = Instant::now();
        let r = bucket.try_reserve(100.0, now).unwrap();
        bucket.settle(r, Some(&status(1000.0, 100.0, 100.0)), now);
        assert_eq!(bucket.available(now), 100.0);
        assert_eq!(
            bucket.try_reserve(150.0, now),
            Err(Duration::from_millis(500))
        );
        // Half a second later it can.
        let later = now + Duration::from_millis(500);
        assert!(bucket.try_reserve(150.0, later).is_ok());
        assert_eq!(bucket.available(later), 0.0);
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_points_are_not_spent_twice() {
        let bucket = CostBucket::new(100.0, 10.0);
        let now = Instant::now();
        let first = bucket.try_reserve(60.0, now).unwrap();
        assert!(bucket.try_reserve(60.0, now).is_err());
        // The server answers the first with 40 left: still only 40 for the next one.
        bucket.settle(first, Some(&status(100.0, 40.0, 10.0)), now);
        assert!(bucket.try_reserve(40.0, now).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stale_answer_arriving_late_does_not_raise_the_model() {
        let bucket = CostBucket::new(100.0, 0.0);
        let now = Instant::now();
        let first = bucket.try_reserve(10.0, now).unwrap();
        let second = bucket.try_reserve(10.0, now).unwrap();
        // The server charged both; the second's answer (80 left) comes back first.
        bucket.settle(second, Some(&charged(100.0, 80.0, 0.0, 10.0)), now);
        assert_eq!(bucket.available(now), 70.0, "the first is still in flight");
        // The first's answer may have been written before the second was charged: 90 left.
        bucket.settle(first, Some(&charged(100.0, 90.0, 0.0, 10.0)), now);
        assert_eq!(
            bucket.available(now),
            80.0,
            "the second, answered meanwhile, is taken off the stale view"
        );
        // Alone in flight, the server's view is taken as it is, also upwards (a refund).
        let third = bucket.try_reserve(10.0, now).unwrap();
        bucket.settle(third, Some(&status(100.0, 85.0, 0.0)), now);
        assert_eq!(bucket.available(now), 85.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cost_above_the_bucket_is_clamped_and_refill_is_capped() {
        let bucket = CostBucket::new(50.0, 5.0);
        let now = Instant::now();
        let all = bucket.try_reserve(500.0, now).unwrap();
        // Still in flight, its points are still to be charged: nothing refills over them.
        assert_eq!(bucket.available(now + Duration::from_secs(1000)), 0.0);
        bucket.settle(all, None, now + Duration::from_secs(1000));
        assert_eq!(bucket.available(now + Duration::from_secs(2000)), 50.0);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_below_what_is_in_flight_is_a_debt_the_refill_pays_first() {
        let bucket = CostBucket::new(100.0, 10.0);
        let now = Instant::now();
        let first = bucket.try_reserve(10.0, now).unwrap();
        let second = bucket.try_reserve(80.0, now).unwrap();
        // Shopify ran the first when it had only 20 points: 10 left, and the 80 still to run.
        bucket.settle(first, Some(&status(100.0, 10.0, 10.0)), now);
        // 7 s later the bucket has 80, all owed to the second: nothing is free yet.
        assert_eq!(bucket.available(now + Duration::from_secs(7)), 0.0);
        assert!(
            bucket
                .try_reserve(5.0, now + Duration::from_secs(7))
                .is_err()
        );
        // At 8.5 s the debt is paid and 5 points are free.
        assert!(
            bucket
                .try_reserve(5.0, now + Duration::from_millis(8500))
                .is_ok()
        );
        bucket.settle(second, None, now + Duration::from_secs(9));
    }

    #[test]
    fn wait_for_uses_the_restore_rate() {
        let c = status(2000.0, 50.0, 100.0);
        assert_eq!(c.wait_for(250.0), Duration::from_secs(2));
        assert_eq!(c.wait_for(10.0), Duration::ZERO);
        assert_eq!(status(10.0, 0.0, 0.0).wait_for(5.0), Duration::from_secs(1));
    }

    /// Shopify's side of the bucket in the property tests: refills at `rate`, charges costs.
    struct Server {
        points: f64,
        at: Instant,
        max: f64,
        rate: f64,
    }

    impl Server {
        fn full(max: f64, rate: f64, at: Instant) -> Self {
            Server {
                points: max,
                at,
                max,
                rate,
            }
        }

        /// Refills up to `now` and says whether `cost` is affordable then.
        fn can_afford(&mut self, cost: f64, now: Instant) -> bool {
            self.points =
                (self.points + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.max);
            self.at = now;
            self.points + 1e-6 >= cost
        }
    }

    /// A model that has seen one answer: a full bucket of `max` restored at `rate`.
    fn synced(max: f64, rate: f64, at: Instant) -> CostBucket {
        let model = CostBucket::new(max, rate);
        let first = model.try_reserve(0.0, at).expect("nothing costs nothing");
        model.settle(first, Some(&status(max, max, rate)), at);
        model
    }

    proptest::proptest! {
        /// Whatever the costs, refunds and pauses, a query the model lets through is
        /// affordable on the server (which refills the same way), and a refused query is
        /// affordable after the wait the model names.
        #[test]
        fn the_model_never_lets_through_what_the_server_cannot_afford(
            steps in proptest::collection::vec((1u32..400, 0u64..3000, 20u32..=100), 1..60),
            max in 400u32..3000,
            rate in 10u32..500,
        ) {
            let (max, rate) = (f64::from(max), f64::from(rate));
            let start = Instant::now();
            let model = synced(max, rate, start);
            let mut server = Server::full(max, rate, start);
            let mut now = start;
            for (cost, gap_ms, actual_pct) in steps {
                let cost = f64::from(cost).min(max);
                now += Duration::from_millis(gap_ms);
                let reservation = match model.try_reserve(cost, now) {
                    Ok(r) => r,
                    Err(wait) => {
                        now += wait;
                        model.try_reserve(cost, now).expect("affordable after the named wait")
                    }
                };
                proptest::prop_assert!(server.can_afford(cost, now), "sent {cost} with {} available", server.points);
                // Shopify charges the actual cost, often below the requested one.
                let actual = cost * f64::from(actual_pct) / 100.0;
                server.points -= actual;
                model.settle(reservation, Some(&charged(max, server.points, rate, actual)), now);
            }
        }

        /// With many requests in flight, reaching Shopify in any order and answered in any
        /// order (each answer telling the bucket as it was right after that request was
        /// charged), a request the model lets through is still affordable when Shopify runs it,
        /// also when Shopify charges less than it admitted the request on.
        #[test]
        fn answers_in_any_order_never_let_through_what_the_server_cannot_afford(
            steps in proptest::collection::vec((1u32..200, 0u64..400, 0u8..=255, 0u8..=255, 1u32..=100), 1..80),
            max in 400u32..3000,
            rate in 10u32..500,
        ) {
            let (max, rate) = (f64::from(max), f64::from(rate));
            let start = Instant::now();
            let model = synced(max, rate, start);
            let mut server = Server::full(max, rate, start);
            let mut now = start;
            // Sent, not yet run by Shopify; run, not yet answered (with the view it answers).
            let mut sent: Vec<(Reservation, f64)> = Vec::new();
            let mut run: Vec<(Reservation, f64, f64)> = Vec::new();
            for (cost, gap_ms, run_pick, answer_pick, actual_pct) in steps {
                now += Duration::from_millis(gap_ms);
                if !sent.is_empty() && run_pick % 3 != 0 {
                    let (reservation, cost) = sent.remove(usize::from(run_pick) % sent.len());
                    // Admitted on its requested cost, charged its actual cost.
                    proptest::prop_assert!(server.can_afford(cost, now), "ran {cost} with {} available", server.points);
                    let actual = (cost * f64::from(actual_pct) / 100.0).ceil();
                    server.points -= actual;
                    run.push((reservation, server.points.floor(), actual));
                }
                if !run.is_empty() && answer_pick % 3 != 0 {
                    let (reservation, view, actual) = run.remove(usize::from(answer_pick) % run.len());
                    model.settle(reservation, Some(&charged(max, view, rate, actual)), now);
                }
                let cost = f64::from(cost).min(max);
                if let Ok(reservation) = model.try_reserve(cost, now) {
                    sent.push((reservation, cost));
                }
            }
        }
    }
}
