//! The build inputs a manifest names, as the Go tool, the linker and the
//! Dockerfile will read them: the binary's name, the main package, build tags
//! and `-ldflags` (split as Go splits them, refusing flags that reach outside).

use crate::gomod::module_rules::import_path_elem;
use crate::text::invisible_format;

/// The binary's file name: it becomes `/out/<name>` in the build and a
/// shell-form `COPY` line in the Dockerfile, which splits on whitespace and
/// expands `$VAR` and globs. So: a plain file name (see [`plain_file_name`])
/// with no whitespace and none of `$*?[]"'`.
pub fn binary_name(name: &str) -> Result<(), String> {
    plain_file_name(name)?;
    if name.contains(|c: char| c.is_whitespace() || "$*?[]\"'".contains(c)) {
        return Err("a binary name has no whitespace and none of $*?[]\"' (the Dockerfile's COPY line would read them)".into());
    }
    Ok(())
}

/// Why two binaries of one build cannot sit in one folder, if they cannot:
/// the same name, or one named like the other's provenance
/// (`<binary>.intoto.json`), which `ferry build` writes beside it.
pub fn binary_clash(a: &str, b: &str) -> Option<String> {
    let suffix = super::provenance::SUFFIX;
    if a == b {
        return Some(format!("both build a binary named {a}"));
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    (long.strip_suffix(suffix) == Some(short)).then(|| {
        format!("the binary {long} is named like the provenance {short}{suffix} that ferry build writes beside {short}")
    })
}

/// One file name: non-empty, at most 255 bytes, no `/`, `\` or NUL, not
/// `.`/`..`, not starting with `-` (an option) or `.` (hidden), visible
/// characters only.
pub fn plain_file_name(name: &str) -> Result<(), String> {
    const MAX: usize = 255;
    let ok = !name.is_empty()
        && name.len() <= MAX
        && !name.starts_with(['-', '.'])
        && !name.contains(['/', '\\'])
        && name
            .chars()
            .all(|c| !c.is_control() && !invisible_format(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a plain file name is 1 to {MAX} bytes, no / \\ or control character, not starting with - or ."
        ))
    }
}

/// The main package, relative to the module root: `.`, `./a/b` or `a/b`,
/// each element a Go import path element; never absolute, `..`, empty or an option.
pub fn main_package(pkg: &str) -> Result<(), String> {
    if pkg == "." {
        return Ok(());
    }
    let rel = pkg.strip_prefix("./").unwrap_or(pkg);
    if pkg.starts_with('-') || pkg.starts_with('/') {
        return Err(
            "the main package is relative to the module root, not an option or absolute".into(),
        );
    }
    for elem in rel.split('/') {
        if elem == ".." || elem == "." {
            return Err(format!("the main package path has a {elem:?} element"));
        }
        import_path_elem(elem)
            .map_err(|why| format!("the main package is ./ and Go import path elements: {why}"))?;
    }
    Ok(())
}

/// A build tag as `go/build/constraint` accepts one: letters, digits, `_`
/// and `.`. Go counts any Unicode letter or digit; this takes ASCII only
/// (std has no Unicode category table), stricter, never laxer.
pub fn build_tag(tag: &str) -> Result<(), String> {
    if !tag.is_empty()
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    {
        Ok(())
    } else {
        Err("a build tag is a non-empty run of ASCII letters, digits, _ and .".into())
    }
}

// ---------------------------------------------------------------------------
// Linker flags.

/// Linker flags that run or load another program, or write somewhere
/// other than the build output, with why. Matched on the name after one or
/// two dashes, with or without `=value`.
const REFUSED_LINK_FLAGS: &[(&str, &str)] = &[
    ("extld", "runs another program as the external linker"),
    (
        "extldflags",
        "passes flags (-fuse-ld, plugins, specs) to the external linker",
    ),
    ("extar", "runs another program as the archiver"),
    (
        "tmpdir",
        "makes the linker write (and keep) files in another directory",
    ),
    ("o", "writes the output somewhere else"),
    (
        "r",
        "sets the run-time library search path: the binary loads other libraries",
    ),
    (
        "I",
        "sets the ELF interpreter: another program runs the binary",
    ),
    ("installsuffix", "looks for packages in another directory"),
    ("L", "adds a directory the linker loads libraries from"),
    (
        "importcfg",
        "reads the list of packages to link from another file",
    ),
    ("linkshared", "links against installed shared libraries"),
    (
        "buildmode",
        "go build sets it; another mode builds plugins or archives (running ar)",
    ),
    ("libgcc", "loads another compiler support library"),
    ("cpuprofile", "writes a profile to a file"),
    ("memprofile", "writes a profile to a file"),
    ("benchmarkprofile", "writes profiles to files"),
    ("capturehostobjs", "writes host object files to a directory"),
    ("fipso", "writes an object file"),
];

