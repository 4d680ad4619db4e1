//! Field rules for a signed manifest: a signature says who made a bundle, not
//! that its fields are sane. Each rule is the syntax the consumer (Go, the
//! linker, a registry, a file system) accepts, kept pure so pack can reuse it.

use std::fmt;

use serde::Serialize;

use super::manifest::{Build, Entry, Image, MainModule, Manifest, Module, ModuleReplace};
use super::names;

/// One manifest field that breaks its owner's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// Where, as `build.binary`, `modules[3].path` or `entries[12].path`.
    pub field: String,
    /// The offending value, clipped to [`MAX_SHOWN`] bytes.
    pub value: String,
    /// The rule it breaks, as a sentence.
    pub rule: String,
}

/// A hostile value may be megabytes long; a report needs only its start.
pub const MAX_SHOWN: usize = 200;

impl FieldProblem {
    fn new(field: String, value: &str, rule: String) -> FieldProblem {
        FieldProblem {
            field,
            value: clip(value),
            rule,
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "manifest field {} = {:?}: {}",
            self.field, self.value, self.rule
        )
    }
}

fn clip(value: &str) -> String {
    if value.len() <= MAX_SHOWN {
        return value.to_string();
    }
    let mut end = MAX_SHOWN;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end])
}

/// A string rule: Ok, or the rule the value breaks.
pub type Rule = fn(&str) -> Result<(), String>;

/// Every single-string rule by name, for callers that check flags and for fuzzing.
pub const STRING_RULES: [(&str, Rule); 20] = [
    ("module_path", module_path),
    ("import_path", import_path),
    ("main_module_path", main_module_path),
    ("version", version),
    ("go_version", go_version),
    ("toolchain", toolchain),
    ("main_version", main_version),
    ("h1", h1),
    ("local_replacement", local_replacement),
    ("binary_name", binary_name),
    ("plain_file_name", plain_file_name),
    ("main_package", main_package),
    ("build_tag", build_tag),
    ("ldflags", ldflags),
    ("image_reference", image_reference),
    ("image_tag", image_tag),
    ("image_digest", image_digest),
    ("image_entry", image_entry),
    ("entry_path", entry_path),
    ("sha256_hex", sha256_hex),
];

/// Every problem in `m`, in field order (entries by index).
pub fn check(m: &Manifest) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    main_module(&m.module, &mut out);
    build(&m.build, &mut out);
    for (i, module) in m.modules.iter().enumerate() {
        module_fields(i, module, &mut out);
    }
    for (i, image) in m.images.iter().enumerate() {
        image_fields(i, image, &mut out);
    }
    out.extend(entries(&m.entries));
    out
}

fn add(out: &mut Vec<FieldProblem>, field: impl Into<String>, value: &str, r: Result<(), String>) {
    if let Err(rule) = r {
        out.push(FieldProblem::new(field.into(), value, rule));
    }
}

fn main_module(m: &MainModule, out: &mut Vec<FieldProblem>) {
    add(out, "module.path", &m.path, main_module_path(&m.path));
    add(out, "module.version", &m.version, main_version(&m.version));
    if let Some(go) = &m.go {
        add(out, "module.go", go, go_version(go));
    }
    if let Some(t) = &m.toolchain {
        add(out, "module.toolchain", t, toolchain(t));
    }
}

fn build(b: &Build, out: &mut Vec<FieldProblem>) {
    add(out, "build.main", &b.main, main_package(&b.main));
    add(out, "build.binary", &b.binary, binary_name(&b.binary));
    for (i, tag) in b.tags.iter().enumerate() {
        add(out, format!("build.tags[{i}]"), tag, build_tag(tag));
    }
    add(out, "build.ldflags", &b.ldflags, ldflags(&b.ldflags));
}

