//! The offline Dockerfile and its `.dockerignore`. The unpacked bundle is the
//! build context; every base image is a tar in `images/` restored by tag, and
//! every dependency is in `src/vendor/`, so no line of it fetches anything.
//! A pure function of the build settings: the same bundle, the same text.

use serde::{Deserialize, Serialize};

/// How the offline build finds vendored code; the Dockerfile and `ferry
/// build` use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildMode {
    /// `GO111MODULE=off`, the source under `$GOPATH/src/<module>`.
    Gopath,
    /// `-mod=vendor` in module mode.
    Vendor,
}

/// One main package and the binary built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainPackage {
    /// Relative to the module root (`.` or `./cmd/x`).
    pub package: String,
    /// The binary's file name.
    pub binary: String,
}

/// The platform Go builds for, as `GOOS` and `GOARCH`: always set by ferry,
/// never inherited from the environment of whoever runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub os: String,
    pub arch: String,
}

impl Default for Target {
    /// `linux/amd64`, pack's default `--platform`.
    fn default() -> Target {
        Target {
            os: "linux".into(),
            arch: "amd64".into(),
        }
    }
}

/// What the Dockerfile builds, and from which images.
#[derive(Debug, Clone)]
pub struct Spec {
    pub module: String,
    pub mode: BuildMode,
    /// Every binary, in order; the first is the image's `ENTRYPOINT`.
    pub mains: Vec<MainPackage>,
    pub tags: Vec<String>,
    pub ldflags: String,
    /// `CGO_ENABLED=1`: the builder needs a C toolchain, the runtime a libc.
    pub cgo: bool,
    /// The tag the builder image restores as.
    pub builder: String,
    /// Whether the builder is in images/ (else the site must provide it).
    pub builder_bundled: bool,
    /// The runtime image's tag; `None` is `scratch`.
    pub runtime: Option<String>,
    pub expose: Vec<u16>,
    /// Where the module (and its workspace) sit below `src/`.
    pub layout: crate::source::Layout,
    /// What the offline build (the proof, `ferry build`) builds for; the
    /// Dockerfile's builder image is of that platform already.
    pub target: Target,
}

/// The Dockerfile, with short comments saying why each line is there.
pub fn render(spec: &Spec) -> String {
    let mut out = String::new();
    header(&mut out, spec);
    builder_stage(&mut out, spec);
    final_stage(&mut out, spec);
    out
}

fn header(out: &mut String, spec: &Spec) {
    use crate::source::Layout;
    let mode = match spec.mode {
        BuildMode::Gopath => "gopath",
        BuildMode::Vendor => "vendor",
    };
    let builder_note = if spec.builder_bundled {
        "images/ holds every base image: `docker load -i` (or `podman load -i`) each tar first"
    } else {
        "the builder image is NOT in images/: the site must provide it under this tag"
    };
    out.push_str(&format!(
        "# Offline build of {module}, written by ferry {version} ({mode} mode).\n\
         # Nothing here reaches a network: {builder_note},\n\
         # and every dependency is in {vendor}. Build with --network none and --pull=never.\n\
         # REGISTRY prefixes the base images: --build-arg REGISTRY=harbor.intra:5000/ takes them\n\
         # from an intranet registry that `ferry images push` filled.\n\
         ARG REGISTRY=\n\n",
        module = spec.module,
        version = crate::VERSION,
        vendor = Layout::join("src", &Layout::join(spec.layout.vendor_root(), "vendor/")),
    ));
}

fn builder_stage(out: &mut String, spec: &Spec) {
    out.push_str(&format!("FROM ${{REGISTRY}}{} AS build\n", spec.builder));
    match spec.mode {
        BuildMode::Gopath => {
            out.push_str(
                "# GOPATH mode, the classic recipe: no module resolution at all, imports come\n\
                 # from vendor/ beside the source, which must sit under $GOPATH/src/<module path>.\n\
                 ENV GO111MODULE=off GOPATH=/go GOFLAGS= GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local ",
            );
        }
        BuildMode::Vendor => {
            out.push_str(
                "# Module mode from vendor/ only: -mod=vendor, no proxy, no checksum database,\n\
                 # and no toolchain download whatever go.mod says.\n\
                 ENV GOFLAGS=-mod=vendor GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local ",
            );
        }
    }
    out.push_str(&format!("CGO_ENABLED={}\n", cgo_enabled(spec.cgo)));
    out.push_str(&source_lines(spec));
    out.push_str(
        "# -trimpath and -s -w: no build paths or symbols in the binary; the timetzdata tag\n\
         # embeds the time zone database, as a scratch image has none.\n",
    );
    for main in &spec.mains {
        out.push_str(&format!("RUN {}\n", json_array(&build_args(spec, main))));
    }
    out.push('\n');
}

