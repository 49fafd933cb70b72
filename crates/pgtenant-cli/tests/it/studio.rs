//! `pgtenant studio`: the real binary serving a copy of examples/quickstart
//! (unique database and role names, demo data: tenant A "Acme Corp" with
//! two projects, tenant B "Globex" with one), over HTTP and in headless
//! Chromium driven through its WebDriver.

#![allow(clippy::print_stderr, reason = "a skipped browser test says why")]

use crate::support::Project;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const TENANT_A: &str = "10000000-0000-4000-8000-000000000001";
const TENANT_B: &str = "10000000-0000-4000-8000-000000000002";
const ALICE: &str = "20000000-0000-4000-8000-000000000001";
const BOB: &str = "20000000-0000-4000-8000-000000000002";
const A_PROJECTS: [&str; 2] = ["Rocket skates", "Giant magnet"];
const B_PROJECT: &str = "Doomsday device";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// examples/quickstart in a temp folder under unique names, brought up with
/// its demo data.
async fn quickstart_up() -> Project {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let p = Project::new();
    copy_dir(&example, p.dir.path());
    let manifest = std::fs::read_to_string(example.join("pgtenant.toml"))
        .unwrap()
        .replace(
            "name = \"quickstart\"\nschema",
            &format!("name = \"{}\"\nschema", p.db),
        )
        .replace("svc_quickstart", &p.svc)
        .replace("quickstart_admin", &p.superadmin)
        .replace(
            "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}",
            &pgtenant_testkit::admin_url(),
        );
    assert!(manifest.contains(&p.db), "{manifest}");
    p.write_manifest(&manifest);
    let up = p.run(&["up", "--demo"]).await;
    assert_eq!(up.code, 0, "{up:?}");
    p
}

