//! What the code does with each vulnerable module, as govulncheck finds it on
//! the connected side: the vulnerable symbol is called (with one call path),
//! its package only imported, or its module only required. The govulncheck
//! run, its JSON stream read into findings, and the record a bundle carries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// How close the code comes to a vulnerability, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The module is in the build list; no vulnerable package is imported.
    Required,
    /// A vulnerable package is imported; no vulnerable symbol is called.
    Imported,
    /// A vulnerable symbol is called.
    Called,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Required => "module required",
            Level::Imported => "package imported",
            Level::Called => "symbol called",
        })
    }
}

/// One advisory's finding, at the closest level govulncheck saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub module: String,
    pub version: String,
    pub level: Level,
    /// The vulnerable symbol (`pkg.Func`, `pkg.Type.Method`), when called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// One call path, from the entry point to the vulnerable symbol, each
    /// step `pkg.Func (file:line)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub call_path: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
}

/// The build a scan looked at: govulncheck reads the files this build
/// compiles, so it must be the one ferry builds (pack's `--platform`,
/// `--cgo` and `--tags`), never the scanning shell's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanBuild {
    pub goos: String,
    pub goarch: String,
    pub cgo: bool,
    pub tags: Vec<String>,
}

impl ScanBuild {
    /// From a platform `os/arch` (`linux/amd64`; a variant after a second
    /// `/` is not Go's concern); `None` when it does not name both.
    pub fn new(platform: &str, cgo: bool, tags: &[String]) -> Option<ScanBuild> {
        let mut parts = platform.split('/');
        let (goos, goarch) = (parts.next()?, parts.next()?);
        let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (word(goos) && word(goarch)).then(|| ScanBuild {
            goos: goos.to_string(),
            goarch: goarch.to_string(),
            cgo,
            tags: tags.to_vec(),
        })
    }
}

impl std::fmt::Display for ScanBuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cgo = if self.cgo { 1 } else { 0 };
        write!(f, "{}/{} CGO_ENABLED={cgo}", self.goos, self.goarch)?;
        if !self.tags.is_empty() {
            write!(f, " -tags {}", self.tags.join(","))?;
        }
        Ok(())
    }
}

/// The one govulncheck whose output ferry reads and records: another
/// version's JSON or levels may differ, so any other is refused.
pub const SCANNER: &str = "govulncheck@v1.9.0";

/// What `vulns.json` in a bundle holds: the scan and its findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// `govulncheck@v1.9.0`, as the scanner named itself.
    pub scanner: String,
    pub go_version: String,
    /// The database's own date (its `index/db.json`).
    pub db_modified: Option<String>,
    /// The build scanned; absent in a record made before ferry wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<ScanBuild>,
    pub findings: Vec<Finding>,
}

impl Reach {
    /// The bytes a bundle carries: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// A bundle's `vulns.json` is input: none of its words may hide a
    /// control or invisible formatting character from the terminal that
    /// shows them.
    pub fn check_text(&self) -> Result<(), String> {
        let hidden = |s: &str| {
            s.chars()
                .any(|c| c.is_control() || crate::text::invisible_format(c))
        };
        let words = self.findings.iter().flat_map(|f| {
            [&f.id, &f.module, &f.version]
                .into_iter()
                .chain(f.symbol.iter())
                .chain(f.fixed.iter())
                .chain(f.call_path.iter())
        });
        let bad = [&self.scanner, &self.go_version]
            .into_iter()
            .chain(self.db_modified.iter())
            .chain(self.build.iter().flat_map(|b| [&b.goos, &b.goarch]))
            .chain(self.build.iter().flat_map(|b| b.tags.iter()))
            .chain(words)
            .find(|w| hidden(w));
        match bad {
            Some(w) => Err(format!("{w:?} holds a control or invisible character")),
            None => Ok(()),
        }
    }

    /// The finding for an advisory in a module, if govulncheck made one.
    pub fn find(&self, id: &str, module: &str) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.id == id && f.module == module)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ReachError {
    pub path: PathBuf,
    pub reason: String,
}

impl crate::exit::Classify for ReachError {
    fn exit(&self) -> crate::exit::Exit {
        crate::exit::Exit::CouldNotRun
    }
}

