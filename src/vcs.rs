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

/// git could not say whether a folder is in a work tree (it is missing
/// where a `.git` is, or it failed for another reason than "not a
/// repository", such as a repository it does not trust).
#[derive(Debug, thiserror::Error)]
#[error("{dir}: git cannot tell the repository root, which bounds what pack carries: {message}")]
pub struct VcsError {
    pub dir: std::path::PathBuf,
    pub message: String,
}

/// The top folder of the git work tree holding `dir` (`git rev-parse
/// --show-toplevel`), canonical; `None` outside one (no `.git` on the way
/// up, or git says "not a git repository"). Any other failure is an error,
/// never "outside git": that would lift the bound.
pub fn toplevel(dir: &Path) -> Result<Option<std::path::PathBuf>, VcsError> {
    let fail = |message: String| VcsError {
        dir: dir.to_path_buf(),
        message,
    };
    let out = match Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
    {
        Ok(out) => out,
        Err(_) if !dir.ancestors().any(|a| a.join(".git").exists()) => return Ok(None),
        Err(e) => return Err(fail(format!("a .git is there, but git did not run: {e}"))),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return match stderr.contains("not a git repository") {
            true => Ok(None),
            false => Err(fail(stderr.trim().to_string())),
        };
    }
    let top = String::from_utf8_lossy(&out.stdout).trim().to_string();
    std::fs::canonicalize(&top)
        .map(Some)
        .map_err(|e| fail(format!("{top}: {e}")))
}