fn module_fields(i: usize, m: &Module, out: &mut Vec<FieldProblem>) {
    let at = |f: &str| format!("modules[{i}].{f}");
    add(out, at("path"), &m.path, module_path(&m.path));
    add(
        out,
        at("version"),
        &m.version,
        versioned(&m.path, &m.version),
    );
    if let Some(r) = &m.replace {
        replacement(i, r, out);
    }
    for (name, h) in [("h1", &m.h1), ("go_mod_h1", &m.go_mod_h1)] {
        if let Some(h) = h {
            add(out, at(name), h, h1(h));
        }
    }
    if let Some(go) = &m.go {
        add(out, at("go"), go, go_version(go));
    }
    for (j, pkg) in m.packages.iter().enumerate() {
        let field = format!("modules[{i}].packages[{j}]");
        add(out, field, pkg, package_of(&m.path, pkg));
    }
}

fn replacement(i: usize, r: &ModuleReplace, out: &mut Vec<FieldProblem>) {
    let path = format!("modules[{i}].replace.path");
    match &r.version {
        Some(v) => {
            add(out, path, &r.path, module_path(&r.path));
            let field = format!("modules[{i}].replace.version");
            add(out, field, v, versioned(&r.path, v));
        }
        None => add(out, path, &r.path, local_replacement(&r.path)),
    }
}

/// A version, and when both are well-formed, that it fits the path's major suffix.
fn versioned(path: &str, v: &str) -> Result<(), String> {
    match module_path(path) {
        Ok(()) => path_major(path, v),
        Err(_) => version(v),
    }
}

fn image_fields(i: usize, img: &Image, out: &mut Vec<FieldProblem>) {
    let at = |f: &str| format!("images[{i}].{f}");
    add(
        out,
        at("reference"),
        &img.reference,
        image_reference(&img.reference),
    );
    add(out, at("tag"), &img.tag, image_tag(&img.tag));
    add(out, at("digest"), &img.digest, image_digest(&img.digest));
    add(out, at("entry"), &img.entry, image_entry(&img.entry));
}

/// Per-entry rules, then duplicates and file/folder clashes, merged by index.
fn entries(list: &[Entry]) -> Vec<FieldProblem> {
    let mut found: Vec<(usize, FieldProblem)> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let mut one = Vec::new();
        add(
            &mut one,
            format!("entries[{i}].path"),
            &e.path,
            entry_path(&e.path),
        );
        add(
            &mut one,
            format!("entries[{i}].sha256"),
            &e.sha256,
            sha256_hex(&e.sha256),
        );
        add(
            &mut one,
            format!("entries[{i}].mode"),
            &format!("{:04o}", e.mode),
            entry_mode(e.mode),
        );
        found.extend(one.into_iter().map(|p| (i, p)));
    }
    let paths: Vec<&str> = list.iter().map(|e| e.path.as_str()).collect();
    for (i, rule) in file_vs_folder(&paths) {
        let field = format!("entries[{i}].path");
        found.push((i, FieldProblem::new(field, &list[i].path, rule)));
    }
    // Stable: within one entry, its own fields stay before the clashes.
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, p)| p).collect()
}

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
// Versions.

/// A module version in Go's canonical semver form: `vMAJOR.MINOR.PATCH`,
/// optional `-pre.release` (pseudo-versions are such), optional
/// `+incompatible` and no other build metadata, no leading zeros.
///
/// `gomod::semver::Version::parse` is an ordering helper and too lax for
/// this: it accepts a missing `v`, `v1`/`v1.2` shorthands, leading zeros,
/// empty or non-ASCII pre-release identifiers and any `+build`.
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
/// `1.21.3`, `1.21rc1`. `gomod::goversion::GoVersion::parse` is a lenient
/// comparator (it trims, ignores what follows the numbers, accepts `1` and
/// `01.2`), so it is not used to validate.
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

/// The main module's version from `git describe`: one printable word.
pub fn main_version(v: &str) -> Result<(), String> {
    const MAX: usize = 128;
    if v.is_empty() || v.len() > MAX || v.starts_with('-') || !v.chars().all(visible) {
        return Err(format!(
            "a version is 1 to {MAX} bytes of visible characters, no whitespace, not starting with '-'"
        ));
    }
    Ok(())
}

