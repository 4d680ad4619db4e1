//! Go versions as go.mod lines, toolchain names and `go env GOVERSION` spell
//! them (`1.22`, `1.22.3`, `go1.26.8`, `go1.23rc1`), compared numerically.

use std::fmt;

/// A Go version as `(major, minor, patch)`, from `1.22`, `1.22.3` or `go1.26.8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion(pub u32, pub u32, pub u32);

impl GoVersion {
    pub fn parse(s: &str) -> Option<GoVersion> {
        let s = s.trim().trim_start_matches("go");
        // "1.23rc1" and "1.26.8 X:foo" carry more than numbers: stop at them.
        let s = s
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .next()?;
        let mut parts = s.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(GoVersion(major, minor, patch))
    }

    /// Language version: major and minor only.
    pub fn language(self) -> (u32, u32) {
        (self.0, self.1)
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}.{}.{}", self.0, self.1, self.2)
    }
}
