//! The user a PostgreSQL URL without one connects as: `PGUSER`, else the operating-system user,
//! as `psql` and libpq do.
//!
//! sqlx fills a missing user from `PGUSER` and then from the `whoami` crate, which sqlx builds
//! without its `std` feature: the OS lookup is a stub answering "anonymous", so
//! `postgres:///db?host=/var/run/postgresql` failed with `role "anonymous" does not exist`.
//! The catalogue therefore names the user itself before handing the URL to sqlx.

/// `url` with a `user` query parameter added when it names no user (neither `user@` nor
/// `?user=`): `pguser` when set and not empty, else `os_user`. Anything else is returned as is.
pub(crate) fn with_default_user(
    url: &str,
    pguser: Option<String>,
    os_user: impl FnOnce() -> Option<String>,
) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        // sqlx reports the unparsable URL itself.
        return url.to_owned();
    };
    if !parsed.username().is_empty() || parsed.query_pairs().any(|(k, _)| k == "user") {
        return url.to_owned();
    }
    let Some(user) = pguser.filter(|u| !u.is_empty()).or_else(os_user) else {
        return url.to_owned();
    };
    let mut out = parsed;
    out.query_pairs_mut().append_pair("user", &user);
    out.to_string()
}

/// The name of the user this process runs as (effective uid), from the password database.
pub(crate) fn os_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(url: &str, pguser: Option<&str>, os: Option<&str>) -> String {
        with_default_user(url, pguser.map(str::to_owned), || os.map(str::to_owned))
    }

    #[test]
    fn a_url_without_user_takes_pguser_then_the_os_user() {
        let url = "postgres:///stowage?host=/var/run/postgresql";
        assert_eq!(
            resolve(url, Some("pgu"), Some("os")),
            "postgres:///stowage?host=/var/run/postgresql&user=pgu"
        );
        assert_eq!(
            resolve(url, None, Some("os")),
            "postgres:///stowage?host=/var/run/postgresql&user=os"
        );
        assert_eq!(
            resolve(url, Some(""), Some("os")),
            "postgres:///stowage?host=/var/run/postgresql&user=os",
            "an empty PGUSER counts as unset"
        );
        assert_eq!(
            resolve("postgresql://db.internal/stowage", None, Some("svc user")),
            "postgresql://db.internal/stowage?user=svc+user"
        );
        assert_eq!(resolve(url, None, None), url, "nothing known: unchanged");
    }

    #[test]
    fn a_named_user_is_kept() {
        for url in [
            "postgres://alice@127.0.0.1/db",
            "postgres://alice:secret@127.0.0.1:5432/db",
            "postgres:///db?host=/run/postgresql&user=alice",
        ] {
            assert_eq!(resolve(url, Some("pgu"), Some("os")), url);
        }
    }

    #[test]
    fn the_os_user_is_found() {
        let name = os_user().expect("this process's user is in the password database");
        assert!(!name.is_empty());
    }
}
