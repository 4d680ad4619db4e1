//! `build`: the offline build of an unpacked bundle, for sites with Go and
//! no container engine: its src/ checked against ferry.json (and ferry.json
//! against its signature when a key is given), then built as the manifest says.

use std::path::{Path, PathBuf};

use super::Context;
use crate::build::warnings::{self, Warning};
use crate::build::{self, Built};
use crate::dockerfile::Spec;
use crate::error::Error;
use crate::gomod::modfile;
use crate::sign::TrustedKeys;

/// Builds the unpacked bundle at `dir` into `out` (default `./<binary>`);
/// returns what was built and the warnings about how the build may differ
/// from module mode.
pub fn run(
    dir: &Path,
    keys: &TrustedKeys,
    out: Option<&Path>,
    ctx: &Context,
) -> Result<(Built, Vec<Warning>), Error> {
    let site = super::target::open_folder(dir, keys, &["src/"])?;
    let go = ctx.go()?;
    let src = site.root.join("src");
    let modfile_path = src.join("go.mod");
    let text = std::fs::read_to_string(&modfile_path).map_err(Error::io(&modfile_path))?;
    let modfile = modfile::parse(&text)?;
    let b = &site.manifest.build;
    let spec = Spec {
        module: site.manifest.module.path.clone(),
        mode: b.mode,
        main: b.main.clone(),
        binary: b.binary.clone(),
        tags: b.tags.clone(),
        ldflags: b.ldflags.clone(),
        builder: String::new(),
        builder_bundled: false,
        runtime: None,
        expose: Vec::new(),
    };
    let missing = build::missing_includes(&src);
    let notes = warnings::warnings(&warnings::Context {
        mode: b.mode,
        modfile: &modfile,
        builder_go: warnings::GoVersion::parse(&go.version),
        missing_includes: &missing,
    });
    let out = out.map_or_else(|| PathBuf::from(&b.binary), Path::to_path_buf);
    let out = std::path::absolute(&out).map_err(Error::io(&out))?;
    let built = build::offline(&go, &src, &spec, &out, &ctx.temp_dir)?;
    Ok((built, notes))
}
