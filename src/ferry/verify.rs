//! `ferry verify`: one line when the bundle is sound, every problem when not.

use ferry::bundle::diags::Report;
use ferry::{Classify, Exit};

use crate::flags::VerifyArgs;

pub fn run(args: VerifyArgs, quiet: bool) -> anyhow::Result<Exit> {
    match ferry::verify::run(&args.bundle, &args.pub_key, quiet) {
        Ok((report, _)) => Ok(print(&report, args.json, quiet)),
        Err(e) if args.json => {
            let json = serde_json::json!({
                "bundle": args.bundle,
                "ok": false,
                "error": e.to_string(),
                "checks": [{"check": "signature", "ok": false, "detail": e.to_string()}],
                "problems": [],
            });
            println!("{json:#}");
            Ok(e.exit())
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints a report; the exit code says whether it found problems.
pub fn print(report: &Report, json: bool, quiet: bool) -> Exit {
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        value["ok"] = serde_json::Value::Bool(report.ok());
        println!("{value:#}");
    } else if report.ok() {
        if !quiet {
            println!(
                "OK {}: {} {}, {} entries, {} bytes, every sha256 matches the signed manifest ({})",
                report.bundle,
                report.module.as_deref().unwrap_or("?"),
                report.version.as_deref().unwrap_or("?"),
                report.entries,
                report.bytes,
                report.trusted_comment.as_deref().unwrap_or("")
            );
        }
    } else {
        println!(
            "FAILED {}: {} problem(s)",
            report.bundle,
            report.problems.len()
        );
        for p in &report.problems {
            println!("  {p}");
        }
    }
    if report.ok() {
        Exit::Ok
    } else {
        Exit::CheckFailed
    }
}
