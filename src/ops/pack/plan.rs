//! What the Dockerfile and the build proof build: the builder image (the
//! bundled one, else the official one for go.mod, which the site must then
//! provide), the builder's Go held against go.mod, and the warnings of
//! `build::warnings` where the offline build may differ from module mode.

use super::PackOptions;
use super::snapshot::Snapshot;
use crate::build;
use crate::build::warnings::{Code, GoOf, GoVersion, Warning};
use crate::dockerfile::{self, Spec};
use crate::error::Error;
use crate::gomod::modfile::ModFile;
use crate::image::Role;
use crate::image::pull::Bundled;

/// The build as the Dockerfile and the proof run it, and what to warn about.
pub struct BuildPlan {
    pub spec: Spec,
    pub warnings: Vec<Warning>,
}

/// Plans the build for the pulled images and the scratch tree.
pub fn plan(opts: &PackOptions, snap: &Snapshot, pulled: &[Bundled]) -> Result<BuildPlan, Error> {
    let modfile = &snap.build_modfile();
    let (tree, tree_layout, local_go) = (&snap.vendor_root, &snap.layout, &snap.go.version);
    let role = |r: Role| pulled.iter().find(|b| b.image.role == r);
    let builder = role(Role::Builder);
    let builder_tag = builder.map_or_else(
        || dockerfile::default_builder(modfile.go.as_deref(), modfile.toolchain.as_deref()),
        |b| b.image.tag.clone(),
    );
    let mut warnings = Vec::new();
    let builder_go = builder_go(builder, &builder_tag, modfile, &mut warnings)?;
    let missing = build::missing_includes(tree);
    let for_go = |go: Option<GoVersion>, go_of: GoOf| {
        build::warnings::warnings(&build::warnings::Context {
            mode: opts.mode,
            modfile,
            builder_go: go,
            go_of,
            go_file: tree_layout.go_file(),
            missing_includes: &missing,
        })
    };
    warnings.extend(for_go(builder_go, GoOf::Builder));
    // The proof, and `ferry build` at a site with a Go as new, build with the
    // local Go: what `ferry build` would warn about, pack says too.
    for w in for_go(GoVersion::parse(local_go), GoOf::Local) {
        if !warnings.iter().any(|seen| seen.code == w.code) {
            warnings.push(w);
        }
    }
    if opts.cgo && role(Role::Runtime).is_none() {
        warnings.push(Warning::new(
            Code::CgoOnScratch,
            "--cgo with the scratch runtime: a cgo binary links the C library dynamically, and scratch has none; pass --runtime-image with a libc (the builder's distribution)".into(),
        ));
    }
    let spec = Spec {
        builder: builder_tag,
        builder_bundled: builder.is_some(),
        runtime: role(Role::Runtime).map(|r| r.image.tag.clone()),
        ..build_spec(opts, snap)
    };
    Ok(BuildPlan { spec, warnings })
}

/// The build as the proof runs it, before any image is pulled: what the
/// Dockerfile's builder stage compiles, which the images do not change
/// (they only name the builder and the runtime, filled in by [`plan`]).
pub fn build_spec(opts: &PackOptions, snap: &Snapshot) -> Spec {
    let modfile = snap.build_modfile();
    Spec {
        builder: dockerfile::default_builder(modfile.go.as_deref(), modfile.toolchain.as_deref()),
        builder_bundled: false,
        runtime: None,
        module: modfile.module,
        mode: opts.mode,
        mains: snap.mains.clone(),
        tags: opts.tags.clone(),
        ldflags: opts.ldflags.clone(),
        cgo: opts.cgo,
        expose: opts.expose.clone(),
        layout: snap.layout.clone(),
        target: snap.target.clone(),
    }
}

/// The builder's Go version, refused when older than go.mod needs; a
/// builder that is not bundled, or whose Go cannot be told, is a warning.
fn builder_go(
    builder: Option<&Bundled>,
    tag: &str,
    modfile: &ModFile,
    warnings: &mut Vec<Warning>,
) -> Result<Option<GoVersion>, Error> {
    let found = match builder {
        Some(b) => b.go_version.as_deref().and_then(GoVersion::parse),
        None => {
            warnings.push(Warning::new(
                Code::BuilderNotBundled,
                format!(
                    "no --builder-image: the Dockerfile names {tag}, which is NOT in the bundle; the site must provide it"
                ),
            ));
            tag.strip_prefix("golang:").and_then(GoVersion::parse)
        }
    };
    match (found, modfile.go.as_deref()) {
        (Some(have), Some(line)) => {
            build::warnings::check_builder_go(tag, have, line).map_err(Error::Usage)?;
        }
        (None, _) => warnings.push(Warning::new(
            Code::BuilderGoUnknown,
            format!(
                "cannot tell which Go the builder image {tag} has (no GOLANG_VERSION in its environment); it is not checked against go.mod"
            ),
        )),
        _ => {}
    }
    Ok(found)
}
