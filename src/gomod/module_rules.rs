//! The rules of Go's module system, as validators of untrusted text: module
//! and import paths, path majors, canonical versions, go and toolchain lines,
//! `h1:` hashes and local replacements (ported from golang.org/x/mod/module).

// ---------------------------------------------------------------------------
// Go module and import paths: golang.org/x/mod/module, ported rule by rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PathKind {
    Module,
    Import,
}

/// Reserved device names on Windows, whatever the case or extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A dependency's module path, exactly as Go's `module.CheckPath`: import
/// path elements of ASCII letters, digits and `-._~`, no leading dot in any
/// element, a lower-case domain-like first element with a dot, and a valid
/// `/vN` (or gopkg.in `.vN`) major suffix.
pub fn module_path(path: &str) -> Result<(), String> {
    check_module_path(path).map_err(|why| format!("not a Go module path: {why}"))
}

fn check_module_path(path: &str) -> Result<(), String> {
    check_path(path, PathKind::Module)?;
    let first = path.split('/').next().unwrap_or(path);
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if let Some(c) = first.chars().find(|&c| !first_elem_ok(c)) {
        return Err(format!("invalid char {c:?} in first path element"));
    }
    if split_path_version(path).is_none() {
        return Err("invalid major version suffix (it must be /vN with N ≥ 2, no leading zero, no dot; for gopkg.in, .vN)".into());
    }
    Ok(())
}

/// A package import path, as Go's `module.CheckImportPath`: like a module
/// path without the domain and major-version rules, and `+` allowed.
pub fn import_path(path: &str) -> Result<(), String> {
    check_path(path, PathKind::Import).map_err(|why| format!("not a Go import path: {why}"))
}

/// The main module's path. Go checks it with `CheckImportPath`, not
/// `CheckPath`: `go mod init m` is legal for a main module, never for a dependency.
pub fn main_module_path(path: &str) -> Result<(), String> {
    check_path(path, PathKind::Import)
        .map_err(|why| format!("not a Go main module path (module.CheckImportPath): {why}"))
}

/// A package the module provides: an import path, the module path or under it.
pub(crate) fn package_of(module: &str, pkg: &str) -> Result<(), String> {
    import_path(pkg)?;
    let inside = pkg == module
        || pkg
            .strip_prefix(module)
            .is_some_and(|rest| rest.starts_with('/'));
    if inside {
        Ok(())
    } else {
        Err("a module's package is its module path or a path below it".into())
    }
}

fn check_path(path: &str, kind: PathKind) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    path.split('/').try_for_each(|elem| check_elem(elem, kind))
}

/// One element of an import path, for rules that take paths relative to a module.
pub(crate) fn import_path_elem(elem: &str) -> Result<(), String> {
    check_elem(elem, PathKind::Import)
}

fn check_elem(elem: &str, kind: PathKind) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if kind == PathKind::Module && elem.starts_with('.') {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    if let Some(c) = elem.chars().find(|&c| !elem_char_ok(c, kind)) {
        return Err(format!("invalid char {c:?}"));
    }
    windows_safe(elem)
}

/// Windows device names and 8.3 short names (`PROGRA~1`) would alias other files.
fn windows_safe(elem: &str) -> Result<(), String> {
    let short = elem.split('.').next().unwrap_or(elem);
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    if let Some((_, digits)) = short.rsplit_once('~') {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("trailing tilde and digits in path element".into());
        }
    }
    Ok(())
}

fn elem_char_ok(c: char, kind: PathKind) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c) || (kind == PathKind::Import && c == '+')
}

/// The first element is a domain name, lower case to avoid case ambiguity.
fn first_elem_ok(c: char) -> bool {
    c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()
}

/// Go's `module.SplitPathVersion`: the path and its major suffix (`/v2`,
/// `.v1`, or empty), or None when the suffix is malformed.
fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let b = path.as_bytes();
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return Some((path, ""));
    }
    let (prefix, major) = path.split_at(i - 2);
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some((prefix, major))
}

