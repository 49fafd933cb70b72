//! PostgreSQL connection URLs: validation and locality. Masking is
//! [`mask_url`], owned by the schema crate.

use std::str::FromStr;

use pgtenant_schema::shadow::mask_url;
use sqlx::postgres::PgConnectOptions;

/// Check that `url` is a PostgreSQL URL sqlx can use; the error text is
/// safe to print (never contains the password).
pub fn validate(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{e}"))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(format!("the scheme is `{}`, not postgres", parsed.scheme()));
    }
    PgConnectOptions::from_str(url).map_err(|_| "sqlx cannot use it".to_owned())?;
    Ok(())
}

/// Where a URL points: a host name or address, or a unix socket folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Local(String),
    Remote(String),
}

/// Whether the server of `url` is on this machine: `localhost`, `127.0.0.1`,
/// `::1`, or a unix socket (a `host` starting with `/`, or no host at all).
pub fn target(url: &str) -> Target {
    let Ok(parsed) = url::Url::parse(url) else {
        return Target::Remote(mask_url(url));
    };
    let query_host = parsed
        .query_pairs()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.into_owned());
    let host = match query_host {
        Some(h) => h,
        None => parsed.host_str().unwrap_or("").to_owned(),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.is_empty()
        || bare.starts_with('/')
        || bare.starts_with("%2F")
        || bare.starts_with("%2f")
        || matches!(bare, "localhost" | "127.0.0.1" | "::1")
    {
        Target::Local(if bare.is_empty() {
            "unix socket".to_owned()
        } else {
            bare.to_owned()
        })
    } else {
        Target::Remote(bare.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_targets() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres",
            "postgres://postgres@localhost/postgres",
            "postgres://postgres@[::1]:5432/postgres",
            "postgres:///postgres?host=/var/run/postgresql",
            "postgres:///postgres",
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/db",
        ] {
            assert!(matches!(target(url), Target::Local(_)), "{url}");
        }
        assert_eq!(
            target("postgres://u:pw@db.example.com/x"),
            Target::Remote("db.example.com".into())
        );
        assert_eq!(
            target("postgres://u@10.0.0.5/x"),
            Target::Remote("10.0.0.5".into())
        );
    }

    #[test]
    fn validates_urls() {
        assert_eq!(validate("postgres://u@h/db"), Ok(()));
        assert_eq!(
            validate("mysql://u@h/db").unwrap_err(),
            "the scheme is `mysql`, not postgres"
        );
        assert!(validate("127.0.0.1:5432").is_err());
    }
}
