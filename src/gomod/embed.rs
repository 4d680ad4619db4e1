//! `//go:embed` patterns of a package, and the files they select, so that the
//! vendor check knows which files below a package folder `go mod vendor` copies.
//! go/build records a file's patterns only when it imports "embed", from every
//! `//go:embed` comment go/scanner finds in it (see `gosyntax`).

use globset::GlobBuilder;

use super::gosyntax::{EmbedImport, GoReader, space_prefix, trim_space, unquote_prefix};

/// The patterns go/build records for one Go source file: the whole-file form,
/// against which tests hold the one-pass `vendor_rules::GoFile::scan`.
#[cfg(test)]
pub(crate) fn patterns(source: &[u8]) -> Vec<String> {
    let source = source.strip_prefix(b"\xef\xbb\xbf").unwrap_or(source);
    let mut reader = GoReader::default();
    reader.feed(source);
    recorded(reader)
}

/// The patterns of a file read whole: none unless it imports "embed" (an
/// import section that does not parse counts as importing it, the answer
/// that expects more files) and its package is not `documentation`.
pub fn recorded(reader: GoReader) -> Vec<String> {
    let (import, documentation, comments) = reader.finish();
    if import == EmbedImport::No || documentation {
        return Vec::new();
    }
    comments
        .iter()
        .filter_map(|c| comment_patterns(c))
        .flatten()
        .collect()
}

/// The arguments of a `//go:embed` comment, as go/ast's ParseDirective and
/// ParseArgs read them; `None` for a comment that is no such directive or
/// whose arguments do not parse (go/build skips those lines).
fn comment_patterns(comment: &[u8]) -> Option<Vec<String>> {
    let rest = comment.strip_prefix(b"//go:embed")?;
    let args = &rest[space_prefix(rest)..];
    if args.len() == rest.len() && !rest.is_empty() {
        return None; // //go:embedded: another directive
    }
    split_args(trim_space(args))
}

/// Splits directive arguments: bare words, or "quoted" or `raw` strings
/// followed by white space or the end.
fn split_args(mut s: &[u8]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    loop {
        s = &s[space_prefix(s)..];
        if s.is_empty() {
            return Some(out);
        }
        let (arg, n) = match s[0] {
            b'"' | b'`' => {
                let (arg, n) = unquote_prefix(s)?;
                if n < s.len() && space_prefix(&s[n..]) == 0 {
                    return None;
                }
                (arg, n)
            }
            _ => {
                let n = (0..s.len())
                    .find(|&i| space_prefix(&s[i..]) > 0)
                    .unwrap_or(s.len());
                (s[..n].to_vec(), n)
            }
        };
        out.push(String::from_utf8_lossy(&arg).into_owned());
        s = &s[n..];
    }
}

/// The files (paths relative to the package folder) that `patterns` embed,
/// out of `files` below that folder. A pattern that names a folder takes the
/// files under it, except names starting with `.` or `_` unless it says `all:`.
pub fn select<'a>(
    patterns: &[String],
    files: impl Iterator<Item = &'a str> + Clone,
) -> Vec<&'a str> {
    let mut out = Vec::new();
    for pat in patterns {
        let (glob, all) = match pat.strip_prefix("all:") {
            Some(g) => (g, true),
            None => (pat.as_str(), false),
        };
        let Ok(g) = GlobBuilder::new(glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
        else {
            continue;
        };
        let m = g.compile_matcher();
        for f in files.clone() {
            if m.is_match(f) {
                out.push(f);
                continue;
            }
            let parts: Vec<&str> = f.split('/').collect();
            for cut in 1..parts.len() {
                if m.is_match(parts[..cut].join("/")) {
                    let hidden = parts[cut..].iter().any(|p| p.starts_with(['.', '_']));
                    if all || !hidden {
                        out.push(f);
                    }
                    break;
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_in_every_form() {
        let src = b"package a\n\nimport _ \"embed\"\n\n//go:embed banner.txt \"with space.txt\" `raw/*.tmpl`\n//go:embed all:static\nvar x string\n//go:embedded no\n";
        assert_eq!(
            patterns(src),
            ["banner.txt", "with space.txt", "raw/*.tmpl", "all:static"]
        );
        let nbsp = "package a\nimport \"embed\"\n//go:embed\u{a0}nb\u{2003}x\u{a0}\n";
        assert_eq!(patterns(nbsp.as_bytes()), ["nb", "x"]);
    }

    #[test]
    fn skips_lines_go_skips() {
        let src = "package a\nimport \"embed\"\n//go:embed \"a\"b c\n//go:embed \"open d\n//go:embed ok\n";
        assert_eq!(patterns(src.as_bytes()), ["ok"]);
        assert!(patterns(b"package a\n//go:embed x\n").is_empty());
        assert!(patterns(b"package documentation\nimport \"embed\"\n//go:embed x\n").is_empty());
        assert_eq!(
            patterns(b"package a\nimport \"embed\n//go:embed x\n"),
            ["x"]
        );
    }

    #[test]
    fn selects_files_and_folders() {
        let files = [
            "banner.txt",
            "static/a.css",
            "static/.hidden",
            "static/_x/y",
            "tmpl/a.tmpl",
            "tmpl/sub/b.tmpl",
            "other.go",
        ];
        let it = files.iter().copied();
        assert_eq!(select(&["banner.txt".into()], it.clone()), ["banner.txt"]);
        assert_eq!(select(&["static".into()], it.clone()), ["static/a.css"]);
        assert_eq!(
            select(&["all:static".into()], it.clone()),
            ["static/.hidden", "static/_x/y", "static/a.css"]
        );
        assert_eq!(select(&["tmpl/*.tmpl".into()], it.clone()), ["tmpl/a.tmpl"]);
        assert!(select(&["nothing".into()], it).is_empty());
    }
}