/// The value of `CGO_ENABLED` for the build.
pub fn cgo_enabled(cgo: bool) -> &'static str {
    if cgo { "1" } else { "0" }
}

/// Where the source goes and where `go build` runs, for the bundle's layout:
/// the module at `src/` as before; a module below it (beside the local
/// replacement folders it names); a workspace, whose modules GOPATH mode
/// lays at `/go/src/<module path>` with the shared vendor/ at `/go/src/vendor`.
fn source_lines(spec: &Spec) -> String {
    let l = &spec.layout;
    let src = |dir: &str| match dir {
        "" => "src/".to_string(),
        d => format!("src/{d}/"),
    };
    match (spec.mode, &l.workspace) {
        (BuildMode::Gopath, None) => format!(
            "WORKDIR /go/src/{}\nCOPY {} ./\n",
            spec.module,
            src(&l.module_dir)
        ),
        (BuildMode::Gopath, Some(ws)) => {
            let mut out = String::from(
                "# The workspace: each module at its import path, and the workspace's vendor/\n\
                 # at the top of GOPATH, where every module's imports find it.\n",
            );
            for m in &ws.modules {
                out.push_str(&format!("COPY {} /go/src/{}/\n", src(&m.dir), m.path));
            }
            let vendor = crate::source::Layout::join(&ws.dir, "vendor");
            out.push_str(&format!(
                "COPY src/{vendor}/ /go/src/vendor/\nWORKDIR /go/src/{}\n",
                spec.module
            ));
            out
        }
        // No workspace: Go must not pick up a go.work it finds on the way up.
        (BuildMode::Vendor, _) if l.module_dir.is_empty() && l.workspace.is_none() => {
            "WORKDIR /src\nCOPY src/ ./\nENV GOWORK=off\n".to_string()
        }
        (BuildMode::Vendor, ws) => {
            let gowork = match ws {
                Some(w) => format!("/src/{}", crate::source::Layout::join(&w.dir, "go.work")),
                None => "off".into(),
            };
            format!(
                "WORKDIR /src\nCOPY src/ ./\nENV GOWORK={gowork}\nWORKDIR /src/{}\n",
                l.module_dir
            )
        }
    }
}

/// `go build` of one main package as the Dockerfile and `ferry build` run it.
pub fn build_args(spec: &Spec, main: &MainPackage) -> Vec<String> {
    let mut tags = vec!["timetzdata".to_string()];
    tags.extend(spec.tags.iter().filter(|t| !t.is_empty()).cloned());
    let mut ldflags = "-s -w".to_string();
    if !spec.ldflags.trim().is_empty() {
        ldflags.push(' ');
        ldflags.push_str(spec.ldflags.trim());
    }
    [
        "go",
        "build",
        "-trimpath",
        "-tags",
        &tags.join(","),
        "-ldflags",
        &ldflags,
        "-o",
        &format!("/out/{}", main.binary),
        &main_package(&main.package),
    ]
    .map(String::from)
    .to_vec()
}

/// `.` or `./cmd/x`: a package path relative to the working folder.
fn main_package(main: &str) -> String {
    let trimmed = main.trim_start_matches("./").trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        ".".into()
    } else {
        format!("./{trimmed}")
    }
}

fn final_stage(out: &mut String, spec: &Spec) {
    match &spec.runtime {
        Some(tag) => out.push_str(&format!("FROM ${{REGISTRY}}{tag}\n")),
        None => out.push_str(
            "# Nothing but the binary, its CA certificates and a user id.\nFROM scratch\n",
        ),
    }
    out.push_str(
        "# CA certificates from the builder, for the service's TLS clients.\n\
         COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n",
    );
    for main in &spec.mains {
        out.push_str(&format!(
            "COPY --from=build /out/{bin} /{bin}\n",
            bin = main.binary
        ));
    }
    out.push_str(
        "# Not root: nobody:nogroup, which needs no /etc/passwd.\n\
         USER 65534:65534\n",
    );
    for port in &spec.expose {
        out.push_str(&format!("EXPOSE {port}\n"));
    }
    if let Some(first) = spec.mains.first() {
        out.push_str(&format!(
            "ENTRYPOINT {}\n",
            json_array(&[format!("/{}", first.binary)])
        ));
    }
}