/// Neither control, whitespace, nor the format characters (bidi overrides,
/// zero-width) that make text read differently than it compares.
fn visible(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && !invisible_format(c)
}

fn invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
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

/// A package the module provides: an import path, the module path or under it.
fn package_of(module: &str, pkg: &str) -> Result<(), String> {
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

// ---------------------------------------------------------------------------
// Local replacements and build fields.

/// A replacement without a version: a folder, relative to the module root
/// (`./x`, `../x`, as Go requires of a portable local replace; absolute
/// paths name the packing machine), whose lexical resolution from the
/// bundle's `src/` stays inside `src/` at every step. `../src/x` is refused
/// too: it only comes back because the bundle's folder is named `src`; in the
/// build the module root is `/go/src/<module>` and it would leave it.
pub fn local_replacement(path: &str) -> Result<(), String> {
    if path.chars().any(|c| c.is_control()) || path.contains('\\') {
        return Err("a local replacement has no control character or backslash".into());
    }
    let relative = path == "." || path == ".." || path.starts_with("./") || path.starts_with("../");
    if !relative {
        return Err("a local replacement is a relative path starting with ./ or ../".into());
    }
    if !stays_in_src(path) {
        return Err("a local replacement must stay inside the bundle's src/ tree".into());
    }
    Ok(())
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
        check_elem(elem, PathKind::Import)
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

// ---------------------------------------------------------------------------
// Images: github.com/distribution/reference's grammar, by hand.

/// Longest repository path, as distribution's `RepositoryNameTotalLengthMax`.
const MAX_REPOSITORY: usize = 255;

/// An image reference, `[domain[:port]/]path[:tag][@digest]`, strictly as
/// distribution/reference parses it: lower-case path components joined by
/// `.`, `_`, `__` or dashes, a tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, and a
/// digest of a registered algorithm (sha256/384/512) in lower-case hex of its length.
///
/// `oci_client::Reference` (oci-spec) is laxer: its regex's `\w` is Unicode,
/// so it takes tags such as `1.0-é`, and it takes upper-case digest hex.
pub fn image_reference(r: &str) -> Result<(), String> {
    parse_reference(r)
        .map(|_| ())
        .map_err(|why| format!("not an image reference: {why}"))
}

/// What [`parse_reference`] found besides the name.
struct Parsed<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn parse_reference(r: &str) -> Result<Parsed<'_>, String> {
    if r.is_empty() {
        return Err("empty".into());
    }
    let (rest, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    // A tag has no '/'; a port is always followed by one.
    let (name, tag) = match rest.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (rest, None),
    };
    if let Some(t) = tag {
        image_tag_word(t)?;
    }
    if let Some(d) = digest {
        reference_digest(d)?;
    }
    repository_name(name)?;
    Ok(Parsed { tag, digest })
}

fn repository_name(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('/').collect();
    // The grammar's optional domain is greedy: a first part that can be a
    // domain is one, when a path follows it.
    let path = match parts.split_first() {
        Some((first, rest)) if !rest.is_empty() && domain(first) => rest,
        _ => &parts[..],
    };
    if let Some(bad) = path.iter().find(|p| !path_component(p)) {
        return Err(format!(
            "path component {bad:?} is not lower-case [a-z0-9] joined by ., _, __ or dashes"
        ));
    }
    let len = path
        .iter()
        .map(|p| p.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if len > MAX_REPOSITORY {
        return Err(format!("repository path longer than {MAX_REPOSITORY}"));
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn path_component(p: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = p.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == b.len() {
            return true;
        }
        let sep = &p[i..];
        let skip = if sep.starts_with("__") {
            2
        } else if sep.starts_with(['.', '_']) {
            1
        } else {
            sep.bytes().take_while(|&c| c == b'-').count()
        };
        if skip == 0 {
            return false;
        }
        i += skip;
    }
}

/// `(?:domain-name|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`
fn domain(d: &str) -> bool {
    let port_at = if d.starts_with('[') {
        match d.find(']') {
            Some(end) => end + 1,
            None => return false,
        }
    } else {
        d.find(':').unwrap_or(d.len())
    };
    let (host, port) = d.split_at(port_at);
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok && host_ok(host)
}

fn host_ok(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    }
    host.split('.').all(|c| {
        let b = c.as_bytes();
        !b.is_empty()
            && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
    })
}

/// `[\w][\w.-]{0,127}` with `\w` ASCII, as in Go's regexp.
fn image_tag_word(t: &str) -> Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let ok = t.len() <= 128
        && t.bytes().next().is_some_and(word)
        && t.bytes().all(|b| word(b) || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {t:?} is not [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
        ))
    }
}

