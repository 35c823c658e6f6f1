//! Passes: the engine's entry points that compose the flows with the job runtime.
//!
//! A pass decides every flow in turn and drains the queue after each (later flows see earlier
//! results: the receipts flow needs the orders imported). [`Engine::plan`] decides the same
//! flows into a sink that lists instead of queueing.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::Notify;

use super::base::{Engine, EngineError, PlannedWrite, Shutdown, Summary, uuid_like};
use super::flows::{Decisions, Flow, stock};
use super::last_pass::{LastPass, PassOutcome};
use super::read_lease::ReadTurn;
use crate::error::Classify;
use crate::store::JobState;

impl Engine {
    /// Runs the given flows once (decides and queues), then runs jobs until none is runnable
    /// (dead letters and parked jobs stay), waiting for retries that fall due within
    /// `drain_timeout`.
    ///
    /// A system found down (credentials refused, unreachable) stops only its own work for the
    /// pass: a flow reading it is skipped, its jobs wait pending, and the pass still succeeds;
    /// [`Engine::outages`] says which systems are down, why and until when.
    ///
    /// Workers sharing a state store read each flow's source one at a time: the worker that
    /// holds the flow's read lease reads, the others run jobs until its read is done (see
    /// `read_lease`). A read answered `THROTTLED` is read again after the advised wait, a few
    /// times in the pass, before it fails the pass.
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn run_flows(&self, flows: &[Flow]) -> Result<Summary, EngineError> {
        self.migrate().await?;
        let mut summary = Summary::default();
        let pass_started = self.now();
        for flow in flows {
            let span = tracing::info_span!("flow", flow = flow.name(), correlation = %uuid_like());
            let _enter = span.enter();
            let started_at = self.now();
            let started = tokio::time::Instant::now();
            let mut done = Summary::default();
            let mut outcome = PassOutcome::Ran;
            let read = match self
                .take_turn_at_read(*flow, pass_started, &mut done)
                .await?
            {
                ReadTurn::Read(read) => read,
                ReadTurn::Elsewhere => {
                    // Another worker sharing the store read the source (and queued its
                    // jobs); this one ran jobs meanwhile and goes on with the drain.
                    outcome = PassOutcome::ReadElsewhere;
                    Ok(())
                }
            };
            match read {
                Err(EngineError::Source { flow, source }) if source.outage().is_some() => {
                    // The system the flow reads is down: this flow waits for the next pass,
                    // the others go on.
                    if let Some(outage) = source.outage() {
                        self.record_outage(outage, super::runtime::error_chain(&source));
                    }
                    tracing::warn!(flow, "flow skipped: its source system is down");
                    outcome = PassOutcome::Skipped;
                }
                Ok(()) => {
                    // The flow read its source: that system answers again, even when it has
                    // no job to run (its breaker would otherwise stay open).
                    if let Some(system) = flow.source()
                        && outcome == PassOutcome::Ran
                    {
                        self.system_up(system);
                    }
                }
                Err(other) => {
                    // The source could not be read (not an outage): recorded, then the
                    // pass ends with the error.
                    let pass = LastPass {
                        started_at,
                        duration_ms: elapsed_ms(started),
                        outcome: PassOutcome::Failed,
                        summary: done,
                    };
                    self.record_pass(*flow, &pass).await?;
                    return Err(other);
                }
            }
            drop(_enter);
            // Drain after each flow so later flows see earlier results (the receipts flow
            // needs the orders imported).
            done.add(&self.drain().await?);
            let pass = LastPass {
                started_at,
                duration_ms: elapsed_ms(started),
                outcome,
                summary: done,
            };
            if outcome == PassOutcome::ReadElsewhere {
                self.record_followed_pass(*flow, &pass).await?;
            } else {
                self.record_pass(*flow, &pass).await?;
            }
            summary.add(&pass.summary);
        }
        self.housekeeping().await?;
        Ok(summary)
    }

    /// Runs every flow once and drains the queue. See [`Engine::run_flows`].
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn run_once(&self) -> Result<Summary, EngineError> {
        self.run_flows(&Flow::ALL).await
    }

