//! What pack refuses about the repository's shape and what the offline build
//! could not honour, as typed errors carrying the paths and versions
//! involved, each saying what to do; all are exit 2 but an unreadable Go.

use std::path::PathBuf;

use crate::exit::{Classify, Exit};

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{} is not a module of the workspace {}: add it (`go work use {}`) or pack it alone with GOWORK=off", dir.display(), work.display(), dir.display())]
    NotInWorkspace { dir: PathBuf, work: PathBuf },
    #[error("{what} {rel}: an absolute folder cannot travel in a bundle; make it relative to {}", base.display())]
    AbsoluteFolder {
        what: String,
        rel: String,
        base: PathBuf,
    },
    #[error("{what} {rel}: {}: {source}", path.display())]
    NoFolder {
        what: String,
        rel: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} {rel}: {} is reached through a symbolic link (it is really {}); ferry carries real folders only: replace the link with the folder", path.display(), real.display())]
    ThroughSymlink {
        what: String,
        rel: String,
        path: PathBuf,
        real: PathBuf,
    },
    #[error("{what}: {} is outside the repository root {} (the git work tree of DIR): ferry carries only folders inside it; move the module there, or publish it and require it by version", folder.display(), top.display())]
    OutsideRepository {
        what: String,
        folder: PathBuf,
        top: PathBuf,
    },
    #[error(
        "`go env GOVERSION` says {version:?}, which is no Go version ferry can compare with go.mod's go and toolchain lines"
    )]
    GoVersionUnreadable { version: String },
    #[error("{}: `{verb} {value}` needs {need}, newer than the Go that packs ({have}): install {need} or later, or let go fetch it with GOTOOLCHAIN={need} (ferry passes GOTOOLCHAIN to go when it packs); nothing was written", file.display())]
    GoTooNew {
        file: PathBuf,
        verb: &'static str,
        value: String,
        need: String,
        have: String,
    },
    #[error("a required module has no go.sum line, so nothing can prove its code; nothing was written:\n{}", missing.join("\n"))]
    MissingSums { missing: Vec<String> },
}

impl Classify for Refusal {
    fn exit(&self) -> Exit {
        match self {
            Refusal::GoVersionUnreadable { .. } => Exit::CouldNotRun,
            _ => Exit::Usage,
        }
    }
}
