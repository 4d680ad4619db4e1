//! Findings of the Go verification: each names the module, its version, the
//! file, and the expected and actual hash, so that a reviewer can act on it,
//! and carries a stable [`Code`] that scripts and docs/diagnostics.md rely on.

use std::fmt;

use serde::Serialize;

use crate::exit::Severity;

/// What kind of Go finding this is; the kebab-case name is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// go.mod requires modules but vendor/modules.txt is absent.
    NoModulesTxt,
    /// A requirement differs between go.mod and modules.txt, or is not `## explicit`.
    RequirementDrift,
    /// A replacement differs between go.mod and modules.txt.
    ReplacementDrift,
    /// modules.txt lists a package with no folder in vendor/.
    PackageFolderMissing,
    /// vendor/ holds a folder of Go files that modules.txt does not list.
    PackageUnlisted,
    /// modules.txt lists one package under two modules.
    PackageListedTwice,
    /// A vendored file belongs to no module of modules.txt.
    FileWithoutModule,
    /// A module zip or go.mod does not hash to its go.sum line.
    GoSumMismatch,
    /// go.sum has no line for a module zip.
    GoSumMissing,
    /// A module `go mod download` reported has no zip.
    ZipNotDownloaded,
    /// A vendored file is not in its module.
    FileNotInModule,
    /// A vendored file differs from its module's file.
    FileDiffers,
    /// A vendored file is in its module, but `go mod vendor` does not copy it.
    FileNotCopiedByGo,
    /// A file `go mod vendor` copies is missing from vendor/.
    FileMissing,
    /// A module's files could not be bound (no zip, no local folder): never a pass.
    NotChecked,
    /// A proof lacks a file whose content decides what `go mod vendor` copies.
    ProofIncomplete,
    /// A proof of a module zip that no vendored module needs.
    ProofUnbound,
    /// An entry below proofs/ that is no part of a proof.
    ProofStray,
    /// go.work uses (or replaces by) a folder that is absolute, leads out of
    /// src/, or has no go.mod.
    WorkspaceUse,
    /// go.work or a main module's go.mod differs from the manifest's
    /// module.path, module.workspace, or a go.work is there with no workspace declared.
    WorkspaceMismatch,
    /// A main module claims a vendored dependency's path or packages.
    WorkspaceShadows,
    /// go.sum files give two hashes for one module zip or go.mod.
    GoSumConflict,
}

impl Code {
    /// Every code, in the order docs/diagnostics.md lists them.
    pub const ALL: [Code; 22] = [
        Code::NoModulesTxt,
        Code::RequirementDrift,
        Code::ReplacementDrift,
        Code::PackageFolderMissing,
        Code::PackageUnlisted,
        Code::PackageListedTwice,
        Code::FileWithoutModule,
        Code::GoSumMismatch,
        Code::GoSumMissing,
        Code::ZipNotDownloaded,
        Code::FileNotInModule,
        Code::FileDiffers,
        Code::FileNotCopiedByGo,
        Code::FileMissing,
        Code::NotChecked,
        Code::ProofIncomplete,
        Code::ProofUnbound,
        Code::ProofStray,
        Code::WorkspaceUse,
        Code::WorkspaceMismatch,
        Code::WorkspaceShadows,
        Code::GoSumConflict,
    ];

    /// The stable name, as JSON and docs/diagnostics.md spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NoModulesTxt => "no-modules-txt",
            Code::RequirementDrift => "requirement-drift",
            Code::ReplacementDrift => "replacement-drift",
            Code::PackageFolderMissing => "package-folder-missing",
            Code::PackageUnlisted => "package-unlisted",
            Code::PackageListedTwice => "package-listed-twice",
            Code::FileWithoutModule => "file-without-module",
            Code::GoSumMismatch => "go-sum-mismatch",
            Code::GoSumMissing => "go-sum-missing",
            Code::ZipNotDownloaded => "zip-not-downloaded",
            Code::FileNotInModule => "file-not-in-module",
            Code::FileDiffers => "file-differs",
            Code::FileNotCopiedByGo => "file-not-copied-by-go",
            Code::FileMissing => "file-missing",
            Code::NotChecked => "not-checked",
            Code::ProofIncomplete => "proof-incomplete",
            Code::ProofUnbound => "proof-unbound",
            Code::ProofStray => "proof-stray",
            Code::WorkspaceUse => "workspace-use",
            Code::WorkspaceMismatch => "workspace-mismatch",
            Code::WorkspaceShadows => "workspace-shadows",
            Code::GoSumConflict => "go-sum-conflict",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed Go check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub module: String,
    pub version: String,
    pub file: String,
    pub problem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Finding {
    /// A finding with no hashes to show.
    pub fn new(
        code: Code,
        module: &str,
        version: &str,
        file: &str,
        problem: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity: Severity::Error,
            module: module.into(),
            version: version.into(),
            file: file.into(),
            problem: problem.into(),
            expected: None,
            actual: None,
        }
    }

    /// The same, with what was expected and what was found.
    pub fn hashes(mut self, expected: Option<String>, actual: Option<String>) -> Finding {
        self.expected = expected;
        self.actual = actual;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}: {}: {}",
            self.module, self.version, self.file, self.problem
        )?;
        if let Some(e) = &self.expected {
            write!(f, " (expected {e}")?;
            if let Some(a) = &self.actual {
                write!(f, ", actual {a}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// A list of findings, as the error of a check that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} Go verification problem(s):\n{}", .0.len(), crate::text::indented(.0))]
pub struct Findings(pub Vec<Finding>);
