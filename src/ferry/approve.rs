//! `ferry approve`: the reviewer's detached signature over a bundle's signed
//! manifest, written beside it.

use std::io::Write;

use anyhow::Context;
use ferry::Exit;

use crate::flags::ApproveArgs;
use crate::output::say;

pub fn run(args: ApproveArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let ctx = crate::context::from_env(quiet)?;
    let keys = crate::context::trusted_keys(&args.pub_keys)?;
    let approved =
        ferry::ops::approvals::approve(&args.target, &keys, &args.key, &args.comment, &ctx)
            .with_context(|| format!("approve {}", args.target.display()))?;
    if args.json {
        say!(
            out,
            "{:#}",
            serde_json::to_value(&approved).unwrap_or_default()
        );
    } else if !quiet {
        say!(
            out,
            "approved {} {} (ferry.json sha256:{}) with key {}: {}{}",
            approved.module,
            approved.version,
            approved.manifest_sha256,
            approved.key_id,
            approved.file.display(),
            if approved.replaced {
                " (replaced this key's earlier approval)"
            } else {
                ""
            }
        );
    }
    Ok(Exit::Ok)
}