/// `pgtenant --project <dir> <global...> studio`, started, with its stdout
/// as lines; killed on drop.
fn spawn_studio(
    dir: &Path,
    global: &[&str],
) -> (
    tokio::process::Child,
    tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
        .current_dir(dir)
        .args(["--project", dir.to_str().unwrap()])
        .args(global)
        .arg("studio")
        .env_remove("DATABASE_URL")
        .env_remove("PGTENANT_PROJECT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start pgtenant studio");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// A running `pgtenant studio`, stopped on drop.
struct Studio {
    child: tokio::process::Child,
    /// The printed URL, token included.
    url: String,
    /// `http://127.0.0.1:<port>`.
    base: String,
    port: u16,
}

impl Studio {
    async fn start(p: &Project) -> Studio {
        Studio::start_in(p.dir.path(), &[]).await
    }

    /// `pgtenant --project <dir> <global...> studio`.
    async fn start_in(dir: &Path, global: &[&str]) -> Studio {
        let (child, mut lines) = spawn_studio(dir, global);
        // A guard against a hang, not a measurement.
        let line = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("pgtenant studio: ") {
                    return url.to_owned();
                }
            }
            panic!("pgtenant studio ended without printing its URL");
        })
        .await
        .expect("pgtenant studio prints its URL");
        let rest = line.strip_prefix("http://127.0.0.1:").expect(&line);
        let port: u16 = rest.split('/').next().unwrap().parse().unwrap();
        assert!(line.contains("/?token="), "{line}");
        Studio {
            child,
            base: format!("http://127.0.0.1:{port}"),
            url: line,
            port,
        }
    }

    fn token(&self) -> &str {
        self.url.split("token=").nth(1).unwrap()
    }

    fn cookie(&self) -> String {
        format!("pgtenant_studio_{}={}", self.port, self.token())
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(s: &Studio, path: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = http().get(format!("{}{path}", s.base));
    let mut cookie = true;
    for (k, v) in extra {
        if *k == "no-cookie" {
            cookie = false;
        } else {
            req = req.header(*k, *v);
        }
    }
    if cookie {
        req = req.header("cookie", s.cookie());
    }
    let res = req.send().await.expect("request");
    Answer {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

const NO_TOKEN: &str = "403 forbidden: this page needs the studio's token; open the URL \
                        that `pgtenant studio` printed";

#[tokio::test]
async fn studio_refuses_requests_without_the_token_or_from_a_foreign_host_or_origin() {
    let p = quickstart_up().await;
    let s = Studio::start(&p).await;
    let none = get(&s, "/", &[("no-cookie", "")]).await;
    assert_eq!((none.status, none.body.as_str()), (403, NO_TOKEN));
    let wrong = get(&s, "/?token=0123", &[("no-cookie", "")]).await;
    assert_eq!((wrong.status, wrong.body.as_str()), (403, NO_TOKEN));
    let bad_cookie = format!("pgtenant_studio_{}=nope", s.port);
    let wrong = get(&s, "/", &[("no-cookie", ""), ("cookie", &bad_cookie)]).await;
    assert_eq!((wrong.status, wrong.body.as_str()), (403, NO_TOKEN));

    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends
    // its own Host, and the token does not help it.
    let host = format!("evil.example:{}", s.port);
    let foreign = get(&s, "/", &[("host", &host)]).await;
    assert_eq!(foreign.status, 403);
    assert_eq!(
        foreign.body,
        format!(
            "403 forbidden: the Host header is not 127.0.0.1:{}; the studio answers only on the \
             loopback address it bound",
            s.port
        )
    );
    let origin = get(&s, "/", &[("origin", "http://evil.example")]).await;
    assert_eq!(origin.status, 403);
    assert_eq!(
        origin.body,
        format!(
            "403 forbidden: the Origin header is not http://127.0.0.1:{}; the studio answers \
             only pages it served",
            s.port
        )
    );
    assert!(!foreign.body.contains(s.token()) && !origin.body.contains(s.token()));

    // The token in the address is traded for a strict cookie.
    let first = get(
        &s,
        &format!("/db/{}?token={}", p.db, s.token()),
        &[("no-cookie", "")],
    )
    .await;
    assert_eq!(first.status, 303);
    assert_eq!(first.headers["location"], format!("/db/{}", p.db).as_str());
    let cookie = first.headers["set-cookie"].to_str().unwrap();
    assert_eq!(
        cookie,
        format!("{}; HttpOnly; SameSite=Strict; Path=/", s.cookie())
    );
    let page = get(&s, "/", &[("origin", &s.base.clone())]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));

    // Read-only: no route takes a write.
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let path = format!("/db/{}/t/public/projects/rows", p.db);
        let res = http()
            .request(method.clone(), format!("{}{path}", s.base))
            .header("cookie", s.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405, "{method}");
    }
    s.stop().await;
}

fn rows_path(p: &Project, table: &str, query: &str) -> String {
    format!("/db/{}/t/public/{table}/rows{query}", p.db)
}

/// The text of an element with `id`, tags stripped (a rough reading of the
/// page, enough to assert on its words).
fn text_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    let mut out = String::new();
    let mut in_tag = false;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        if c == '<' {
            in_tag = true;
            if rest[i..].starts_with("</") {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            } else if !rest[i..].starts_with("<input") && !rest[i..].starts_with("<meta") {
                depth += 1;
            }
        } else if c == '>' {
            in_tag = false;
        } else if !in_tag {
            out.push(c);
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn studio_pages_render_and_tenant_a_sees_only_its_rows_counts_links_and_export() {
    let p = quickstart_up().await;
    let s = Studio::start(&p).await;

    let project = get(&s, "/", &[]).await;
    assert_eq!(project.status, 200);
    assert!(project.body.contains(&p.db) && project.body.contains("up to date"));

    let database = get(&s, &format!("/db/{}", p.db), &[]).await;
    assert_eq!(database.status, 200);
    for expected in [
        "CREATE POLICY pgtenant_tenant_isolation ON public.projects",
        "isolated",
        &p.svc,
    ] {
        assert!(database.body.contains(expected), "{expected}");
    }
    let table = get(&s, &format!("/db/{}/t/public/projects", p.db), &[]).await;
    assert_eq!(table.status, 200);
    assert!(table.body.contains("projects_tenant_id_created_at_idx"));
    assert!(table
        .body
        .contains(&format!("href=\"/db/{}/t/public/memberships\"", p.db)));

    // The admin sees every project.
    let admin = get(&s, &rows_path(&p, "projects", ""), &[]).await;
    assert_eq!(admin.status, 200);
    assert!(text_of(&admin.body, "in-force").starts_with("Admin view · role postgres"));
    for name in A_PROJECTS.iter().chain([&B_PROJECT]) {
        assert!(admin.body.contains(name), "{name}");
    }
    assert_eq!(text_of(&admin.body, "visible-count"), "3 rows");

    // Tenant A: the list, the counts, the banner.
    let a = get(
        &s,
        &rows_path(&p, "projects", &format!("?tenant={TENANT_A}")),
        &[],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        text_of(&a.body, "in-force"),
        format!(
            "Tenant view · role {} · tenant Acme Corp ({TENANT_A})Row-level security applies: \
             exactly what the application sees.",
            p.svc
        )
    );
    for name in A_PROJECTS {
        assert!(a.body.contains(name), "{name}");
    }
    assert!(!a.body.contains(B_PROJECT));
    assert_eq!(
        text_of(&a.body, "visible-count"),
        "2 rows visible to this tenant"
    );
    assert_eq!(
        text_of(&a.body, "total-count"),
        "3 in the table (counted as the admin)"
    );

    // A foreign-key link keeps the tenant: A's project links to Alice's
    // membership, and the same link aimed at B's membership shows nothing.
    let link = format!(
        "/db/{}/t/public/memberships/rows?tenant={TENANT_A}&amp;f.tenant_id={TENANT_A}&amp;f.user_id={ALICE}",
        p.db
    );
    assert!(a.body.contains(&link), "no link {link} in {}", a.body);
    let followed = get(&s, &link.replace("&amp;", "&"), &[]).await;
    assert_eq!(followed.status, 200);
    let grid = text_of(&followed.body, "rows");
    assert!(grid.contains(ALICE) && !grid.contains(BOB), "{grid}");
    assert_eq!(
        text_of(&followed.body, "visible-count"),
        "1 matching visible to this tenant"
    );
    let to_b = get(
        &s,
        &rows_path(
            &p,
            "memberships",
            &format!("?tenant={TENANT_A}&f.tenant_id={TENANT_B}&f.user_id={BOB}"),
        ),
        &[],
    )
    .await;
    assert_eq!(to_b.status, 200);
    let grid = text_of(&to_b.body, "rows");
    assert!(grid.contains("No rows.") && !grid.contains(BOB), "{grid}");
    assert_eq!(
        text_of(&to_b.body, "visible-count"),
        "0 matching visible to this tenant"
    );

    // The export, under the same role and tenant.
    let csv_path = format!("/db/{}/t/public/projects/rows.csv?tenant={TENANT_A}", p.db);
    let csv = get(&s, &csv_path, &[]).await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "tenant_id,id,name,created_by,created_at");
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(
        lines[1..].iter().all(|l| l.starts_with(TENANT_A)),
        "{}",
        csv.body
    );
    let all = get(&s, &format!("/db/{}/t/public/projects/rows.csv", p.db), &[]).await;
    assert_eq!(all.body.lines().count(), 4, "{}", all.body);
    s.stop().await;
}

#[tokio::test]
async fn studio_bad_view_parameters_are_named_in_the_page() {
    let p = quickstart_up().await;
    let s = Studio::start(&p).await;
    let check = |query: &'static str, status: u16, message: String| {
        let path = rows_path(&p, "projects", query);
        let s = &s;
        async move {
            let page = get(s, &path, &[]).await;
            assert_eq!(page.status, status, "{query}: {}", page.body);
            assert_eq!(text_of(&page.body, "error-message"), message, "{query}");
        }
    };
    check(
        "?tenant=acme",
        400,
        "tenant view: invalid tenant id \"acme\": expected uuid (not a UUID); pass the \
         tenant's primary key as stored in the root table"
            .to_owned(),
    )
    .await;
    check(
        "?f.nope=1",
        400,
        "filter f.nope: public.projects has no column nope".to_owned(),
    )
    .await;
    check(
        "?f.created_at=yesterday-ish",
        400,
        "a filter or cursor value does not fit its column: invalid input syntax for type \
         timestamp with time zone: \"yesterday-ish\""
            .to_owned(),
    )
    .await;
    check(
        "?sort=name",
        400,
        "sort=name: public.projects cannot be sorted by that; sortable columns (NOT NULL, \
         leading an index): tenant_id"
            .to_owned(),
    )
    .await;
    let missing = get(&s, &format!("/db/{}/t/public/nope/rows", p.db), &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        text_of(&missing.body, "error-message"),
        format!("database {} has no table or view public.nope", p.db)
    );
    s.stop().await;
}

