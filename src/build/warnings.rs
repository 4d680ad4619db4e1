//! Where the offline build may not mean what module mode means: GOPATH mode
//! ignores go.mod, so the language version, GODEBUG defaults and major-version
//! paths change; a builder older than go.mod asks cannot build it at all; and
//! `go mod vendor` drops C headers that cgo files include (golang/go#26366).

use crate::dockerfile::BuildMode;
use crate::exit::Severity;
pub use crate::gomod::goversion::{GoVersion, Stage};
use crate::gomod::modfile::ModFile;

/// The builder's Go must be at least go.mod's `go` line: with
/// GOTOOLCHAIN=local nothing newer is fetched, and older Go refuses the module
/// (module mode) or lacks what it uses (GOPATH mode).
pub fn check_builder_go(builder: &str, have: GoVersion, go_line: &str) -> Result<(), String> {
    // A tag such as golang:1.22 names the newest 1.22.x: only its language
    // version is known.
    let older = |need: GoVersion| match have.2 {
        Stage::Language => have.language() < need.language(),
        _ => have < need,
    };
    match GoVersion::parse(go_line) {
        Some(need) if older(need) => Err(format!(
            "the builder image {builder} has {have}, but go.mod says go {go_line}: choose a builder with that Go or newer"
        )),
        _ => Ok(()),
    }
}

/// A cgo file in vendor/ that includes a header `go mod vendor` did not copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingInclude {
    pub file: String,
    pub header: String,
}

/// Whose Go the warnings are about, named as the message names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoOf {
    /// The Dockerfile's builder image.
    Builder,
    /// The Go pack runs: the proof's, and `ferry build`'s at a site with the same.
    Local,
    /// The Go `ferry build` runs on this machine.
    Site,
}

impl GoOf {
    /// `the builder's go1.26.8`, as a message says it.
    fn name(self, v: GoVersion) -> String {
        match self {
            GoOf::Builder => format!("the builder's {v}"),
            GoOf::Local => format!("the local {v} (which builds the proof, as ferry build would)"),
            GoOf::Site => format!("this machine's {v}"),
        }
    }
}

/// Everything the warnings are about.
pub struct Context<'a> {
    pub mode: BuildMode,
    pub modfile: &'a ModFile,
    /// The builder's Go, when it can be told (image env GOLANG_VERSION, or
    /// the local Go for `ferry build` and the proof).
    pub builder_go: Option<GoVersion>,
    /// Whose Go `builder_go` is.
    pub go_of: GoOf,
    /// The file `modfile`'s `go` and `godebug` lines come from: `go.mod`,
    /// or in a workspace `go.work`.
    pub go_file: &'a str,
    pub missing_includes: &'a [MissingInclude],
}

/// The warnings for `ctx`, each one sentence a release engineer can act on.
/// What kind of warning this is; the kebab-case name is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// No `--builder-image`: the Dockerfile names an image the bundle lacks.
    BuilderNotBundled,
    /// The builder image's Go version cannot be told.
    BuilderGoUnknown,
    /// go.mod's toolchain line is newer than the builder's Go.
    ToolchainNewer,
    /// A cgo header that `go mod vendor` did not copy.
    CgoHeaderMissing,
    /// GOPATH mode gives loop variables Go 1.22 semantics under an older go line.
    GopathLoopVariables,
    /// GOPATH mode takes GODEBUG defaults from the builder, not go.mod.
    GopathGodebugDefaults,
    /// GOPATH mode ignores go.mod's godebug lines.
    GopathGodebugIgnored,
    /// A `/vN` module path in GOPATH mode.
    GopathMajorSuffix,
    /// `--cgo` with a `scratch` final stage, which has no C library.
    CgoOnScratch,
    /// A needed package that cgo off builds from other files (a stub).
    CgoStub,
}

impl Code {
    /// Every warning code, in the order docs/diagnostics.md lists them.
    pub const ALL: [Code; 10] = [
        Code::BuilderNotBundled,
        Code::BuilderGoUnknown,
        Code::ToolchainNewer,
        Code::CgoHeaderMissing,
        Code::GopathLoopVariables,
        Code::GopathGodebugDefaults,
        Code::GopathGodebugIgnored,
        Code::GopathMajorSuffix,
        Code::CgoOnScratch,
        Code::CgoStub,
    ];

