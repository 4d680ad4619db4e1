//! go.mod: the module line, `go`/`toolchain`/`godebug` lines, and the require,
//! replace, exclude, retract, tool (Go 1.24) and ignore (Go 1.25) directives in
//! single-line or block form, with quoted paths and `// indirect` comments.

use super::ParseError;
use super::modules_txt::Replacement;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
    pub indirect: bool,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub path: String,
    /// None replaces every version of `path`.
    pub version: Option<String>,
    pub with: Replacement,
    pub line: usize,
}

/// The parts of go.mod that ferry reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModFile {
    pub module: String,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub godebug: Vec<String>,
    pub requires: Vec<Require>,
    pub replaces: Vec<Replace>,
    pub excludes: Vec<(String, String)>,
    pub retracts: Vec<String>,
    /// `tool` packages (Go 1.24): `go mod vendor` vendors what they import.
    pub tools: Vec<String>,
    /// `ignore` folders (Go 1.25): left out of `./...` and `all`.
    pub ignores: Vec<String>,
}

impl ModFile {
    /// The replacement that applies to `path@version`: an exact one first,
    /// else a wildcard one, as Go resolves them.
    pub fn replacement(&self, path: &str, version: &str) -> Option<&Replacement> {
        lookup(&self.replaces, path, Some(version))
    }
}

/// Go's lookup in a replace map (go.mod's or go.work's): the exact version,
/// else the wildcard (`version` `None` asks for the wildcard alone).
pub fn lookup<'r>(
    replaces: &'r [Replace],
    path: &str,
    version: Option<&str>,
) -> Option<&'r Replacement> {
    let exact = replaces
        .iter()
        .find(|r| r.path == path && r.version.as_deref() == version);
    let any = || {
        replaces
            .iter()
            .find(|r| r.path == path && r.version.is_none())
    };
    exact.or_else(any).map(|r| &r.with)
}

const FILE: &str = "go.mod";

/// Parses go.mod text.
pub fn parse(text: &str) -> Result<ModFile, ParseError> {
    let mut mf = ModFile::default();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let (tokens, comment) = tokenize(raw).map_err(|m| ParseError::new(FILE, n, m))?;
        if tokens.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if tokens == [")"] {
                block = None;
                continue;
            }
            let verb = verb.clone();
            directive(&mut mf, &verb, &tokens, &comment, n)?;
            continue;
        }
        if tokens.len() == 2 && tokens[1] == "(" {
            block = Some((tokens[0].clone(), n));
            continue;
        }
        directive(&mut mf, &tokens[0], &tokens[1..], &comment, n)?;
    }
    if let Some((verb, n)) = block {
        return Err(ParseError::new(
            FILE,
            n,
            format!("{verb} block is never closed"),
        ));
    }
    if mf.module.is_empty() {
        return Err(ParseError::new(FILE, 1, "no module directive"));
    }
    Ok(mf)
}

fn directive(
    mf: &mut ModFile,
    verb: &str,
    args: &[String],
    comment: &str,
    n: usize,
) -> Result<(), ParseError> {
    let err = |m: String| ParseError::new(FILE, n, m);
    match (verb, args) {
        ("module", [path]) => mf.module = path.clone(),
        ("go", [v]) => mf.go = Some(v.clone()),
        ("toolchain", [v]) => mf.toolchain = Some(v.clone()),
        ("godebug", [kv]) => mf.godebug.push(kv.clone()),
        ("require", [path, version]) => mf.requires.push(Require {
            path: path.clone(),
            version: version.clone(),
            indirect: comment.split(';').any(|c| c.trim() == "indirect"),
            line: n,
        }),
        ("replace", _) => mf.replaces.push(replace(args).map_err(err)?.at(n)),
        ("exclude", [path, version]) => mf.excludes.push((path.clone(), version.clone())),
        ("retract", spec) if !spec.is_empty() => mf.retracts.push(spec.join(" ")),
        ("tool", [path]) => mf.tools.push(path.clone()),
        ("ignore", [dir]) => mf.ignores.push(dir.clone()),
        (
            "module" | "go" | "toolchain" | "godebug" | "require" | "exclude" | "retract" | "tool"
            | "ignore",
            _,
        ) => {
            return Err(err(format!(
                "malformed {verb} directive: {}",
                args.join(" ")
            )));
        }
        _ => return Err(err(format!("unknown directive {verb:?}"))),
    }
    Ok(())
}

