//! The one place ferry reads its environment: temporary folder, the `go`
//! command, `SOURCE_DATE_EPOCH`, registry credentials, the module cache,
//! the key password, and whether stderr is a terminal. The library gets
//! what is read here as an `ops::Context`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use ferry::Error;
use ferry::ops::Context;
use ferry::sign::{PASSWORD_ENV, TRUSTED_KEYS_DIR, TRUSTED_KEYS_ENV, TrustedKeys};

fn var(key: &str) -> Option<PathBuf> {
    std::env::var_os(key)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads the environment once, for a command run with `--quiet` or not.
pub fn from_env(quiet: bool) -> Result<Context, Error> {
    Ok(Context {
        temp_dir: std::env::temp_dir(),
        go: var("FERRY_GO").unwrap_or_else(|| PathBuf::from("go")),
        source_date_epoch: source_date_epoch()?,
        docker_config: var("DOCKER_CONFIG").or_else(|| var("HOME").map(|h| h.join(".docker"))),
        module_cache: module_cache(),
        password: Box::new(password),
        progress: crate::progress::for_run(quiet),
    })
}

fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH={s:?} is not a number of seconds"
            ))
        }),
        _ => Ok(None),
    }
}

/// The module download cache as Go finds it: `$GOMODCACHE`, else the first
/// `$GOPATH` entry's pkg/mod, else `~/go/pkg/mod`; `None` when it does not exist.
fn module_cache() -> Option<PathBuf> {
    let modcache = var("GOMODCACHE").or_else(|| {
        let gopath = var("GOPATH").and_then(|p| std::env::split_paths(&p).next());
        gopath
            .or_else(|| var("HOME").map(|h| h.join("go")))
            .map(|g| g.join("pkg/mod"))
    })?;
    Some(modcache.join("cache/download")).filter(|p| p.is_dir())
}

/// An encrypted key's password: `FERRY_KEY_PASSWORD`, else a prompt when
/// stdin is a terminal, else none (the library then refuses the key).
fn password(key: &Path) -> Option<String> {
    if let Ok(pw) = std::env::var(PASSWORD_ENV) {
        return Some(pw);
    }
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(format!("Password for {}: ", key.display())).ok()
}

/// The keys a reading command trusts: each `--pub`, else the folder
/// `$FERRY_TRUSTED_KEYS`, else `/etc/ferry/trusted.d/` when it exists.
pub fn trusted_keys(given: &[PathBuf]) -> Result<TrustedKeys, Error> {
    let sources = if !given.is_empty() {
        given.to_vec()
    } else if let Some(dir) = var(TRUSTED_KEYS_ENV) {
        vec![dir]
    } else {
        let dir = PathBuf::from(TRUSTED_KEYS_DIR);
        if dir.is_dir() { vec![dir] } else { Vec::new() }
    };
    Ok(TrustedKeys::load(&sources)?)
}