    /// Repeats passes every `interval` and runs webhook-triggered jobs in between, until
    /// `shutdown` is triggered. A job in hand is finished first; nothing is lost when the
    /// loop stops (unfinished jobs stay in the store and resume on the next start).
    ///
    /// # Errors
    ///
    /// When the store fails. A failing source read is logged and retried on the next pass.
    pub async fn run(
        &self,
        interval: Duration,
        shutdown: Shutdown,
    ) -> Result<Summary, EngineError> {
        let mut total = Summary::default();
        let mut pause = Pause::new(interval);
        while !shutdown.is_triggered() {
            // Webhook work runs during the pass too: a pass reads every source before it
            // drains, and a delivery that came in meanwhile used to wait for that drain.
            // Concurrent drains are safe (a resource is never leased twice at once).
            let pass_done = Notify::new();
            let pass = async {
                let result = self.run_once().await;
                pass_done.notify_one();
                result
            };
            let webhooks = async {
                let mut drained = Summary::default();
                loop {
                    tokio::select! {
                        biased;
                        _ = pass_done.notified() => break,
                        _ = self.wake.notified() => drained.add(&self.drain().await?),
                    }
                }
                Ok::<Summary, EngineError>(drained)
            };
            let (pass, webhooks) = tokio::join!(pass, webhooks);
            pause.absorb(webhooks, &mut total)?;
            pause.absorb(pass, &mut total)?;
            let deadline = tokio::time::Instant::now() + pause.next();
            loop {
                tokio::select! {
                    _ = shutdown.wait() => break,
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = self.wake.notified() => pause.absorb(self.drain().await, &mut total)?,
                }
            }
        }
        Ok(total)
    }

    /// What every flow would write now, without writing anything (dry run): the jobs a
    /// [`Engine::run_once`] would queue from what the sources say now, in flow order. Jobs that
    /// running these would queue in turn (a receipt after an order's import) are not listed.
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn plan(&self) -> Result<Vec<PlannedWrite>, EngineError> {
        self.migrate().await?;
        let mut decisions = Decisions::plan(self);
        for flow in Flow::ALL {
            flow.decide(&mut decisions).await?;
        }
        Ok(decisions.into_planned())
    }

    /// Re-uploads every stock level in full (not only the changes), then drains.
    ///
    /// # Errors
    ///
    /// When the store fails or a source cannot be read.
    pub async fn reupload_stock(&self) -> Result<Summary, EngineError> {
        self.migrate().await?;
        let mut decisions = Decisions::run(self);
        stock::decide(&mut decisions, stock::Pass::Reupload).await?;
        let mut summary = decisions.summary;
        summary.add(&self.drain().await?);
        Ok(summary)
    }

    /// Runs the queued jobs now (webhook-triggered work) and returns what they did.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn run_pending(&self) -> Result<Summary, EngineError> {
        self.drain().await
    }

    /// How many jobs are in each state.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn queue_depth(&self) -> Result<HashMap<JobState, u64>, EngineError> {
        Ok(self.store.queue_depth().await?)
    }

    /// Dead letters of this scope, oldest first.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn dead_letters(&self) -> Result<Vec<crate::store::Job>, EngineError> {
        Ok(crate::store::dead_letters(&*self.store, &self.config.scope).await?)
    }

    /// Puts one dead letter (or all, with `None`) back in the queue.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub async fn replay(&self, id: Option<i64>) -> Result<u64, EngineError> {
        let n = self.store.replay(id).await?;
        self.wake.notify_one();
        Ok(n)
    }
}

/// How long the daemon loop waits before its next pass: the interval, or a growing back-off
/// while the state store is unavailable.
#[derive(Debug)]
struct Pause {
    interval: Duration,
    backoff: Option<Duration>,
}

impl Pause {
    /// The shortest wait after a store failure.
    const FIRST: Duration = Duration::from_millis(500);

    fn new(interval: Duration) -> Self {
        Pause {
            interval,
            backoff: None,
        }
    }

    /// Takes what a pass or a drain did: its counts, or its failure. A source that cannot be
    /// read waits for the next pass; a store that is unavailable for now backs off (doubling,
    /// up to the interval); any other store failure ends the loop.
    fn absorb(
        &mut self,
        result: Result<Summary, EngineError>,
        total: &mut Summary,
    ) -> Result<(), EngineError> {
        match result {
            Ok(summary) => {
                total.add(&summary);
                self.backoff = None;
                Ok(())
            }
            Err(EngineError::Source { flow, source }) => {
                tracing::warn!(flow, error = %source, "pass failed; retrying next pass");
                Ok(())
            }
            Err(EngineError::Store(error)) if error.is_transient() => {
                let wait = self
                    .backoff
                    .map_or(Self::FIRST, |b| b.saturating_mul(2))
                    .min(self.interval.max(Self::FIRST));
                tracing::warn!(
                    error = %super::runtime::error_chain(&error),
                    retry_in_ms = wait.as_millis() as u64,
                    "state store unavailable; backing off"
                );
                self.backoff = Some(wait);
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// The wait before the next pass.
    fn next(&self) -> Duration {
        self.backoff.unwrap_or(self.interval)
    }
}

/// Milliseconds since `started`.
fn elapsed_ms(started: tokio::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
