use crate::support::pgtenant;
use pgtenant_testkit::{drop_database, drop_role, unique_name};
use std::path::Path;

/// Drops the database and roles of a scaffolded project named `name`.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    drop_database(&name).await;
                    drop_role(&format!("svc_{name}")).await;
                    drop_role(&format!("{name}_admin")).await;
                });
            }
        })
        .join();
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[tokio::test]
async fn init_scaffolds_a_project_that_comes_up_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("app");
    let name = unique_name("pgt_init");
    let _cleanup = Cleanup(name.clone());
    let run = pgtenant(tmp.path(), &["init", path_str(&dir), "--name", &name], &[]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with(&format!("init: project {name} in ")),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
        "# local secrets (see .env.example)\n.env\n"
    );

    let project = ["--project", path_str(&dir)];
    let with = |args: &[&'static str]| {
        let mut all: Vec<String> = project.iter().map(|s| s.to_string()).collect();
        all.extend(args.iter().map(|s| s.to_string()));
        all
    };
    for args in [
        with(&["bootstrap"]),
        {
            let mut a = with(&["generate", "--name", "init", "--db"]);
            a.push(name.clone());
            a
        },
        with(&["up", "--demo"]),
        with(&["doctor"]),
        with(&["verify"]),
    ] {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = pgtenant(tmp.path(), &refs, &[]).await;
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run.assert_never_shows(&format!("{name}-dev-password"));
    }

    let run = pgtenant(
        tmp.path(),
        &with(&["nuke", "--yes"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
}

#[tokio::test]
async fn init_refuses_an_existing_manifest_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("pgtenant.toml");
    std::fs::write(&manifest, "# mine\n").unwrap();
    let run = pgtenant(
        tmp.path(),
        &["init", path_str(tmp.path()), "--name", "shop"],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: {} already exists; init never overwrites a project (edit it, or pass another folder)\n",
            manifest.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), "# mine\n");
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "init wrote files next to an existing manifest"
    );
}

#[tokio::test]
async fn init_refuses_a_bad_name() {
    let tmp = tempfile::tempdir().unwrap();
    let run = pgtenant(
        tmp.path(),
        &["init", path_str(tmp.path()), "--name", "My-App"],
        &[],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: --name `My-App` is not a valid project name ("),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}
