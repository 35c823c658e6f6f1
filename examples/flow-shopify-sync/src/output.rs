//! Terminal output: progress spinners on a terminal, plain lines otherwise.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use sync_core::engine::Summary;

/// Where the binary writes for people.
#[derive(Debug)]
pub struct Output {
    terminal: bool,
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}

impl Output {
    /// Detects whether stderr is a terminal.
    pub fn new() -> Self {
        Output {
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Prints one line on stdout. When stdout is a pipe its reader closed (`dlq list | head`),
    /// the process ends quietly with success, as command-line tools do, instead of panicking.
    pub fn line(&self, text: &str) {
        print_line(text);
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

    /// Prints a pass summary, one non-zero count a line.
    pub fn summary(&self, summary: &Summary) {
        let value = serde_json::to_value(summary).unwrap_or_default();
        let mut any = false;
        if let Some(map) = value.as_object() {
            for (key, count) in map {
                if count.as_u64().unwrap_or(0) > 0 {
                    any = true;
                    self.line(&format!("{:>24}  {count}", key.replace('_', " ")));
                }
            }
        }
        if !any {
            self.line("nothing changed");
        }
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
