//! What a command returns and how it is printed.
//!
//! A command builds one [`Report`]: a JSON value (printed with `--json`, the
//! only thing on stdout then) and a human text (printed otherwise). Progress
//! lines go to stderr through [`Context::progress`]. Errors are printed
//! here, once, with their whole chain (`{:#}`); with `--json` as
//! `{"ok": false, "exit_code": N, "error": "..."}` on stdout.
//!
//! This is the only module that prints: the workspace denies
//! `clippy::print_stdout` and `clippy::print_stderr` everywhere else.
//! Every line goes through [`stdout_line`] or [`stderr_line`], which never
//! panic: output piped into `head` that closes early (a broken pipe) stops
//! quietly, and the exit code stays the command's.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the one module that writes the CLI's output; the rest of the workspace denies printing"
)]

use crate::context::Context;
use crate::error::{status_of, ExitStatus};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// The result of a command.
#[derive(Debug)]
pub struct Report {
    pub status: ExitStatus,
    pub json: serde_json::Value,
    pub human: String,
}

impl Report {
    /// A successful report. `json` must serialize (plain data always does).
    pub fn ok(json: impl Serialize, human: impl Into<String>) -> Report {
        Report {
            status: ExitStatus::Ok,
            json: serde_json::to_value(json).unwrap_or_else(
                |e| serde_json::json!({ "error": format!("cannot serialize report: {e}") }),
            ),
            human: human.into(),
        }
    }

    /// The same report ending with another exit status.
    pub fn with_status(mut self, status: ExitStatus) -> Report {
        self.status = status;
        self
    }
}

/// Print a report the way the context asks; returns the exit code.
pub fn print_report(ctx: &Context, report: &Report) -> ExitCode {
    if ctx.json() {
        // A command that printed its one document already (the studio's
        // URL, as soon as it listens) ends with a null report.
        if report.json.is_null() {
            return ExitCode::from(report.status.code());
        }
        let mut doc = report.json.clone();
        if let serde_json::Value::Object(map) = &mut doc {
            map.insert("ok".into(), (report.status == ExitStatus::Ok).into());
            map.insert("exit_code".into(), report.status.code().into());
        }
        stdout_line(serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let silenced = ctx.quiet() && report.status == ExitStatus::Ok;
        if silenced || report.human.is_empty() {
            return ExitCode::from(report.status.code());
        }
        let text = report.human.trim_end();
        stdout_line(text);
    }
    ExitCode::from(report.status.code())
}

/// Print an error once, with its chain; returns the exit code.
pub fn print_error(ctx: &Context, err: &anyhow::Error) -> ExitCode {
    let status = status_of(err);
    if ctx.json() {
        let doc = serde_json::json!({
            "ok": false,
            "exit_code": status.code(),
            "error": format!("{err:#}"),
        });
        stdout_line(serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        stderr_line(format_args!("error: {err:#}"));
    }
    ExitCode::from(status.code())
}

/// One line on stderr: progress, details, a wait being explained. The
/// caller decides whether the mode (`--json`, `-q`, `-v`) shows it.
pub fn stderr_line(line: impl std::fmt::Display) {
    // Nowhere is left to report a failing stderr.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// One line (or block) on stdout. A reader that went away (`| head -1`)
/// is not an error of the command: the rest is dropped quietly. Any other
/// failure is said once on stderr; the exit code stays the command's.
pub fn stdout_line(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => stderr_line(format_args!("error: writing to stdout: {e}")),
    }
}

/// The studio's address, on stdout as soon as it listens, whatever `-q`
/// says: one stable line `pgtenant studio: http://127.0.0.1:PORT/?token=…`
/// (with `--json`, one line `{"studio_url": "…"}`, the run's only JSON
/// document: nothing follows it when the studio stops). The token in it is the
/// only way in; it is printed here and nowhere else.
pub fn studio_url(ctx: &Context, url: &str) {
    if ctx.json() {
        stdout_line(serde_json::json!({ "studio_url": url }));
    } else {
        stdout_line(format_args!("pgtenant studio: {url}"));
        stderr_line("read-only; Ctrl-C stops it");
    }
}

/// A plain text table: columns padded to their widest cell.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Render with `indent` spaces before each line.
    pub fn render(&self, indent: usize) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(self.rows.iter()) {
            let mut line = " ".repeat(indent);
            for (i, cell) in row.iter().enumerate().take(columns) {
                if i + 1 == columns {
                    line.push_str(cell);
                } else {
                    let pad = widths[i] - cell.chars().count();
                    let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns() {
        let mut t = Table::new(["table", "rows"]);
        t.row(["public.projects", "3"]);
        t.row(["x", "12"]);
        assert_eq!(
            t.render(2),
            "  table            rows\n  public.projects  3\n  x                12\n"
        );
    }
}
