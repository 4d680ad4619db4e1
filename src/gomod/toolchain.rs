//! Running the `go` command: locating it, reading `go env`, and the module
//! commands of the pack pipeline. The toolchain never upgrades itself here
//! (`GOTOOLCHAIN=local`): a pack must use the Go that the engineer installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

use super::goversion::GoVersion;
use crate::exit::{Classify, Exit};

/// The oldest Go ferry drives: GOTOOLCHAIN and today's vendor/modules.txt.
pub const MINIMUM: GoVersion = GoVersion::release(1, 21, 0);

#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    #[error(
        "no usable `go` command ({reason}): install Go 1.21 or later and put its bin/ on PATH, or set FERRY_GO"
    )]
    NotFound { reason: String },
    #[error("GOTOOLCHAIN={choice}: go could not run the toolchain it names: {reason}")]
    Selected { choice: String, reason: String },
    #[error("`{cmd}` in {dir} failed ({status}):\n{stderr}")]
    Failed {
        cmd: String,
        dir: PathBuf,
        status: String,
        stderr: String,
        /// The failure is Go reporting a hash mismatch, not an inability to run.
        check: bool,
    },
    #[error("`{cmd}` printed output ferry cannot read: {reason}")]
    BadOutput { cmd: String, reason: String },
}

impl Classify for ToolchainError {
    fn exit(&self) -> Exit {
        match self {
            ToolchainError::Failed { check: true, .. } => Exit::CheckFailed,
            _ => Exit::CouldNotRun,
        }
    }
}

/// One module as `go mod download -json` reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Download {
    pub path: String,
    pub version: String,
    #[serde(default)]
    pub info: Option<PathBuf>,
    #[serde(default)]
    pub go_mod: Option<PathBuf>,
    #[serde(default)]
    pub zip: Option<PathBuf>,
    #[serde(default)]
    pub sum: Option<String>,
    #[serde(default)]
    pub go_mod_sum: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A located `go` command and its version.
#[derive(Debug, Clone)]
pub struct Go {
    pub program: PathBuf,
    /// As `go env GOVERSION` prints it, e.g. `go1.26.8`.
    pub version: String,
    /// `GOWORK` for every command (a go.work, or `off`); `None` inherits it.
    pub work: Option<std::ffi::OsString>,
}

impl Go {
    /// Asks `program` (a path, or a name looked up on PATH) its version.
    pub fn locate(program: &Path) -> Result<Go, ToolchainError> {
        let mut go = Go {
            program: program.to_path_buf(),
            version: String::new(),
            work: None,
        };
        let out = go
            .command(Path::new("."))
            .args(["env", "GOVERSION"])
            .output()
            .map_err(|e| ToolchainError::NotFound {
                reason: format!("{}: {e}", go.program.display()),
            })?;
        if !out.status.success() {
            let reason = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(ToolchainError::NotFound { reason });
        }
        go.version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        match GoVersion::parse(&go.version) {
            Some(v) if v >= MINIMUM => Ok(go),
            _ => Err(ToolchainError::NotFound {
                reason: format!(
                    "{} is {}, older than go{}.{} (or unreadable)",
                    go.program.display(),
                    go.version,
                    MINIMUM.0,
                    MINIMUM.1
                ),
            }),
        }
    }

