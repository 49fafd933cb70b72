//! Support for the migrations and seeds tests: folders of files, event recorders, journal reads.

use pgtenant::migrate::{Event, Progress};
use sqlx::postgres::PgConnectOptions;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

/// A folder of migration (or seed) files.
pub struct Files {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Files {
    pub fn new() -> Files {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("migrations");
        std::fs::create_dir_all(&dir).expect("create dir");
        Files { _tmp: tmp, dir }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("write file");
        p
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

pub fn connect_options(url: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(url).expect("url")
}

/// Records events as short lines.
#[derive(Default)]
pub struct Events(pub Mutex<Vec<String>>);

impl Progress for Events {
    fn event(&self, e: &Event<'_>) {
        let line = match e {
            Event::LockBusy { pid } => format!("lock busy {pid:?}"),
            Event::Planned { total } => format!("planned {total}"),
            Event::Start { file, .. } => format!("start {}", file.version),
            Event::Done { file, .. } => format!("done {}", file.version),
            Event::StepDone { file, step, total } => {
                format!("step {} {step}/{total}", file.version)
            }
            Event::Retry { file, attempt, .. } => format!("retry {} {attempt}", file.version),
            Event::DroppedInvalidIndex { index, .. } => format!("dropped invalid {index}"),
            Event::IndexAlreadyBuilt { index, .. } => format!("already built {index}"),
            Event::Reapproved { version } => format!("reapproved {version}"),
            Event::MissingFile { version, .. } => format!("missing {version}"),
            Event::RollingBack { file, .. } => format!("rolling back {}", file.version),
            Event::RolledBack { file, .. } => format!("rolled back {}", file.version),
        };
        self.0.lock().unwrap().push(line);
    }
}

impl Events {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Versions in the journal, in order.
pub async fn journal(db: &pgtenant_testkit::TestDb) -> Vec<i64> {
    let mut c = db.conn().await;
    sqlx::query_scalar("SELECT version FROM pgtenant.migrations WHERE complete ORDER BY version")
        .fetch_all(&mut c)
        .await
        .unwrap_or_default()
}

pub async fn table_exists(db: &pgtenant_testkit::TestDb, name: &str) -> bool {
    let mut c = db.conn().await;
    sqlx::query_scalar::<_, bool>("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(&mut c)
        .await
        .unwrap()
}