/// Runs `govulncheck -C tree -db file://db -format json [-tags …] ./...` in
/// module mode over vendor/ (`-mod=vendor`, no toolchain switch, no proxy:
/// the tree already holds every line of code it reads) for exactly `build`
/// (GOOS, GOARCH, CGO_ENABLED, tags; `GOENV=off` so no go env file adds
/// to it), and reads what it found. Only [`SCANNER`] is trusted. `tree` is
/// the main module's folder; `gowork` the workspace's go.work when it sits
/// in one (its vendor/ is beside go.work), else none.
pub fn run(
    govulncheck: &Path,
    tree: &Path,
    gowork: Option<&Path>,
    db: &Path,
    build: &ScanBuild,
) -> Result<Reach, ReachError> {
    let bad = |reason: String| ReachError {
        path: tree.to_path_buf(),
        reason,
    };
    let named = govulncheck.display();
    let mut cmd = Command::new(govulncheck);
    if !build.tags.is_empty() {
        cmd.arg("-tags").arg(build.tags.join(","));
    }
    let out = cmd
        .arg("-C")
        .arg(tree)
        .arg("-db")
        .arg(file_url(db))
        .args(["-format", "json", "./..."])
        .env("GOFLAGS", "-mod=vendor")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOWORK", gowork.map_or("off".as_ref(), Path::as_os_str))
        .env("GOENV", "off")
        .env("GOOS", &build.goos)
        .env("GOARCH", &build.goarch)
        .env("CGO_ENABLED", if build.cgo { "1" } else { "0" })
        .output()
        .map_err(|e| {
            bad(format!(
                "cannot run govulncheck {named} ({e}): install {SCANNER} with scripts/setup.sh, or name it in FERRY_GOVULNCHECK"
            ))
        })?;
    // -format json exits 0 whatever it finds; anything else is a failed run.
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(bad(format!(
            "govulncheck {named} failed ({}): {}",
            out.status,
            stderr.trim()
        )));
    }
    let mut reach = parse(&out.stdout)
        .map_err(|e| bad(format!("govulncheck {named}: its JSON output: {e}")))?;
    if reach.scanner != SCANNER {
        return Err(bad(format!(
            "govulncheck {named} says it is {:?}; ferry reads {SCANNER} only: install it with scripts/setup.sh",
            reach.scanner
        )));
    }
    reach.build = Some(build.clone());
    Ok(reach)
}

/// `file://` and the path, each byte outside a URL path's plain characters
/// percent-encoded (a `#`, `%` or `?` in TMPDIR would end or change it).
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// govulncheck's JSON stream (one message after another: config, progress,
/// osv, finding) → the closest finding per advisory and module.
pub fn parse(stream: &[u8]) -> Result<Reach, String> {
    let mut reach = Reach {
        scanner: String::new(),
        go_version: String::new(),
        db_modified: None,
        build: None,
        findings: Vec::new(),
    };
    let mut seen_config = false;
    let mut best: BTreeMap<(String, String), Finding> = BTreeMap::new();
    for message in serde_json::Deserializer::from_slice(stream).into_iter::<Message>() {
        let message = message.map_err(|e| e.to_string())?;
        if let Some(c) = message.config {
            seen_config = true;
            reach.scanner = format!("{}@{}", c.scanner_name, c.scanner_version);
            reach.go_version = c.go_version;
            reach.db_modified = c.db_last_modified;
        }
        let Some(f) = message.finding.and_then(finding) else {
            continue;
        };
        let key = (f.id.clone(), f.module.clone());
        match best.get(&key) {
            Some(old) if old.level >= f.level => {}
            _ => {
                best.insert(key, f);
            }
        }
    }
    if !seen_config {
        return Err("no config message: not govulncheck's JSON stream".into());
    }
    reach.findings = best.into_values().collect();
    Ok(reach)
}

#[derive(Deserialize)]
struct Message {
    config: Option<Config>,
    finding: Option<RawFinding>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    scanner_name: String,
    #[serde(default)]
    scanner_version: String,
    #[serde(default)]
    go_version: String,
    db_last_modified: Option<String>,
}

#[derive(Deserialize)]
struct RawFinding {
    osv: String,
    fixed_version: Option<String>,
    #[serde(default)]
    trace: Vec<Frame>,
}

#[derive(Deserialize)]
struct Frame {
    module: String,
    version: Option<String>,
    package: Option<String>,
    function: Option<String>,
    receiver: Option<String>,
    position: Option<Position>,
}

#[derive(Deserialize)]
struct Position {
    filename: Option<String>,
    line: u32,
}

/// A finding's level from its first frame: a function is a call, a package
/// an import, a module alone a requirement.
fn finding(raw: RawFinding) -> Option<Finding> {
    let first = raw.trace.first()?;
    let level = match (&first.function, &first.package) {
        (Some(_), _) => Level::Called,
        (None, Some(_)) => Level::Imported,
        (None, None) => Level::Required,
    };
    let symbol = first.function.as_ref().map(|_| name(first));
    let call_path = match level {
        Level::Called => raw.trace.iter().rev().map(step).collect(),
        _ => Vec::new(),
    };
    Some(Finding {
        id: raw.osv,
        module: first.module.clone(),
        version: first.version.clone().unwrap_or_default(),
        level,
        symbol,
        call_path,
        fixed: raw.fixed_version,
    })
}