fn reference_digest(d: &str) -> Result<(), String> {
    let (alg, hex) = d.split_once(':').ok_or("digest without algorithm")?;
    let want = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "digest algorithm {alg:?} is not sha256, sha384 or sha512"
            ));
        }
    };
    if hex.len() == want && lower_hex(hex) {
        Ok(())
    } else {
        Err(format!("a {alg} digest is {want} lower-case hex digits"))
    }
}

fn lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The tag an image restores as on `docker load`: a reference with a tag
/// and no digest (Docker cannot tag with a digest).
pub fn image_tag(tag: &str) -> Result<(), String> {
    let parsed = parse_reference(tag).map_err(|why| format!("not an image tag: {why}"))?;
    if parsed.tag.is_none() || parsed.digest.is_some() {
        return Err("an image's local tag is name:tag, without a digest".into());
    }
    Ok(())
}

/// An image manifest digest: `sha256:` and 64 lower-case hex digits.
pub fn image_digest(d: &str) -> Result<(), String> {
    match d.strip_prefix("sha256:") {
        Some(hex) => sha256_hex(hex),
        None => Err("an image digest is sha256: and 64 lower-case hex digits".into()),
    }
}

/// The image's tar: `images/<plain file name>.tar`.
pub fn image_entry(entry: &str) -> Result<(), String> {
    let name = entry
        .strip_prefix("images/")
        .and_then(|n| n.strip_suffix(".tar"))
        .ok_or("an image entry is images/<name>.tar")?;
    plain_file_name(name).map_err(|why| format!("an image entry is images/<name>.tar: {why}"))?;
    entry_path(entry)
}

// ---------------------------------------------------------------------------
// Entries.

/// Version control folders: a bundle that carries one hands its hooks and
/// config to whoever runs git (or hg, svn…) in the unpacked tree.
const VCS_FOLDERS: [&str; 7] = [
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "cvs",
    "_darcs",
    ".fossil-settings",
];

/// An entry path: what `names::check` accepts (relative, `/`-separated, no
/// empty, `.` or `..` element, no backslash, NUL, control character or drive
/// letter), not the manifest or its signature, and no element that a
/// case-insensitive file system (or git's NTFS/HFS rules) reads as a VCS
/// folder: `.git`, `.hg`, `.svn`, `.bzr`, `CVS`, `_darcs`, `.fossil-settings`.
pub fn entry_path(path: &str) -> Result<(), String> {
    names::check(path.as_bytes()).map_err(|why| format!("not a bundle entry name: {why}"))?;
    if path == super::MANIFEST || path == super::SIGNATURE {
        return Err("the manifest and its signature are not entries".into());
    }
    if let Some(elem) = path.split('/').find(|e| vcs_folder(e)) {
        return Err(format!(
            "entry names a version control folder ({elem:?}); bundles carry none"
        ));
    }
    Ok(())
}

/// Whether a file system could open `elem` as a VCS folder: case folded,
/// NTFS's trailing dots and spaces and `::stream` dropped, HFS+'s ignored
/// code points removed, and git's `GIT~1` short name.
fn vcs_folder(elem: &str) -> bool {
    let base = elem.split(':').next().unwrap_or(elem);
    let folded: String = base
        .chars()
        .filter(|&c| !hfs_ignored(c))
        .collect::<String>()
        .trim_end_matches(['.', ' '])
        .to_ascii_lowercase();
    VCS_FOLDERS.contains(&folded.as_str()) || folded == "git~1"
}

