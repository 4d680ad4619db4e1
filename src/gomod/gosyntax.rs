//! The little of Go's syntax that `go mod vendor` reads in a .go file, as a
//! byte-at-a-time reader with bounded memory: the tokens of go/scanner (so a
//! `//go:embed` inside a string or a `/* */` comment is no directive, and one
//! after code on the same line is), the import declarations that follow the
//! package clause (as go/build's reader takes them), and Go's white space
//! and quoted strings.

/// Longest identifier or import path kept; a longer one is kept as "too long",
/// which matches no keyword and no path Go could import.
const MAX_TOKEN: usize = 4 << 10;

/// Longest `//go:embed` comment kept: of a longer one only the start counts,
/// so that a file with no newline is never held whole.
pub const MAX_COMMENT: usize = 64 << 10;

/// The start of the only comments kept.
const EMBED: &[u8] = b"//go:embed";

/// The first character of `b` and its length, when `b` starts with a valid one.
fn first_char(b: &[u8]) -> Option<(char, usize)> {
    let n = match b.first()? {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    let c = std::str::from_utf8(b.get(..n)?).ok()?.chars().next()?;
    Some((c, n))
}

/// The last character of `b` and its length, when `b` ends with a valid one.
fn last_char(b: &[u8]) -> Option<(char, usize)> {
    let start = (b.len().saturating_sub(4)..b.len())
        .rev()
        .find(|&i| b[i] & 0xc0 != 0x80)?;
    let c = std::str::from_utf8(&b[start..]).ok()?.chars().next()?;
    (c.len_utf8() == b.len() - start).then_some((c, b.len() - start))
}

/// The length of the white space (Go's `unicode.IsSpace`, which is Rust's
/// `char::is_whitespace`) at the start of `b`.
pub fn space_prefix(b: &[u8]) -> usize {
    let mut n = 0;
    while let Some((_, len)) = first_char(&b[n..]).filter(|(c, _)| c.is_whitespace()) {
        n += len;
    }
    n
}

/// `b` without leading and trailing white space, as Go's `bytes.TrimSpace`:
/// invalid UTF-8 is never space.
pub fn trim_space(b: &[u8]) -> &[u8] {
    let mut b = &b[space_prefix(b)..];
    while let Some((_, len)) = last_char(b).filter(|(c, _)| c.is_whitespace()) {
        b = &b[..b.len() - len];
    }
    b
}

/// The value and length of the quoted Go string (`"…"` or `` `…` ``) at the
/// start of `s`, as `strconv.QuotedPrefix` then `strconv.Unquote`; `None`
/// when it is not one.
pub fn unquote_prefix(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    match s.first()? {
        b'`' => {
            let end = 1 + s[1..].iter().position(|&b| b == b'`')?;
            let value = s[1..end].iter().copied().filter(|&b| b != b'\r');
            Some((value.collect(), end + 1))
        }
        b'"' => interpreted(s),
        _ => None,
    }
}

/// An interpreted string literal: escapes decoded, no newline inside.
fn interpreted(s: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 1;
    loop {
        match *s.get(i)? {
            b'"' => return Some((out, i + 1)),
            b'\n' => return None,
            b'\\' => i += escape(&s[i + 1..], &mut out)? + 1,
            _ => {
                let (c, n) = first_char(&s[i..]).unwrap_or(('\u{fffd}', 1));
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += n;
            }
        }
    }
}

/// Decodes the escape after a backslash into `out`; its length.
fn escape(s: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let simple = match *s.first()? {
        b'a' => 7,
        b'b' => 8,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 11,
        b'\\' => b'\\',
        b'"' => b'"',
        b'x' => return byte_escape(&s[1..], 16, 2, out).map(|n| n + 1),
        b'0'..=b'7' => return byte_escape(s, 8, 3, out),
        b'u' => return char_escape(&s[1..], 4, out).map(|n| n + 1),
        b'U' => return char_escape(&s[1..], 8, out).map(|n| n + 1),
        _ => return None,
    };
    out.push(simple);
    Some(1)
}

fn digits(s: &[u8], radix: u32, n: usize) -> Option<u32> {
    let text = std::str::from_utf8(s.get(..n)?).ok()?;
    if !text.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(text, radix).ok()
}

/// `\xHH` or `\OOO`: one byte, which may leave the string invalid UTF-8.
fn byte_escape(s: &[u8], radix: u32, n: usize, out: &mut Vec<u8>) -> Option<usize> {
    out.push(u8::try_from(digits(s, radix, n)?).ok()?);
    Some(n)
}

/// `\uHHHH` or `\UHHHHHHHH`: one valid character (no surrogate).
fn char_escape(s: &[u8], n: usize, out: &mut Vec<u8>) -> Option<usize> {
    let c = char::from_u32(digits(s, 16, n)?)?;
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    Some(n)
}

/// What the import declarations say about `embed`, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedImport {
    Yes,
    No,
    /// The package clause or imports do not parse: go/build refuses such a
    /// file (and `go mod vendor` stops), so no answer is Go's; callers
    /// take the one that expects more files.
    Unknown,
}

