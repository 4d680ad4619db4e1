//! Exit codes of the contract (README.md, "Exit codes"), how each layer's
//! errors map to them, and how serious a diagnostic is.
//! Every error type of the library says which class it belongs to, so the binary
//! never guesses from message text.

/// The process exit status classes shared by every subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything checked out.
    Ok = 0,
    /// A check failed: tampering, mismatch, drift, bad signature.
    CheckFailed = 1,
    /// The command line or its inputs were not usable as given.
    Usage = 2,
    /// The tool could not run: no `go`, network, I/O.
    CouldNotRun = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Implemented by every error type of the library.
pub trait Classify {
    fn exit(&self) -> Exit;
}

/// How serious a diagnostic is: an error fails its check (exit 1), a
/// warning is reported and never changes the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[cfg(test)]
mod tests {
    /// docs/diagnostics.md documents every code a user can meet.
    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../docs/diagnostics.md");
        let codes = crate::bundle::diags::Code::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(crate::gomod::diags::Code::ALL.iter().map(|c| c.as_str()))
            .chain(crate::build::warnings::Code::ALL.iter().map(|c| c.as_str()))
            .chain(crate::sign::approvals::Status::ALL)
            .chain(crate::bundle::parts::Code::ALL.iter().map(|c| c.as_str()));
        for code in codes {
            assert!(
                doc.contains(&format!("| `{code}` |")),
                "docs/diagnostics.md does not list `{code}`"
            );
        }
    }
}