/// Code points HFS+ ignores in names (git's `is_hfs_dotgit` list).
fn hfs_ignored(c: char) -> bool {
    matches!(c, '\u{200C}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}')
}

/// 64 lower-case hex digits.
pub fn sha256_hex(h: &str) -> Result<(), String> {
    if h.len() == 64 && lower_hex(h) {
        Ok(())
    } else {
        Err("a sha256 is 64 lower-case hex digits".into())
    }
}

/// 0644 or 0755: what ferry writes, no set-id, sticky or world-writable bits.
pub fn entry_mode(mode: u32) -> Result<(), String> {
    if mode == 0o644 || mode == 0o755 {
        Ok(())
    } else {
        Err("an entry mode is 0644 or 0755".into())
    }
}

/// Paths that cannot all be extracted: a duplicate, or a file that another
/// path needs as a folder (`src/a` and `src/a/b`). Each clash is reported
/// once, as `(index of the later path, rule naming the other)`.
pub fn file_vs_folder<S: AsRef<str>>(paths: &[S]) -> Vec<(usize, String)> {
    let mut order: Vec<usize> = (0..paths.len()).collect();
    // '/' sorts first, so a path's descendants follow it directly.
    let key = |i: &usize| {
        paths[*i]
            .as_ref()
            .bytes()
            .map(|b| if b == b'/' { 0 } else { u16::from(b) + 1 })
    };
    order.sort_by(|a, b| key(a).cmp(key(b)).then(a.cmp(b)));
    let mut out = Vec::new();
    let mut ancestors: Vec<usize> = Vec::new();
    let mut previous: Option<usize> = None;
    for &i in &order {
        let path = paths[i].as_ref();
        if let Some(p) = previous.filter(|&p| paths[p].as_ref() == path) {
            out.push((i.max(p), format!("duplicate of entries[{}]", i.min(p))));
            continue;
        }
        previous = Some(i);
        while let Some(&a) = ancestors.last() {
            if is_below(path, paths[a].as_ref()) {
                break;
            }
            ancestors.pop();
        }
        if let Some(&a) = ancestors.last() {
            out.push(clash(i, a, paths[a].as_ref()));
        }
        ancestors.push(i);
    }
    out.sort();
    out
}

/// The clash of entry `i` with the file `a` it needs as a folder, told at
/// the later of the two.
fn clash(i: usize, a: usize, file: &str) -> (usize, String) {
    if i > a {
        let rule = format!("needs entries[{a}] {file:?} as its folder, but that is a file");
        (i, rule)
    } else {
        let rule = format!("is a file, but entries[{i}] needs it as a folder");
        (a, rule)
    }
}