/// Where the reader is in `package p; import …` (go/parser's ImportsOnly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decl {
    Package,
    Name,
    /// Between declarations: `import` goes on, anything else ends the imports.
    Between,
    /// After `import`: a spec or a `(`.
    Import,
    /// After a spec's name, in a group or not: the path must follow.
    Path {
        group: bool,
    },
    Group,
    Done,
    Broken,
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Ident(&'a [u8]),
    Str(&'a [u8]),
    Punct(u8),
    /// An unterminated string or any literal the import grammar never takes.
    Other,
}

/// The import declarations, token by token.
#[derive(Debug)]
struct Imports {
    at: Decl,
    embed: bool,
    unsure: bool,
    documentation: bool,
}

impl Imports {
    fn token(&mut self, tok: Token) {
        use Token::*;
        self.at = match (self.at, tok) {
            (Decl::Package, Ident(b"package")) => Decl::Name,
            (Decl::Name, Ident(name)) => {
                // go/build drops a file of package documentation.
                self.documentation = name == b"documentation";
                Decl::Between
            }
            (Decl::Between, Punct(b';')) => Decl::Between,
            (Decl::Between, Ident(b"import")) => Decl::Import,
            (Decl::Between, _) | (Decl::Done, _) => Decl::Done,
            (Decl::Import, Punct(b'(')) => Decl::Group,
            (Decl::Group, Punct(b';')) => Decl::Group,
            (Decl::Group, Punct(b')')) => Decl::Between,
            (Decl::Import, Ident(_) | Punct(b'.')) => Decl::Path { group: false },
            (Decl::Group, Ident(_) | Punct(b'.')) => Decl::Path { group: true },
            (Decl::Import | Decl::Path { group: false }, Str(lit)) => self.path(lit, Decl::Between),
            (Decl::Group | Decl::Path { group: true }, Str(lit)) => self.path(lit, Decl::Group),
            _ => Decl::Broken,
        };
    }

    fn path(&mut self, lit: &[u8], next: Decl) -> Decl {
        match unquote_prefix(lit) {
            Some((path, n)) if n == lit.len() => self.embed |= path == b"embed",
            _ => self.unsure = true,
        }
        next
    }

    fn verdict(&self) -> EmbedImport {
        let complete = matches!(self.at, Decl::Between | Decl::Done);
        match () {
            _ if !complete || self.unsure => EmbedImport::Unknown,
            _ if self.embed => EmbedImport::Yes,
            _ => EmbedImport::No,
        }
    }
}

/// The lexer's state between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Space,
    Slash,
    LineComment,
    Block,
    BlockStar,
    Ident,
    Str,
    StrEscape,
    Raw,
    Rune,
    RuneEscape,
}

/// A .go file read token by token, as go/scanner would: its imports and its
/// `//go:embed` comments (text without `\r`, as the scanner gives them).
#[derive(Debug)]
pub struct GoReader {
    lex: Lex,
    text: Vec<u8>,
    too_long: bool,
    imports: Imports,
    embed_comments: Vec<Vec<u8>>,
}

