//! vendor/modules.txt as `go mod vendor` writes it: a `# module version [=> replacement]`
//! header per vendored module, its `## explicit; go 1.NN` annotations, then one
//! line per vendored package; bare `# module => replacement` lines record
//! wildcard replacements of go.mod.

use super::ParseError;

/// Where a replaced module's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub path: String,
    /// None for a local directory replacement.
    pub version: Option<String>,
}

impl Replacement {
    /// A local directory replacement (`=> ./dir` or `=> /abs/dir`), which has no
    /// version and no go.sum line.
    pub fn is_local(&self) -> bool {
        self.version.is_none()
    }
}

/// One `# path version` block of modules.txt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredModule {
    pub path: String,
    pub version: String,
    pub replace: Option<Replacement>,
    pub explicit: bool,
    /// The `go` version from the module's go.mod, noted as `## go 1.NN`.
    pub go_version: Option<String>,
    pub packages: Vec<String>,
    pub line: usize,
}

/// A parsed vendor/modules.txt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModulesTxt {
    pub modules: Vec<VendoredModule>,
    /// `# path => replacement` lines: replacements of every version of a module.
    pub wildcard_replaces: Vec<(String, Replacement)>,
    /// `## workspace` at the top: vendored for a go.work workspace.
    pub workspace: bool,
}

const FILE: &str = "vendor/modules.txt";

/// Parses modules.txt text.
pub fn parse(text: &str) -> Result<ModulesTxt, ParseError> {
    let mut out = ModulesTxt::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("## ") {
            annotate(&mut out, rest, n)?;
        } else if let Some(rest) = line.strip_prefix("# ") {
            header(&mut out, rest, n)?;
        } else if line.starts_with('#') {
            return Err(ParseError::new(FILE, n, format!("unknown line {line:?}")));
        } else {
            let Some(m) = out.modules.last_mut() else {
                return Err(ParseError::new(
                    FILE,
                    n,
                    format!("package {line:?} before any # module line"),
                ));
            };
            if line.contains(char::is_whitespace) {
                return Err(ParseError::new(
                    FILE,
                    n,
                    format!("malformed package line {line:?}"),
                ));
            }
            m.packages.push(line.to_string());
        }
    }
    Ok(out)
}

fn header(out: &mut ModulesTxt, rest: &str, n: usize) -> Result<(), ParseError> {
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let replacement = |f: &[&str]| -> Result<Replacement, ParseError> {
        match f {
            [p] => Ok(Replacement {
                path: p.to_string(),
                version: None,
            }),
            [p, v] => Ok(Replacement {
                path: p.to_string(),
                version: Some(v.to_string()),
            }),
            _ => Err(ParseError::new(
                FILE,
                n,
                format!("malformed replacement in {rest:?}"),
            )),
        }
    };
    match fields.as_slice() {
        [path, "=>", repl @ ..] => {
            let r = replacement(repl)?;
            out.wildcard_replaces.push((path.to_string(), r));
        }
        [path, version, tail @ ..] => {
            let replace = match tail {
                [] => None,
                ["=>", repl @ ..] => Some(replacement(repl)?),
                _ => {
                    return Err(ParseError::new(
                        FILE,
                        n,
                        format!("malformed module line {rest:?}"),
                    ));
                }
            };
            out.modules.push(VendoredModule {
                path: path.to_string(),
                version: version.to_string(),
                replace,
                explicit: false,
                go_version: None,
                packages: Vec::new(),
                line: n,
            });
        }
        _ => {
            return Err(ParseError::new(
                FILE,
                n,
                format!("malformed module line {rest:?}"),
            ));
        }
    }
    Ok(())
}

fn annotate(out: &mut ModulesTxt, rest: &str, n: usize) -> Result<(), ParseError> {
    if rest.trim() == "workspace" && out.modules.is_empty() {
        out.workspace = true;
        return Ok(());
    }
    let Some(m) = out.modules.last_mut() else {
        return Err(ParseError::new(
            FILE,
            n,
            format!("## {rest} before any # module line"),
        ));
    };
    for part in rest.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "explicit" {
            m.explicit = true;
        } else if let Some(v) = part.strip_prefix("go ") {
            m.go_version = Some(v.trim().to_string());
        } else {
            return Err(ParseError::new(
                FILE,
                n,
                format!("unknown annotation {part:?}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "\
# example.com/Upper/tzinfo v1.0.0
## explicit; go 1.21
example.com/Upper/tzinfo
# example.com/greet/v2 v2.1.0
## explicit; go 1.21
example.com/greet/v2
example.com/greet/v2/internal/pad
# example.com/localdep v0.0.0 => ./third_party/localdep
## explicit; go 1.21
example.com/localdep
# example.com/strutil v1.0.0 => example.com/strutil v1.1.0
## explicit; go 1.21
example.com/strutil
# golang.org/x/sys v0.1.0
## go 1.17
# example.com/localdep => ./third_party/localdep
";

    #[test]
    fn parses_what_go_mod_vendor_writes() {
        let m = parse(TXT).unwrap();
        assert_eq!(m.modules.len(), 5);
        let greet = &m.modules[1];
        assert_eq!(
            greet.packages,
            ["example.com/greet/v2", "example.com/greet/v2/internal/pad"]
        );
        assert!(greet.explicit);
        assert_eq!(greet.go_version.as_deref(), Some("1.21"));
        assert!(m.modules[2].replace.as_ref().unwrap().is_local());
        assert_eq!(
            m.modules[3].replace,
            Some(Replacement {
                path: "example.com/strutil".into(),
                version: Some("v1.1.0".into())
            })
        );
        let sys = &m.modules[4];
        assert!(!sys.explicit && sys.packages.is_empty());
        assert_eq!(m.wildcard_replaces.len(), 1);
    }

    #[test]
    fn workspace_marker_and_errors() {
        assert!(parse("## workspace\n# a v1.0.0\na\n").unwrap().workspace);
        for (text, line) in [
            ("pkg/before/module\n", 1),
            ("# a v1.0.0\n## explicit; weird\n", 2),
            ("# a v1.0.0 => \n", 1),
            ("# a v1 x y\n", 1),
            ("#x\n", 1),
            ("# a v1.0.0\nbad package\n", 2),
        ] {
            assert_eq!(parse(text).unwrap_err().line, line, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_errors_name_a_real_line(text in "(?s).{0,400}") {
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1));
            }
        }

        #[test]
        fn never_panics_on_directive_shaped_noise(
            lines in proptest::collection::vec("(module|go|require|replace|exclude|retract|#|##|\\(|\\)|=>|\"|`| |//|[a-z./]{1,6}|v1\\.[0-9]){0,8}", 0..30)
        ) {
            let text = lines.join("\n");
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1));
            }
        }
    }
}
