//! `verify`: the signature, then every entry and the archive's layout, then the
//! Go binding inside the bundle (each vendored file against its module zip in
//! modcache/, each zip against go.sum). The Go check reads what streamed past
//! (`bundle::go_inputs`): verify writes nothing anywhere.

use std::path::Path;

use super::Context;
use crate::bundle::diags::{BundleError, Check, CheckName, Code, Problem, Report};
use crate::bundle::go_inputs::GoInputs;
use crate::bundle::manifest::Manifest;
use crate::bundle::reader::{self, Discard, Sink};
use crate::error::Error;
use crate::gomod::check::{self, GoCheck};
use crate::gomod::diags::Finding;
use crate::sign::TrustedKeys;

/// Checks a bundle; `Ok` carries the report whether or not problems were found.
pub fn run(
    bundle: &Path,
    keys: &TrustedKeys,
    ctx: &Context,
) -> Result<(Report, Option<GoCheck>), Error> {
    let checked = check_streaming(bundle, keys, &Discard, ctx)?;
    Ok((checked.report, checked.go))
}

/// A bundle read whole: what was found, and the Go check when every entry
/// matched the signed manifest.
pub struct Checked {
    pub bundle: reader::Bundle,
    pub report: Report,
    pub go: Option<GoCheck>,
}

/// Verifies `bundle` while its entries stream on to `inner` (which writes
/// them, or not), then runs the Go check on what went by. Unpack, audit and
/// verify share it.
pub fn check_streaming(
    bundle: &Path,
    keys: &TrustedKeys,
    inner: &dyn Sink,
    ctx: &Context,
) -> Result<Checked, Error> {
    let mut b = reader::open(bundle, keys)?;
    let gather = GoInputs::new(inner, &b.manifest.modules);
    let mut report = check_all(&mut b, &gather, ctx)?;
    if !report.ok() {
        return Ok(Checked {
            bundle: b,
            report,
            go: None,
        });
    }
    let go = check::run(&gather.finish(&b.manifest.entries))?;
    add_go(&mut report, &go);
    Ok(Checked {
        bundle: b,
        report,
        go: Some(go),
    })
}

/// The Go check as one more check of the report; "not checked" fails it.
fn add_go(report: &mut Report, go: &GoCheck) {
    let problems: Vec<Problem> = go.strict_findings().iter().map(problem).collect();
    report.checks.push(Check {
        check: CheckName::Go,
        ok: problems.is_empty(),
        detail: format!(
            "{} modules bound: {} vendored files against their module zips (or their proofs), {} hashes against go.sum",
            go.modules, go.vendored_files, go.hashes_checked
        ),
    });
    report.problems.extend(problems);
}

/// Verifies every entry of `bundle` and passes each to `sink`, without the
/// Go check: for commands that need part of a bundle. A bundle with any
/// problem is an error. Returns the manifest and the signing key's id.
pub fn check_entries(
    bundle: &Path,
    keys: &TrustedKeys,
    sink: &dyn Sink,
    ctx: &Context,
) -> Result<(Manifest, String), Error> {
    let mut b = reader::open(bundle, keys)?;
    let report = check_all(&mut b, sink, ctx)?;
    if !report.ok() {
        return Err(BundleError::Rejected(Box::new(report)).into());
    }
    Ok((b.manifest, b.key_id))
}

/// Every entry through `sink`, with a progress bar.
fn check_all(b: &mut reader::Bundle, sink: &dyn Sink, ctx: &Context) -> Result<Report, Error> {
    let bar = ctx.progress.bytes(b.payload_bytes(), "verifying");
    let report = b.check(sink, &bar)?;
    bar.finish_and_clear();
    Ok(report)
}

/// A Go finding as a bundle problem, named by its entry in the bundle.
fn problem(f: &Finding) -> Problem {
    let entry = if f.file.starts_with("modcache/") {
        f.file.clone()
    } else {
        format!("src/{}", f.file)
    };
    let what = if f.module.is_empty() {
        f.problem.clone()
    } else {
        format!("{}@{}: {}", f.module, f.version, f.problem)
    };
    Problem {
        code: Code::Go(f.code),
        severity: f.severity,
        entry,
        problem: what,
        expected: f.expected.clone(),
        actual: f.actual.clone(),
    }
}