impl Default for GoReader {
    fn default() -> Self {
        GoReader {
            lex: Lex::Space,
            text: Vec::new(),
            too_long: false,
            imports: Imports {
                at: Decl::Package,
                embed: false,
                unsure: false,
                documentation: false,
            },
            embed_comments: Vec::new(),
        }
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl GoReader {
    /// Reads the next bytes of the file (after any byte order mark). Once
    /// the imports are read and `embed` is not among them, nothing after
    /// can change what [`GoReader::finish`] is read for, and the rest is
    /// not looked at; comments that can hold no directive are skipped whole.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut at = 0;
        while at < bytes.len() && !self.settled() {
            at += self.skip(&bytes[at..]);
            if let Some(&b) = bytes.get(at) {
                self.byte(b);
                at += 1;
            }
        }
    }

    /// The imports are complete and do not import `embed`: the file's
    /// `//go:embed` comments are then no directives (go/build drops them).
    fn settled(&self) -> bool {
        let i = &self.imports;
        i.at == Decl::Done && !i.embed && !i.unsure
    }

    /// How many bytes at the start of `rest` leave the lexer where it is: the
    /// inside of a `/* */` comment up to a `*`, and of a line comment that is
    /// no `//go:embed` up to its newline.
    fn skip(&self, rest: &[u8]) -> usize {
        let upto = |stop: u8| rest.iter().position(|&b| b == stop).unwrap_or(rest.len());
        match self.lex {
            Lex::Block => upto(b'*'),
            Lex::LineComment if self.dropping_comment() => upto(b'\n'),
            _ => 0,
        }
    }

    /// The end of the file: whether it imports `embed`, whether its package
    /// is `documentation`, and its `//go:embed` comments.
    pub fn finish(mut self) -> (EmbedImport, bool, Vec<Vec<u8>>) {
        match self.lex {
            Lex::Ident => self.emit_ident(),
            Lex::LineComment => self.end_comment(),
            Lex::Str | Lex::StrEscape | Lex::Raw => self.imports.token(Token::Other),
            Lex::Slash => self.imports.token(Token::Punct(b'/')),
            _ => {}
        }
        let i = &self.imports;
        (i.verdict(), i.documentation, self.embed_comments)
    }

    fn keep(&mut self, b: u8, cap: usize) {
        if self.text.len() < cap {
            self.text.push(b);
        } else {
            self.too_long = true;
        }
    }

    fn start(&mut self, lex: Lex, b: &[u8]) {
        self.lex = lex;
        self.text.clear();
        self.text.extend_from_slice(b);
        self.too_long = false;
    }

    fn byte(&mut self, b: u8) {
        self.lex = match (self.lex, b) {
            (Lex::Space, _) => return self.space(b),
            (Lex::Slash, b'/') => return self.start(Lex::LineComment, b"//"),
            (Lex::Slash, b'*') => Lex::Block,
            (Lex::Slash, _) => {
                self.imports.token(Token::Punct(b'/'));
                return self.space(b);
            }
            (Lex::LineComment, b'\n') => return self.end_comment(),
            (Lex::LineComment, b'\r') => Lex::LineComment,
            (Lex::LineComment, _) => return self.keep_comment(b),
            (Lex::Block | Lex::BlockStar, b'*') => Lex::BlockStar,
            (Lex::BlockStar, b'/') => Lex::Space,
            (Lex::Block | Lex::BlockStar, _) => Lex::Block,
            (Lex::Ident, _) if is_ident(b) => return self.keep(b, MAX_TOKEN),
            (Lex::Ident, _) => {
                self.emit_ident();
                return self.space(b);
            }
            (Lex::Str | Lex::Raw | Lex::StrEscape, _) => return self.string(b),
            (Lex::Rune, b'\\') => Lex::RuneEscape,
            (Lex::Rune, b'\'') => return self.other(),
            (Lex::Rune | Lex::RuneEscape, b'\n') => return self.other(),
            (Lex::Rune | Lex::RuneEscape, _) => Lex::Rune,
        };
    }

    /// A byte between tokens: the start of the next one, or a punctuation mark.
    fn space(&mut self, b: u8) {
        self.lex = Lex::Space;
        match b {
            b'/' => self.lex = Lex::Slash,
            b'"' => self.start(Lex::Str, b"\""),
            b'`' => self.start(Lex::Raw, b"`"),
            b'\'' => self.lex = Lex::Rune,
            _ if is_ident(b) => self.start(Lex::Ident, &[b]),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => self.imports.token(Token::Punct(b)),
        }
    }

    fn other(&mut self) {
        self.lex = Lex::Space;
        self.imports.token(Token::Other);
    }

    /// A byte inside a string: raw strings drop `\r` and end only at a
    /// backquote; interpreted ones end at `"` or (unterminated) a newline.
    fn string(&mut self, b: u8) {
        match (self.lex, b) {
            (Lex::Raw, b'`') | (Lex::Str, b'"') => {
                self.keep(b, MAX_TOKEN);
                self.lex = Lex::Space;
                let tok = if self.too_long {
                    Token::Other
                } else {
                    Token::Str(&self.text)
                };
                self.imports.token(tok);
            }
            (Lex::Raw, b'\r') => {}
            (Lex::Str | Lex::StrEscape, b'\n') => self.other(),
            (Lex::Str, b'\\') => {
                self.keep(b, MAX_TOKEN);
                self.lex = Lex::StrEscape;
            }
            (Lex::StrEscape, _) => {
                self.keep(b, MAX_TOKEN);
                self.lex = Lex::Str;
            }
            _ => self.keep(b, MAX_TOKEN),
        }
    }

    fn emit_ident(&mut self) {
        let tok = if self.too_long {
            Token::Other
        } else {
            Token::Ident(&self.text)
        };
        self.imports.token(tok);
    }

    /// Only `//go:embed` comments are kept: stop keeping any other early.
    fn keep_comment(&mut self, b: u8) {
        let n = self.text.len();
        if n < EMBED.len() && b != EMBED[n] {
            self.too_long = true;
        }
        if !self.dropping_comment() {
            self.keep(b, MAX_COMMENT);
        }
    }

    /// The line comment being read is no `//go:embed`: its text is not kept.
    fn dropping_comment(&self) -> bool {
        self.too_long && self.text.len() < EMBED.len()
    }

    fn end_comment(&mut self) {
        self.lex = Lex::Space;
        if self.text.starts_with(EMBED) {
            self.embed_comments.push(std::mem::take(&mut self.text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(src: &str) -> (EmbedImport, bool, Vec<String>) {
        let mut r = GoReader::default();
        r.feed(src.as_bytes());
        let (imp, doc, comments) = r.finish();
        let comments = comments
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        (imp, doc, comments)
    }

    #[test]
    fn finds_the_embed_import_in_every_form() {
        use EmbedImport::*;
        let cases: &[(&str, EmbedImport)] = &[
            ("package a\nimport \"embed\"\n", Yes),
            ("package a\nimport _ \"embed\"\n", Yes),
            ("package a; import . `embed`", Yes),
            (
                "package a\nimport (\n\t\"fmt\" // x\n\t/* y */ _ \"embed\"\n)\n",
                Yes,
            ),
            ("package a\nimport \"fmt\"\nimport e \"\\x65mbed\"\n", Yes),
            ("package a\nimport \"embedx\"\n", No),
            ("package a\nvar x = 1\nimport \"embed\"\n", No),
            ("package a\nfunc f() { _ = \"embed\" }\n", No),
            ("package a\n", No),
            ("package a\nimport \"emb\n", Unknown),
            ("package a\nimport (\n\"embed\"\n", Unknown),
            ("// only a comment\n", Unknown),
            ("package a\nimport \"\\q\"\n", Unknown),
        ];
        for (src, want) in cases {
            assert_eq!(read(src).0, *want, "{src:?}");
        }
        assert!(read("package documentation\n").1);
    }

    #[test]
    fn keeps_only_real_embed_comments() {
        let src = "package a\nimport _ \"embed\"\nvar s = `\n//go:embed raw\n`\nvar r = '\"' //go:embed after\n/* //go:embed block */\nvar t = \"//go:embed str\"\n//go:embed\tx\r\n//go:embedded y\n";
        assert_eq!(
            read(src).2,
            ["//go:embed after", "//go:embed\tx", "//go:embedded y"]
        );
    }

    #[test]
    fn a_file_without_the_embed_import_is_read_only_to_its_imports() {
        use EmbedImport::*;
        // Past the imports nothing is looked at: not even a comment left open.
        let settled = "/* licence */\n// doc\npackage a\nimport \"fmt\"\nvar x = 1\n//go:embed y\nvar y string /* z\n";
        let (import, _, comments) = read(settled);
        assert_eq!((import, comments.len()), (No, 0));
        // Fed a byte at a time, it settles at the same place.
        let mut r = GoReader::default();
        for b in settled.as_bytes() {
            r.feed(std::slice::from_ref(b));
        }
        assert_eq!(r.finish().0, No);
        // Until the imports are complete, every byte still counts.
        assert_eq!(
            read("/* package a */ package b\nimport (\"fmt\"\n").0,
            Unknown
        );
        assert_eq!(read("package a // x\n/* y */ import _ \"embed\"\n").0, Yes);
    }

    #[test]
    fn trims_and_unquotes_as_go() {
        assert_eq!(trim_space(" \u{a0}x\u{3000}\t".as_bytes()), b"x");
        assert_eq!(trim_space(b"\xff x \xff"), b"\xff x \xff");
        assert_eq!(
            unquote_prefix(br#""a\"b\u00e9" rest"#),
            Some(("a\"bé".as_bytes().to_vec(), 12))
        );
        assert_eq!(unquote_prefix(b"`a\\b`"), Some((b"a\\b".to_vec(), 5)));
        assert_eq!(unquote_prefix(b"\"a\\'\""), None);
        assert_eq!(unquote_prefix(b"\"\\ud800\""), None);
        assert_eq!(unquote_prefix(b"\"open"), None);
    }
}
