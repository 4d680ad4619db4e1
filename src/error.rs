//! The library's one public error: each pipeline layer's error, wrapped, so the
//! binary maps any failure to its exit code by asking it, not by reading text.

use std::path::PathBuf;

use crate::audit::reach::ReachError;
use crate::audit::vulns::VulnDbError;
use crate::build::BuildError;
use crate::bundle::diags::BundleError;
use crate::bundle::writer::WriteError;
use crate::exit::{Classify, Exit};
use crate::gomod::ParseError;
use crate::gomod::check::CheckError;
use crate::gomod::diags::Findings;
use crate::gomod::dirhash::DirhashError;
use crate::gomod::proxy::ExportError;
use crate::gomod::toolchain::ToolchainError;
use crate::image::ImageError;
use crate::ops::pack::refusal::Refusal;
use crate::sign::SignError;
use crate::sign::approvals::ApprovalError;
use crate::source::SourceError;
use crate::vcs::VcsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Findings(#[from] Findings),
    #[error(transparent)]
    Dirhash(#[from] DirhashError),
    #[error(transparent)]
    GoCheck(#[from] CheckError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    VulnDb(#[from] VulnDbError),
    #[error(transparent)]
    Reach(#[from] ReachError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Vcs(#[from] VcsError),
    /// Boxed: the refusals carry paths and versions, and errors stay small.
    #[error(transparent)]
    Refused(Box<Refusal>),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(Box::new(r))
    }
}

impl Classify for Error {
    fn exit(&self) -> Exit {
        match self {
            Error::Sign(e) => e.exit(),
            Error::Approval(e) => e.exit(),
            Error::Bundle(e) => e.exit(),
            Error::Write(e) => e.exit(),
            Error::Source(e) => e.exit(),
            Error::Toolchain(e) => e.exit(),
            Error::Parse(_) | Error::Findings(_) => Exit::CheckFailed,
            Error::Dirhash(DirhashError::Io { .. }) | Error::Io { .. } => Exit::CouldNotRun,
            Error::Dirhash(_) => Exit::CheckFailed,
            Error::GoCheck(CheckError::Io { .. }) => Exit::CouldNotRun,
            Error::GoCheck(_) => Exit::CheckFailed,
            Error::Image(e) => e.exit(),
            Error::Build(e) => e.exit(),
            Error::VulnDb(e) => e.exit(),
            Error::Reach(e) => e.exit(),
            Error::Export(e) => e.exit(),
            Error::Vcs(_) => Exit::CouldNotRun,
            Error::Refused(e) => e.exit(),
            Error::Usage(_) => Exit::Usage,
        }
    }
}
