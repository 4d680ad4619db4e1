//! `ferry pack`: the connected-side pipeline, and what it tells the engineer.

use anyhow::Context;
use ferry::bundle::manifest::BuildMode;
use ferry::pack::{self, PackOptions};
use ferry::{Error, Exit};

use crate::flags::{Mode, PackArgs};

pub fn run(args: PackArgs, quiet: bool) -> anyhow::Result<Exit> {
    if args.builder_image.is_some() || args.runtime_image != "scratch" || !args.images.is_empty() {
        return Err(
            Error::NotBuilt("ferry pack --builder-image/--runtime-image/--image", 4).into(),
        );
    }
    let opts = PackOptions {
        dir: args.dir.clone(),
        output: args.output.clone(),
        key: args.key.clone(),
        mode: match args.mode {
            Mode::Gopath => BuildMode::Gopath,
            Mode::Vendor => BuildMode::Vendor,
        },
        main: args.main_pkg.clone(),
        tags: args.tags.clone(),
        ldflags: args.ldflags.clone(),
        revendor: args.revendor,
        quiet,
    };
    let packed = pack::run(&opts).with_context(|| format!("pack {}", args.dir.display()))?;
    if args.json {
        let json = serde_json::json!({
            "bundle": packed.output,
            "module": packed.module,
            "version": packed.version,
            "manifest_sha256": packed.manifest_sha256,
            "entries": packed.entries,
            "modules": packed.modules,
            "vendored_by_go": packed.vendored_by_go,
            "key_id": packed.key_id,
            "modules_bound": packed.modules_bound,
            "vendored_files": packed.vendored_files,
        });
        println!("{json:#}");
    } else if !quiet {
        println!(
            "packed {} {} into {}: {} entries, {} vendored modules ({} vendored files bound to their verified zips), manifest sha256:{}, signed by key {}",
            packed.module,
            packed.version,
            packed.output.display(),
            packed.entries,
            packed.modules,
            packed.vendored_files,
            packed.manifest_sha256,
            packed.key_id
        );
    }
    if !quiet && !args.no_build_check {
        eprintln!(
            "ferry: note: the offline build proof and the Dockerfile are not built yet (issue #5); the manifest records build.checked=false"
        );
    }
    Ok(Exit::Ok)
}
