//! `//go:embed` patterns of a package, and the files they select, so that the
//! vendor check knows which files below a package folder `go mod vendor` copies.

use globset::GlobBuilder;

/// The patterns of every `//go:embed` line of one Go source file: the
/// whole-file form, against which tests hold `vendor_rules::GoFile::scan`.
#[cfg(test)]
pub(crate) fn patterns(source: &[u8]) -> Vec<String> {
    source
        .split(|&b| b == b'\n')
        .filter_map(line_patterns)
        .flatten()
        .collect()
}

/// The patterns of one line, when it is a `//go:embed` directive.
pub fn line_patterns(line: &[u8]) -> Option<Vec<String>> {
    let rest = line.trim_ascii_start().strip_prefix(b"//go:embed")?;
    if !rest.starts_with(b" ") && !rest.starts_with(b"\t") {
        return None;
    }
    Some(split_args(&String::from_utf8_lossy(rest)))
}

/// Splits an embed line into patterns: bare words, "quoted" or `raw` strings.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut arg = String::new();
        if c == '"' || c == '`' {
            chars.next();
            while let Some(n) = chars.next() {
                match n {
                    '\\' if c == '"' => arg.extend(chars.next()),
                    n if n == c => break,
                    n => arg.push(n),
                }
            }
        } else {
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() {
                    break;
                }
                arg.push(n);
                chars.next();
            }
        }
        out.push(arg);
    }
    out
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
        let src = b"package a\n\n//go:embed banner.txt \"with space.txt\" `raw/*.tmpl`\n//go:embed all:static\nvar x string\n//go:embedded no\n";
        assert_eq!(
            patterns(src),
            ["banner.txt", "with space.txt", "raw/*.tmpl", "all:static"]
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
