//! `ferry unpack`: verify and extract, then tell the operator what to run next.

use std::io::Write;

use anyhow::Context;
use ferry::bundle::diags::BundleError;
use ferry::{Error, Exit};

use crate::flags::UnpackArgs;
use crate::output::say;

pub fn run(args: UnpackArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.approvals = crate::context::approvals(&args.approvals)?;
    ctx.base = args.base.base.clone();
    let report = match ferry::ops::unpack::run(
        &args.bundle,
        &crate::context::trusted_keys(&args.pub_keys)?,
        &args.dest,
        &ctx,
    ) {
        Ok(r) => r,
        Err(Error::Bundle(BundleError::Rejected(report))) => {
            let exit = crate::verify::print(&report, args.json, quiet, out)?;
            eprintln!("ferry: nothing was written to {}", args.dest.display());
            return Ok(exit);
        }
        Err(e) => return Err(e).with_context(|| format!("unpack {}", args.bundle.display())),
    };
    if args.json {
        return crate::verify::print(&report, true, quiet, out);
    }
    if !quiet {
        let dest = args.dest.display();
        say!(
            out,
            "unpacked {} {} into {dest}: {} entries verified against the signed manifest",
            report.module.as_deref().unwrap_or("?"),
            report.version.as_deref().unwrap_or("?"),
            report.entries
        );
        if let Some(approvals) = &report.approvals {
            say!(out, "approvals: {approvals}");
        }
        next_steps(&args, out)?;
    }
    Ok(Exit::Ok)
}

/// What the operator can run next, with the keys they trusted here.
fn next_steps(args: &UnpackArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let dest = args.dest.display();
    let mut keys: String = args
        .pub_keys
        .iter()
        .map(|k| format!(" --pub {}", k.display()))
        .collect();
    let a = &args.approvals;
    if a.require_approvals > 0 {
        keys.push_str(&format!(" --require-approvals {}", a.require_approvals));
        for k in &a.approver {
            keys.push_str(&format!(" --approver {}", k.display()));
        }
    }
    say!(out, "next, one of:");
    say!(
        out,
        "  for t in {dest}/images/*.tar; do podman load -i \"$t\"; done  # or docker load"
    );
    say!(
        out,
        "  buildah build --network none --pull=never -t app {dest}     # or docker build"
    );
    say!(
        out,
        "  ferry images push {dest}{keys} --registry HOST:PORT   # an intranet registry"
    );
    say!(
        out,
        "  ferry build {dest}{keys}                              # Go, no container engine"
    );
    if args.dest.join("modcache").is_dir() {
        say!(
            out,
            "  ferry modules export {dest}{keys} --to FOLDER        # an intranet module proxy"
        );
        say!(out, "re-check every module hash with Go itself:");
        say!(
            out,
            "  (cd {dest}/src && GOPROXY=file://$(realpath {dest})/modcache GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOMODCACHE=$(mktemp -d) go mod verify)"
        );
    }
    Ok(())
}
