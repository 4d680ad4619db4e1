//! Whether `go mod vendor` keeps a .go file, as cmd/go's `ShouldBuild` with
//! `AnyTags` decides it on the file's header: every tag but `ignore` counts as
//! satisfied in whichever polarity it appears. The header is the leading run
//! of comments and blank lines; a `//go:build` line anywhere in it controls
//! (two of them, or one that does not parse, drop the file), else each
//! `+build` line that a blank line still follows before the first line that
//! is not a `//` comment must hold.

use super::gosyntax::{space_prefix, trim_space};

/// True when `go mod vendor` would copy this Go source file: the whole-file
/// form, against which tests hold the one-pass `vendor_rules::GoFile::scan`.
#[cfg(test)]
pub(crate) fn vendors_go_file(source: &[u8]) -> bool {
    let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
    if source.contains(&0) {
        return true; // Go's reader fails on NUL, and then the file is copied
    }
    let Some((plus_build_part, go_build)) = whole_header(source) else {
        return false;
    };
    if let Some(line) = go_build {
        return go_build_holds(line);
    }
    plus_build_part
        .split(|&b| b == b'\n')
        .filter_map(|line| plus_build_holds(trim_space(line)))
        .all(|holds| holds)
}

/// The part of a whole header that ends at its last blank line before the
/// first line that is not a `//` comment, and its `//go:build` line; `None`
/// when there are two.
#[cfg(test)]
fn whole_header(source: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut end = 0;
    let mut state = Header::new();
    let mut go_build = None;
    let mut offset = 0;
    // As Go splits: no empty line after a final newline.
    for raw in source.split_inclusive(|&b| b == b'\n') {
        offset += raw.len();
        let line = trim_space(raw);
        if line.is_empty() && !state.ended {
            end = offset;
            continue;
        }
        state.ended |= !line.starts_with(b"//");
        if !state.in_block && is_go_build(line) && go_build.replace(line).is_some() {
            return None;
        }
        if state.comments(line) {
            break;
        }
    }
    Some((&source[..end], go_build))
}

/// The header read line by line: what is known so far.
#[derive(Debug)]
pub struct Header {
    /// Text that is no comment was seen: the header is over.
    done: bool,
    /// A line that is neither blank nor a `//` comment was seen: no later
    /// blank line brings `+build` lines into force.
    ended: bool,
    in_block: bool,
    go_build: Option<Vec<u8>>,
    two_go_build: bool,
    /// The `+build` lines that a blank line follows all hold.
    plus_in_force: bool,
    /// The `+build` lines since the last blank line all hold.
    plus_pending: bool,
    /// A header line was cut: its end is unknown.
    cut: bool,
}

impl Default for Header {
    fn default() -> Self {
        Self::new()
    }
}

impl Header {
    pub fn new() -> Self {
        Header {
            done: false,
            ended: false,
            in_block: false,
            go_build: None,
            two_go_build: false,
            plus_in_force: true,
            plus_pending: true,
            cut: false,
        }
    }

    /// True once the header is over: later lines change nothing.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next line (without its newline); `cut` when only its start is given.
    pub fn line(&mut self, raw: &[u8], cut: bool) {
        if self.done {
            return;
        }
        let line = trim_space(raw);
        if line.is_empty() && !self.ended {
            self.plus_in_force &= self.plus_pending;
            self.plus_pending = true;
            return;
        }
        self.ended |= !line.starts_with(b"//");
        if !self.in_block && is_go_build(line) {
            self.two_go_build |= self.go_build.is_some();
            self.go_build.get_or_insert_with(|| line.to_vec());
        }
        if !self.ended {
            self.plus_pending &= plus_build_holds(line).unwrap_or(true);
        }
        self.done = self.comments(line);
        // The rest of a cut line is unknown: count the file as copied.
        self.cut |= cut && !self.done;
    }

    /// Walks the comments of a line; true when text that is no comment follows.
    fn comments(&mut self, mut line: &[u8]) -> bool {
        loop {
            if self.in_block {
                let Some(i) = find(line, b"*/") else {
                    return false;
                };
                self.in_block = false;
                line = trim_space(&line[i + 2..]);
            } else if line.is_empty() || line.starts_with(b"//") {
                return false;
            } else if let Some(rest) = line.strip_prefix(b"/*") {
                self.in_block = true;
                line = trim_space(rest);
            } else {
                return true;
            }
        }
    }

