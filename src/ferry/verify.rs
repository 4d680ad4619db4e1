//! `ferry verify`: one line when the bundle is sound, every problem when not.

use std::io::Write;

use ferry::Exit;
use ferry::bundle::diags::{CheckName, Report};

use crate::flags::VerifyArgs;
use crate::output::say;

pub fn run(args: VerifyArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut ctx = crate::context::from_env(quiet)?;
    ctx.approvals = crate::context::approvals(&args.approvals)?;
    ctx.base = args.base.base.clone();
    let keys = crate::context::trusted_keys(&args.pub_keys)?;
    let (report, _) = ferry::ops::verify::run(&args.bundle, &keys, &ctx)?;
    print(&report, args.json, quiet, out)
}

/// Prints a report; the exit code says whether it found problems.
pub fn print(
    report: &Report,
    json: bool,
    quiet: bool,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        value["ok"] = serde_json::Value::Bool(report.ok());
        say!(out, "{value:#}");
    } else if report.ok() {
        if !quiet {
            say!(
                out,
                "OK {}: {} {}, {} entries, {} bytes, every sha256 matches the signed manifest ({})",
                report.bundle,
                report.module.as_deref().unwrap_or("?"),
                report.version.as_deref().unwrap_or("?"),
                report.entries,
                report.bytes,
                report.trusted_comment.as_deref().unwrap_or("")
            );
            if let Some(parts) = report.checks.iter().find(|c| c.check == CheckName::Parts) {
                say!(out, "parts: {}", parts.detail);
            }
            if let Some(base) = report.checks.iter().find(|c| c.check == CheckName::Base) {
                say!(out, "base: {}", base.detail);
            }
            if let Some(approvals) = &report.approvals {
                say!(out, "approvals: {approvals}");
            }
        }
    } else {
        say!(
            out,
            "FAILED {}: {} problem(s)",
            report.bundle,
            report.problems.len()
        );
        for p in &report.problems {
            say!(out, "  {p}");
        }
    }
    Ok(if report.ok() {
        Exit::Ok
    } else {
        Exit::CheckFailed
    })
}
