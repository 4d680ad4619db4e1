//! What a bundle check found: each problem names the entry and, where it
//! applies, what the manifest expected and what the bundle holds.

use std::fmt;

use serde::Serialize;

use crate::exit::{Classify, Exit};

/// One failed check on one entry (or on the archive as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub entry: String,
    pub problem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Problem {
    pub fn new(entry: impl Into<String>, problem: impl Into<String>) -> Self {
        Problem {
            entry: entry.into(),
            problem: problem.into(),
            expected: None,
            actual: None,
        }
    }

    pub fn mismatch(
        entry: &str,
        problem: &str,
        expected: impl fmt::Display,
        actual: impl fmt::Display,
    ) -> Self {
        Problem {
            entry: entry.into(),
            problem: problem.into(),
            expected: Some(expected.to_string()),
            actual: Some(actual.to_string()),
        }
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

/// One check that ran, for `verify --json`.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: &'static str,
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
    pub entries: usize,
    pub bytes: u64,
    pub checks: Vec<Check>,
    pub problems: Vec<Problem>,
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
    #[error("{path}: {source}")]
    Signature {
        path: String,
        source: crate::sign::SignError,
    },
    #[error("{} rejected: {} problem(s)\n{}", .0.bundle, .0.problems.len(), list(&.0.problems))]
    Rejected(Box<Report>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Classify for BundleError {
    fn exit(&self) -> Exit {
        match self {
            BundleError::Io { .. } => Exit::CouldNotRun,
            BundleError::Signature { source, .. } => source.exit(),
            BundleError::Unreadable { .. } | BundleError::Rejected(_) => Exit::CheckFailed,
        }
    }
}
