//! Terminal output: progress spinners on a terminal, plain lines otherwise; with `--json`, one
//! JSON document on stdout and everything meant for people on stderr.

use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use sync_core::engine::{Engine, Summary};
use sync_core::store::JobState;

use crate::screens::{Screen, summary_lines};

/// Where the binary writes for people and for scripts.
#[derive(Debug)]
pub struct Output {
    terminal: bool,
    json: bool,
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

impl Output {
    /// Text output; detects whether stderr is a terminal.
    pub fn new() -> Self {
        Output::with_json(false)
    }

    /// With `json`, [`Output::report`] prints JSON on stdout and [`Output::line`] writes to
    /// stderr, so stdout carries the one document a script parses.
    pub fn with_json(json: bool) -> Self {
        Output {
            terminal: std::io::stderr().is_terminal(),
            json,
        }
    }

    /// Whether reports are printed as JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Prints one line for people: on stdout, or on stderr with `--json`. When stdout is a
    /// pipe its reader closed (`dlq list | head`), the process ends quietly with success, as
    /// command-line tools do, instead of panicking.
    pub fn line(&self, text: &str) {
        if self.json {
            print_err(text);
        } else {
            print_line(text);
        }
    }

    /// Prints a screen's report (JSON with `--json`, its text otherwise) and returns the exit
    /// code its status implies.
    pub fn report<S: Screen>(&self, report: &S) -> ExitCode {
        if self.json {
            match serde_json::to_string(report) {
                Ok(text) => print_line(&text),
                Err(error) => {
                    self.error(&format!("cannot encode the report as JSON: {error}"));
                    return ExitCode::from(2);
                }
            }
        } else {
            for line in report.lines() {
                print_line(&line);
            }
        }
        ExitCode::from(report.status().code())
    }

    /// Reports an error: `error: …` on stderr and, with `--json`, `{"error": "…"}` on stdout
    /// so a script reading stdout sees why there is no report.
    pub fn error(&self, message: &str) {
        print_err(&format!("error: {message}"));
        if self.json {
            print_line(&serde_json::json!({ "error": message }).to_string());
        }
    }

    /// Runs `work` under a spinner (on a terminal) or a log line (otherwise).
    pub async fn spin<T>(&self, label: &str, work: impl Future<Output = T>) -> T {
        if !self.terminal {
            tracing::info!("{label}…");
            return work.await;
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        let result = work.await;
        bar.finish_and_clear();
        result
    }

    /// Runs `work`, a pass of `engine`, showing its progress: jobs finished out of those
    /// known, the rate and the time elapsed. On a terminal a progress bar; otherwise a line on
    /// stderr every [`PROGRESS_EVERY`] (or `FLOW_SHOPIFY_SYNC_PROGRESS_SECS`) while the work lasts (nothing for work shorter than
    /// that). Progress is read from the state store's job counts, so it shows every worker's
    /// work on the shop.
    pub async fn spin_jobs<T>(
        &self,
        label: &str,
        engine: &Engine,
        work: impl Future<Output = T>,
    ) -> T {
        let started = std::time::Instant::now();
        if !self.terminal {
            tracing::info!("{label}…");
        }
        let Ok(base) = engine.queue_depth().await.map(|d| Counts::of(&d)) else {
            return self.spin(label, work).await;
        };
        let bar = self.terminal.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} jobs · {per_sec} · {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        let every = if bar.is_some() {
            Duration::from_millis(500)
        } else {
            progress_every()
        };
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        // The progress reader is a future of its own, polled beside the work: were it the
        // body of a `select!` branch, the work would not be polled while it reads the store,
        // and a job of the work holding the store's write lock (or the pool's last
        // connection) would stall every other statement until the pool's timeout.
        let progress = async {
            loop {
                ticks.tick().await;
                let Ok(depth) = engine.queue_depth().await else {
                    continue;
                };
                let now = Counts::of(&depth);
                let finished = now.finished.saturating_sub(base.finished);
                let known = finished + now.open;
                let reading = backfill_text(engine.backfill_progress());
                match &bar {
                    Some(bar) => {
                        bar.set_length(known);
                        bar.set_position(finished);
                        bar.set_message(format!("{label}{reading}"));
                    }
                    None => {
                        let secs = started.elapsed().as_secs_f64();
                        print_err(&format!(
                            "{label}: {finished} of {known} jobs finished, {:.1}/s, {:.0} s{reading}",
                            finished as f64 / secs.max(0.001),
                            secs
                        ));
                    }
                }
            }
        };
        tokio::pin!(work);
        tokio::pin!(progress);
        let result = tokio::select! {
            result = &mut work => result,
            never = &mut progress => never,
        };
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        result
    }

    /// Prints a pass summary, one non-zero count a line.
    pub fn summary(&self, summary: &Summary) {
        for line in summary_lines(summary) {
            self.line(&line);
        }
    }
}

/// What a backfill still reading through an export adds to a progress line
/// (`"; read 1200 of 5000 orders"`), nothing once it has been read.
fn backfill_text(progress: Option<sync_core::engine::BackfillProgress>) -> String {
    match progress {
        Some(p) if !p.finished => match p.expected {
            Some(expected) => format!("; read {} of {expected} {}", p.read, p.flow),
            None => format!("; read {} {}", p.read, p.flow),
        },
        _ => String::new(),
    }
}

/// How often progress lines are written when stderr is not a terminal, unless
/// `FLOW_SHOPIFY_SYNC_PROGRESS_SECS` says otherwise.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// [`PROGRESS_EVERY`], or the whole seconds (at least 1) of `FLOW_SHOPIFY_SYNC_PROGRESS_SECS`.
fn progress_every() -> Duration {
    std::env::var("FLOW_SHOPIFY_SYNC_PROGRESS_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(PROGRESS_EVERY, |secs| Duration::from_secs(secs.max(1)))
}

/// Job counts of the state store: finished (done, dead, parked) and open (pending, running).
#[derive(Debug, Clone, Copy)]
struct Counts {
    finished: u64,
    open: u64,
}

impl Counts {
    fn of(depth: &std::collections::HashMap<JobState, u64>) -> Counts {
        let n = |state| depth.get(&state).copied().unwrap_or(0);
        Counts {
            finished: n(JobState::Done) + n(JobState::Dead) + n(JobState::Parked),
            open: n(JobState::Pending) + n(JobState::Running),
        }
    }
}

/// Writes `text` and a newline to stderr, ignoring a failure: a message for people must never
/// end the process (`eprintln!` panics when stderr is a closed pipe).
pub fn print_err(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Stderr for the log subscriber, swallowing write errors. With plain stderr, a log line
/// written after the reader of stderr went away (a closed pipe, a log collector restarted)
/// makes the subscriber report the failure with `eprintln!`, which panics: the task that
/// logged dies, and a daemon whose signal task died no longer stops on SIGTERM.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Writes `text` and a newline to stdout; a closed pipe ends the process quietly.
pub fn print_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{text}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        tracing::warn!(%error, "cannot write to stdout");
    }
}
