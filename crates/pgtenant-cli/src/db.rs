//! Connections: every connection the CLI opens goes through here, so
//! statement logging is off (DDL may carry a password literal) and a failed
//! connection is reported with the URL masked and a hint what to do.

use anyhow::Result;
use pgtenant_schema::shadow::mask_url;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::time::Duration;

/// Who connects, when not the admin of the URL.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub user: &'a str,
    pub password: &'a str,
}

/// A connection could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {masked_url}: {cause}{hint}")]
pub struct ConnectError {
    pub masked_url: String,
    pub cause: String,
    hint: String,
}

/// Options for `url`, optionally on another database and as another user.
pub fn options(
    url: &str,
    database: Option<&str>,
    login: Option<Login<'_>>,
) -> Result<PgConnectOptions> {
    let mut opts = PgConnectOptions::from_str(url).map_err(|_| {
        crate::error::usage(format!(
            "the admin URL {} is not a valid PostgreSQL URL; expected postgres://user[:password]@host[:port]/database",
            mask_url(url)
        ))
    })?;
    if let Some(db) = database {
        opts = opts.database(db);
    }
    if let Some(login) = login {
        opts = opts.username(login.user).password(login.password);
    }
    Ok(opts.disable_statement_logging())
}

/// The URL a connection uses, masked, for messages: the given URL with its
/// database and user replaced as asked.
pub fn display_url(url: &str, database: Option<&str>, login: Option<Login<'_>>) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return mask_url(url);
    };
    if let Some(db) = database {
        parsed.set_path(&format!("/{db}"));
    }
    if let Some(login) = login {
        let _ = parsed.set_username(login.user);
        let _ = parsed.set_password(Some("***"));
    }
    mask_url(parsed.as_str())
}

/// Open one connection (10 s timeout).
pub async fn connect(
    url: &str,
    database: Option<&str>,
    login: Option<Login<'_>>,
) -> Result<PgConnection> {
    let opts = options(url, database, login)?;
    let fut = PgConnection::connect_with(&opts);
    let result = tokio::time::timeout(Duration::from_secs(10), fut).await;
    let err = match result {
        Ok(Ok(conn)) => return Ok(conn),
        Ok(Err(e)) => e,
        Err(_) => {
            return Err(connect_error(
                url,
                database,
                login,
                "timed out after 10 s".to_owned(),
                true,
            ))
        }
    };
    let unreachable = matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut);
    let cause = match &err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    Err(connect_error(url, database, login, cause, unreachable))
}

fn connect_error(
    url: &str,
    database: Option<&str>,
    login: Option<Login<'_>>,
    cause: String,
    unreachable: bool,
) -> anyhow::Error {
    let hint = if unreachable {
        "\nhint: is PostgreSQL running? Start it (e.g. `pg_ctlcluster 15 main start` or \
         `sudo service postgresql start`), or point pgtenant at your server with --admin-url, \
         connection.admin_url in pgtenant.toml, or DATABASE_URL"
            .to_owned()
    } else {
        String::new()
    };
    // The password never reaches the message: the cause comes from the
    // server or the socket, the URL is masked.
    anyhow::Error::new(ConnectError {
        masked_url: display_url(url, database, login),
        cause: match login {
            Some(l) if !l.password.is_empty() => cause.replace(l.password, "***"),
            _ => cause,
        },
        hint,
    })
}