/// `-ldflags`, split as Go splits it (`cmd/internal/quoted.Split`: fields
/// separated by space, tab, CR or LF, a field may be wrapped whole in `'` or
/// `"`, no escapes), refusing every flag that makes the linker run or load
/// another program or write elsewhere:
///
/// - `-extld`, `-extldflags`, `-extar`: run another program (or pass it flags);
/// - `-linkmode` other than `internal`: external linking runs the host C linker;
/// - `-tmpdir`, `-o`, `-cpuprofile`, `-memprofile`, `-benchmarkprofile`,
///   `-capturehostobjs`, `-fipso`: write files elsewhere;
/// - `-r`, `-I`, `-linkshared`, `-L`, `-libgcc`, `-installsuffix`,
///   `-importcfg`, `-plugin*`: make the linker or the binary load other code;
/// - `-buildmode`: go build sets it; another mode builds something else;
/// - any argument starting with `@`: the linker reads more arguments from that file.
///
/// Ordinary flags such as `-X pkg.var=value`, `-s`, `-w`, `-buildid=` pass.
/// Unbalanced quotes and control characters other than the separators are refused.
pub fn ldflags(flags: &str) -> Result<(), String> {
    if let Some(c) = flags
        .chars()
        .find(|&c| c.is_control() && !" \t\r\n".contains(c))
    {
        return Err(format!("ldflags contain control character {c:?}"));
    }
    let trimmed = flags.trim_matches([' ', '\t', '\r', '\n']);
    if !trimmed.is_empty() && !trimmed.starts_with('-') {
        // `go build -ldflags=pattern=flags` would apply them to other packages.
        return Err("ldflags start with a flag, not a pattern= or other word".into());
    }
    let args = quoted_split(flags)?;
    for (i, arg) in args.iter().enumerate() {
        if arg.starts_with('@') {
            return Err(format!(
                "ldflags argument {arg:?} would make the linker read arguments from a file"
            ));
        }
        if arg.starts_with('-') {
            link_flag(arg, args.get(i + 1).copied())?;
        }
    }
    Ok(())
}

/// One flag as Go's flag package reads it; `next` is the argument after it.
fn link_flag(arg: &str, next: Option<&str>) -> Result<(), String> {
    let flag = arg
        .strip_prefix("--")
        .or(arg.strip_prefix('-'))
        .unwrap_or(arg);
    let (name, value) = match flag.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (flag, None),
    };
    if name.is_empty() || name.starts_with(['-', '=']) {
        return Err(format!(
            "ldflags argument {arg:?} is not a flag the linker reads"
        ));
    }
    if name == "linkmode" {
        return match value.or(next) {
            Some("internal") => Ok(()),
            _ => Err("ldflags -linkmode other than internal runs the host C linker".into()),
        };
    }
    if name.starts_with("plugin") {
        return Err(format!("ldflags -{name} builds or names a plugin"));
    }
    match REFUSED_LINK_FLAGS.iter().find(|(n, _)| *n == name) {
        Some((n, why)) => Err(format!("ldflags -{n} is refused: it {why}")),
        None => Ok(()),
    }
}

