//! `ferry pack`: the connected-side pipeline, and what it tells the engineer.

use std::io::Write;

use anyhow::Context;
use ferry::Exit;
use ferry::bundle::manifest::BuildMode;
use ferry::image::Role;
use ferry::image::pull::Request;
use ferry::image::registry::Connection;
use ferry::ops::pack::{self, PackOptions, Packed};

use crate::flags::{Mode, PackArgs};
use crate::output::say;

pub fn run(args: PackArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let ctx = crate::context::from_env(quiet)?;
    let opts = options(&args, &ctx);
    if let Some(size) = &args.split {
        refuse_parts(&args.output)?;
        if !quiet {
            eprintln!("ferry: parts of {size}");
        }
    }
    let packed = pack::run(&opts, &ctx).with_context(|| format!("pack {}", args.dir.display()))?;
    match (args.json, quiet) {
        (true, _) => print_json(&packed, out)?,
        (false, false) => print_text(&packed, out)?,
        (false, true) => {}
    }
    for w in &packed.warnings {
        eprintln!("ferry: warning: {w}");
    }
    Ok(Exit::Ok)
}

/// `--split` would overwrite no index and no part: said before the slow work.
fn refuse_parts(output: &std::path::Path) -> anyhow::Result<()> {
    Ok(ferry::ops::split::refuse_existing(output)?)
}

/// What the command line asks of the pipeline.
fn options(args: &PackArgs, ctx: &ferry::ops::Context) -> PackOptions {
    PackOptions {
        dir: args.dir.clone(),
        output: args.output.clone(),
        key: args.key.clone(),
        mode: match args.mode {
            Mode::Gopath => BuildMode::Gopath,
            Mode::Vendor => BuildMode::Vendor,
        },
        mains: args.main_pkg.clone(),
        tags: args.tags.clone(),
        cgo: args.cgo,
        ldflags: args.ldflags.clone(),
        revendor: args.revendor,
        images: image_requests(args),
        image_archives: args.image_archive.clone(),
        vulndb: args.vulndb.clone(),
        expose: args.expose.clone(),
        build_check: !args.no_build_check,
        with_modcache: args.with_modcache,
        split: args.split.map(|s| s.bytes),
        base: args.base.base.clone(),
        base_keys: args.pub_keys.clone(),
        platform: args.platform.clone(),
        connection: Connection {
            insecure: args.insecure_registry.clone(),
            docker_config: ctx.docker_config.clone(),
        },
    }
}

fn print_json(packed: &Packed, out: &mut dyn Write) -> anyhow::Result<()> {
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
        "images": packed.images,
        "binaries": packed.binaries,
        "warnings": packed.warnings,
        "build_proof": packed.build_proof,
        "seconds": packed.timings,
        "parts": packed.parts,
        "delta": packed.delta,
    });
    say!(out, "{json:#}");
    Ok(())
}

fn print_text(packed: &Packed, out: &mut dyn Write) -> anyhow::Result<()> {
    // With --split the bundle is gone: what was written is its index.
    let into = match &packed.parts {
        Some(cut) => format!("{} ({} parts)", cut.index.display(), cut.parts.len()),
        None => packed.output.display().to_string(),
    };
    let kind = match &packed.delta {
        Some(_) => "a delta, ",
        None => "",
    };
    say!(
        out,
        "packed {} {} into {into}: {kind}{} entries, {} vendored modules ({} vendored files bound to their verified zips), manifest sha256:{}, signed by key {}",
        packed.module,
        packed.version,
        packed.entries,
        packed.modules,
        packed.vendored_files,
        packed.manifest_sha256,
        packed.key_id
    );
    if let Some(d) = &packed.delta {
        say!(
            out,
            "  base: {} {} {} (ferry.json sha256:{}): {} entries taken from it, not carried; {} bytes against {} for the full bundle",
            d.base,
            d.module,
            d.version,
            d.base_manifest_sha256,
            d.from_base,
            d.bytes,
            d.full_bytes
        );
        if d.rebuilt > 0 {
            say!(
                out,
                "  {} image tars carry only the blobs the base lacks; readers rebuild them from the base's",
                d.rebuilt
            );
        }
    }
    for i in &packed.images {
        say!(
            out,
            "  image {} ({}) {} {} as {}",
            i.reference,
            i.role,
            i.platform,
            i.digest,
            i.entry
        );
    }
    let binaries: Vec<String> = packed
        .binaries
        .iter()
        .map(|b| format!("{} ({})", b.binary, b.package))
        .collect();
    match binaries.as_slice() {
        [one] => say!(out, "  binary: {one}"),
        several => say!(
            out,
            "  binaries: {} (the first is the image's entry point)",
            several.join(", ")
        ),
    }
    if let Some(cut) = &packed.parts {
        crate::split::print_cut(cut, out)?;
    }
    match &packed.build_proof {
        Some(how) => say!(out, "  offline build proven: {how}"),
        None => say!(
            out,
            "  offline build NOT proven (--no-build-check); the manifest says so"
        ),
    }
    say!(out, "  {}", took(&packed.timings));
    Ok(())
}

/// One line of where the time went: the stages over a twentieth of a
/// second, in order (they add up to the total), and the proof beside them.
fn took(t: &pack::Timings) -> String {
    let stages: Vec<String> = t
        .stages()
        .iter()
        .filter(|(_, secs)| *secs >= 0.05)
        .map(|(name, secs)| format!("{} {secs:.1}", name.replace('_', " ")))
        .collect();
    let proof = match t.build_check > 0.0 {
        true => format!("; the build proof {:.1} s beside them", t.build_check),
        false => String::new(),
    };
    format!(
        "took {:.1} s: {}{proof} (pack --json for all)",
        t.total,
        stages.join(", ")
    )
}

/// The images to bundle: the builder, the runtime unless it is `scratch`
/// (which is no image), then every `--image`.
fn image_requests(args: &PackArgs) -> Vec<Request> {
    let builder = args.builder_image.iter().map(|r| (r, Role::Builder));
    let runtime = std::iter::once(&args.runtime_image)
        .filter(|r| r.as_str() != "scratch")
        .map(|r| (r, Role::Runtime));
    let extra = args.images.iter().map(|r| (r, Role::Extra));
    builder
        .chain(runtime)
        .chain(extra)
        .map(|(r, role)| Request {
            reference: r.clone(),
            role,
        })
        .collect()
}
