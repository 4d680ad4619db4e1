//! What version control says of the packed tree: the manifest records
//! `git describe` so that a bundle names the commit it was made from, and
//! the git work tree bounds the folders pack may carry.

use std::path::Path;
use std::process::Command;

/// `git describe --tags --always --dirty` of `dir`, when it is a checkout
/// and git answers with one word; else "unversioned".
pub fn describe(dir: &Path) -> String {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["describe", "--tags", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
        .unwrap_or_else(|| "unversioned".into())
}

/// The top folder of the git work tree holding `dir` (`git rev-parse
/// --show-toplevel`), canonical; `None` outside one or without git.
pub fn toplevel(dir: &Path) -> Option<std::path::PathBuf> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::fs::canonicalize(top).ok()
}