/// Go's `cmd/internal/quoted.Split`.
fn quoted_split(s: &str) -> Result<Vec<&str>, String> {
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(space);
        let Some(first) = rest.chars().next() else {
            return Ok(out);
        };
        if first == '"' || first == '\'' {
            let body = &rest[1..];
            let end = body
                .find(first)
                .ok_or_else(|| format!("ldflags have an unterminated {first} string"))?;
            out.push(&body[..end]);
            rest = &body[end + 1..];
        } else {
            let end = rest.find(space).unwrap_or(rest.len());
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{bad, ok};

    #[test]
    fn binary_names() {
        ok(
            binary_name,
            &["hello", "svc-v2", "a.b", "a+b", "a_b~1", "привет"],
        );
        let long = "x".repeat(256);
        bad(
            binary_name,
            &[
                "", ".", "..", ".hidden", "-x", "a/b", "a\\b", "a\0b", "a\nb", "a b", "$HOME",
                "a*", "a?", "a[1]", "a\"", "a'", &long,
            ],
        );
        ok(plain_file_name, &["a b", "x.tar"]);
    }

    #[test]
    fn a_binary_named_like_another_ones_provenance_clashes() {
        assert!(binary_clash("server", "migrate").is_none());
        assert!(binary_clash("server", "server.intoto").is_none());
        let why = binary_clash("server.intoto.json", "server").unwrap();
        assert!(
            why.contains("named like the provenance server.intoto.json"),
            "{why}"
        );
        assert!(binary_clash("server", "server.intoto.json").is_some());
        assert!(
            binary_clash("x", "x")
                .unwrap()
                .contains("both build a binary named x")
        );
    }

    #[test]
    fn main_packages() {
        ok(
            main_package,
            &[
                ".",
                "./cmd/x",
                "cmd/x",
                "./a.b/c_d",
                "./.tools/gen",
                "./x+y",
            ],
        );
        bad(
            main_package,
            &[
                "", "./", "./cmd/", "..", "../x", "./../x", "./a/../b", "/abs", "-x", "./a\\b",
                "./a//b", "a\0", "./a b", "./CON", "./a/.", "./x~1", "./a/..", ".//a", "./é",
            ],
        );
    }

    #[test]
    fn build_tags() {
        ok(build_tag, &["netgo", "go1.21", "386", "a_b.c", "Upper"]);
        bad(build_tag, &["", "a-b", "a,b", "!x", "a b", "a&&b", "тег"]);
    }

    #[test]
    fn ldflags_allow_ordinary_flags() {
        ok(
            ldflags,
            &[
                "",
                "   ",
                "-s -w",
                "-X main.version=1.2.3",
                r#"-X "main.name=a b""#,
                "-X 'main.x=y z'",
                "-buildid=",
                "-linkmode=internal",
                "-linkmode internal",
                "--s\t-w\n",
                "-X main.flags=-o",
                "-B gobuildid -V=full",
            ],
        );
    }

    #[test]
    fn ldflags_refuse_other_programs_and_other_places() {
        bad(
            ldflags,
            &[
                "-extld=gcc",
                "-extld gcc",
                "--extld=gcc",
                "-s -extldflags '-static'",
                "-extar=ar",
                "-linkmode=external",
                "-linkmode external",
                "-linkmode=auto",
                "-linkmode",
                "-tmpdir /tmp/x",
                "-o /tmp/x",
                "-o=/tmp/x",
                "-r /opt/lib",
                "-I /lib/ld.so",
                "-pluginpath x",
                "-plugin",
                "-installsuffix race",
                "-L /opt",
                "-importcfg /tmp/cfg",
                "-linkshared",
                "-buildmode=plugin",
                "-libgcc=/x.a",
                "-cpuprofile=x",
                "-memprofile x",
                "-benchmarkprofile x",
                "-capturehostobjs /tmp",
                "-fipso=/tmp/f.o",
                "@/tmp/args",
                "-X @/tmp/args",
                "-X 'unterminated",
                r#"-X "a"#,
                "all=-s",
                "main.x=1",
                "--",
                "---o",
                "-=x",
                "-s\0",
                "-s\u{7f}",
            ],
        );
        let why = ldflags("-s -extld=/bin/sh").unwrap_err();
        assert!(
            why.contains("-extld") && why.contains("another program"),
            "{why}"
        );
    }

    #[test]
    fn quoted_split_matches_go() {
        assert_eq!(
            quoted_split(r#" a 'b c'  "d' e" f"g"#).unwrap(),
            ["a", "b c", "d' e", "f\"g"]
        );
        assert_eq!(quoted_split("").unwrap(), Vec::<&str>::new());
        assert!(quoted_split("'x").is_err());
    }
}
