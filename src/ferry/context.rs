//! The one place ferry reads its environment: temporary folder, the `go`
//! command and the user's `GOTOOLCHAIN`, the `govulncheck` command, `SOURCE_DATE_EPOCH`, registry credentials, the module cache,
//! the key password, approver keys, and whether stderr is a terminal. The library gets
//! what is read here as an `ops::Context`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use ferry::Error;
use ferry::ops::Context;
use ferry::ops::approvals::Quorum;
use ferry::sign::approvals::{APPROVERS_DIR, APPROVERS_ENV, ApprovalError};
use ferry::sign::{PASSWORD_ENV, SignError, TRUSTED_KEYS_DIR, TRUSTED_KEYS_ENV, TrustedKeys};

use crate::flags::ApprovalArgs;

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
        go_toolchain: std::env::var("GOTOOLCHAIN").ok().filter(|v| !v.is_empty()),
        govulncheck: var("FERRY_GOVULNCHECK").unwrap_or_else(govulncheck),
        source_date_epoch: source_date_epoch()?,
        docker_config: var("DOCKER_CONFIG").or_else(|| var("HOME").map(|h| h.join(".docker"))),
        module_cache: module_cache(),
        password: Box::new(password),
        progress: crate::progress::for_run(quiet),
        approvals: Quorum::default(),
        base: None,
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

/// govulncheck where `go install` puts it: on PATH, else `$GOBIN`, else the
/// first `$GOPATH` entry's bin, else `~/go/bin`; the bare name (an error
/// naming it when run) when none holds it.
fn govulncheck() -> PathBuf {
    let on_path = var("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("govulncheck"))
            .find(|f| f.is_file())
    });
    let gopath_bin = var("GOPATH")
        .and_then(|p| std::env::split_paths(&p).next())
        .or_else(|| var("HOME").map(|h| h.join("go")))
        .map(|g| g.join("bin"));
    on_path
        .or_else(|| {
            [var("GOBIN"), gopath_bin]
                .into_iter()
                .flatten()
                .map(|d| d.join("govulncheck"))
                .find(|f| f.is_file())
        })
        .unwrap_or_else(|| PathBuf::from("govulncheck"))
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
    Ok(TrustedKeys::load(&key_sources(
        given,
        TRUSTED_KEYS_ENV,
        TRUSTED_KEYS_DIR,
    ))?)
}

/// The approvals a command requires and whose count: each `--approver`,
/// else the folder `$FERRY_APPROVERS`, else `/etc/ferry/approvers.d/` when
/// it exists. With none, approvals are listed unchecked, and requiring any
/// is a usage error that says how to give an approver key.
pub fn approvals(args: &ApprovalArgs) -> Result<Quorum, Error> {
    let required = args.require_approvals;
    let sources = key_sources(&args.approver, APPROVERS_ENV, APPROVERS_DIR);
    let approvers = match TrustedKeys::load(&sources) {
        Ok(keys) => Some(keys),
        Err(SignError::NoTrustedKey { .. }) if required == 0 => None,
        Err(SignError::NoTrustedKey { .. }) => {
            return Err(ApprovalError::NoApprovers { required }.into());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Quorum {
        required,
        approvers,
    })
}

/// Where keys come from: those given, else the folder `env` names, else
/// `dir` when it exists.
fn key_sources(given: &[PathBuf], env: &str, dir: &str) -> Vec<PathBuf> {
    if !given.is_empty() {
        given.to_vec()
    } else if let Some(dir) = var(env) {
        vec![dir]
    } else {
        let dir = PathBuf::from(dir);
        if dir.is_dir() { vec![dir] } else { Vec::new() }
    }
}
