//! Where a file blob store may keep its bytes: the rule applied to the `path` of a `File` store.
//!
//! - A relative path lives under `<data dir>/blobs/`; an absolute one is taken as given. `..`
//!   segments are refused either way.
//! - The path is then resolved as the kernel would follow it: its longest existing ancestor is
//!   canonicalised (symbolic links and `.` resolved), the rest appended. The rules below apply
//!   to that resolved path, so a symbolic link cannot lead a store somewhere refused.
//! - Refused: `/` itself, and anything under `/proc`, `/sys`, `/dev` or `/run` (kernel and
//!   runtime file systems: a store there loses its bytes at reboot or writes into the kernel),
//!   unless it is inside the data directory, which the admin chose.
//! - When the store is created it must also stay clear of what is already in use: not inside,
//!   equal to or around another file store's directory (the stores' `tmp/` sweeps and purges
//!   would remove each other's uploads), and not the data directory, an ancestor of it, or a
//!   folder inside it other than one under `<data dir>/blobs/` (the catalogue, audit log and
//!   work files live there).

use crate::{CoreError, Result};
use std::path::{Component, Path, PathBuf};

/// Kernel and runtime file systems no store may live in.
const SYSTEM_DIRS: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// The resolved directory of a file store whose `path` attribute is `given`.
pub(super) fn resolve_store_path(given: &str, data_dir: &Path) -> Result<PathBuf> {
    let path = Path::new(given);
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(CoreError::invalid("path", "must not contain '..'"));
    }
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        data_dir.join("blobs").join(path)
    };
    let resolved = resolve(&joined)?;
    if resolved.parent().is_none() {
        return Err(CoreError::invalid(
            "path",
            "must not be the root directory '/'",
        ));
    }
    // The data directory is the admin's own choice, wherever it is.
    let inside_data = resolved.starts_with(resolve(data_dir)?);
    if let Some(dir) = SYSTEM_DIRS
        .iter()
        .find(|d| !inside_data && resolved.starts_with(d))
    {
        let shown = if resolved == joined {
            format!("'{}'", resolved.display())
        } else {
            format!("'{given}' (resolves to '{}')", resolved.display())
        };
        return Err(CoreError::invalid(
            "path",
            format!(
                "{shown} is under the system directory {dir}; blob stores may not live under {}",
                SYSTEM_DIRS.join(", ")
            ),
        ));
    }
    Ok(resolved)
}

/// Refuses a new file store at `path` (resolved) that overlaps one of `others` (name and
/// resolved directory of the existing file stores) or the data directory's own files.
pub(super) fn check_clear_of(path: &Path, data_dir: &Path, others: &[(&str, &Path)]) -> Result<()> {
    let data = resolve(data_dir)?;
    let blobs = data.join("blobs");
    if data.starts_with(path) {
        return Err(CoreError::invalid(
            "path",
            format!(
                "'{}' holds the data directory {}; choose a folder of its own",
                path.display(),
                data.display()
            ),
        ));
    }
    if path.starts_with(&data) && !(path.starts_with(&blobs) && path != blobs) {
        return Err(CoreError::invalid(
            "path",
            format!(
                "'{}' is inside the data directory, where only folders under {} may hold blob stores",
                path.display(),
                blobs.display()
            ),
        ));
    }
    for (name, other) in others {
        if path.starts_with(other) || other.starts_with(path) {
            return Err(CoreError::invalid(
                "path",
                format!(
                    "'{}' overlaps blob store '{name}' at {}; each store needs a folder of its own",
                    path.display(),
                    other.display()
                ),
            ));
        }
    }
    Ok(())
}

/// `path` made absolute, with its longest existing ancestor canonicalised and the missing
/// rest appended.
fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path)
        .map_err(|e| CoreError::invalid("path", format!("cannot be made absolute: {e}")))?;
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut found) => {
                found.extend(missing.iter().rev());
                return Ok(found);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match (existing.parent(), existing.file_name()) {
                    (Some(parent), Some(name)) => {
                        missing.push(name.to_owned());
                        existing = parent;
                    }
                    _ => return Ok(absolute),
                }
            }
            Err(e) => {
                return Err(CoreError::invalid(
                    "path",
                    format!("'{}' cannot be resolved: {e}", existing.display()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(CoreError::Invalid { field, message }) if field == "path" => message,
            other => panic!("expected a path error, got {other:?}"),
        }
    }

    #[test]
    fn relative_paths_live_under_blobs_and_missing_parts_are_kept() {
        let data = tempfile::tempdir().unwrap();
        let got = resolve_store_path("a/b", data.path()).unwrap();
        let want = data.path().canonicalize().unwrap().join("blobs/a/b");
        assert_eq!(got, want);
        assert!(refused(resolve_store_path("a/../../etc", data.path())).contains(".."));
    }

    #[test]
    fn system_directories_and_the_root_are_refused_even_through_links() {
        let data = tempfile::tempdir().unwrap();
        for p in ["/proc/x", "/sys", "/dev/shm/store", "/run/stowage", "/"] {
            let m = refused(resolve_store_path(p, data.path()));
            assert!(
                m.contains("system directory") || m.contains("root"),
                "{p}: {m}"
            );
        }
        std::fs::create_dir_all(data.path().join("blobs")).unwrap();
        std::os::unix::fs::symlink("/proc", data.path().join("blobs/link")).unwrap();
        let m = refused(resolve_store_path("link/store", data.path()));
        assert!(m.contains("resolves to '/proc/"), "{m}");
    }

    #[test]
    fn stores_stay_clear_of_each_other_and_of_the_data_directory() {
        let data = tempfile::tempdir().unwrap();
        let d = data.path().canonicalize().unwrap();
        let default = d.join("blobs/default");
        let others = [("default", default.as_path())];
        let check = |p: &Path| check_clear_of(p, &d, &others);
        check(&d.join("blobs/second")).unwrap();
        check(Path::new("/srv/elsewhere")).unwrap();
        for bad in [
            default.clone(),
            default.join("sub"),
            d.join("blobs"),
            d.clone(),
            d.join("audit"),
            d.parent().unwrap().to_owned(),
        ] {
            refused(check(&bad));
        }
    }
}