    /// True when `go mod vendor` copies the file (a header line that was cut
    /// counts as copying it: the answer that expects more files).
    pub fn vendors(&self) -> bool {
        match &self.go_build {
            _ if self.cut => true,
            _ if self.two_go_build => false,
            Some(line) => go_build_holds(line),
            None => self.plus_in_force,
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The text after `prefix` when white space or nothing follows it, trimmed.
fn directive<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(prefix)?;
    (rest.is_empty() || space_prefix(rest) > 0).then(|| trim_space(rest))
}

/// A trimmed line that is a `//go:build` line (not `//go:buildx`).
fn is_go_build(line: &[u8]) -> bool {
    directive(line, b"//go:build").is_some()
}

/// Whether a `//go:build` line holds under any tags; false when it does not parse.
fn go_build_holds(line: &[u8]) -> bool {
    let expr = directive(line, b"//go:build").unwrap_or_default();
    Parser::eval(&String::from_utf8_lossy(expr)).unwrap_or(false)
}

/// For a trimmed `+build` line (`// +build`, `//+build`), whether it holds;
/// `None` for other lines and for lines too complex to parse (Go skips both).
fn plus_build_holds(line: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"//")?;
    let expr = directive(trim_space(rest), b"+build")?;
    let mut size = 0;
    let mut any = None;
    for clause in String::from_utf8_lossy(expr).split_whitespace() {
        let mut all = None;
        for term in clause.split(',') {
            size += usize::from(all.is_some());
            all = Some(all.unwrap_or(true) & plus_term(term));
        }
        size += usize::from(any.is_some());
        any = Some(any.unwrap_or(false) | all.unwrap_or(false));
    }
    // Go refuses more than 100 operators; an empty line means `ignore`.
    (size <= 100).then_some(any.unwrap_or(false))
}

/// One term of a `+build` line: `tag` or `!tag`; `!!tag`, `!` and invalid
/// tags read as `ignore`, and a negated tag always holds (`!ignore` too).
fn plus_term(term: &str) -> bool {
    match term.strip_prefix('!') {
        _ if term.starts_with("!!") || term == "!" => false,
        Some(_) => true,
        None => is_tag(term) && term != "ignore",
    }
}

/// Tags are letters, digits, `_` and `.` (Unicode letters and digits too).
fn is_tag(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_tag_char)
}

fn is_tag_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == '_' || c == '.'
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    End,
    Open,
    Close,
    Not,
    And,
    Or,
    Tag(&'a str),
}

/// A `//go:build` expression, parsed and evaluated at once: `||` binds looser
/// than `&&`, `!` tightest; `prefer` is the value every tag but `ignore` takes.
struct Parser<'a> {
    rest: &'a str,
    tok: Token<'a>,
    size: usize,
}

/// Go's limit on the terms of an expression.
const MAX_SIZE: usize = 1000;

impl<'a> Parser<'a> {
    fn eval(text: &'a str) -> Option<bool> {
        let mut p = Parser {
            rest: text,
            tok: Token::End,
            size: 0,
        };
        let value = p.or(true)?;
        (p.tok == Token::End).then_some(value)
    }

    fn or(&mut self, prefer: bool) -> Option<bool> {
        let mut value = self.and(prefer)?;
        while self.tok == Token::Or {
            value |= self.and(prefer)?;
        }
        Some(value)
    }

    fn and(&mut self, prefer: bool) -> Option<bool> {
        let mut value = self.not(prefer)?;
        while self.tok == Token::And {
            value &= self.not(prefer)?;
        }
        Some(value)
    }

    fn not(&mut self, prefer: bool) -> Option<bool> {
        self.size += 1;
        if self.size > MAX_SIZE {
            return None;
        }
        self.lex()?;
        if self.tok != Token::Not {
            return self.atom(prefer);
        }
        self.lex()?;
        // Go refuses `!!x`.
        (self.tok != Token::Not).then_some(())?;
        Some(!self.atom(!prefer)?)
    }

    /// The atom whose first token is already read.
    fn atom(&mut self, prefer: bool) -> Option<bool> {
        match self.tok {
            Token::Open => {
                let value = self.or(prefer)?;
                (self.tok == Token::Close).then_some(())?;
                self.lex()?;
                Some(value)
            }
            Token::Tag(tag) => {
                self.lex()?;
                Some(tag != "ignore" && prefer)
            }
            _ => None,
        }
    }

    fn lex(&mut self) -> Option<()> {
        self.rest = self.rest.trim_start_matches([' ', '\t']);
        let mut chars = self.rest.chars();
        let (tok, len) = match chars.next() {
            None => (Token::End, 0),
            Some('(') => (Token::Open, 1),
            Some(')') => (Token::Close, 1),
            Some('!') => (Token::Not, 1),
            Some(c @ ('&' | '|')) => {
                (chars.next() == Some(c)).then_some(())?;
                (if c == '&' { Token::And } else { Token::Or }, 2)
            }
            Some(_) => {
                let len = self
                    .rest
                    .find(|c| !is_tag_char(c))
                    .unwrap_or(self.rest.len());
                (len > 0).then_some(())?;
                (Token::Tag(&self.rest[..len]), len)
            }
        };
        self.tok = tok;
        self.rest = &self.rest[len..];
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Header, plus_build_holds, vendors_go_file};