/// `pkg.Func` or `pkg.Type.Method`, the receiver's `*` dropped.
fn name(f: &Frame) -> String {
    let pkg = f.package.as_deref().unwrap_or(&f.module);
    let func = f.function.as_deref().unwrap_or_default();
    match f.receiver.as_deref().map(|r| r.trim_start_matches('*')) {
        Some(r) if !r.is_empty() => format!("{pkg}.{r}.{func}"),
        _ => format!("{pkg}.{func}"),
    }
}

fn step(f: &Frame) -> String {
    match &f.position {
        Some(Position {
            filename: Some(file),
            line,
        }) if *line > 0 => format!("{} ({file}:{line})", name(f)),
        _ => name(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// govulncheck v1.9.0's own output on fixtures/apps/vulnapp against
    /// fixtures/vulndb (abridged to the messages ferry reads).
    const STREAM: &str = r#"{"config":{"protocol_version":"v1.0.0","scanner_name":"govulncheck","scanner_version":"v1.9.0","db":"file:///tmp/vdb","db_last_modified":"2099-01-02T00:00:00Z","go_version":"go1.26.8","scan_level":"symbol","scan_mode":"source"}}
{"progress":{"message":"Scanning your code"}}
{"finding":{"osv":"GO-2099-0101","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0"}]}}
{"finding":{"osv":"GO-2099-0102","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0"}]}}
{"finding":{"osv":"GO-2099-0103","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0"}]}}
{"finding":{"osv":"GO-2099-0101","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0","package":"example.com/vulnlib"}]}}
{"finding":{"osv":"GO-2099-0102","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0","package":"example.com/vulnlib"}]}}
{"finding":{"osv":"GO-2099-0101","fixed_version":"v1.0.1","trace":[{"module":"example.com/vulnlib","version":"v1.0.0","package":"example.com/vulnlib","function":"Parse","position":{"filename":"vulnlib.go","offset":211,"line":8,"column":6}},{"module":"example.com/vulnapp","package":"example.com/vulnapp","function":"main","position":{"filename":"main.go","offset":257,"line":13,"column":31}}]}}
"#;

    #[test]
    fn each_advisory_at_its_closest_level_with_one_call_path() {
        let reach = parse(STREAM.as_bytes()).unwrap();
        assert_eq!(reach.scanner, "govulncheck@v1.9.0");
        assert_eq!(reach.db_modified.as_deref(), Some("2099-01-02T00:00:00Z"));
        let levels: Vec<(&str, Level)> = reach
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.level))
            .collect();
        assert_eq!(
            levels,
            [
                ("GO-2099-0101", Level::Called),
                ("GO-2099-0102", Level::Imported),
                ("GO-2099-0103", Level::Required)
            ]
        );
        let called = reach.find("GO-2099-0101", "example.com/vulnlib").unwrap();
        assert_eq!(called.symbol.as_deref(), Some("example.com/vulnlib.Parse"));
        assert_eq!(
            called.call_path,
            [
                "example.com/vulnapp.main (main.go:13)",
                "example.com/vulnlib.Parse (vulnlib.go:8)"
            ]
        );
        let back: Reach = serde_json::from_slice(&reach.to_bytes().unwrap()).unwrap();
        assert_eq!(back, reach);
    }

    #[test]
    fn hidden_characters_in_a_record_are_refused() {
        let mut reach = parse(STREAM.as_bytes()).unwrap();
        assert!(reach.check_text().is_ok());
        reach.findings[0].call_path[0] = "main.main\u{1b}[2J (main.go:1)".into();
        assert!(reach.check_text().is_err());
        reach.findings[0].call_path[0] = "main.main\u{202e} (main.go:1)".into();
        assert!(reach.check_text().is_err());
    }

    #[test]
    fn a_stream_that_is_not_json_is_an_error() {
        assert!(parse(b"{\"config\":").is_err());
        assert!(parse(b"").is_err(), "a stream with no config");
    }

    #[test]
    fn a_platform_names_the_build_and_a_path_is_escaped() {
        let b = ScanBuild::new("linux/arm64/v8", false, &[]).unwrap();
        assert_eq!((b.goos.as_str(), b.goarch.as_str()), ("linux", "arm64"));
        assert_eq!(b.to_string(), "linux/arm64 CGO_ENABLED=0");
        assert!(ScanBuild::new("linux", false, &[]).is_none());
        assert!(ScanBuild::new("linux/am d64", false, &[]).is_none());
        assert_eq!(
            file_url(Path::new("/tmp/a#b%c d/db")),
            "file:///tmp/a%23b%25c%20d/db"
        );
    }
}