    /// The Go that `GOTOOLCHAIN=choice` selects in `dir` (go may download
    /// it), located by its GOROOT so that every later command runs it as
    /// the local toolchain.
    pub fn locate_selected(program: &Path, choice: &str, dir: &Path) -> Result<Go, ToolchainError> {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir)
            .env("GOTOOLCHAIN", choice)
            .args(["env", "GOROOT"]);
        let out = cmd.output().map_err(|e| ToolchainError::NotFound {
            reason: format!("{}: {e}", program.display()),
        })?;
        if !out.status.success() {
            let reason = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(ToolchainError::Selected {
                choice: choice.to_string(),
                reason,
            });
        }
        let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        Go::locate(&root.join("bin/go"))
    }

    /// A `go` command in `dir` that cannot switch toolchains.
    pub fn command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        // go takes its working folder from $PWD when that names the same
        // folder: set it, so the paths go reports start with `dir` as given,
        // not with whatever way (a symlink) the user's shell got there.
        cmd.current_dir(dir)
            .env("PWD", dir)
            .env("GOTOOLCHAIN", "local");
        if let Some(work) = &self.work {
            cmd.env("GOWORK", work);
        }
        cmd
    }

    /// `go env NAME` in `dir`.
    pub fn env(&self, dir: &Path, name: &str) -> Result<String, ToolchainError> {
        let out = self.run(self.command(dir).args(["env", name]), dir, false)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// `go mod download -json`: fills the module cache with the build list.
    pub fn mod_download(&self, dir: &Path) -> Result<Vec<Download>, ToolchainError> {
        let mut cmd = self.command(dir);
        cmd.env("GOFLAGS", self.mod_flags())
            .args(["mod", "download", "-json"]);
        let out = self.run(&mut cmd, dir, false)?;
        let stream = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Download>();
        let downloads =
            stream
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ToolchainError::BadOutput {
                    cmd: "go mod download -json".into(),
                    reason: e.to_string(),
                })?;
        if let Some(d) = downloads.iter().find(|d| d.error.is_some()) {
            return Err(ToolchainError::Failed {
                cmd: "go mod download -json".into(),
                dir: dir.to_path_buf(),
                status: format!("{}@{}", d.path, d.version),
                stderr: d.error.clone().unwrap_or_default(),
                check: false,
            });
        }
        Ok(downloads)
    }

    /// In a workspace: Go refuses `-mod=mod` there (and would read vendor/
    /// once it exists without `-mod=readonly`), and vendors with `go work`.
    fn in_workspace(&self) -> bool {
        self.work.as_ref().is_some_and(|w| w != "off")
    }

    fn mod_flags(&self) -> &'static str {
        match self.in_workspace() {
            true => "-mod=readonly",
            false => "-mod=mod",
        }
    }

    /// `go mod vendor` (`go work vendor` in a workspace): writes vendor/ and
    /// vendor/modules.txt.
    pub fn mod_vendor(&self, dir: &Path) -> Result<(), ToolchainError> {
        let mut cmd = self.command(dir);
        let tool = if self.in_workspace() { "work" } else { "mod" };
        cmd.env("GOFLAGS", self.mod_flags()).args([tool, "vendor"]);
        self.run(&mut cmd, dir, false).map(drop)
    }

    /// `go mod graph`: the requirement graph, from the module cache only.
    pub fn mod_graph(&self, dir: &Path) -> Result<String, ToolchainError> {
        let mut cmd = self.command(dir);
        cmd.env("GOFLAGS", self.mod_flags())
            .env("GOPROXY", "off")
            .args(["mod", "graph"]);
        let out = self.run(&mut cmd, dir, false)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `go mod verify`: Go's own check of the module cache against go.sum.
    pub fn mod_verify(&self, dir: &Path) -> Result<(), ToolchainError> {
        let mut cmd = self.command(dir);
        cmd.env("GOFLAGS", self.mod_flags()).args(["mod", "verify"]);
        self.run(&mut cmd, dir, true).map(drop)
    }

    /// `go list -m all`: loads the whole module graph, which puts the go.mod
    /// of every module in it (every `/go.mod` line of a tidy go.sum) in the
    /// module cache, whatever was there before.
    pub fn load_module_graph(&self, dir: &Path) -> Result<(), ToolchainError> {
        let mut cmd = self.command(dir);
        cmd.env("GOFLAGS", self.mod_flags())
            .args(["list", "-m", "all"]);
        self.run(&mut cmd, dir, false).map(drop)
    }

    /// Runs a prepared command; `check` marks a failure as a failed check.
    pub fn run(
        &self,
        cmd: &mut Command,
        dir: &Path,
        check: bool,
    ) -> Result<Output, ToolchainError> {
        let mut words = vec![std::borrow::Cow::Borrowed("go")];
        words.extend(cmd.get_args().map(|a| a.to_string_lossy()));
        let shown = crate::text::shell_line(&words);
        let out = cmd.output().map_err(|e| ToolchainError::NotFound {
            reason: format!("{}: {e}", self.program.display()),
        })?;
        if out.status.success() {
            return Ok(out);
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let check =
            check || stderr.contains("SECURITY ERROR") || stderr.contains("checksum mismatch");
        Err(ToolchainError::Failed {
            cmd: shown,
            dir: dir.to_path_buf(),
            status: out.status.to_string(),
            stderr,
            check,
        })
    }
}