fn is_below(path: &str, folder: &str) -> bool {
    path.strip_prefix(folder)
        .is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::{BuildMode, Tool};

    fn ok(f: fn(&str) -> Result<(), String>, good: &[&str]) {
        for g in good {
            assert_eq!(f(g), Ok(()), "{g:?} was refused");
        }
    }

    fn bad(f: fn(&str) -> Result<(), String>, refused: &[&str]) {
        for b in refused {
            assert!(f(b).is_err(), "{b:?} was accepted");
        }
    }

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
    fn main_module_versions() {
        ok(
            main_version,
            &[
                "d9046ca-dirty",
                "unversioned",
                "v1.2.3-4-gabcdef0",
                "v1.0-β",
            ],
        );
        let long = "x".repeat(129);
        bad(
            main_version,
            &[
                "",
                "-x",
                "a b",
                "a\nb",
                "a\tb",
                "a\u{202e}b",
                "a\u{200b}b",
                &long,
            ],
        );
    }

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

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        let d = digest('a');
        let with_digest = [
            format!("ghcr.io/org/app@{d}"),
            format!("a/b:t@{d}"),
            format!("x@sha512:{}", "0".repeat(128)),
        ];
        let good = [
            "alpine",
            "alpine:3.19",
            "docker.io/library/alpine:3.19",
            "golang:1.26.8-alpine3.22",
            "127.0.0.1:5055/test/busybox:1",
            "localhost:5000/a/b",
            "localhost:5000",
            "[::1]:5000/a",
            "Registry.Example/x",
            "a__b",
            "a-----b",
            "a.b_c/d",
            "x:_Tag.1-2",
        ];
        ok(image_reference, &good);
        ok(
            image_reference,
            &with_digest.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let long_path = format!("x.io/{}", "a".repeat(256));
        let long_tag = format!("a:{}", "t".repeat(129));
        let upper_digest = format!("a@sha256:{}", "A".repeat(64));
        let short_digest = format!("a@sha256:{}", "a".repeat(63));
        let md5 = format!("a@md5:{}", "a".repeat(32));
        bad(
            image_reference,
            &[
                "",
                "Alpine",
                "a/B",
                "a..b",
                "a/../b",
                "a:",
                ":t",
                "a:-t",
                "a:.t",
                "a:t/x",
                "a:tagé",
                "a b",
                "-a",
                "a/",
                "/a",
                "a//b",
                "[::1/a",
                "a.-b",
                "a_.b",
                "a___b",
                "a:t:u",
                "a@",
                "a@sha256",
                "-x.io/a",
                "x-.io/a",
                "x.io:/a",
                "x.io:5a/b",
                &long_path,
                &long_tag,
                &upper_digest,
                &short_digest,
                &md5,
            ],
        );
    }

    #[test]
    fn oci_client_is_laxer_than_the_grammar() {
        // Rust's regex \w is Unicode and [[:xdigit:]] takes upper case:
        // the reason image_reference does not lean on oci_client.
        for lax in [
            "alpine:tagé".to_string(),
            format!("a@sha256:{}", "A".repeat(64)),
        ] {
            assert!(lax.parse::<oci_client::Reference>().is_ok(), "{lax}");
            assert!(image_reference(&lax).is_err(), "{lax}");
        }
    }

    #[test]
    fn image_fields() {
        let t = format!("test/busybox:sha256-{}", "a".repeat(64));
        ok(image_tag, &["golang:1.26", "team/base:2", &t]);
        let digested = format!("golang:1@{}", digest('b'));
        bad(image_tag, &["golang", &digested, "Golang:1"]);
        ok(image_digest, &[&digest('0')]);
        let upper = digest('A');
        bad(
            image_digest,
            &[
                "",
                "sha256:",
                &upper,
                &digest('a')[..70],
                &format!("sha512:{}", "a".repeat(64)),
            ],
        );
        ok(
            image_entry,
            &["images/golang_1.26.tar", "images/test_busybox_1.tar"],
        );
        bad(
            image_entry,
            &[
                "images/.tar",
                "images/a/b.tar",
                "images/../x.tar",
                "src/x.tar",
                "images/x.zip",
                "images/-x.tar",
                "images/.git.tar",
            ],
        );
    }

    #[test]
    fn entry_paths() {
        ok(
            entry_path,
            &[
                "src/main.go",
                "src/a..b/c",
                ".dockerignore",
                "src/.github/x",
                "src/.gitignore",
                "src/gitx/y",
                "src/.gitmodules",
            ],
        );
        bad(
            entry_path,
            &[
                ".git/config",
                "src/.git/hooks/pre-commit",
                "src/.GIT/x",
                "src/.Git./x",
                "src/.git /x",
                "src/.git::$INDEX_ALLOCATION/x",
                "src/git~1/x",
                "src/.g\u{200c}it/x",
                "src/CVS/Entries",
                "src/cvs",
                "src/_darcs/x",
                "src/.hg/x",
                "src/.SVN/x",
                "src/.bzr",
                "src/.Fossil-Settings/x",
                "ferry.json",
                "ferry.json.minisig",
                "../x",
                "/x",
                "src//x",
                "C:/x",
                "a\\b",
                "",
            ],
        );
    }

    #[test]
    fn hashes_and_modes() {
        ok(sha256_hex, &[&"0123456789abcdef".repeat(4)]);
        bad(
            sha256_hex,
            &["", "00", &"A".repeat(64), &"a".repeat(65), &"g".repeat(64)],
        );
        assert!(entry_mode(0o644).is_ok() && entry_mode(0o755).is_ok());
        for m in [0, 0o600, 0o777, 0o4755, 0o100644] {
            assert!(entry_mode(m).is_err(), "{m:o}");
        }
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
    fn files_that_are_also_folders_and_duplicates() {
        let clashes = file_vs_folder(&[
            "src/a",
            "src/a.txt",
            "src/a-b",
            "src/a/b",
            "src/a/c/d",
            "src/b",
            "src/a.txt",
        ]);
        assert_eq!(
            clashes,
            [
                (
                    3,
                    "needs entries[0] \"src/a\" as its folder, but that is a file".to_string()
                ),
                (
                    4,
                    "needs entries[0] \"src/a\" as its folder, but that is a file".to_string()
                ),
                (6, "duplicate of entries[1]".to_string()),
            ]
        );
        // The earlier entry needing the later as a folder: told at the later.
        let later = file_vs_folder(&["src/x/y", "src/x"]);
        assert_eq!(
            later,
            [(
                1,
                "is a file, but entries[0] needs it as a folder".to_string()
            )]
        );
        assert!(file_vs_folder(&["src/a", "src/ab", "src/a.b/c", "src/b/c"]).is_empty());
        assert!(file_vs_folder::<&str>(&[]).is_empty());
        let three = file_vs_folder(&["x", "x", "x"]);
        assert_eq!(three.iter().map(|c| c.0).collect::<Vec<_>>(), [1, 2]);
    }

    pub(crate) fn sample() -> Manifest {
        let hash = "ab".repeat(32);
        let entry = |path: &str, mode: u32| Entry {
            path: path.into(),
            sha256: hash.clone(),
            size: 1,
            mode,
        };
        Manifest {
            format: crate::bundle::manifest::FORMAT.into(),
            tool: Tool {
                name: "ferry".into(),
                version: "0.1.0".into(),
            },
            created: "1980-01-01T00:00:00Z".into(),
            module: MainModule {
                path: "example.com/hello".into(),
                version: "d9046ca-dirty".into(),
                go: Some("1.21".into()),
                toolchain: Some("go1.21.3".into()),
            },
            go_version: "go1.26.8".into(),
            build: Build {
                mode: BuildMode::Vendor,
                main: "./cmd/hello".into(),
                binary: "hello".into(),
                tags: vec!["netgo".into()],
                ldflags: "-X main.version=1.0".into(),
                checked: false,
                checked_with: None,
            },
            modules: vec![Module {
                path: "example.com/strutil".into(),
                version: "v1.0.0".into(),
                replace: Some(ModuleReplace {
                    path: "./third_party/strutil".into(),
                    version: None,
                }),
                h1: None,
                go_mod_h1: Some("h1:D6ThgbjyonH0CWIa8Up4jUk38/W3vspG7lJVzCse+tA=".into()),
                explicit: true,
                go: Some("1.21".into()),
                packages: vec!["example.com/strutil".into()],
            }],
            images: vec![Image {
                reference: "docker.io/library/golang:1.26".into(),
                tag: "golang:1.26".into(),
                digest: format!("sha256:{hash}"),
                platform: "linux/amd64".into(),
                role: crate::image::Role::Builder,
                entry: "images/golang_1.26.tar".into(),
            }],
            entries: vec![
                entry("Dockerfile", 0o644),
                entry("images/golang_1.26.tar", 0o644),
                entry("src/main.go", 0o644),
                entry("src/run.sh", 0o755),
            ],
        }
    }

    #[test]
    fn a_sane_manifest_has_no_problems() {
        assert_eq!(check(&sample()), []);
        let seed = include_bytes!("../../fuzz/seeds/manifest/hello.json");
        assert_eq!(check(&Manifest::from_bytes(seed).unwrap()), []);
    }

    #[test]
    fn the_hostile_seed_breaks_each_rule_it_aims_at() {
        let seed = include_bytes!("../../fuzz/seeds/manifest_fields/hostile.json");
        let fields: Vec<String> = check(&Manifest::from_bytes(seed).unwrap())
            .into_iter()
            .map(|p| p.field)
            .collect();
        let last = "entries[13].path".to_string();
        for want in [
            "module.path",
            "module.version",
            "module.go",
            "module.toolchain",
            "build.main",
            "build.binary",
            "build.tags[0]",
            "build.ldflags",
            "modules[0].version",
            "modules[0].replace.path",
            "modules[0].go",
            "modules[0].packages[0]",
            "images[0].reference",
            "images[0].tag",
            "images[0].digest",
            "images[0].entry",
            "entries[0].path",
            "entries[13].mode",
            &last,
        ] {
            assert!(fields.iter().any(|f| f == want), "{want} not in {fields:?}");
        }
    }

    #[test]
    fn problems_come_in_field_order() {
        let mut m = sample();
        m.entries[3].path = "src/main.go/x".into();
        m.entries[1].mode = 0o4755;
        m.modules[0].replace = Some(ModuleReplace {
            path: "../../etc".into(),
            version: None,
        });
        m.build.binary = "../x".into();
        m.build.ldflags = "-extld=/bin/sh".into();
        m.module.path = "-m".into();
        let fields: Vec<String> = check(&m).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "module.path",
                "build.binary",
                "build.ldflags",
                "modules[0].replace.path",
                "entries[1].mode",
                "entries[3].path",
            ]
        );
    }

    #[test]
    fn problems_read_as_one_line_with_the_value_clipped() {
        let mut m = sample();
        m.build.binary = "../x".into();
        let p = &check(&m)[0];
        assert!(
            p.to_string()
                .starts_with(r#"manifest field build.binary = "../x": "#),
            "{p}"
        );
        m.build.binary = "é".repeat(500);
        let p = &check(&m)[0];
        assert!(p.value.len() <= MAX_SHOWN + '…'.len_utf8() && p.value.ends_with('…'));
    }

    proptest::proptest! {
        #[test]
        fn check_never_panics(
            s in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::any::<String>(),
                    "[a-zA-Z0-9./@:_~+\\-\\[\\] '\"=]{0,24}",
                    "(v[0-9]{1,2}\\.[0-9]\\.[0-9](-[a-z0-9.]{0,6})?(\\+incompatible)?|1\\.[0-9]{1,2}(rc1)?|go1\\.2[0-9](\\.[0-9])?|\\.|\\.\\.|/|-)",
                ],
                22,
            ),
            mode in proptest::prelude::any::<u32>(),
            versioned in proptest::prelude::any::<bool>(),
        ) {
            let mut m = sample();
            m.module = MainModule { path: s[0].clone(), version: s[1].clone(), go: Some(s[2].clone()), toolchain: Some(s[3].clone()) };
            m.build.main = s[4].clone();
            m.build.binary = s[5].clone();
            m.build.tags = vec![s[6].clone()];
            m.build.ldflags = s[7].clone();
            let module = &mut m.modules[0];
            module.path = s[8].clone();
            module.version = s[9].clone();
            module.replace = Some(ModuleReplace { path: s[10].clone(), version: versioned.then(|| s[11].clone()) });
            module.h1 = Some(s[12].clone());
            module.go = Some(s[13].clone());
            module.packages = vec![s[14].clone()];
            let image = &mut m.images[0];
            image.reference = s[15].clone();
            image.tag = s[16].clone();
            image.digest = s[17].clone();
            image.entry = s[19].clone();
            m.entries[0].path = s[20].clone();
            m.entries[1].path = s[21].clone();
            m.entries[0].sha256 = s[20].clone();
            m.entries[2].mode = mode;
            let problems = check(&m);
            for p in &problems {
                proptest::prop_assert!(!p.rule.is_empty() && p.value.len() <= MAX_SHOWN + 3);
            }
            let _ = path_major(&s[8], &s[9]);
        }
    }
}
