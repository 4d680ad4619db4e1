//! go.sum: one `module version[/go.mod] h1:hash` line per checked artifact.
//! The parser keeps every line (Go allows several hashes for one module) and
//! answers look-ups for a module zip or its go.mod.

use super::ParseError;

/// One line of go.sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumLine {
    pub path: String,
    pub version: String,
    /// True for the `version/go.mod` line, which covers the go.mod file alone.
    pub go_mod: bool,
    pub hash: String,
    pub line: usize,
}

/// A parsed go.sum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoSum {
    pub lines: Vec<SumLine>,
}

impl GoSum {
    /// The hash of a module zip (`go_mod == false`) or of its go.mod. Where
    /// go.sum holds several, the first wins, as in Go; the rest are still
    /// visible in `lines`.
    pub fn hash(&self, path: &str, version: &str, go_mod: bool) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.path == path && l.version == version && l.go_mod == go_mod)
            .map(|l| l.hash.as_str())
    }

    /// Pairs of lines for one module zip (or go.mod) with two different
    /// hashes of one algorithm: Go stops on them (a checksum mismatch), and
    /// merged go.sum files (a workspace's) must not settle them by order.
    pub fn conflicts(&self) -> Vec<(&SumLine, &SumLine)> {
        let alg = |h: &str| h.split(':').next().unwrap_or("").to_string();
        let mut out = Vec::new();
        for (i, a) in self.lines.iter().enumerate() {
            let clash = self.lines[..i].iter().find(|b| {
                (b.path == a.path && b.version == a.version && b.go_mod == a.go_mod)
                    && alg(&b.hash) == alg(&a.hash)
                    && b.hash != a.hash
            });
            if let Some(b) = clash {
                out.push((b, a));
            }
        }
        out
    }
}

/// Parses go.sum text. Blank lines are allowed; anything else must be three
/// fields with a `h1:`-style `alg:base64` hash.
pub fn parse(text: &str) -> Result<GoSum, ParseError> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [path, version, hash] = fields[..] else {
            return Err(ParseError::new(
                "go.sum",
                n,
                format!(
                    "want 3 fields (module, version, hash), found {}",
                    fields.len()
                ),
            ));
        };
        if !hash.contains(':') || hash.ends_with(':') {
            return Err(ParseError::new(
                "go.sum",
                n,
                format!("malformed hash {hash:?}: want alg:base64, like h1:…"),
            ));
        }
        let (version, go_mod) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (version, false),
        };
        if !version.starts_with('v') {
            return Err(ParseError::new(
                "go.sum",
                n,
                format!("malformed version {version:?}"),
            ));
        }
        lines.push(SumLine {
            path: path.to_string(),
            version: version.to_string(),
            go_mod,
            hash: hash.to_string(),
            line: n,
        });
    }
    Ok(GoSum { lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hashes_of_one_module_are_a_conflict() {
        let sum = parse("example.com/a v1.0.0 h1:AAAA\nexample.com/a v1.0.0/go.mod h1:BBBB\nexample.com/a v1.0.0 h1:AAAA\nexample.com/a v1.0.0 h1:CCCC\n").unwrap();
        let found: Vec<(usize, usize)> = sum
            .conflicts()
            .iter()
            .map(|(a, b)| (a.line, b.line))
            .collect();
        assert_eq!(found, [(1, 4)]);
    }

    const SUM: &str = "\
example.com/Upper/tzinfo v1.0.0 h1:lmH4CgoG3HMeVSa0H9BNe0Od0CwBnsTrmG/LCESmh/I=
example.com/Upper/tzinfo v1.0.0/go.mod h1:N9WSoyrd5q9xOJ49Ervjg2QXunv2pZTbzvHHe/WCDno=

example.com/x v0.0.0-20240101000000-abcdefabcdef h1:AAAA=
example.com/x v0.0.0-20240101000000-abcdefabcdef h1:BBBB=
";

    #[test]
    fn parses_zip_and_go_mod_lines() {
        let sum = parse(SUM).unwrap();
        assert_eq!(sum.lines.len(), 4);
        assert_eq!(
            sum.hash("example.com/Upper/tzinfo", "v1.0.0", true),
            Some("h1:N9WSoyrd5q9xOJ49Ervjg2QXunv2pZTbzvHHe/WCDno=")
        );
        assert_eq!(
            sum.hash("example.com/x", "v0.0.0-20240101000000-abcdefabcdef", false),
            Some("h1:AAAA=")
        );
        assert_eq!(sum.lines[3].line, 5);
    }

    #[test]
    fn malformed_lines_name_their_number() {
        for (text, line) in [
            ("a v1 h1:x\nb v1\n", 2),
            ("a v1 nohash\n", 1),
            ("\n\na 1.0 h1:x\n", 3),
            ("a v1 h1:x extra\n", 1),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
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
        fn valid_lines_round_trip(
            entries in proptest::collection::vec(("[a-z]{1,8}\\.(com|io)(/[A-Za-z0-9_.-]{1,10}){0,3}", "v[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-pre)?", proptest::bool::ANY, "[A-Za-z0-9+/]{43}="), 0..20),
            sep in "[ \t]{1,3}",
        ) {
            let text: String = entries.iter().map(|(p, v, m, h)| {
                format!("{p}{sep}{v}{}{sep}h1:{h}\n", if *m { "/go.mod" } else { "" })
            }).collect();
            let sum = parse(&text).unwrap();
            proptest::prop_assert_eq!(sum.lines.len(), entries.len());
            for (line, (p, v, m, h)) in sum.lines.iter().zip(&entries) {
                proptest::prop_assert_eq!(&line.path, p);
                proptest::prop_assert_eq!(&line.version, v);
                proptest::prop_assert_eq!(line.go_mod, *m);
                proptest::prop_assert_eq!(&line.hash, &format!("h1:{h}"));
            }
        }
    }
}
