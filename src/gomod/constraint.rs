//! Whether `go mod vendor` keeps a .go file: it drops only files whose build
//! constraint cannot hold under any tags, i.e. that need the `ignore` tag.
//! Mirrors cmd/go's `ShouldBuild` with `AnyTags`: every other tag counts as
//! satisfied in whichever polarity it appears; a malformed `//go:build` drops the file.

/// True when `go mod vendor` would copy this Go source file: the whole-file
/// form, against which tests hold the one-pass `vendor_rules::GoFile::scan`.
#[cfg(test)]
pub(crate) fn vendors_go_file(source: &[u8]) -> bool {
    let header: Vec<String> = source
        .split(|&b| b == b'\n')
        .map_while(header_line)
        .collect();
    vendors_header(&header)
}

/// One line of the header (the leading run of `//` comments and blank lines
/// before the package clause), trimmed; `None` once the header has ended.
pub fn header_line(line: &[u8]) -> Option<String> {
    let line = line.trim_ascii();
    (line.is_empty() || line.starts_with(b"//")).then(|| String::from_utf8_lossy(line).into_owned())
}

/// True when a file with these header lines is copied by `go mod vendor`.
pub fn vendors_header(header: &[String]) -> bool {
    if let Some(expr) = header.iter().find_map(|l| l.strip_prefix("//go:build")) {
        return parse(expr).map(|e| eval(&e, true)).unwrap_or(false);
    }
    header
        .iter()
        .filter_map(|l| l.strip_prefix("// +build"))
        .all(plus_build)
}

/// A `// +build` line: space-separated alternatives of comma-joined terms.
fn plus_build(line: &str) -> bool {
    line.split_whitespace().any(|alt| {
        alt.split(',').all(|term| match term.strip_prefix('!') {
            Some(tag) => !tag_value(tag, false),
            None => tag_value(term, true),
        })
    })
}

#[derive(Debug, PartialEq)]
enum Expr {
    Tag(String),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// `ignore` is never set; any other valid tag takes the value that helps.
fn tag_value(tag: &str, prefer: bool) -> bool {
    let valid = !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    valid && tag != "ignore" && prefer
}

fn eval(e: &Expr, prefer: bool) -> bool {
    match e {
        Expr::Tag(t) => tag_value(t, prefer),
        Expr::Not(x) => !eval(x, !prefer),
        Expr::And(a, b) => eval(a, prefer) && eval(b, prefer),
        Expr::Or(a, b) => eval(a, prefer) || eval(b, prefer),
    }
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '(' | ')' | '!' => out.push(c.to_string()),
            '&' | '|' => {
                if chars.next_if_eq(&c).is_some() {
                    out.push(format!("{c}{c}"));
                } else {
                    out.push(c.to_string());
                }
            }
            _ => {
                let mut t = c.to_string();
                while let Some(&n) = chars.peek() {
                    if " \t()!&|".contains(n) {
                        break;
                    }
                    t.push(n);
                    chars.next();
                }
                out.push(t);
            }
        }
    }
    out
}

/// Parses a `//go:build` expression: `||` binds looser than `&&`, `!` tightest.
fn parse(s: &str) -> Option<Expr> {
    let toks = tokens(s);
    let mut pos = 0;
    let e = or(&toks, &mut pos)?;
    (pos == toks.len()).then_some(e)
}

fn or(t: &[String], pos: &mut usize) -> Option<Expr> {
    let mut left = and(t, pos)?;
    while t.get(*pos).is_some_and(|x| x == "||") {
        *pos += 1;
        left = Expr::Or(Box::new(left), Box::new(and(t, pos)?));
    }
    Some(left)
}

fn and(t: &[String], pos: &mut usize) -> Option<Expr> {
    let mut left = unary(t, pos)?;
    while t.get(*pos).is_some_and(|x| x == "&&") {
        *pos += 1;
        left = Expr::And(Box::new(left), Box::new(unary(t, pos)?));
    }
    Some(left)
}

fn unary(t: &[String], pos: &mut usize) -> Option<Expr> {
    let tok = t.get(*pos)?.as_str();
    *pos += 1;
    match tok {
        "!" => Some(Expr::Not(Box::new(unary(t, pos)?))),
        "(" => {
            let e = or(t, pos)?;
            (t.get(*pos)? == ")").then(|| *pos += 1)?;
            Some(e)
        }
        ")" | "&&" | "||" | "&" | "|" => None,
        tag => Some(Expr::Tag(tag.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::vendors_go_file;

    #[test]
    fn only_ignore_tagged_files_are_dropped() {
        let cases: &[(&str, bool)] = &[
            ("package a\n", true),
            ("//go:build linux && amd64\n\npackage a\n", true),
            ("//go:build !linux\n\npackage a\n", true),
            ("//go:build ignore\n\npackage main\n", false),
            (
                "// Copyright\n\n//go:build ignore && linux\n\npackage main\n",
                false,
            ),
            ("//go:build !ignore\n\npackage a\n", true),
            ("//go:build linux || ignore\n\npackage a\n", true),
            ("//go:build (ignore)\n\npackage a\n", false),
            ("//go:build linux &&\n\npackage a\n", false),
            ("// +build ignore\n\npackage main\n", false),
            ("// +build linux,!ignore darwin\n\npackage a\n", true),
            ("package a\n\n//go:build ignore\n", true),
        ];
        for (src, want) in cases {
            assert_eq!(vendors_go_file(src.as_bytes()), *want, "{src:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_constraint(expr in "[a-z!()&| ]{0,40}") {
            let _ = vendors_go_file(format!("//go:build {expr}\n\npackage a\n").as_bytes());
            let _ = vendors_go_file(format!("// +build {expr}\n\npackage a\n").as_bytes());
        }
    }
}
