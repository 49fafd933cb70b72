//! The history check: the journal × the files on disk → the state of each
//! migration, and what to run or why not. Pure functions, no I/O (in the
//! manner of refinery's `verify_migrations`), tested right here.

use super::file::MigrationFile;
use std::collections::BTreeMap;
use std::fmt;

/// One row of `pgtenant.migrations`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: chrono::DateTime<chrono::Utc>,
    pub duration_ms: i64,
    pub applied_by: String,
    /// For a no-transaction file: how many of its statements are done.
    pub steps_done: Option<i32>,
    pub steps_total: Option<i32>,
    /// False while a no-transaction file is partially applied.
    pub complete: bool,
}

/// Where one migration stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    /// Not applied, older than the newest applied migration.
    OutOfOrder,
    /// Applied, but the file's checksum differs from the journal's.
    ChecksumChanged {
        applied: String,
        current: String,
    },
    /// In the journal, no file on disk.
    MissingFile,
    /// A no-transaction file stopped after `steps_done` of `steps_total` statements.
    Partial {
        steps_done: i32,
        steps_total: i32,
    },
}

/// One migration: its file (index into the files), its journal row, its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub version: i64,
    pub name: String,
    pub file: Option<usize>,
    pub applied: Option<AppliedMigration>,
    pub state: State,
}

/// Line up the journal with the files, by version.
pub fn reconcile(applied: &[AppliedMigration], files: &[MigrationFile]) -> Vec<Entry> {
    let newest_applied = applied
        .iter()
        .filter(|a| a.complete)
        .map(|a| a.version)
        .max();
    let mut by_version: BTreeMap<i64, (Option<usize>, Option<&AppliedMigration>)> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        by_version.entry(f.version).or_default().0 = Some(i);
    }
    for a in applied {
        by_version.entry(a.version).or_default().1 = Some(a);
    }
    by_version
        .into_iter()
        .map(|(version, (file, row))| {
            let f = file.map(|i| &files[i]);
            let state = match (f, row) {
                (Some(f), Some(a)) if a.checksum != f.checksum => State::ChecksumChanged {
                    applied: a.checksum.clone(),
                    current: f.checksum.clone(),
                },
                (_, Some(a)) if !a.complete => State::Partial {
                    steps_done: a.steps_done.unwrap_or(0),
                    steps_total: a.steps_total.unwrap_or(0),
                },
                (Some(_), Some(_)) => State::Applied,
                (None, Some(_)) => State::MissingFile,
                (Some(_), None) if newest_applied.is_some_and(|n| version < n) => State::OutOfOrder,
                (Some(_), None) => State::Pending,
                (None, None) => unreachable!("every version comes from a file or a row"),
            };
            let name = f
                .map(|f| f.name.clone())
                .or_else(|| row.map(|a| a.name.clone()))
                .unwrap_or_default();
            Entry {
                version,
                name,
                file,
                applied: row.cloned(),
                state,
            }
        })
        .collect()
}

/// How strict the plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutOfOrder {
    /// A pending file older than the newest applied migration is refused.
    #[default]
    Refuse,
    /// ... or applied (in version order with the others).
    Allow,
}

/// A migration to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Index into the files.
    pub file: usize,
    /// For a partially applied no-transaction file: the statements already done.
    pub resume_at: usize,
}

/// What `migrate` will do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub run: Vec<Step>,
    /// Applied migrations whose new checksum is recorded (`--reapprove`).
    pub reapprove: Vec<(i64, String)>,
    /// Applied migrations whose file is gone (reported, not fatal).
    pub missing: Vec<i64>,
}

/// Why the history refuses to migrate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    ChecksumChanged { file: String, version: i64 },
    OutOfOrder { file: String, newest_applied: i64 },
    UnknownReapprove { version: i64 },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ChecksumChanged { file, version } => write!(
                f,
                "{file} was edited after it was applied; restore the applied text, or accept the edit with `pgtenant migrate --reapprove {version}`"
            ),
            Problem::OutOfOrder { file, newest_applied } => write!(
                f,
                "{file} is older than the newest applied migration ({newest_applied}) but was never applied; give it a newer version, or apply it with `pgtenant migrate --allow-out-of-order`"
            ),
            Problem::UnknownReapprove { version } => write!(
                f,
                "--reapprove {version}: no applied migration has that version (and a file on disk); see `pgtenant status`"
            ),
        }
    }
}

