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

/// The files' expressions as one: each distinct top-level AND term once,
/// sorted, joined with AND (a choice kept whole in parentheses); "unknown"
/// when there is none.
pub fn all_of<'a>(files: impl Iterator<Item = &'a str>) -> String {
    let mut terms = BTreeSet::new();
    for e in files {
        for term in and_terms(unwrap(e.trim())) {
            let term = unwrap(term);
            match split_top(term, " OR ").len() > 1 {
                true => terms.insert(format!("({term})")),
                false => terms.insert(term.to_string()),
            };
        }
    }
    match terms.len() {
        0 => UNKNOWN.into(),
        // A single choice needs no parentheses.
        1 => terms
            .into_iter()
            .next()
            .map(|t| unwrap(&t).to_string())
            .unwrap_or_default(),
        _ => terms.into_iter().collect::<Vec<_>>().join(" AND "),
    }
}

/// The terms of an expression's top-level ANDs (inside no parentheses).
fn and_terms(e: &str) -> Vec<&str> {
    split_top(e, " AND ")
}

/// `e` split at each `sep` outside parentheses.
fn split_top<'a>(e: &'a str, sep: &str) -> Vec<&'a str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    let bytes = e.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            _ if depth == 0 && e[i..].starts_with(sep) => {
                out.push(e[start..i].trim());
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(e[start..].trim());
    out
}

/// `e` without one pair of parentheses that wraps it whole (not the two of
/// `(A OR B) AND (C OR D)`).
fn unwrap(e: &str) -> &str {
    let Some(inner) = e.strip_prefix('(').and_then(|x| x.strip_suffix(')')) else {
        return e;
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return e;
        }
    }
    inner
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_choice_inside_an_and_keeps_its_parentheses() {
        let one = all_of(["(MIT OR Apache-2.0) AND BSD-3-Clause"].into_iter());
        assert_eq!(one, "(MIT OR Apache-2.0) AND BSD-3-Clause");
        assert!(Expression::parse(&one).is_ok());
        let two = all_of(["MIT OR Apache-2.0", "BSD-3-Clause AND MIT"].into_iter());
        assert_eq!(two, "(MIT OR Apache-2.0) AND BSD-3-Clause AND MIT");
        assert_eq!(
            all_of(["(MIT OR Apache-2.0)"].into_iter()),
            "MIT OR Apache-2.0"
        );
        assert_eq!(
            all_of(["(A OR B) AND (C OR D)"].into_iter()),
            "(A OR B) AND (C OR D)"
        );
        assert_eq!(all_of(std::iter::empty()), "unknown");
    }
}
