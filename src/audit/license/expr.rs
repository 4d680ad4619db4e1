//! SPDX license expressions: the files' expressions joined into a module's,
//! a file's own `SPDX-License-Identifier:` line, the SBOM's spelling of
//! "unknown", and the policy's question (is this expression allowed?).

use std::collections::BTreeSet;

use spdx::{Expression, LicenseItem, ParseMode};

use super::UNKNOWN;

/// How an SBOM names a text no SPDX license matches: an SPDX license
/// reference, never a made-up id.
pub const UNKNOWN_REF: &str = "LicenseRef-ferry-unknown";

fn parse(expression: &str) -> Option<Expression> {
    let spdx = expression.replace(UNKNOWN, UNKNOWN_REF);
    Expression::parse_mode(&spdx, ParseMode::LAX).ok()
}

/// The files' expressions as one: each distinct term once, sorted, joined
/// with AND (a choice kept whole in parentheses); "unknown" when there is none.
pub fn all_of<'a>(files: impl Iterator<Item = &'a str>) -> String {
    let mut terms = BTreeSet::new();
    for e in files {
        if e.contains(" OR ") {
            terms.insert(format!("({e})"));
        } else {
            terms.extend(
                e.split(" AND ")
                    .map(|t| t.trim_matches(['(', ')']).to_string()),
            );
        }
    }
    if terms.is_empty() {
        return UNKNOWN.into();
    }
    // A single choice needs no parentheses.
    if terms.len() == 1 {
        let only = terms.into_iter().next().unwrap_or_default();
        return only
            .trim_start_matches('(')
            .trim_end_matches(')')
            .to_string();
    }
    terms.into_iter().collect::<Vec<_>>().join(" AND ")
}

/// The expression of a `SPDX-License-Identifier:` line, when the text has
/// one that SPDX's grammar reads.
pub fn declared(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.split_once("SPDX-License-Identifier:").map(|(_, e)| e))
        .map(|e| {
            let e = e.trim().trim_end_matches("-->").trim();
            e.trim_matches(['`', '*', '"', '\'']).trim()
        })
        .find(|e| Expression::parse(e).is_ok())
        .map(str::to_string)
}

/// The license ids an expression names ("unknown" as itself).
pub fn ids(expression: &str) -> BTreeSet<String> {
    parse(expression)
        .map(|e| e.requirements().map(|r| name(&r.req.license)).collect())
        .unwrap_or_default()
}

fn name(item: &LicenseItem) -> String {
    match item {
        LicenseItem::Spdx { id, .. } => id.name.to_string(),
        LicenseItem::Other(r) if r.lic_ref == "ferry-unknown" => UNKNOWN.into(),
        LicenseItem::Other(r) => format!("LicenseRef-{}", r.lic_ref),
    }
}

/// The expression as an SBOM writes it: "unknown" as [`UNKNOWN_REF`].
pub fn to_spdx(expression: &str) -> String {
    expression.replace(UNKNOWN, UNKNOWN_REF)
}

/// Whether an expression passes `allowed` (one id at a time): an OR passes
/// when one side does, an AND when all do. `Err` holds the ids that failed;
/// an expression SPDX's grammar cannot read fails whole.
pub fn check(expression: &str, allowed: &dyn Fn(&str) -> bool) -> Result<(), Vec<String>> {
    let Some(e) = parse(expression) else {
        return Err(vec![expression.to_string()]);
    };
    e.evaluate_with_failures(|req| allowed(&name(&req.license)))
        .map_err(|failed| failed.iter().map(|r| name(&r.req.license)).collect())
}
