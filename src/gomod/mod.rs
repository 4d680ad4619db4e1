//! The Go module side of ferry: parsers for go.mod, go.sum and vendor/modules.txt,
//! the dirhash `h1:` algorithm, module path escaping, the `go` tool runner, and
//! the Go verification (`check`). Parsers are pure functions from text to typed
//! values; I/O stays at the edges.

pub mod check;
pub mod consistency;
pub mod constraint;
pub mod diags;
pub mod dirhash;
pub mod embed;
pub mod escape;
pub mod gosum;
pub mod gosyntax;
pub mod goversion;
pub mod modcache;
pub mod modfile;
pub mod module_rules;
pub mod modules_txt;
pub mod modzip;
pub mod proxy;
pub mod semver;
pub mod toolchain;
pub mod vendor_rules;
pub mod workfile;
pub mod zip_proof;

/// A malformed line in one of Go's text files, named by file and line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        ParseError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}