fn split_gopkg_in(path: &str) -> Option<(&str, &str)> {
    let b = path.as_bytes();
    let mut i = b.len();
    if path.ends_with("-unstable") {
        i -= "-unstable".len();
    }
    while i > 0 && b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
        return None;
    }
    let (prefix, major) = path.split_at(i - 2);
    if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
        return None;
    }
    Some((prefix, major))
}

/// Go's `module.CheckPathMajor`: `example.com/m/v2` takes only v2.x.y,
/// `example.com/m` only v0/v1 or `+incompatible`, gopkg.in `.vN` only vN.
pub fn path_major(path: &str, v: &str) -> Result<(), String> {
    version(v)?;
    let Some((_, major)) = split_path_version(path) else {
        return Err("the module path's major version suffix is invalid".into());
    };
    let major = match major.strip_suffix("-unstable") {
        Some(m) if m.starts_with(".v") => m,
        _ => major,
    };
    if v.starts_with("v0.0.0-") && major == ".v1" {
        // Go accepts old v0 pseudo-versions of gopkg.in .v1 paths.
        return Ok(());
    }
    let have = semver_major(v);
    let ok = match major {
        "" => have == "v0" || have == "v1" || v.ends_with("+incompatible"),
        m => have == &m[1..],
    };
    if ok {
        return Ok(());
    }
    let want = if major.is_empty() {
        "v0 or v1"
    } else {
        &major[1..]
    };
    Err(format!(
        "the version's major must match the module path: should be {want}, not {have}"
    ))
}

/// `v1.2.3` → `v1`; only called on versions [`version`] accepted.
fn semver_major(v: &str) -> &str {
    let digits = v.bytes().skip(1).take_while(u8::is_ascii_digit).count();
    &v[..1 + digits]
}

// ---------------------------------------------------------------------------
// Versions, go and toolchain lines, go.sum hashes.

/// A module version in Go's canonical semver form: `vMAJOR.MINOR.PATCH`,
/// optional `-pre.release` (pseudo-versions are such), optional
/// `+incompatible` and no other build metadata, no leading zeros.
///
/// The lax [`super::semver::Version::parse`] exists to order versions (a
/// missing `v`, `v1.2`, leading zeros, any `+build`); this one validates.
pub fn version(v: &str) -> Result<(), String> {
    semver(v).map_err(|why| {
        format!("not a canonical Go module version (vX.Y.Z[-pre][+incompatible]): {why}")
    })
}

fn semver(v: &str) -> Result<(), String> {
    let rest = v.strip_prefix('v').ok_or("it does not start with \"v\"")?;
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (rest, None),
    };
    if build.is_some_and(|b| b != "incompatible") {
        return Err("the only build suffix Go keeps is +incompatible".into());
    }
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() != 3 || !nums.iter().all(|n| decimal(n)) {
        return Err("MAJOR.MINOR.PATCH must be three decimal numbers without leading zeros".into());
    }
    match pre {
        Some(p) => p.split('.').try_for_each(pre_ident),
        None => Ok(()),
    }
}

fn decimal(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
}

fn pre_ident(id: &str) -> Result<(), String> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!(
            "pre-release identifier {id:?} is not a non-empty run of [0-9A-Za-z-]"
        ));
    }
    if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "numeric pre-release identifier {id:?} has a leading zero"
        ));
    }
    Ok(())
}

/// A `go` line version as Go's `modfile.GoVersionRE` has it: `1.21`,
/// `1.21.3`, `1.21rc1`. The lenient [`super::goversion::GoVersion::parse`]
/// exists to compare versions (it trims, ignores trailing text); this validates.
pub fn go_version(v: &str) -> Result<(), String> {
    if go_line_ok(v) {
        Ok(())
    } else {
        Err(
            "not a Go version as a go line writes it (1.N, 1.N.P or 1.NrcK, no leading zeros)"
                .into(),
        )
    }
}

