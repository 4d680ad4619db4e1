//! `ferry images list|push`: what base images a bundle carries, and getting
//! them into an intranet registry with their digests unchanged.

use std::io::Write;

use ferry::Exit;
use ferry::image::registry::Connection;
use ferry::ops::Context;
use ferry::ops::images::{self, PushTarget};
use ferry::ops::target::Opened;

use crate::flags::{ImagesCommand, ImagesListArgs, ImagesPushArgs, ImagesTarget};
use crate::output::say;

pub fn run(cmd: ImagesCommand, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.base = match &cmd {
        ImagesCommand::List(a) => a.target.base.base.clone(),
        ImagesCommand::Push(a) => a.target.base.base.clone(),
    };
    if let ImagesCommand::Push(args) = &cmd {
        ctx.approvals = crate::context::approvals(&args.approvals)?;
    }
    match cmd {
        ImagesCommand::List(args) => list(args, &ctx, out),
        ImagesCommand::Push(args) => push(args, &ctx, out),
    }
}

fn open(t: &ImagesTarget, ctx: &Context) -> anyhow::Result<Opened> {
    let keys = crate::context::trusted_keys(&t.pub_keys)?;
    Ok(images::open(&t.target, &keys, ctx)?)
}

fn list(args: ImagesListArgs, ctx: &Context, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let opened = open(&args.target, ctx)?;
    let listed = images::list(&opened)?;
    if args.json {
        say!(
            out,
            "{:#}",
            serde_json::to_value(&listed).unwrap_or_default()
        );
        return Ok(Exit::Ok);
    }
    let rows: Vec<[String; 6]> = listed
        .iter()
        .map(|l| {
            [
                l.image.tag.clone(),
                l.image.role.to_string(),
                l.image.platform.clone(),
                l.image.digest.clone(),
                human_size(l.size),
                l.image.reference.clone(),
            ]
        })
        .collect();
    crate::table::print(
        out,
        ["TAG", "ROLE", "PLATFORM", "DIGEST", "SIZE", "REFERENCE"],
        &rows,
    )?;
    Ok(Exit::Ok)
}

fn push(args: ImagesPushArgs, ctx: &Context, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let opened = open(&args.target, ctx)?;
    let insecure = args
        .insecure_registry
        .iter()
        .map(|h| {
            if h.is_empty() {
                args.registry.clone()
            } else {
                h.clone()
            }
        })
        .collect();
    let target = PushTarget {
        registry: args.registry.trim_end_matches('/').to_string(),
        repo_prefix: args.repo_prefix.clone(),
        connection: Connection {
            insecure,
            docker_config: ctx.docker_config.clone(),
        },
    };
    let pushed = images::push(&opened, &target, ctx)?;
    for p in &pushed {
        say!(
            out,
            "pushed {} {} ({} blobs uploaded, {} already there)",
            p.reference,
            p.digest,
            p.blobs_pushed,
            p.blobs_present
        );
    }
    if pushed.is_empty() {
        say!(out, "the bundle carries no images; nothing was pushed");
    } else if args.target.target.is_dir() {
        say!(
            out,
            "build with: docker build --build-arg REGISTRY={} {}",
            target.build_arg(),
            args.target.target.display()
        );
    } else {
        say!(
            out,
            "build the unpacked bundle with: --build-arg REGISTRY={}",
            target.build_arg()
        );
    }
    Ok(Exit::Ok)
}

/// Sizes as people read them: 1.9 MiB.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