    /// (source, copied by `go mod vendor`): the cases of the security review,
    /// then cases after cmd/go's and go/build's own tests.
    const CASES: &[(&str, bool)] = &[
        ("package a\n", true),
        (
            "// Copyright 2020 The Authors.\n\n// +build ignore\npackage sec\n",
            true,
        ),
        ("// Copyright\n\n// +build ignore\n\npackage sec\n", false),
        ("//go:build-x ignore\n\npackage a\n", true),
        ("// +buildignore\n\npackage a\n", true),
        ("//+build ignore\n\npackage a\n", false),
        ("//+build ignore\npackage a\n", true),
        ("// +build foo-bar\n\npackage a\n", false),
        ("// +build !foo-bar\n\npackage a\n", true),
        ("// +build !!linux\n\npackage a\n", false),
        ("// +build !\n\npackage a\n", false),
        ("// +build\n\npackage a\n", false),
        ("// +build !ignore\n\npackage a\n", true),
        ("// +build linux,ignore darwin\n\npackage a\n", true),
        ("// +build linux,ignore\n\npackage a\n", false),
        ("// +build linux\n// +build ignore\n\npackage a\n", false),
        ("//go:build linux\n//go:build darwin\n\npackage a\n", false),
        (
            "//go:build ignore\n/* x */\n//go:build linux\npackage a\n",
            false,
        ),
        ("/* c */\n//go:build ignore\n\npackage a\n", false),
        ("/* c */\n// +build ignore\n\npackage a\n", true),
        ("/*\n//go:build ignore\n*/\npackage a\n", true),
        ("/* a */ /* b\n*/ //go:build ignore\npackage a\n", true),
        ("\u{feff}//go:build ignore\n\npackage a\n", false),
        ("\u{feff}// +build ignore\n\npackage a\n", false),
        ("\u{a0}//go:build\u{a0}ignore\u{3000}\n\npackage a\n", false),
        (
            "//go:build\u{a0}ignore\u{a0}||\u{a0}linux\n\npackage a\n",
            false,
        ),
        ("//go:build ignore\r\n\r\npackage a\r\n", false),
        ("// +build ignore\r\n\r\npackage a\r\n", false),
        ("//go:build linux && amd64\n\npackage a\n", true),
        ("//go:build !linux\n\npackage a\n", true),
        ("//go:build ignore\n\npackage main\n", false),
        ("//go:build ignore\npackage main\n", false),
        (
            "// Copyright\n\n//go:build ignore && linux\n\npackage main\n",
            false,
        ),
        ("//go:build !ignore\n\npackage a\n", true),
        ("//go:build linux || ignore\n\npackage a\n", true),
        ("//go:build (ignore)\n\npackage a\n", false),
        ("//go:build !!linux\n\npackage a\n", false),
        ("//go:build ! !linux\n\npackage a\n", false),
        ("//go:build linux &&\n\npackage a\n", false),
        ("//go:build linux & amd64\n\npackage a\n", false),
        ("//go:build\n\npackage a\n", false),
        ("//go:build é\n\npackage a\n", true),
        ("//go:build linux\n// +build ignore\n\npackage a\n", true),
        ("// +build ignore\n\n//go:build linux\npackage a\n", true),
        ("package a\n\n//go:build ignore\n", true),
        ("package a // +build ignore\n", true),
        ("// +build ignore\n\n", false),
        ("// +build ignore\n\n\0package a\n", true),
        ("package a\nvar b = \"\0\"\n", true),
        ("// +build ignore\n  \n\t\npackage a\n", false),
        ("// +build ignore\n\n/* */\n\npackage a\n", false),
        ("/* */\n\n// +build ignore\n\npackage a\n", true),
    ];

    #[test]
    fn decides_as_go_mod_vendor() {
        for (src, want) in CASES {
            assert_eq!(vendors_go_file(src.as_bytes()), *want, "{src:?}");
        }
    }

    #[test]
    fn line_by_line_agrees_with_the_whole_file() {
        for (src, want) in CASES
            .iter()
            .filter(|(src, _)| !src.contains(['\0', '\u{feff}']))
        {
            let mut h = Header::new();
            src.split('\n').for_each(|l| h.line(l.as_bytes(), false));
            assert_eq!(h.vendors(), *want, "{src:?}");
        }
    }

    #[test]
    fn a_cut_header_line_counts_as_copied() {
        let mut h = Header::new();
        h.line(b"//go:build ignore", true);
        h.line(b"", false);
        h.line(b"package a", false);
        assert!(h.vendors());
    }

    #[test]
    fn plus_build_lines_as_go_parses_them() {
        assert_eq!(plus_build_holds(b"// +build linux"), Some(true));
        assert_eq!(plus_build_holds(b"// +build x/y"), Some(false));
        assert_eq!(plus_build_holds(b"//+build\tx"), Some(true));
        assert_eq!(plus_build_holds(b"// +buildx"), None);
        assert_eq!(plus_build_holds(b"// x +build y"), None);
        let complex = format!("// +build {}", "ignore ".repeat(102));
        assert_eq!(plus_build_holds(complex.as_bytes()), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_constraint(expr in "[a-z!()&| ]{0,40}") {
            let _ = vendors_go_file(format!("//go:build {expr}\n\npackage a\n").as_bytes());
            let _ = vendors_go_file(format!("// +build {expr}\n\npackage a\n").as_bytes());
        }
    }
}