/// `^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$`
fn go_line_ok(v: &str) -> bool {
    let numbers_end = v.find(|c: char| c.is_ascii_lowercase()).unwrap_or(v.len());
    let (nums, pre) = v.split_at(numbers_end);
    let parts: Vec<&str> = nums.split('.').collect();
    let numbers =
        (2..=3).contains(&parts.len()) && parts.iter().all(|p| decimal(p)) && parts[0] != "0";
    let letters = pre.bytes().take_while(u8::is_ascii_lowercase).count();
    let digits = &pre[letters..];
    let pre_ok = pre.is_empty()
        || (letters > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    numbers && pre_ok
}

/// A `toolchain` line: `default`, or `go` and a Go version, optionally with
/// a custom build's `-suffix`. Go's own `ToolchainRE` (`^default$|^go1($|\.)`)
/// accepts anything after `go1.`; this is stricter.
pub fn toolchain(t: &str) -> Result<(), String> {
    if t == "default" {
        return Ok(());
    }
    let custom = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    let ok = t
        .strip_prefix("go")
        .is_some_and(|rest| match rest.split_once('-') {
            Some((v, suffix)) => go_line_ok(v) && custom(suffix),
            None => go_line_ok(rest),
        });
    if ok {
        Ok(())
    } else {
        Err(
            "not a toolchain name (default, or go1.N.P with an optional -suffix of [A-Za-z0-9._-])"
                .into(),
        )
    }
}

/// A go.sum hash: `h1:` and the standard base64 of a sha256.
pub fn h1(h: &str) -> Result<(), String> {
    use base64::Engine;
    let ok = h
        .strip_prefix("h1:")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .is_some_and(|d| d.len() == 32);
    if ok {
        Ok(())
    } else {
        Err("a go.sum hash is h1: and the base64 of 32 bytes".into())
    }
}

// ---------------------------------------------------------------------------
// Local replacements.

/// A replacement without a version: a folder, relative to the module root
/// (`./x`, `../x`, as Go requires of a portable local replace; absolute
/// paths name the packing machine), whose lexical resolution from the
/// bundle's `src/` stays inside `src/` at every step. `../src/x` is refused
/// too: it only comes back because the bundle's folder is named `src`; in the
/// build the module root is `/go/src/<module>` and it would leave it.
pub fn local_replacement(path: &str) -> Result<(), String> {
    local_replacement_form(path)?;
    if !stays_in_src(path) {
        return Err("a local replacement must stay inside the bundle's src/ tree".into());
    }
    Ok(())
}

/// A relative path starting with ./ or ../, with no control character or backslash.
fn local_replacement_form(path: &str) -> Result<(), String> {
    if path.chars().any(|c| c.is_control()) || path.contains('\\') {
        return Err("a local replacement has no control character or backslash".into());
    }
    let relative = path == "." || path == ".." || path.starts_with("./") || path.starts_with("../");
    if !relative {
        return Err("a local replacement is a relative path starting with ./ or ../".into());
    }
    Ok(())
}

/// A local replacement written in the go.mod (or go.work) of the folder
/// `root` below `src/` (`service`, or empty for `src/` itself): it must
/// still resolve inside `src/` from there.
pub fn local_replacement_below(root: &str, path: &str) -> Result<(), String> {
    local_replacement_form(path)?;
    let joined = match root {
        "" => path.to_string(),
        r => format!("{r}/{path}"),
    };
    match stays_in_src(&joined) {
        true => Ok(()),
        false => Err("a local replacement must stay inside the bundle's src/ tree".into()),
    }
}

fn stays_in_src(path: &str) -> bool {
    let mut stack = vec!["src"];
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                stack.pop();
                if stack.is_empty() {
                    return false;
                }
            }
            p => stack.push(p),
        }
    }
    stack.first() == Some(&"src")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{bad, ok};

    /// golang.org/x/mod/module's checkPathTests: (path, CheckPath ok,
    /// CheckImportPath ok). Its invalid-UTF-8 case cannot be a &str.
    const CHECK_PATH_TESTS: &[(&str, bool, bool)] = &[
        ("x.y/z", true, true),
        ("x.y", true, true),
        ("", false, false),
        ("/x.y/z", false, false),
        ("x./z", false, false),
        (".x/z", false, true),
        ("-x/z", false, false),
        ("x..y/z", true, true),
        ("x.y/z/../../w", false, false),
        ("x.y//z", false, false),
        ("x.y/z//w", false, false),
        ("x.y/z/", false, false),
        ("x.y/z/v0", false, true),
        ("x.y/z/v1", false, true),
        ("x.y/z/v2", true, true),
        ("x.y/z/v2.0", false, true),
        ("X.y/z", false, true),
        ("!x.y/z", false, false),
        ("_x.y/z", false, true),
        ("x.y!/z", false, false),
        ("x.y\"/z", false, false),
        ("x.y#/z", false, false),
        ("x.y$/z", false, false),
        ("x.y%/z", false, false),
        ("x.y&/z", false, false),
        ("x.y'/z", false, false),
        ("x.y(/z", false, false),
        ("x.y)/z", false, false),
        ("x.y*/z", false, false),
        ("x.y+/z", false, true),
        ("x.y,/z", false, false),
        ("x.y-/z", true, true),
        ("x.y./zt", false, false),
        ("x.y:/z", false, false),
        ("x.y;/z", false, false),
        ("x.y</z", false, false),
        ("x.y=/z", false, false),
        ("x.y>/z", false, false),
        ("x.y?/z", false, false),
        ("x.y@/z", false, false),
        ("x.y[/z", false, false),
        ("x.y\\/z", false, false),
        ("x.y]/z", false, false),
        ("x.y^/z", false, false),
        ("x.y_/z", false, true),
        ("x.y`/z", false, false),
        ("x.y{/z", false, false),
        ("x.y}/z", false, false),
        ("x.y~/z", false, true),
        ("x.y/z!", false, false),
        ("x.y/z\"", false, false),
        ("x.y/z#", false, false),
        ("x.y/z$", false, false),
        ("x.y/z%", false, false),
        ("x.y/z&", false, false),
        ("x.y/z'", false, false),
        ("x.y/z(", false, false),
        ("x.y/z)", false, false),
        ("x.y/z*", false, false),
        ("x.y/z++", false, true),
        ("x.y/z,", false, false),
        ("x.y/z-", true, true),
        ("x.y/z.t", true, true),
        ("x.y/z/t", true, true),
        ("x.y/z:", false, false),
        ("x.y/z;", false, false),
        ("x.y/z<", false, false),
        ("x.y/z=", false, false),
        ("x.y/z>", false, false),
        ("x.y/z?", false, false),
        ("x.y/z@", false, false),
        ("x.y/z[", false, false),
        ("x.y/z\\", false, false),
        ("x.y/z]", false, false),
        ("x.y/z^", false, false),
        ("x.y/z_", true, true),
        ("x.y/z`", false, false),
        ("x.y/z{", false, false),
        ("x.y/z}", false, false),
        ("x.y/z~", true, true),
        ("x.y/x.foo", true, true),
        ("x.y/aux.foo", false, false),
        ("x.y/prn", false, false),
        ("x.y/prn2", true, true),
        ("x.y/com", true, true),
        ("x.y/com1", false, false),
        ("x.y/com1.txt", false, false),
        ("x.y/calm1", true, true),
        ("x.y/z~", true, true),
        ("x.y/z~0", false, false),
        ("x.y/z~09", false, false),
        ("x.y/z09", true, true),
        ("x.y/z09~", true, true),
        ("x.y/z09~09z", true, true),
        ("x.y/z09~09z~09", false, false),
        ("github.com/!123/logrus", false, false),
        ("github.com/user/unicode/испытание", false, false),
        ("../x", false, false),
        ("./y", false, false),
        ("x:y", false, false),
        ("\\temp\\foo", false, false),
        (".gitignore", false, true),
        (".github/ISSUE_TEMPLATE", false, true),
        ("x☺y", false, false),
    ];

    #[test]
    fn module_and_import_paths_follow_gos_check_path_table() {
        for &(path, module_ok, import_ok) in CHECK_PATH_TESTS {
            assert_eq!(
                module_path(path).is_ok(),
                module_ok,
                "module_path({path:?})"
            );
            assert_eq!(
                import_path(path).is_ok(),
                import_ok,
                "import_path({path:?})"
            );
            assert_eq!(
                main_module_path(path).is_ok(),
                import_ok,
                "main_module_path({path:?})"
            );
        }
    }

    #[test]
    fn gopkg_in_and_major_suffixes() {
        ok(
            module_path,
            &[
                "gopkg.in/yaml.v2",
                "gopkg.in/yaml.v0",
                "gopkg.in/check.v1",
                "gopkg.in/yaml.v3-unstable",
                "x.y/z/v10",
                "x.y/v",
            ],
        );
        bad(
            module_path,
            &[
                "gopkg.in/yaml",
                "gopkg.in/yaml.v",
                "gopkg.in/yaml.v01",
                "x.y/z/v01",
                "x.y/z/v2.1",
            ],
        );
        assert_eq!(split_path_version("x.y/z/v3"), Some(("x.y/z", "/v3")));
        assert_eq!(
            split_path_version("gopkg.in/yaml.v2"),
            Some(("gopkg.in/yaml", ".v2"))
        );
        assert_eq!(split_path_version("x.y/v"), Some(("x.y/v", "")));
        let main = module_path("m").unwrap_err();
        assert!(main.contains("missing dot"), "{main}");
        assert_eq!(main_module_path("m"), Ok(()));
    }

    /// golang.org/x/mod/module's checkTests: module.Check(path, version).
    #[test]
    fn versions_match_the_path_major_as_gos_check_table() {
        let table: &[(&str, &str, bool)] = &[
            ("rsc.io/quote", "0.1.0", false),
            ("rsc io/quote", "v1.0.0", false),
            ("github.com/go-yaml/yaml", "v0.8.0", true),
            ("github.com/go-yaml/yaml", "v1.0.0", true),
            ("github.com/go-yaml/yaml", "v2.0.0", false),
            ("github.com/go-yaml/yaml", "v2.1.5", false),
            ("github.com/go-yaml/yaml", "v3.0.0", false),
            ("github.com/go-yaml/yaml/v2", "v1.0.0", false),
            ("github.com/go-yaml/yaml/v2", "v2.0.0", true),
            ("github.com/go-yaml/yaml/v2", "v2.1.5", true),
            ("github.com/go-yaml/yaml/v2", "v3.0.0", false),
            ("gopkg.in/yaml.v0", "v0.8.0", true),
            ("gopkg.in/yaml.v0", "v1.0.0", false),
            ("gopkg.in/yaml.v0", "v2.0.0", false),
            ("gopkg.in/yaml.v1", "v0.8.0", false),
            ("gopkg.in/yaml.v1", "v1.0.0", true),
            ("gopkg.in/yaml.v1", "v2.0.0", false),
            ("gopkg.in/check.v1", "v0.0.0", false),
            (
                "gopkg.in/check.v1",
                "v0.0.0-20160102150405-abcdef123456",
                true,
            ),
            ("gopkg.in/yaml.v2", "v1.0.0", false),
            ("gopkg.in/yaml.v2", "v2.0.0", true),
            ("gopkg.in/yaml.v2", "v2.1.5", true),
            ("gopkg.in/yaml.v2", "v3.0.0", false),
            ("rsc.io/quote", "v17.0.0", false),
            ("rsc.io/quote", "v17.0.0+incompatible", true),
        ];
        for &(path, v, want) in table {
            let got = module_path(path).and_then(|()| path_major(path, v)).is_ok();
            assert_eq!(got, want, "Check({path:?}, {v:?})");
        }
    }

    #[test]
    fn versions_are_canonical_semver() {
        ok(
            version,
            &[
                "v0.0.0",
                "v1.2.3",
                "v1.2.3-rc.1",
                "v1.0.0-alpha.beta-2",
                "v2.0.0+incompatible",
                "v0.0.0-20240101120000-abcdef123456",
                "v1.2.4-0.20240101120000-abcdef123456",
                "v2.0.0-pre+incompatible",
            ],
        );
        bad(
            version,
            &[
                "",
                "v",
                "1.2.3",
                "V1.2.3",
                "v1",
                "v1.2",
                "v1.2.3.4",
                "v01.2.3",
                "v1.02.3",
                "v1.2.3-",
                "v1.2.3-01",
                "v1.2.3-a..b",
                "v1.2.3-é",
                "v1.2.3+build",
                "v1.2.3+incompatible.x",
                "v1.2.3 ",
                " v1.2.3",
                "v1.2.3-a_b",
            ],
        );
        // The ordering parser is laxer, which is why it is not reused.
        assert!(crate::gomod::semver::Version::parse("1.02").is_some());
    }

    #[test]
    fn go_lines_and_toolchains() {
        ok(
            go_version,
            &["1.21", "1.21.3", "1.21rc1", "1.0", "1.21.0", "1.9beta2"],
        );
        bad(
            go_version,
            &[
                "", "1", "01.21", "1.021", "1.21.", "go1.21", "1.21rc", "1.21-rc1", " 1.21",
                "1.21 ", "0.1", "1.21RC1", "1.2.3.4", "1.21rc1x",
            ],
        );
        // The comparator takes most of those: it is not a validator.
        assert!(crate::gomod::goversion::GoVersion::parse("1.21 junk").is_some());
        ok(
            toolchain,
            &[
                "default",
                "go1.21.3",
                "go1.21rc1",
                "go1.22.0-custom.build_1",
                "go1.21",
            ],
        );
        bad(
            toolchain,
            &[
                "",
                "go1",
                "1.21.3",
                "go1.21.3 X",
                "go1.21.3-",
                "Default",
                "go1.21.3-a/b",
                "go1.x",
                "local",
            ],
        );
    }

    #[test]
    fn local_replacements_stay_in_src() {
        ok(
            local_replacement,
            &["./x", "./third_party/dep", ".", "./", "./a/../b", "./a/./b"],
        );
        bad(
            local_replacement,
            &[
                "../src/x",
                "../x",
                "..",
                "../../x",
                "/abs",
                "x",
                "C:\\x",
                ".\\x",
                "./a\0",
                "./../../x",
                "./a/../../..",
                "../src/../..",
                "./a\\..\\..",
            ],
        );
    }

    #[test]
    fn packages_belong_to_their_module() {
        assert!(package_of("x.y/m", "x.y/m").is_ok());
        assert!(package_of("x.y/m", "x.y/m/sub").is_ok());
        for p in ["x.y/mm", "x.y/other", "x.y/m/../../etc", "x.y/m/"] {
            assert!(package_of("x.y/m", p).is_err(), "{p}");
        }
    }

    #[test]
    fn h1_hashes() {
        ok(h1, &["h1:7QSqs94JKI9ZTkKhkpE1TbacydZo1oFB/5LSaudvVGY="]);
        bad(
            h1,
            &[
                "",
                "h1:",
                "h2:7QSqs94JKI9ZTkKhkpE1TbacydZo1oFB/5LSaudvVGY=",
                "h1:AAAA",
                "h1:7QSqs94JKI9ZTkKhkpE1TbacydZo1oFB/5LSaudvVGY",
            ],
        );
    }
}