/// Exec form: a JSON array, so no shell is needed and no flag is re-split.
fn json_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_default()
}

/// What the build context leaves out: only src/ is needed.
pub fn dockerignore() -> String {
    "# The build needs src/ only: images are loaded, not copied, and the rest is for ferry.\n\
     images/\n\
     modcache/\n\
     proofs/\n\
     ferry.json\n\
     ferry.json.minisig\n\
     sbom.cdx.json\n"
        .to_string()
}

/// The builder named when none is bundled: the official image of the Go that
/// go.mod asks for (its toolchain line, else its go line).
pub fn default_builder(go: Option<&str>, toolchain: Option<&str>) -> String {
    let version = toolchain
        .and_then(|t| t.strip_prefix("go"))
        .or(go)
        .unwrap_or("1");
    format!("golang:{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(mode: BuildMode) -> Spec {
        Spec {
            module: "example.com/clockwork".into(),
            mode,
            mains: vec![MainPackage {
                package: ".".into(),
                binary: "clockwork".into(),
            }],
            tags: vec!["netgo".into()],
            ldflags: "-X main.version=1.4.0".into(),
            cgo: false,
            builder: "golang:1.26.8-alpine3.22".into(),
            builder_bundled: true,
            runtime: None,
            expose: vec![8080],
            layout: Default::default(),
            target: Default::default(),
        }
    }

    #[test]
    fn the_header_names_where_vendor_sits() {
        let mut s = spec(BuildMode::Vendor);
        assert!(render(&s).contains("every dependency is in src/vendor/."));
        s.layout.module_dir = "service".into();
        assert!(render(&s).contains("every dependency is in src/service/vendor/."));
    }

    /// Reviewed snapshot of gopath mode: a change to it must be deliberate.
    #[test]
    fn gopath_mode_snapshot() {
        let text = render(&spec(BuildMode::Gopath));
        let body: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
        assert_eq!(
            body,
            r#"# Nothing here reaches a network: images/ holds every base image: `docker load -i` (or `podman load -i`) each tar first,
# and every dependency is in src/vendor/. Build with --network none and --pull=never.
# REGISTRY prefixes the base images: --build-arg REGISTRY=harbor.intra:5000/ takes them
# from an intranet registry that `ferry images push` filled.
ARG REGISTRY=

FROM ${REGISTRY}golang:1.26.8-alpine3.22 AS build
# GOPATH mode, the classic recipe: no module resolution at all, imports come
# from vendor/ beside the source, which must sit under $GOPATH/src/<module path>.
ENV GO111MODULE=off GOPATH=/go GOFLAGS= GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0
WORKDIR /go/src/example.com/clockwork
COPY src/ ./
# -trimpath and -s -w: no build paths or symbols in the binary; the timetzdata tag
# embeds the time zone database, as a scratch image has none.
RUN ["go","build","-trimpath","-tags","timetzdata,netgo","-ldflags","-s -w -X main.version=1.4.0","-o","/out/clockwork","."]

# Nothing but the binary, its CA certificates and a user id.
FROM scratch
# CA certificates from the builder, for the service's TLS clients.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/clockwork /clockwork
# Not root: nobody:nogroup, which needs no /etc/passwd.
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["/clockwork"]"#
        );
        assert!(
            !text.contains("# syntax="),
            "a syntax line makes BuildKit pull a frontend"
        );
    }

    #[test]
    fn vendor_mode_and_a_runtime_image() {
        let mut s = spec(BuildMode::Vendor);
        s.runtime = Some("team/base:2".into());
        s.mains[0].package = "./cmd/agent/".into();
        s.builder_bundled = false;
        let text = render(&s);
        assert!(text.contains("ENV GOFLAGS=-mod=vendor GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0\nWORKDIR /src\nCOPY src/ ./\nENV GOWORK=off\n"));
        assert!(text.contains("FROM ${REGISTRY}team/base:2\n"));
        assert!(text.contains(r#""-o","/out/clockwork","./cmd/agent"]"#));
        assert!(text.contains("the builder image is NOT in images/"));
        assert!(!text.contains("GO111MODULE"));
    }

    #[test]
    fn ldflags_with_quotes_stay_one_argument() {
        let mut s = spec(BuildMode::Vendor);
        s.ldflags = r#"-X "main.name=a b""#.into();
        let args = build_args(&s, &s.mains[0]);
        assert_eq!(args[6], r#"-s -w -X "main.name=a b""#);
        assert!(render(&s).contains(r#""-s -w -X \"main.name=a b\"""#));
    }

    #[test]
    fn several_binaries_are_each_built_copied_and_the_first_is_the_entrypoint() {
        for mode in [BuildMode::Gopath, BuildMode::Vendor] {
            let mut s = spec(mode);
            s.mains = ["server", "migrate"]
                .map(|b| MainPackage {
                    package: format!("./cmd/{b}"),
                    binary: b.into(),
                })
                .to_vec();
            let text = render(&s);
            for b in ["server", "migrate"] {
                assert!(
                    text.contains(&format!(r#""-o","/out/{b}","./cmd/{b}"]"#)),
                    "{text}"
                );
                assert!(text.contains(&format!("COPY --from=build /out/{b} /{b}\n")));
            }
            assert_eq!(text.matches("RUN [").count(), 2);
            assert!(text.ends_with("ENTRYPOINT [\"/server\"]\n"), "{text}");
        }
    }

    #[test]
    fn cgo_turns_cgo_on_in_both_modes() {
        for mode in [BuildMode::Gopath, BuildMode::Vendor] {
            let mut s = spec(mode);
            assert!(render(&s).contains(" CGO_ENABLED=0\n"));
            s.cgo = true;
            let text = render(&s);
            assert!(text.contains(" CGO_ENABLED=1\n") && !text.contains("CGO_ENABLED=0"));
        }
    }

    #[test]
    fn default_builders_follow_go_mod() {
        assert_eq!(default_builder(Some("1.22"), None), "golang:1.22");
        assert_eq!(
            default_builder(Some("1.22"), Some("go1.23.4")),
            "golang:1.23.4"
        );
    }

    #[test]
    fn the_context_is_src_only() {
        let ignore = dockerignore();
        for line in ["images/", "modcache/", "ferry.json"] {
            assert!(ignore.lines().any(|l| l == line), "{line}");
        }
        assert!(!ignore.lines().any(|l| l.starts_with("src")));
    }

    fn workspace() -> crate::source::Layout {
        use crate::source::{Layout, Workspace, WorkspaceModule};
        Layout {
            module_dir: "services/api".into(),
            workspace: Some(Workspace {
                dir: "services".into(),
                modules: vec![
                    WorkspaceModule {
                        path: "example.com/lib".into(),
                        dir: "libs/lib".into(),
                    },
                    WorkspaceModule {
                        path: "example.com/clockwork".into(),
                        dir: "services/api".into(),
                    },
                ],
            }),
        }
    }

    #[test]
    fn a_module_below_src_builds_in_its_folder() {
        let mut s = spec(BuildMode::Vendor);
        s.layout.module_dir = "service".into();
        let text = render(&s);
        assert!(
            text.contains("WORKDIR /src\nCOPY src/ ./\nENV GOWORK=off\nWORKDIR /src/service\n"),
            "{text}"
        );
        let mut s = spec(BuildMode::Gopath);
        s.layout.module_dir = "service".into();
        let text = render(&s);
        assert!(
            text.contains("WORKDIR /go/src/example.com/clockwork\nCOPY src/service/ ./\n"),
            "{text}"
        );
    }

    #[test]
    fn a_workspace_builds_in_both_modes() {
        let mut s = spec(BuildMode::Vendor);
        s.layout = workspace();
        let text = render(&s);
        assert!(
            text.contains(
                "COPY src/ ./\nENV GOWORK=/src/services/go.work\nWORKDIR /src/services/api\n"
            ),
            "{text}"
        );
        let mut s = spec(BuildMode::Gopath);
        s.layout = workspace();
        let text = render(&s);
        assert!(
            text.contains(
                "COPY src/libs/lib/ /go/src/example.com/lib/\n\
                 COPY src/services/api/ /go/src/example.com/clockwork/\n\
                 COPY src/services/vendor/ /go/src/vendor/\n\
                 WORKDIR /go/src/example.com/clockwork\n"
            ),
            "{text}"
        );
    }
}
