//! Running the PostgreSQL client tools (`pg_dump`, `pg_restore`): the
//! connection as a URL without its password, the password only through the
//! child's `PGPASSWORD` (never on a command line, visible to every user of
//! the machine, nor in output), the tools' stderr masked before it is
//! shown.

use crate::error::usage;
use anyhow::Result;
use pgtenant_schema::shadow::mask_url;
use std::path::Path;

/// How a client tool reaches one database: a URL without any password,
/// and the password for `PGPASSWORD`.
pub struct ToolTarget {
    /// Safe to pass on a command line: no password in it.
    pub url: String,
    password: Option<String>,
}

impl ToolTarget {
    /// The admin URL pointed at `database`, with its password moved out
    /// (from the user-info part or a `password=` parameter).
    pub fn new(admin_url: &str, database: &str) -> Result<ToolTarget> {
        let mut parsed = url::Url::parse(admin_url).map_err(|_| {
            usage(format!(
                "the admin URL {} is not a valid PostgreSQL URL",
                mask_url(admin_url)
            ))
        })?;
        let mut password = parsed.password().map(percent_decode);
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut kept = Vec::new();
        for (k, v) in pairs {
            if k.eq_ignore_ascii_case("password") {
                password = Some(v);
            } else {
                kept.push((k, v));
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        let _ = parsed.set_password(None);
        parsed.set_path(&format!("/{database}"));
        Ok(ToolTarget {
            url: parsed.to_string(),
            password,
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Run a PostgreSQL client tool (`pg_dump`, `pg_restore`) with `args`,
/// the password in its environment; its stderr, masked, is the error.
pub async fn run_tool(tool: &str, target: &ToolTarget, args: &[std::ffi::OsString]) -> Result<()> {
    let mut cmd = tokio::process::Command::new(tool);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match &target.password {
        Some(p) => {
            cmd.env("PGPASSWORD", p);
        }
        None => {
            cmd.env_remove("PGPASSWORD");
        }
    }
    let out = match cmd.output().await {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(usage(format!(
                "{tool} is not installed (not found on PATH); install the PostgreSQL client \
                 tools matching your server, e.g. `sudo apt-get install postgresql-client`"
            )))
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("running {tool}"))),
    };
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut shown: String = stderr.lines().map(mask_url).collect::<Vec<_>>().join("\n");
    if let Some(p) = target.password.as_deref().filter(|p| !p.is_empty()) {
        shown = shown.replace(p, "***");
    }
    let code = out
        .status
        .code()
        .map_or_else(|| "a signal".to_owned(), |c| format!("exit code {c}"));
    anyhow::bail!("{tool} failed ({code}):\n{}", shown.trim_end())
}

/// Whether `path` is a file (for `--from` flags).
pub fn require_file(flag: &str, path: &Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(usage(format!(
            "{flag} {}: no such file; pass a dump written by `pgtenant backup`",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_url_never_holds_the_password() {
        let t = ToolTarget::new(
            "postgres://admin:s%40cret@db.example.com:6432/postgres?sslmode=require",
            "app",
        )
        .unwrap();
        assert_eq!(
            t.url,
            "postgres://admin@db.example.com:6432/app?sslmode=require"
        );
        assert_eq!(t.password.as_deref(), Some("s@cret"));
        let t = ToolTarget::new(
            "postgres://admin@127.0.0.1/postgres?password=pw&sslmode=disable",
            "app",
        )
        .unwrap();
        assert_eq!(t.url, "postgres://admin@127.0.0.1/app?sslmode=disable");
        assert_eq!(t.password.as_deref(), Some("pw"));
        let t = ToolTarget::new("postgres://postgres@127.0.0.1:5432/postgres", "x").unwrap();
        assert_eq!(t.url, "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(t.password, None);
    }
}
