//! Ferry's temporary files and folders, named `.ferry-<kind>-<pid>-<random>`
//! so that a later run can tell those of a process that is gone (killed,
//! crashed, out of power) from those of one still running, and remove them:
//! whichever command next makes a temporary in that folder does.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A new private folder in `dir`, named for `kind` and this process.
pub fn dir_in(kind: &str, dir: &Path) -> std::io::Result<tempfile::TempDir> {
    clean_once(dir);
    tempfile::Builder::new()
        .prefix(&prefix(kind))
        .tempdir_in(dir)
}

/// A new private file in `dir`, named for `kind` and this process.
pub fn file_in(kind: &str, dir: &Path, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    clean_once(dir);
    tempfile::Builder::new()
        .prefix(&prefix(kind))
        .suffix(suffix)
        .tempfile_in(dir)
}

/// [`clean_stale`] for each folder the first time this process makes a
/// temporary there, not again for every shard.
fn clean_once(dir: &Path) {
    static CLEANED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let first = CLEANED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(dir.to_path_buf());
    if first {
        clean_stale(dir);
    }
}

/// What every ferry temporary's name starts with.
pub const PREFIX: &str = ".ferry-";

fn prefix(kind: &str) -> String {
    format!(".ferry-{kind}-{}-", std::process::id())
}

/// The process id in a ferry temporary's name, if it is one.
fn owner(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(".ferry-")?;
    let (_, rest) = rest.split_once('-')?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

fn alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only asks whether the
    // process exists (EPERM: it does, under another user).
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes the temporaries in `dir` whose process is gone; returns how many.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner) else {
            continue;
        };
        if pid == std::process::id() as i32 || alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        removed += usize::from(gone.is_ok());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_from_names() {
        assert_eq!(owner(".ferry-pack-1234-AbCd.payload"), Some(1234));
        assert_eq!(owner(".ferry-unpack-99-x"), Some(99));
        assert_eq!(owner(".ferry-pack-AbCd"), None);
        assert_eq!(owner("ferry-pack-12-x"), None);
    }

    #[test]
    fn only_the_temporaries_of_dead_processes_go() {
        let dir = tempfile::tempdir().unwrap();
        // pid 2^22 + 1 is above Linux's pid_max ceiling: never running.
        let dead = dir.path().join(".ferry-pack-4194305-x.payload");
        let live = dir
            .path()
            .join(format!(".ferry-pack-{}-y", std::process::id()));
        let other = dir.path().join("app.ferry");
        for p in [&dead, &live, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join(".ferry-unpack-4194305-z")).unwrap();
        assert_eq!(clean_stale(dir.path()), 2);
        assert!(!dead.exists() && live.exists() && other.exists());
    }

    #[test]
    fn making_a_temporary_sweeps_the_folder_first() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".ferry-read-4194305-x");
        std::fs::create_dir(&dead).unwrap();
        let made = dir_in("read", dir.path()).unwrap();
        assert!(!dead.exists(), "a dead process's folder stays");
        assert!(made.path().exists());
    }
}
