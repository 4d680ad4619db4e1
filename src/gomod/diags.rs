//! Findings of the Go verification: each names the module, its version, the
//! file, and the expected and actual hash, so that a reviewer can act on it.

use std::fmt;

use serde::Serialize;

/// One failed Go check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub module: String,
    pub version: String,
    pub file: String,
    pub problem: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
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
#[error("{} Go verification problem(s):\n{}", .0.len(), list(.0))]
pub struct Findings(pub Vec<Finding>);

fn list(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}
