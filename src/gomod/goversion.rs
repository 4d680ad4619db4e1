//! Go versions as go.mod lines, toolchain names and `go env GOVERSION` spell
//! them (`1.22`, `1.22.3`, `go1.26.8`, `go1.23rc1`), ordered as Go's own
//! `go/version` orders them: `1.22` < `1.22beta1` < `1.22rc1` < `1.22.0`.

use std::fmt;

/// Where a version sits within its minor release, in Go's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// `1.22`: the language version, older than any release of it.
    Language,
    Beta,
    Rc,
    /// `1.22.0` and its patches.
    Release,
}

/// A Go version: major, minor, stage, and the patch (or beta/rc number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion(pub u32, pub u32, pub Stage, pub u32);

impl GoVersion {
    /// The release `major.minor.patch`.
    pub const fn release(major: u32, minor: u32, patch: u32) -> GoVersion {
        GoVersion(major, minor, Stage::Release, patch)
    }

    /// Reads `1.22`, `1.22.3`, `1.22rc1`, `go1.26.8` (anything after the
    /// version, as in `go1.26.8 X:foo`, is ignored); `None` for the rest,
    /// `devel` builds among them.
    pub fn parse(s: &str) -> Option<GoVersion> {
        let s = s.trim().strip_prefix("go").unwrap_or(s.trim());
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .unwrap_or(s.len());
        let s = &s[..end];
        let (major, rest) = s.split_once('.').unwrap_or((s, ""));
        let major = major.parse().ok()?;
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let minor = match &rest[..digits] {
            "" => 0,
            m => m.parse().ok()?,
        };
        let (stage, n) = match &rest[digits..] {
            "" => (Stage::Language, 0),
            tail => match tail.strip_prefix('.') {
                Some(p) => (Stage::Release, leading_number(p)?),
                None if tail.starts_with("rc") => (Stage::Rc, leading_number(&tail[2..])?),
                None if tail.starts_with("beta") => (Stage::Beta, leading_number(&tail[4..])?),
                None => return None,
            },
        };
        Some(GoVersion(major, minor, stage, n))
    }

    /// Language version: major and minor only.
    pub fn language(self) -> (u32, u32) {
        (self.0, self.1)
    }
}

fn leading_number(s: &str) -> Option<u32> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let GoVersion(major, minor, stage, n) = *self;
        match stage {
            Stage::Language => write!(f, "go{major}.{minor}"),
            Stage::Beta => write!(f, "go{major}.{minor}beta{n}"),
            Stage::Rc => write!(f, "go{major}.{minor}rc{n}"),
            Stage::Release => write!(f, "go{major}.{minor}.{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_go_does() {
        let v = |s: &str| GoVersion::parse(s).unwrap();
        let ordered = [
            "1.21",
            "1.21rc1",
            "1.21rc2",
            "1.21.0",
            "1.21.3",
            "1.22",
            "1.22beta1",
            "1.22rc1",
            "go1.22.0",
            "go1.26.8 X:foo",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert!(v("1.20") < GoVersion::release(1, 20, 0));
        assert_eq!(v("go1.23rc1").to_string(), "go1.23rc1");
        assert_eq!(v("1.22").to_string(), "go1.22");
        assert!(GoVersion::parse("devel go1.27-abcdef").is_none());
        assert!(GoVersion::parse("1.22x").is_none());
    }
}