/// The first number of each row of the data table, in page order.
fn first_cells(html: &str) -> Vec<i64> {
    let table = &html[html.find("id=\"rows\"").expect("a rows table")..];
    let body = &table[table.find("<tbody").expect("tbody")..table.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .filter_map(|row| {
            let cell = &row[row.find("<td").unwrap()..];
            let text = &cell[cell.find('>').unwrap() + 1..];
            let text: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
            text.parse().ok()
        })
        .collect()
}

/// Regression: the outer ORDER BY of a page named the `::text` output
/// column, so integer keys were ordered as text (10 before 9) and the next
/// page started after the wrong row.
#[tokio::test]
async fn studio_pages_an_integer_key_in_number_order_and_shows_the_hand_made_table_as_drift() {
    let p = quickstart_up().await;
    let mut conn = p.admin_conn().await;
    sqlx::query("CREATE TABLE counters (id integer PRIMARY KEY)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO counters SELECT generate_series(1, 120)")
        .execute(&mut conn)
        .await
        .unwrap();
    let s = Studio::start(&p).await;
    let mut seen = Vec::new();
    let mut path = rows_path(&p, "counters", "");
    loop {
        let page = get(&s, &path, &[]).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen.extend(first_cells(&page.body));
        let Some(at) = page.body.find("id=\"next-page\" href=\"") else {
            break;
        };
        let rest = &page.body[at + "id=\"next-page\" href=\"".len()..];
        path = rest[..rest.find('"').unwrap()].replace("&amp;", "&");
    }
    assert_eq!(seen, (1..=120).collect::<Vec<i64>>());

    // The table made by hand is drift, shown only on the drift page's link.
    let home = get(&s, "/", &[]).await;
    assert!(home.body.contains(&format!("href=\"/db/{}/drift\"", p.db)));
    let drift = get(&s, &format!("/db/{}/drift", p.db), &[]).await;
    assert_eq!(drift.status, 200, "{}", drift.body);
    let live = text_of(&drift.body, "live");
    assert!(
        live.contains(
            "drifted (2 difference(s)): these statements would make the migrations' result \
             match the live database"
        ) && live.contains("CREATE TABLE public.counters"),
        "{live}"
    );
    let schema = text_of(&drift.body, "schema");
    assert!(
        schema.ends_with("every change is in a migration"),
        "{schema}"
    );
    s.stop().await;
}

/// The first tenant the picker offers, if any.
fn first_tenant(html: &str) -> Option<String> {
    let picker = &html[html.find("id=\"tenant\"")?..];
    let picker = &picker[..picker.find("</select>")?];
    picker
        .split("<option value=\"")
        .skip(1)
        .map(|o| o[..o.find('"').unwrap()].replace("&amp;", "&"))
        .find(|v| !v.is_empty())
}

/// Whether `page` was served; a failure noted otherwise.
fn served(failures: &mut Vec<String>, example: &str, path: &str, page: &Answer) -> bool {
    if page.status != 200 {
        failures.push(format!("{example}: {path}: {} {}", page.status, page.body));
    }
    page.status == 200
}

/// The first `<schema>/<table>` the database page links to.
fn first_table(html: &str, db: &str) -> Option<String> {
    let prefix = format!("href=\"/db/{db}/t/");
    html.split(&prefix)
        .skip(1)
        .map(|rest| {
            rest[..rest.find(['"', '?']).unwrap()]
                .trim_end_matches("/rows")
                .to_owned()
        })
        .find(|path| path.matches('/').count() == 1 && !path.starts_with("pgtenant/"))
}

/// Every example, brought up with its demo data under unique names: the
/// studio serves the project page, each database page, one table's
/// structure and rows, as the admin and as the picker's first tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn studio_serves_every_example_as_admin_and_as_a_tenant() {
    let admin = pgtenant_testkit::admin_url();
    let mut failures = Vec::new();
    let mut tenant_views = 0;
    for (example, project, databases) in crate::examples::renamed_examples().unwrap() {
        let dir = project.dir.path();
        let up = tokio::process::Command::new(env!("CARGO_BIN_EXE_pgtenant"))
            .args([
                "--project",
                dir.to_str().unwrap(),
                "--admin-url",
                &admin,
                "up",
                "--demo",
            ])
            .env_remove("DATABASE_URL")
            .env("SEED_DEMO_OK", "true")
            .output()
            .await
            .unwrap();
        if !up.status.success() {
            failures.push(format!(
                "{example}: up --demo: {}",
                String::from_utf8_lossy(&up.stderr)
            ));
            continue;
        }
        let s = Studio::start_in(dir, &["--admin-url", &admin]).await;
        let home = get(&s, "/", &[]).await;
        for db in &databases {
            if !home.body.contains(db.as_str()) {
                failures.push(format!("{example}: the project page does not list {db}"));
            }
        }
        served(&mut failures, &example, "/", &home);
        for db in &databases {
            let db_path = format!("/db/{db}");
            let page = get(&s, &db_path, &[]).await;
            let table = first_table(&page.body, db);
            let tenant = first_tenant(&page.body);
            served(&mut failures, &example, &db_path, &page);
            // A placeholder database may hold only pgtenant's own tables.
            let Some(table) = table else {
                continue;
            };
            let mut scopes = vec![String::new()];
            if let Some(t) = &tenant {
                let t: String = url::form_urlencoded::byte_serialize(t.as_bytes()).collect();
                scopes.push(format!("?tenant={t}"));
                tenant_views += 1;
                // The journal is closed to the service role: said, not a 500.
                let journal = get(
                    &s,
                    &format!("{db_path}/t/pgtenant/migrations/rows?tenant={t}"),
                    &[],
                )
                .await;
                let message = if journal.status == 403 {
                    text_of(&journal.body, "error-message")
                } else {
                    journal.body
                };
                if !(message.starts_with("permission denied for ")
                    && message.ends_with(
                        ": the role in force may not read it, so the application cannot either",
                    ))
                {
                    failures.push(format!(
                        "{example}: the journal as a tenant: {} {message}",
                        journal.status
                    ));
                }
            }
            for scope in &scopes {
                for path in [
                    format!("{db_path}{scope}"),
                    format!("{db_path}/t/{table}{scope}"),
                    format!("{db_path}/t/{table}/rows{scope}"),
                ] {
                    let page = get(&s, &path, &[]).await;
                    if served(&mut failures, &example, &path, &page)
                        && !scope.is_empty()
                        && path.contains("/rows")
                    {
                        let banner = text_of(&page.body, "in-force");
                        if !banner.starts_with("Tenant view") {
                            failures.push(format!("{example}: {path}: banner {banner}"));
                        }
                    }
                }
            }
        }
        s.stop().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        tenant_views >= 3,
        "only {tenant_views} databases had a tenant to view as"
    );
}

