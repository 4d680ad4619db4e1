//! What a bundle check found: each problem has a stable [`Code`], names the
//! entry and, where it applies, what the manifest expected and what the
//! bundle holds. Text and JSON render from the same value.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::exit::{Classify, Exit, Severity};
use crate::sign::approvals::ApprovalReport;

/// What kind of bundle problem this is; the kebab-case name is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// Bytes before the first entry.
    PrefixData,
    /// The same name twice in the central directory.
    DuplicateName,
    /// The manifest's entry list is not sorted and unique.
    ManifestUnsorted,
    /// A local header disagrees with the central directory.
    HeaderMismatch,
    /// An entry's local header cannot be read.
    UnreadableHeader,
    /// Entries do not tile the file: a gap, an overlap or hidden data.
    EntryMisplaced,
    /// The central directory is not where the last entry ends.
    DirectoryMisplaced,
    /// Something other than the directory and the end records at the end.
    EndRecords,
    /// A name that is not a plain relative path.
    RefusedName,
    /// ferry.json and its signature are not the first two entries.
    FixedEntryMisplaced,
    /// An entry the manifest does not list.
    NotInManifest,
    /// A listed entry missing from the bundle (or the folder).
    Missing,
    /// A directory entry, symlink, device or other non-regular file.
    NotRegularFile,
    /// An encrypted entry.
    Encrypted,
    /// Compression other than stored or deflate.
    Compression,
    /// The declared (central directory) size differs from the manifest.
    DeclaredSize,
    /// A mode other than 0644/0755, or one that differs from the manifest.
    Mode,
    /// The entry's bytes cannot be read or inflated.
    Unreadable,
    /// The inflated size differs from the manifest.
    Size,
    /// The sha256 differs from the manifest.
    Sha256,
    /// A manifest field breaks its owner's rules.
    ManifestField,
    /// The manifest's module list is not what modules.txt and go.sum say.
    ManifestModules,
    /// Fewer valid reviewer approvals than `--require-approvals` asks.
    ApprovalsMissing,
    NeedsBase,
    FromBaseCarried,
    /// vulndb/ cannot be read as OSV advisories, or hides characters.
    VulndbText,
    /// vulns.json is not the record pack writes.
    VulnsRecord,
    /// vulns.json names another scanner than the one ferry runs.
    VulnsScanner,
    /// vulns.json scanned another build than the manifest's.
    VulnsBuild,
    /// vulns.json's database date is not vulndb/'s.
    VulnsDatabase,
    /// A finding's module version is not the manifest's.
    VulnsVersion,
    /// A finding for an advisory vulndb/ does not hold.
    VulnsUnknownAdvisory,
    /// An advisory of vulndb/ matches a module version; vulns.json has no finding.
    VulnsMissingFinding,
    /// A Go verification finding, by its own code.
    Go(crate::gomod::diags::Code),
}

impl Code {
    /// Every bundle code but `Go(_)`, in the order docs/diagnostics.md lists them.
    pub const ALL: [Code; 33] = [
        Code::PrefixData,
        Code::DuplicateName,
        Code::ManifestUnsorted,
        Code::HeaderMismatch,
        Code::UnreadableHeader,
        Code::EntryMisplaced,
        Code::DirectoryMisplaced,
        Code::EndRecords,
        Code::RefusedName,
        Code::FixedEntryMisplaced,
        Code::NotInManifest,
        Code::Missing,
        Code::NotRegularFile,
        Code::Encrypted,
        Code::Compression,
        Code::DeclaredSize,
        Code::Mode,
        Code::Unreadable,
        Code::Size,
        Code::Sha256,
        Code::ManifestField,
        Code::ManifestModules,
        Code::ApprovalsMissing,
        Code::NeedsBase,
        Code::FromBaseCarried,
        Code::VulndbText,
        Code::VulnsRecord,
        Code::VulnsScanner,
        Code::VulnsBuild,
        Code::VulnsDatabase,
        Code::VulnsVersion,
        Code::VulnsUnknownAdvisory,
        Code::VulnsMissingFinding,
    ];

