//! What every command gets: the global flags, the manifest (loaded lazily,
//! only by commands that need it), the admin URL, output mode, verbosity.

use crate::error::usage;
use crate::manifest::{self, Manifest};
use anyhow::Result;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Flags accepted by every command (before or after the subcommand).
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Project folder holding pgtenant.toml (or the manifest file itself).
    /// Default: the nearest pgtenant.toml in the current folder or above.
    #[arg(long, global = true, value_name = "DIR", env = "PGTENANT_PROJECT")]
    pub project: Option<PathBuf>,

    /// Admin connection URL (superuser or owner). Overrides
    /// connection.admin_url of the manifest and DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub admin_url: Option<String>,

    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only errors and failed checks.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail on stderr (-v: steps, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Where the admin URL came from (shown in messages, never the password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlSource {
    Flag,
    Manifest,
    Environment,
}

/// The admin URL and its origin.
#[derive(Debug, Clone)]
pub struct AdminUrl {
    pub url: String,
    pub source: UrlSource,
}

impl AdminUrl {
    /// The URL with its password masked.
    pub fn masked(&self) -> String {
        crate::pgurl::mask(&self.url)
    }
}

pub struct Context {
    pub args: GlobalArgs,
    manifest: OnceLock<Manifest>,
}

impl Context {
    pub fn new(args: GlobalArgs) -> Context {
        Context {
            args,
            manifest: OnceLock::new(),
        }
    }

    /// Log to stderr: warnings by default, info with -v, debug with -vv.
    /// sqlx statement logging is off on every connection (see `db`).
    pub fn init_logging(&self) {
        let level = match (self.args.quiet, self.args.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            _ => "debug",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_env("PGTENANT_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .without_time()
            .with_target(false)
            .try_init();
    }

    pub fn json(&self) -> bool {
        self.args.json
    }

    pub fn quiet(&self) -> bool {
        self.args.quiet
    }

    #[allow(dead_code)] // API for commands: -v count
    pub fn verbose(&self) -> u8 {
        self.args.verbose
    }

    /// A progress line on stderr (human mode, not with -q or --json).
    pub fn progress(&self, message: impl Display) {
        if !self.args.json && !self.args.quiet {
            crate::output::stderr_line(message);
        }
    }

    /// A detail line on stderr, only with -v.
    pub fn detail(&self, message: impl Display) {
        if !self.args.json && self.args.verbose > 0 {
            crate::output::stderr_line(format_args!("  {message}"));
        }
    }

    /// The path of the manifest: --project (a folder or the file), else the
    /// nearest pgtenant.toml from the current folder upward.
    pub fn manifest_path(&self) -> Result<PathBuf> {
        match &self.args.project {
            Some(p) => {
                let file = if p.is_dir() {
                    p.join(manifest::FILE_NAME)
                } else {
                    p.clone()
                };
                if !file.is_file() {
                    return Err(usage(format!(
                        "--project {}: no {} there; pass the folder of a pgtenant project",
                        p.display(),
                        manifest::FILE_NAME
                    )));
                }
                Ok(file)
            }
            None => {
                let cwd = std::env::current_dir()?;
                manifest::find_upward(&cwd).ok_or_else(|| {
                    usage(format!(
                        "no {} in {} or any folder above; run inside a project or pass --project DIR",
                        manifest::FILE_NAME,
                        cwd.display()
                    ))
                })
            }
        }
    }

    /// The project manifest, loaded on first use.
    pub fn manifest(&self) -> Result<&Manifest> {
        if let Some(m) = self.manifest.get() {
            return Ok(m);
        }
        let path = self.manifest_path()?;
        let loaded = manifest::load(&path)?;
        Ok(self.manifest.get_or_init(|| loaded))
    }

    /// The project folder (where pgtenant.toml lives).
    #[allow(dead_code)] // API for commands: resolving project paths
    pub fn project_dir(&self) -> Result<&Path> {
        Ok(&self.manifest()?.dir)
    }

    /// The admin URL: --admin-url, else connection.admin_url of the
    /// manifest, else DATABASE_URL (when no manifest is found).
    pub fn admin_url(&self) -> Result<AdminUrl> {
        if let Some(url) = &self.args.admin_url {
            crate::pgurl::validate(url).map_err(|why| {
                usage(format!(
                    "--admin-url {}: {why}; expected postgres://user[:password]@host[:port]/database",
                    crate::pgurl::mask(url)
                ))
            })?;
            return Ok(AdminUrl {
                url: url.clone(),
                source: UrlSource::Flag,
            });
        }
        let from_manifest = match self.manifest() {
            Ok(m) => m.admin_url.clone(),
            // A project that exists but is broken is an error; no project
            // at all falls back to the environment.
            Err(e) if self.args.project.is_some() || is_manifest_error(&e) => return Err(e),
            Err(_) => None,
        };
        if let Some(url) = from_manifest {
            return Ok(AdminUrl {
                url,
                source: UrlSource::Manifest,
            });
        }
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                crate::pgurl::validate(&url).map_err(|why| {
                    usage(format!(
                        "DATABASE_URL {}: {why}; expected postgres://user[:password]@host[:port]/database",
                        crate::pgurl::mask(&url)
                    ))
                })?;
                Ok(AdminUrl { url, source: UrlSource::Environment })
            }
            _ => Err(usage(
                "no admin URL: pass --admin-url, set connection.admin_url in pgtenant.toml, or set DATABASE_URL",
            )),
        }
    }
}

fn is_manifest_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<manifest::ManifestError>())
}
