//! `ferry unpack`: verify and extract, then tell the operator what to run next.

use anyhow::Context;
use ferry::bundle::diags::BundleError;
use ferry::{Error, Exit};

use crate::flags::UnpackArgs;

pub fn run(args: UnpackArgs, quiet: bool) -> anyhow::Result<Exit> {
    let report = match ferry::unpack::run(&args.bundle, &args.pub_key, &args.dest, quiet) {
        Ok(r) => r,
        Err(Error::Bundle(BundleError::Rejected(report))) => {
            let exit = crate::verify::print(&report, args.json, quiet);
            eprintln!("ferry: nothing was written to {}", args.dest.display());
            return Ok(exit);
        }
        Err(e) => return Err(e).with_context(|| format!("unpack {}", args.bundle.display())),
    };
    if args.json {
        return Ok(crate::verify::print(&report, true, quiet));
    }
    if !quiet {
        let dest = args.dest.display();
        println!(
            "unpacked {} {} into {dest}: {} entries verified against the signed manifest",
            report.module.as_deref().unwrap_or("?"),
            report.version.as_deref().unwrap_or("?"),
            report.entries
        );
        println!("next, one of:");
        println!(
            "  for t in {dest}/images/*.tar; do podman load -i \"$t\"; done  # or docker load"
        );
        println!("  buildah build --network none --pull=never -t app {dest}     # or docker build");
        println!(
            "  ferry images push {dest} --registry HOST:PORT             # an intranet registry"
        );
        println!(
            "  ferry build {dest}                                        # Go, no container engine"
        );
        println!("re-check every module hash with Go itself:");
        println!(
            "  (cd {dest}/src && GOPROXY=file://$(realpath {dest})/modcache GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOMODCACHE=$(mktemp -d) go mod verify)"
        );
    }
    Ok(Exit::Ok)
}
