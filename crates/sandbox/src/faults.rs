//! Seeded fault injection shared by the three stand-ins.
//!
//! Each stand-in asks [`Faults::draw`] once per request, before handling it, and acts on the
//! [`Fault`] it gets: add latency, answer 5xx without doing anything, do the work and then
//! answer 5xx, do the work and then drop the connection, throttle, or expire the session.
//! The draws come from one seeded generator, so a run is repeatable for a given seed and
//! request order.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Probabilities of each fault, per request (each in `[0, 1]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct FaultRates {
    /// Extra latency (up to `max_latency_ms`) added to a request.
    pub latency: f64,
    /// Upper bound of the injected latency, in milliseconds.
    pub max_latency_ms: u64,
    /// 5xx answered before the request is processed (nothing happened).
    pub error_before: f64,
    /// The request is processed, then a 5xx is answered (it did happen).
    pub error_after: f64,
    /// The request is processed, then the connection is dropped without an answer.
    pub drop_after: f64,
    /// A throttling answer (Shopify `THROTTLED`, HTTP 429 elsewhere) instead of processing.
    pub throttle: f64,
    /// The session key / access token is treated as expired for this request.
    pub expire_session: f64,
}

impl FaultRates {
    /// No faults at all.
    pub fn none() -> Self {
        FaultRates::default()
    }

    /// A few faults: occasional latency and errors.
    pub fn mild() -> Self {
        FaultRates {
            latency: 0.05,
            max_latency_ms: 20,
            error_before: 0.02,
            error_after: 0.01,
            drop_after: 0.01,
            throttle: 0.02,
            expire_session: 0.01,
        }
    }

    /// Many faults of every kind.
    pub fn harsh() -> Self {
        FaultRates {
            latency: 0.2,
            max_latency_ms: 50,
            error_before: 0.08,
            error_after: 0.05,
            drop_after: 0.05,
            throttle: 0.08,
            expire_session: 0.03,
        }
    }

    /// Parses `none`, `mild` or `harsh`.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::none()),
            "mild" => Some(Self::mild()),
            "harsh" => Some(Self::harsh()),
            _ => None,
        }
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Handle it normally.
    None,
    /// Wait, then handle it normally.
    Latency(Duration),
    /// Answer 5xx without processing.
    ErrorBefore,
    /// Process, then answer 5xx.
    ErrorAfter,
    /// Process, then drop the connection.
    DropAfter,
    /// Answer with throttling.
    Throttle,
    /// Treat the credentials as expired.
    ExpireSession,
}

/// A seeded source of faults.
#[derive(Debug)]
pub struct Faults {
    rates: FaultRates,
    rng: Mutex<StdRng>,
}

impl Faults {
    /// Faults drawn with `rates` from a generator seeded with `seed`.
    pub fn new(rates: FaultRates, seed: u64) -> Self {
        Faults {
            rates,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// No faults.
    pub fn none() -> Self {
        Faults::new(FaultRates::none(), 0)
    }

    /// The configured rates.
    pub fn rates(&self) -> FaultRates {
        self.rates
    }

    /// Draws the fault for one request.
    pub fn draw(&self) -> Fault {
        let r = self.rates;
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        let x: f64 = rng.random();
        let mut edge = 0.0;
        for (p, fault) in [
            (r.error_before, Fault::ErrorBefore),
            (r.error_after, Fault::ErrorAfter),
            (r.drop_after, Fault::DropAfter),
            (r.throttle, Fault::Throttle),
            (r.expire_session, Fault::ExpireSession),
        ] {
            edge += p;
            if x < edge {
                return fault;
            }
        }
        if r.latency > 0.0 && rng.random::<f64>() < r.latency {
            let ms = rng.random_range(0..=r.max_latency_ms.max(1));
            return Fault::Latency(Duration::from_millis(ms));
        }
        Fault::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_faults_and_none_means_none() {
        let a = Faults::new(FaultRates::harsh(), 7);
        let b = Faults::new(FaultRates::harsh(), 7);
        let draws_a: Vec<_> = (0..200).map(|_| a.draw()).collect();
        let draws_b: Vec<_> = (0..200).map(|_| b.draw()).collect();
        assert_eq!(draws_a, draws_b);
        assert!(draws_a.iter().any(|f| *f != Fault::None));
        let none = Faults::none();
        assert!((0..500).all(|_| none.draw() == Fault::None));
    }
}