pub(crate) fn replace(args: &[String]) -> Result<Replace, String> {
    let arrow = args
        .iter()
        .position(|a| a == "=>")
        .ok_or("replace without =>")?;
    let (old, new) = (&args[..arrow], &args[arrow + 1..]);
    let (path, version) = match old {
        [p] => (p.clone(), None),
        [p, v] => (p.clone(), Some(v.clone())),
        _ => return Err(format!("malformed replace: {}", args.join(" "))),
    };
    let with = match new {
        [p] => Replacement {
            path: p.clone(),
            version: None,
        },
        [p, v] => Replacement {
            path: p.clone(),
            version: Some(v.clone()),
        },
        _ => return Err(format!("malformed replace: {}", args.join(" "))),
    };
    Ok(Replace {
        path,
        version,
        with,
        line: 0,
    })
}

impl Replace {
    pub(crate) fn at(mut self, line: usize) -> Self {
        self.line = line;
        self
    }
}

/// Splits one line into tokens (double-quoted and back-quoted strings kept
/// whole, `(`/`)` on their own) and the text of its `//` comment.
pub(crate) fn tokenize(line: &str) -> Result<(Vec<String>, String), String> {
    let mut tokens = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '/' if line[i..].starts_with("//") => {
                return Ok((tokens, line[i + 2..].trim().to_string()));
            }
            '(' | ')' => {
                tokens.push(c.to_string());
                chars.next();
            }
            '"' | '`' => {
                chars.next();
                tokens.push(quoted(&mut chars, c)?);
            }
            _ => {
                let mut tok = String::new();
                while let Some(&(j, c)) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || line[j..].starts_with("//") {
                        break;
                    }
                    tok.push(c);
                    chars.next();
                }
                tokens.push(tok);
            }
        }
    }
    Ok((tokens, String::new()))
}

fn quoted(
    chars: &mut std::iter::Peekable<std::str::CharIndices>,
    q: char,
) -> Result<String, String> {
    let mut s = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            c if c == q => return Ok(s),
            '\\' if q == '"' => match chars.next() {
                Some((_, e @ ('"' | '\\'))) => s.push(e),
                Some((_, e)) => return Err(format!("unsupported escape \\{e} in quoted string")),
                None => break,
            },
            c => s.push(c),
        }
    }
    Err("unterminated quoted string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOD: &str = r#"// The service.
module "example.com/clockwork"

go 1.22.1
toolchain go1.23.4
godebug panicnil=1

require example.com/single v1.0.0

require (
	example.com/Upper/tzinfo v1.0.0
	example.com/greet/v2 v2.1.0 // indirect
	example.com/other v0.3.0 // indirect; for tests
)

replace example.com/strutil v1.0.0 => example.com/strutil v1.1.0
replace (
	example.com/localdep => ./third_party/localdep
	"example.com/quoted" => `/abs/path with space`
)
exclude example.com/bad v0.9.0
retract [v1.0.0, v1.0.5] // broken
retract v0.1.0
tool example.com/gen/cmd/gen
tool (
	example.com/lint/cmd/lint
)
ignore ./node_modules
"#;

    #[test]
    fn parses_real_world_shapes() {
        let m = parse(MOD).unwrap();
        assert_eq!(m.module, "example.com/clockwork");
        assert_eq!(m.go.as_deref(), Some("1.22.1"));
        assert_eq!(m.toolchain.as_deref(), Some("go1.23.4"));
        assert_eq!(m.godebug, ["panicnil=1"]);
        assert_eq!(m.requires.len(), 4);
        assert!(!m.requires[0].indirect && !m.requires[1].indirect);
        assert!(m.requires[2].indirect && m.requires[3].indirect);
        assert_eq!(m.requires[2].line, 12);
        assert_eq!(m.replaces.len(), 3);
        assert_eq!(m.replaces[2].with.path, "/abs/path with space");
        assert!(
            m.replacement("example.com/localdep", "v0.0.0")
                .unwrap()
                .is_local()
        );
        assert_eq!(
            m.replacement("example.com/strutil", "v1.0.0")
                .unwrap()
                .version
                .as_deref(),
            Some("v1.1.0")
        );
        assert!(m.replacement("example.com/strutil", "v1.2.0").is_none());
        assert_eq!(
            m.excludes,
            [("example.com/bad".to_string(), "v0.9.0".to_string())]
        );
        assert_eq!(m.retracts.len(), 2);
        assert_eq!(
            m.tools,
            ["example.com/gen/cmd/gen", "example.com/lint/cmd/lint"]
        );
        assert_eq!(m.ignores, ["./node_modules"]);
    }

    #[test]
    fn malformed_input_names_the_line() {
        for (text, line) in [
            ("module a\nrequire (\n\tb v1\n", 2),
            ("module a\nrequire b\n", 2),
            ("module a\nfrobnicate x\n", 2),
            ("module a\nreplace b v1 c\n", 2),
            ("module \"a\n", 1),
            ("go 1.21\n", 1),
            ("module a\ntool b c\n", 2),
            ("module a\nignore\n", 2),
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