    /// The stable name, as JSON and docs/diagnostics.md spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::PrefixData => "prefix-data",
            Code::DuplicateName => "duplicate-name",
            Code::ManifestUnsorted => "manifest-unsorted",
            Code::HeaderMismatch => "header-mismatch",
            Code::UnreadableHeader => "unreadable-header",
            Code::EntryMisplaced => "entry-misplaced",
            Code::DirectoryMisplaced => "directory-misplaced",
            Code::EndRecords => "end-records",
            Code::RefusedName => "refused-name",
            Code::FixedEntryMisplaced => "fixed-entry-misplaced",
            Code::NotInManifest => "not-in-manifest",
            Code::Missing => "missing",
            Code::NotRegularFile => "not-regular-file",
            Code::Encrypted => "encrypted",
            Code::Compression => "compression",
            Code::DeclaredSize => "declared-size",
            Code::Mode => "mode",
            Code::Unreadable => "unreadable",
            Code::Size => "size",
            Code::Sha256 => "sha256",
            Code::ManifestField => "manifest-field",
            Code::ManifestModules => "manifest-modules",
            Code::ApprovalsMissing => "approvals-missing",
            Code::NeedsBase => "needs-base",
            Code::FromBaseCarried => "from-base-carried",
            Code::VulndbText => "vulndb-text",
            Code::VulnsRecord => "vulns-record",
            Code::VulnsScanner => "vulns-scanner",
            Code::VulnsBuild => "vulns-build",
            Code::VulnsDatabase => "vulns-database",
            Code::VulnsVersion => "vulns-version",
            Code::VulnsUnknownAdvisory => "vulns-unknown-advisory",
            Code::VulnsMissingFinding => "vulns-missing-finding",
            Code::Go(go) => go.as_str(),
        }
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed check on one entry (or on the archive as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: Code,
    pub severity: Severity,
    pub entry: String,
    pub problem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Problem {
    pub fn new(code: Code, entry: impl Into<String>, problem: impl Into<String>) -> Self {
        Problem {
            code,
            severity: Severity::Error,
            entry: entry.into(),
            problem: problem.into(),
            expected: None,
            actual: None,
        }
    }

    pub fn mismatch(
        code: Code,
        entry: &str,
        problem: &str,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> Self {
        Problem {
            code,
            severity: Severity::Error,
            entry: entry.into(),
            problem: problem.into(),
            expected: Some(expected.to_string()),
            actual: Some(actual.to_string()),
        }
    }
}

impl From<&crate::bundle::fields::FieldProblem> for Problem {
    fn from(f: &crate::bundle::fields::FieldProblem) -> Problem {
        let mut p = Problem::new(Code::ManifestField, super::MANIFEST, f.to_string());
        p.actual = Some(f.value.clone());
        p
    }
}

/// A manifest whose fields break their owners' rules, as a rejection
/// report: read as input, it is refused before anything is written.
pub fn fields_report(bundle: &str, problems: &[crate::bundle::fields::FieldProblem]) -> Report {
    Report {
        bundle: bundle.to_string(),
        checks: vec![Check {
            check: CheckName::Fields,
            ok: false,
            detail: format!("{} manifest field(s) break their rules", problems.len()),
        }],
        problems: problems.iter().map(Problem::from).collect(),
        ..Report::default()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.problem)?;
        match (&self.expected, &self.actual) {
            (Some(e), Some(a)) => write!(f, " (expected {e}, actual {a})"),
            (Some(e), None) => write!(f, " (expected {e})"),
            _ => Ok(()),
        }
    }
}

/// The checks a bundle read runs, named as `verify --json` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckName {
    Signature,
    Layout,
    Entries,
    Fields,
    Go,
    Approvals,
    Parts,
    Vulns,
    Base,
}

/// One check that ran, for `verify --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: CheckName,
    pub ok: bool,
    pub detail: String,
}

/// The outcome of reading a bundle: who signed what, what ran, what failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub bundle: String,
    pub module: Option<String>,
    pub version: Option<String>,
    pub trusted_comment: Option<String>,
    /// The trusted key that signed it.
    pub key_id: Option<String>,
    pub entries: usize,
    pub bytes: u64,
    pub checks: Vec<Check>,
    pub problems: Vec<Problem>,
    /// The reviewer approvals beside the bundle, when there are any or some
    /// were required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalReport>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A bundle that could not be read, or was read and rejected.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a readable ferry bundle: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path}: not an unpacked bundle folder (no ferry.json)")]
    NotUnpacked { path: String },
    #[error("{path}: {source}")]
    Signature {
        path: String,
        source: crate::sign::SignError,
    },
    #[error(transparent)]
    Parts(#[from] crate::bundle::parts::PartsError),
    #[error("{given} is not the base of {path}: it is {actual}; the delta needs {expected}")]
    WrongBase {
        path: String,
        given: String,
        expected: String,
        actual: String,
    },
    #[error("{} rejected: {} problem(s)\n{}", .0.bundle, .0.problems.len(), crate::text::indented(&.0.problems))]
    Rejected(Box<Report>),
}

impl Classify for BundleError {
    fn exit(&self) -> Exit {
        match self {
            BundleError::Io { .. } => Exit::CouldNotRun,
            BundleError::NotUnpacked { .. } => Exit::Usage,
            BundleError::Signature { source, .. } => source.exit(),
            BundleError::Parts(e) => e.exit(),
            BundleError::WrongBase { .. } => Exit::CheckFailed,
            BundleError::Unreadable { .. } | BundleError::Rejected(_) => Exit::CheckFailed,
        }
    }
}