/// All the problems found, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// What to run, or every reason why not.
pub fn plan(
    entries: &[Entry],
    files: &[MigrationFile],
    out_of_order: OutOfOrder,
    reapprove: &[i64],
) -> Result<Plan, Problems> {
    let mut plan = Plan::default();
    let mut problems = Vec::new();
    let newest_applied = entries
        .iter()
        .filter(|e| e.applied.as_ref().is_some_and(|a| a.complete))
        .map(|e| e.version)
        .max();
    for v in reapprove {
        let known = entries
            .iter()
            .any(|e| e.version == *v && e.file.is_some() && e.applied.is_some());
        if !known {
            problems.push(Problem::UnknownReapprove { version: *v });
        }
    }
    for e in entries {
        let display = || e.file.map(|i| files[i].display()).unwrap_or_default();
        match &e.state {
            State::Applied => {}
            State::MissingFile => plan.missing.push(e.version),
            State::Pending => plan.run.push(Step {
                file: e.file.unwrap_or_default(),
                resume_at: 0,
            }),
            State::OutOfOrder => match out_of_order {
                OutOfOrder::Allow => plan.run.push(Step {
                    file: e.file.unwrap_or_default(),
                    resume_at: 0,
                }),
                OutOfOrder::Refuse => problems.push(Problem::OutOfOrder {
                    file: display(),
                    newest_applied: newest_applied.unwrap_or_default(),
                }),
            },
            State::ChecksumChanged { current, .. } => {
                if reapprove.contains(&e.version) {
                    plan.reapprove.push((e.version, current.clone()));
                    if let Some(a) = e.applied.as_ref().filter(|a| !a.complete) {
                        plan.run.push(Step {
                            file: e.file.unwrap_or_default(),
                            resume_at: usize::try_from(a.steps_done.unwrap_or(0)).unwrap_or(0),
                        });
                    }
                } else {
                    problems.push(Problem::ChecksumChanged {
                        file: display(),
                        version: e.version,
                    });
                }
            }
            State::Partial { steps_done, .. } => plan.run.push(Step {
                file: e.file.unwrap_or_default(),
                resume_at: usize::try_from(*steps_done).unwrap_or(0),
            }),
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(Problems(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn file(version: i64, checksum: &str) -> MigrationFile {
        MigrationFile {
            version,
            name: format!("m{version}"),
            path: PathBuf::from(format!("migrations/app/{version}_m{version}.sql")),
            up: Vec::new(),
            down: None,
            no_transaction: false,
            checksum: checksum.into(),
        }
    }

    fn row(version: i64, checksum: &str) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("m{version}"),
            checksum: checksum.into(),
            applied_at: chrono::DateTime::<chrono::Utc>::default(),
            duration_ms: 1,
            applied_by: "postgres".into(),
            steps_done: None,
            steps_total: None,
            complete: true,
        }
    }

    fn check(
        applied: &[AppliedMigration],
        files: &[MigrationFile],
        ooo: OutOfOrder,
        reapprove: &[i64],
    ) -> Result<(Vec<i64>, Plan), String> {
        let entries = reconcile(applied, files);
        plan(&entries, files, ooo, reapprove)
            .map(|p| (p.run.iter().map(|s| files[s.file].version).collect(), p))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn pending_run_in_version_order() {
        let files = [file(1, "a"), file(2, "b"), file(3, "c")];
        let (run, _) = check(&[row(1, "a")], &files, OutOfOrder::Refuse, &[]).unwrap();
        assert_eq!(run, vec![2, 3]);
        let (run, _) = check(
            &[row(1, "a"), row(2, "b"), row(3, "c")],
            &files,
            OutOfOrder::Refuse,
            &[],
        )
        .unwrap();
        assert!(run.is_empty());
    }

    #[test]
    fn changed_checksum_is_refused_naming_the_file_unless_reapproved() {
        let files = [file(20240101000000, "new"), file(20240102000000, "b")];
        let err = check(
            &[row(20240101000000, "old")],
            &files,
            OutOfOrder::Refuse,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "migrations/app/20240101000000_m20240101000000.sql was edited after it was applied; restore the applied text, or accept the edit with `pgtenant migrate --reapprove 20240101000000`"
        );
        let (run, plan) = check(
            &[row(20240101000000, "old")],
            &files,
            OutOfOrder::Refuse,
            &[20240101000000],
        )
        .unwrap();
        assert_eq!(run, vec![20240102000000]);
        assert_eq!(plan.reapprove, vec![(20240101000000, "new".to_string())]);
    }

    #[test]
    fn out_of_order_is_refused_naming_it_unless_allowed() {
        let files = [file(1, "a"), file(2, "b"), file(3, "c")];
        let err = check(&[row(1, "a"), row(3, "c")], &files, OutOfOrder::Refuse, &[]).unwrap_err();
        assert_eq!(
            err,
            "migrations/app/2_m2.sql is older than the newest applied migration (3) but was never applied; give it a newer version, or apply it with `pgtenant migrate --allow-out-of-order`"
        );
        let (run, _) = check(&[row(1, "a"), row(3, "c")], &files, OutOfOrder::Allow, &[]).unwrap();
        assert_eq!(run, vec![2]);
    }

    #[test]
    fn missing_files_are_reported_not_fatal() {
        let files = [file(2, "b")];
        let entries = reconcile(&[row(1, "a"), row(2, "b")], &files);
        assert_eq!(entries[0].state, State::MissingFile);
        let p = plan(&entries, &files, OutOfOrder::Refuse, &[]).unwrap();
        assert_eq!(p.missing, vec![1]);
        assert!(p.run.is_empty());
    }

    #[test]
    fn partial_no_transaction_files_resume_where_they_stopped() {
        let files = [file(1, "a"), file(2, "b")];
        let mut partial = row(1, "a");
        partial.complete = false;
        partial.steps_done = Some(2);
        partial.steps_total = Some(3);
        let entries = reconcile(&[partial], &files);
        assert_eq!(
            entries[0].state,
            State::Partial {
                steps_done: 2,
                steps_total: 3
            }
        );
        // A partial row is not "applied": the next file is pending, not out of order.
        assert_eq!(entries[1].state, State::Pending);
        let p = plan(&entries, &files, OutOfOrder::Refuse, &[]).unwrap();
        assert_eq!(
            p.run,
            vec![
                Step {
                    file: 0,
                    resume_at: 2
                },
                Step {
                    file: 1,
                    resume_at: 0
                }
            ]
        );
    }

    #[test]
    fn every_problem_is_listed_and_unknown_reapprove_is_one() {
        let files = [file(1, "x"), file(2, "b"), file(3, "c")];
        let err = check(
            &[row(1, "a"), row(3, "c")],
            &files,
            OutOfOrder::Refuse,
            &[9],
        )
        .unwrap_err();
        let lines: Vec<_> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(lines[0].starts_with("--reapprove 9: no applied migration"));
        assert!(lines[1].contains("1_m1.sql was edited"));
        assert!(lines[2].contains("2_m2.sql is older"));
    }
}
