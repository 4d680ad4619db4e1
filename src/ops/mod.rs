//! The operations, one per command: each composes the domain modules into
//! what the user asked for and returns data for the binary to print. What the
//! environment and the terminal say reaches them as a [`Context`], read once
//! by the binary: nothing below this layer reads either.

pub mod approvals;
pub mod audit;
pub mod build;
pub mod delta;
pub mod diff;
pub mod images;
pub mod modules;
pub mod pack;
pub mod split;
pub mod target;
pub mod unpack;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::gomod::toolchain::Go;
use crate::progress::Progress;

/// Answers the password of an encrypted secret key, or none.
pub type Password = dyn Fn(&Path) -> Option<String> + Sync;

/// What the binary found out about the world before running a command.
pub struct Context {
    /// Where private temporaries go (`$TMPDIR`, else `/tmp`).
    pub temp_dir: PathBuf,
    /// The `go` command: `$FERRY_GO`, else `go` on PATH.
    pub go: PathBuf,
    /// The user's `GOTOOLCHAIN`, honoured on the connected side only: pack
    /// runs the Go it selects (which go may fetch); every other command, and
    /// every build, runs the local Go.
    pub go_toolchain: Option<String>,
    /// The `govulncheck` command: `$FERRY_GOVULNCHECK`, else `govulncheck`
    /// on PATH, else in Go's bin folder.
    pub govulncheck: PathBuf,
    /// `SOURCE_DATE_EPOCH`, for the manifest's and the zip's times.
    pub source_date_epoch: Option<i64>,
    /// The folder of Docker's `config.json` (registry credentials).
    pub docker_config: Option<PathBuf>,
    /// The module download cache Go would use (`$GOMODCACHE/cache/download`),
    /// when it exists: the default of `audit DIR`.
    pub module_cache: Option<PathBuf>,
    /// The password of an encrypted secret key, asked only when one is.
    pub password: Box<Password>,
    /// Progress bars, drawn or not as the binary decided.
    pub progress: Box<dyn Progress>,
    /// The reviewer approvals a bundle needs (`--require-approvals`,
    /// `--approver`, `FERRY_APPROVERS`): checked wherever a bundle is read.
    pub approvals: approvals::Quorum,
    /// The base a delta bundle is read against (`--base OLD`).
    pub base: Option<PathBuf>,
}

/// A Go text file of `tree` (`go.sum`, `vendor/modules.txt`), empty when it
/// does not exist; any other failure to read it is an error.
/// The `GOOS`/`GOARCH` an image platform (`linux/arm64/v8`) builds for.
pub(crate) fn target_of(platform: &str) -> Result<crate::dockerfile::Target, Error> {
    let p = crate::image::manifest::Platform::parse(platform)?;
    Ok(crate::dockerfile::Target {
        os: p.os,
        arch: p.architecture,
    })
}

pub(crate) fn read_go_text(tree: &Path, name: &str) -> Result<String, Error> {
    let path = tree.join(name);
    let text = crate::fsutil::read_text_if_exists(&path).map_err(Error::io(&path))?;
    Ok(text.unwrap_or_default())
}

/// The folder that will hold `path`, which must exist (`what` says whose it is).
pub(crate) fn existing_parent<'a>(path: &'a Path, what: &str) -> Result<&'a Path, Error> {
    let dir = crate::fsutil::parent_dir(path);
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: no such folder {what}",
            dir.display()
        )));
    }
    Ok(dir)
}

impl Context {
    /// The located `go` and its version.
    pub fn go(&self) -> Result<Go, Error> {
        Ok(Go::locate(&self.go)?)
    }

    /// The Go that packs the module at `dir`: the one the user's
    /// `GOTOOLCHAIN` selects there, run from its own GOROOT thereafter.
    pub fn go_for(&self, dir: &Path) -> Result<Go, Error> {
        match self.go_toolchain.as_deref() {
            None | Some("local") => self.go(),
            Some(choice) => Ok(Go::locate_selected(&self.go, choice, dir)?),
        }
    }

    /// A new private folder under the temporary folder, named for `kind`.
    pub fn temp(&self, kind: &str) -> Result<tempfile::TempDir, Error> {
        crate::temp::dir_in(kind, &self.temp_dir).map_err(Error::io(&self.temp_dir))
    }
}
