//! Progress of migrate, rollback and seed: a bar (indicatif) when stderr is
//! a terminal, plain lines otherwise; nothing with --json or -q except the
//! lock message, which always shows on stderr (it explains a wait).

use crate::context::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pgtenant::migrate::{Event, Progress};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

pub struct CliProgress {
    db: String,
    lines: bool,
    bar: Mutex<Option<ProgressBar>>,
    tty: bool,
    lock_wait: Duration,
}

impl CliProgress {
    pub fn new(ctx: &Context, db: &str, lock_wait: Duration) -> CliProgress {
        let shown = !ctx.json() && !ctx.quiet();
        CliProgress {
            db: db.to_owned(),
            lines: shown,
            bar: Mutex::new(None),
            tty: shown && std::io::stderr().is_terminal(),
            lock_wait,
        }
    }

    fn line(&self, text: String) {
        if !self.lines {
            return;
        }
        match self.bar.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.println(text),
            None => crate::output::stderr_line(text),
        }
    }

    fn start_bar(&self, total: usize, verb: &str) {
        if !self.tty || total == 0 {
            return;
        }
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(total).unwrap_or(u64::MAX)),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{} {verb} {{bar:30}} {{pos}}/{{len}} {{msg}}",
            self.db
        )) {
            bar.set_style(style);
        }
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    /// Clear the bar (call when done).
    pub fn finish(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut b| b.take()) {
            bar.finish_and_clear();
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

impl Progress for CliProgress {
    fn event(&self, e: &Event<'_>) {
        let file_name = |f: &pgtenant::migrate::MigrationFile| format!("{}_{}", f.version, f.name);
        match e {
            Event::LockBusy { pid } => crate::output::stderr_line(format_args!(
                "{}: another migrate holds the lock ({}); waiting up to {}s",
                self.db,
                pid.map_or_else(|| "unknown pid".to_owned(), |p| format!("pid {p}")),
                self.lock_wait.as_secs()
            )),
            Event::Planned { total } => self.start_bar(*total, "migrating"),
            Event::Start { file, .. } | Event::RollingBack { file, .. } => {
                if let Some(bar) = self.bar.lock().ok().and_then(|b| b.clone()) {
                    bar.set_message(file_name(file));
                }
            }
            Event::Done { file, elapsed } => match self.bar.lock().ok().and_then(|b| b.clone()) {
                Some(bar) => bar.inc(1),
                None => self.line(format!("{}: applied {} ({})", self.db, file_name(file), ms(*elapsed))),
            },
            Event::RolledBack { file, elapsed } => {
                self.line(format!("{}: rolled back {} ({})", self.db, file_name(file), ms(*elapsed)))
            }
            Event::StepDone { file, step, total } => {
                if self.bar.lock().ok().and_then(|b| b.clone()).is_none() {
                    self.line(format!("{}:   {} statement {step}/{total} done", self.db, file_name(file)))
                }
            }
            Event::Retry { file, attempt, wait } => self.line(format!(
                "{}: {} hit lock_timeout; retry {attempt} in {}",
                self.db,
                file_name(file),
                ms(*wait)
            )),
            Event::DroppedInvalidIndex { file, index } => self.line(format!(
                "{}: {}: dropped INVALID index {index} left by an interrupted build; building it again",
                self.db,
                file_name(file)
            )),
            Event::IndexAlreadyBuilt { file, index } => self.line(format!(
                "{}: {}: index {index} was already built before the interruption",
                self.db,
                file_name(file)
            )),
            Event::Reapproved { version } => {
                self.line(format!("{}: recorded the new checksum of {version}", self.db))
            }
            Event::MissingFile { version, name } => self.line(format!(
                "{}: warning: migration {version}_{name} is applied but its file is missing",
                self.db
            )),
        }
    }
}

/// `500ms`, `5s`, `2m`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; write e.g. 500ms, 5s or 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}`; use ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{s}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("5h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("abc")
            .unwrap_err()
            .contains("not a duration"));
    }
}
