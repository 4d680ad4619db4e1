//! `build`: the offline build of an unpacked bundle, for sites with Go and
//! no container engine: ferry.json checked against its signature by a trusted
//! key and its fields against their rules, src/ against ferry.json, then
//! built as the manifest says.

use std::path::{Path, PathBuf};

use super::Context;
use crate::build::warnings::{self, Warning};
use crate::build::{self, Built};
use crate::dockerfile::Spec;
use crate::error::Error;
use crate::gomod::modfile;
use crate::sign::TrustedKeys;

/// `./<binary>`: in the working folder, whatever the manifest says (its
/// fields were checked; a name that is not a plain file name is refused even so).
fn default_output(binary: &str) -> Result<PathBuf, Error> {
    let path = Path::new(binary);
    match path.file_name() {
        Some(name) if path.components().count() == 1 && name == binary => Ok(path.to_path_buf()),
        _ => Err(Error::Usage(format!(
            "build.binary {binary:?} is not a plain file name; pass -o PATH"
        ))),
    }
}

/// Builds the unpacked bundle at `dir` into `out` (default `./<binary>`);
/// returns what was built and the warnings about how the build may differ
/// from module mode.
pub fn run(
    dir: &Path,
    keys: &TrustedKeys,
    out: Option<&Path>,
    ctx: &Context,
) -> Result<(Built, Vec<Warning>), Error> {
    let site = super::target::open_proven(dir, keys, &["src/"], ctx)?;
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
    let out = match out {
        Some(given) => given.to_path_buf(),
        None => default_output(&b.binary)?,
    };
    let out = std::path::absolute(&out).map_err(Error::io(&out))?;
    let built = build::offline(&go, &src, &spec, &out, &ctx.temp_dir)?;
    Ok((built, notes))
}