/// chromium and chromedriver, when both are installed.
fn browser_binaries() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names.iter().find_map(|n| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(n))
                    .find(|p| p.is_file())
            })
        })
    };
    Some((
        find(&["chromium", "chromium-browser", "google-chrome"])?,
        find(&["chromedriver"])?,
    ))
}

async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

struct Browser {
    client: fantoccini::Client,
    _driver: tokio::process::Child,
    shots: PathBuf,
}

impl Browser {
    async fn start(chromium: &Path, driver: &Path) -> Browser {
        let port = free_port().await;
        let child = tokio::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--window-size=1400,900"],
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen: a bounded number of tries.
        let mut last = None;
        for _ in 0..100 {
            match fantoccini::ClientBuilder::new(
                hyper_util::client::legacy::connect::HttpConnector::new(),
            )
            .capabilities(caps.clone())
            .connect(&webdriver)
            .await
            {
                Ok(client) => {
                    let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../../target/studio-screenshots");
                    std::fs::create_dir_all(&shots).unwrap();
                    return Browser {
                        client,
                        _driver: child,
                        shots,
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn studio_in_a_browser_tenant_a_sees_only_its_rows() {
    use fantoccini::Locator;
    let Some((chromium, driver)) = browser_binaries() else {
        assert!(
            std::env::var_os("PGTENANT_REQUIRE_BROWSER").is_none(),
            "PGTENANT_REQUIRE_BROWSER is set but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: chromium or chromedriver not found (apt-get install chromium chromium-driver)");
        return;
    };
    let p = quickstart_up().await;
    let s = Studio::start(&p).await;
    let b = Browser::start(&chromium, &driver).await;
    let c = &b.client;

    c.goto(&s.url).await.unwrap();
    assert_eq!(
        c.current_url().await.unwrap().query(),
        None,
        "the token left the address"
    );
    assert!(b.text("main").await.contains("up to date"));
    b.shot("1-project").await;

    c.find(Locator::LinkText(&p.db))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("h1")).await.unwrap();
    assert_eq!(b.text("h1").await, format!("Database {}", p.db));
    b.shot("2-database").await;

    // Browse to a table from the sidebar: the admin sees all three projects.
    c.find(Locator::Css(".sidebar a[href$='/projects/rows']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("rows")).await.unwrap();
    let rows = b.text("#rows tbody").await;
    assert!(
        rows.contains(B_PROJECT) && rows.contains(A_PROJECTS[0]),
        "{rows}"
    );
    b.shot("3-rows-admin").await;

    // Switch to tenant A.
    c.find(Locator::Css("select[name=tenant]"))
        .await
        .unwrap()
        .select_by_value(TENANT_A)
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#in-force.tenant"))
        .await
        .unwrap();
    let rows = b.text("#rows tbody").await;
    for name in A_PROJECTS {
        assert!(rows.contains(name), "{rows}");
    }
    assert!(!rows.contains(B_PROJECT), "{rows}");
    assert_eq!(
        b.text("#visible-count").await,
        "2 rows visible to this tenant"
    );
    assert!(b.text("#in-force").await.contains(&p.svc));
    b.shot("4-rows-tenant-a").await;

    // Follow a foreign key as A: still A, Alice's membership only.
    c.find(Locator::Css("#rows a.fk[href*='/memberships/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("rows")).await.unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/memberships/rows"));
    assert!(b.text("#in-force").await.contains(TENANT_A));
    let rows = b.text("#rows tbody").await;
    assert!(rows.contains(ALICE) && !rows.contains(BOB), "{rows}");
    b.shot("5-fk-memberships-tenant-a").await;

    c.find(Locator::Css("nav.tabs a:last-child"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.grid"))
        .await
        .unwrap();
    b.shot("6-structure").await;

    b.client.clone().close().await.unwrap();
    s.stop().await;
}

/// With `--json` the studio prints one JSON document, `{"studio_url": …}`,
/// as soon as it listens, and nothing more when Ctrl-C (SIGINT) stops it.
#[tokio::test]
async fn studio_json_prints_one_document_and_stops_cleanly_on_interrupt() {
    let p = quickstart_up().await;
    let (mut child, mut lines) = spawn_studio(p.dir.path(), &["--json"]);
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("pgtenant studio prints its URL")
        .unwrap()
        .expect("a first line");
    let doc: serde_json::Value = serde_json::from_str(&first).expect(&first);
    let url = doc["studio_url"].as_str().expect(&first);
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/?token="),
        "{url}"
    );
    let page = http().get(url).send().await.unwrap();
    assert!(
        page.status().is_redirection() || page.status().is_success(),
        "{}",
        page.status()
    );
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the studio stops on SIGINT")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(lines.next_line().await.unwrap(), None, "a second document");
}