    /// The stable name, as JSON and docs/diagnostics.md spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BuilderNotBundled => "builder-not-bundled",
            Code::BuilderGoUnknown => "builder-go-unknown",
            Code::ToolchainNewer => "toolchain-newer",
            Code::CgoHeaderMissing => "cgo-header-missing",
            Code::GopathLoopVariables => "gopath-loop-variables",
            Code::GopathGodebugDefaults => "gopath-godebug-defaults",
            Code::GopathGodebugIgnored => "gopath-godebug-ignored",
            Code::GopathMajorSuffix => "gopath-major-suffix",
            Code::CgoOnScratch => "cgo-on-scratch",
            Code::CgoStub => "cgo-stub",
        }
    }
}

/// Where the offline build may not do what the user expects: printed, and
/// recorded in `pack --json`, but never a failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
}

impl Warning {
    pub fn new(code: Code, message: String) -> Warning {
        Warning {
            code,
            severity: Severity::Warning,
            message,
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub fn warnings(ctx: &Context) -> Vec<Warning> {
    let mut out = Vec::new();
    let go_line = ctx.modfile.go.as_deref().and_then(GoVersion::parse);
    if ctx.mode == BuildMode::Gopath {
        gopath_warnings(ctx, go_line, &mut out);
    }
    let toolchain = ctx.modfile.toolchain.as_deref().and_then(GoVersion::parse);
    if let (Some(tc), Some(builder)) = (toolchain, ctx.builder_go) {
        if tc > builder {
            out.push(Warning::new(
            Code::ToolchainNewer,
            format!(
                "go.mod's toolchain line asks for {tc}, newer than {}; with GOTOOLCHAIN=local nothing is downloaded, so the build uses {builder}",
                ctx.go_of.name(builder)
            )));
        }
    }
    for m in ctx.missing_includes {
        out.push(Warning::new(
            Code::CgoHeaderMissing,
            format!(
            "{}: #include \"{}\" is not in vendor/: go mod vendor copies no C headers of folders without Go files (golang/go#26366); with CGO_ENABLED=0 the file is not compiled",
            m.file, m.header
        )));
    }
    out
}

fn gopath_warnings(ctx: &Context, go_line: Option<GoVersion>, out: &mut Vec<Warning>) {
    let builder = ctx.builder_go;
    if let (Some(line), Some(b)) = (go_line, builder) {
        if line.language() < (1, 22) && b.language() >= (1, 22) {
            out.push(Warning::new(
            Code::GopathLoopVariables,
            format!(
                "{} says go {}.{}, but GOPATH mode compiles with the language of {}: loop variables are per iteration (Go 1.22 semantics), not shared as in module mode",
                ctx.go_file, line.0, line.1, ctx.go_of.name(b)
            )));
        }
        if line.language() < b.language() {
            out.push(Warning::new(
            Code::GopathGodebugDefaults,
            format!(
                "GODEBUG defaults in GOPATH mode are those of {b}, not of {}'s go {}.{} (for example panicnil, httpmuxgo121, x509negativeserial)",
                ctx.go_file, line.0, line.1
            )));
        }
    }
    if !ctx.modfile.godebug.is_empty() {
        out.push(Warning::new(
            Code::GopathGodebugIgnored,
            format!(
                "{}'s godebug settings ({}) are ignored in GOPATH mode",
                ctx.go_file,
                ctx.modfile.godebug.join(", ")
            ),
        ));
    }
    if let Some(suffix) = major_suffix(&ctx.modfile.module) {
        out.push(Warning::new(
            Code::GopathMajorSuffix,
            format!(
            "the module path ends in /{suffix}: in GOPATH mode the source sits at /go/src/{} and only imports that spell /{suffix} find it",
            ctx.modfile.module
        )));
    }
}

/// `v2` of `example.com/x/v2`.
fn major_suffix(module: &str) -> Option<&str> {
    let last = module.rsplit('/').next()?;
    let digits = last.strip_prefix('v')?;
    let major: u32 = digits.parse().ok()?;
    (major >= 2 && module.contains('/')).then_some(last)
}

/// The quoted `#include "…"` lines of a cgo file's preamble, if it is one.
pub fn cgo_includes(source: &str) -> Vec<String> {
    if !source.contains("import \"C\"") {
        return Vec::new();
    }
    source
        .lines()
        .filter_map(|l| {
            let l = l.trim_start_matches(|c: char| c == '/' || c == '*' || c.is_whitespace());
            let rest = l.strip_prefix("#include")?.trim();
            let header = rest.strip_prefix('"')?.split('"').next()?;
            Some(header.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gomod::modfile;

    fn warn(mode: BuildMode, gomod: &str, builder: &str) -> Vec<String> {
        let m = modfile::parse(gomod).unwrap();
        let found = warnings(&Context {
            mode,
            modfile: &m,
            builder_go: GoVersion::parse(builder),
            go_of: GoOf::Builder,
            go_file: "go.mod",
            missing_includes: &[],
        });
        found
            .iter()
            .map(|w| format!("{}: {w}", w.code.as_str()))
            .collect()
    }

    #[test]
    fn the_message_names_whose_go_it_is() {
        let m = modfile::parse("module x\n\ngo 1.21\n\ntoolchain go1.30.1\n").unwrap();
        let texts = |go_of| {
            let ctx = Context {
                mode: BuildMode::Gopath,
                modfile: &m,
                builder_go: GoVersion::parse("go1.26.8"),
                go_of,
                go_file: "go.work",
                missing_includes: &[],
            };
            warnings(&ctx)
                .iter()
                .map(|w| w.message.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let local = texts(GoOf::Local);
        assert!(
            local.contains(
                "newer than the local go1.26.8 (which builds the proof, as ferry build would)"
            ),
            "{local}"
        );
        assert!(
            local.contains("compiles with the language of the local go1.26.8"),
            "{local}"
        );
        assert!(!local.contains("builder's"), "{local}");
        assert!(local.contains("go.work says go 1.21"), "{local}");
        assert!(texts(GoOf::Builder).contains("newer than the builder's go1.26.8"));
        assert!(texts(GoOf::Site).contains("newer than this machine's go1.26.8"));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            GoVersion::parse("go1.26.8"),
            Some(GoVersion::release(1, 26, 8))
        );
        assert_eq!(
            GoVersion::parse("1.22"),
            Some(GoVersion(1, 22, Stage::Language, 0))
        );
        assert_eq!(
            GoVersion::parse("go1.23rc1"),
            Some(GoVersion(1, 23, Stage::Rc, 1))
        );
        assert_eq!(GoVersion::parse("devel"), None);
    }

    #[test]
    fn loop_variables_and_godebug_in_gopath_mode() {
        let w = warn(
            BuildMode::Gopath,
            "module example.com/a\ngo 1.21\n",
            "go1.26.8",
        );
        assert!(
            w.iter().any(|s| s.starts_with("gopath-loop-variables: ")
                && s.contains("loop variables are per iteration")),
            "{w:?}"
        );
        assert!(w.iter().any(|s| s.contains("GODEBUG defaults")), "{w:?}");
        let w = warn(
            BuildMode::Vendor,
            "module example.com/a\ngo 1.21\n",
            "go1.26.8",
        );
        assert!(w.is_empty(), "module mode keeps go.mod's semantics: {w:?}");
        let w = warn(
            BuildMode::Gopath,
            "module example.com/a\ngo 1.26\n",
            "go1.26.8",
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn godebug_lines_major_suffix_and_toolchain() {
        let w = warn(
            BuildMode::Gopath,
            "module example.com/a/v3\ngo 1.26\ngodebug panicnil=1\ntoolchain go1.27.1\n",
            "go1.26.8",
        );
        assert!(
            w.iter()
                .any(|s| s.contains("godebug settings (panicnil=1) are ignored")),
            "{w:?}"
        );
        assert!(w.iter().any(|s| s.contains("ends in /v3")), "{w:?}");
        assert!(
            w.iter()
                .any(|s| s.contains("toolchain line asks for go1.27.1")),
            "{w:?}"
        );
    }

    #[test]
    fn an_older_builder_than_go_mod_asks_is_refused() {
        let have = GoVersion::release(1, 22, 5);
        assert!(check_builder_go("golang:1.22", have, "1.22").is_ok());
        assert!(check_builder_go("golang:1.22", have, "1.22.5").is_ok());
        let err = check_builder_go("golang:1.22", have, "1.23").unwrap_err();
        assert!(
            err.contains("has go1.22.5, but go.mod says go 1.23"),
            "{err}"
        );
    }

    #[test]
    fn cgo_includes_are_read_from_the_preamble() {
        let src = "package x\n\n// #cgo CFLAGS: -I.\n// #include \"lib/api.h\"\n// #include <stdlib.h>\nimport \"C\"\n";
        assert_eq!(cgo_includes(src), vec!["lib/api.h".to_string()]);
        assert!(cgo_includes("package x\n// #include \"a.h\"\n").is_empty());
    }
}
