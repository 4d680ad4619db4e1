//! One license file's text → the SPDX licenses in it: askalono against SPDX's
//! texts and notice forms, whole when the text is one license, else top-down
//! (each license found in turn), each match's lines counted toward coverage.

use std::sync::OnceLock;

use askalono::{LicenseType, ScanMode, ScanStrategy, Store, TextData};

/// The reference texts (SPDX license list data; scripts/make-license-data.sh).
const TEXTS: &[(&str, &str)] = &[
    ("0BSD", include_str!("../../../data/licenses/0BSD.txt")),
    (
        "AFL-3.0",
        include_str!("../../../data/licenses/AFL-3.0.txt"),
    ),
    (
        "AGPL-3.0-only",
        include_str!("../../../data/licenses/AGPL-3.0-only.txt"),
    ),
    (
        "Apache-1.1",
        include_str!("../../../data/licenses/Apache-1.1.txt"),
    ),
    (
        "Apache-2.0",
        include_str!("../../../data/licenses/Apache-2.0.txt"),
    ),
    (
        "Artistic-2.0",
        include_str!("../../../data/licenses/Artistic-2.0.txt"),
    ),
    (
        "BSD-1-Clause",
        include_str!("../../../data/licenses/BSD-1-Clause.txt"),
    ),
    (
        "BSD-2-Clause",
        include_str!("../../../data/licenses/BSD-2-Clause.txt"),
    ),
    (
        "BSD-2-Clause-Patent",
        include_str!("../../../data/licenses/BSD-2-Clause-Patent.txt"),
    ),
    (
        "BSD-2-Clause-Views",
        include_str!("../../../data/licenses/BSD-2-Clause-Views.txt"),
    ),
    (
        "BSD-3-Clause",
        include_str!("../../../data/licenses/BSD-3-Clause.txt"),
    ),
    (
        "BSD-3-Clause-Clear",
        include_str!("../../../data/licenses/BSD-3-Clause-Clear.txt"),
    ),
    (
        "BSD-4-Clause",
        include_str!("../../../data/licenses/BSD-4-Clause.txt"),
    ),
    (
        "BSD-4-Clause-UC",
        include_str!("../../../data/licenses/BSD-4-Clause-UC.txt"),
    ),
    (
        "BSL-1.0",
        include_str!("../../../data/licenses/BSL-1.0.txt"),
    ),
    (
        "BlueOak-1.0.0",
        include_str!("../../../data/licenses/BlueOak-1.0.0.txt"),
    ),
    (
        "CC-BY-3.0",
        include_str!("../../../data/licenses/CC-BY-3.0.txt"),
    ),
    (
        "CC-BY-4.0",
        include_str!("../../../data/licenses/CC-BY-4.0.txt"),
    ),
    (
        "CC-BY-SA-3.0",
        include_str!("../../../data/licenses/CC-BY-SA-3.0.txt"),
    ),
    (
        "CC-BY-SA-4.0",
        include_str!("../../../data/licenses/CC-BY-SA-4.0.txt"),
    ),
    (
        "CC0-1.0",
        include_str!("../../../data/licenses/CC0-1.0.txt"),
    ),
    (
        "CDDL-1.0",
        include_str!("../../../data/licenses/CDDL-1.0.txt"),
    ),
    (
        "EPL-1.0",
        include_str!("../../../data/licenses/EPL-1.0.txt"),
    ),
    (
        "EPL-2.0",
        include_str!("../../../data/licenses/EPL-2.0.txt"),
    ),
    (
        "EUPL-1.2",
        include_str!("../../../data/licenses/EUPL-1.2.txt"),
    ),
    (
        "GPL-2.0-only",
        include_str!("../../../data/licenses/GPL-2.0-only.txt"),
    ),
    (
        "GPL-3.0-only",
        include_str!("../../../data/licenses/GPL-3.0-only.txt"),
    ),
    ("HPND", include_str!("../../../data/licenses/HPND.txt")),
    ("ISC", include_str!("../../../data/licenses/ISC.txt")),
    ("JSON", include_str!("../../../data/licenses/JSON.txt")),
    (
        "LGPL-2.0-only",
        include_str!("../../../data/licenses/LGPL-2.0-only.txt"),
    ),
    (
        "LGPL-2.1-only",
        include_str!("../../../data/licenses/LGPL-2.1-only.txt"),
    ),
    (
        "LGPL-3.0-only",
        include_str!("../../../data/licenses/LGPL-3.0-only.txt"),
    ),
    ("MIT", include_str!("../../../data/licenses/MIT.txt")),
    ("MIT-0", include_str!("../../../data/licenses/MIT-0.txt")),
    (
        "MPL-1.1",
        include_str!("../../../data/licenses/MPL-1.1.txt"),
    ),
    (
        "MPL-2.0",
        include_str!("../../../data/licenses/MPL-2.0.txt"),
    ),
    ("MS-PL", include_str!("../../../data/licenses/MS-PL.txt")),
    (
        "MulanPSL-2.0",
        include_str!("../../../data/licenses/MulanPSL-2.0.txt"),
    ),
    ("NCSA", include_str!("../../../data/licenses/NCSA.txt")),
    (
        "OFL-1.1",
        include_str!("../../../data/licenses/OFL-1.1.txt"),
    ),
    (
        "OpenSSL",
        include_str!("../../../data/licenses/OpenSSL.txt"),
    ),
    (
        "PSF-2.0",
        include_str!("../../../data/licenses/PSF-2.0.txt"),
    ),
    (
        "PostgreSQL",
        include_str!("../../../data/licenses/PostgreSQL.txt"),
    ),
    (
        "Python-2.0",
        include_str!("../../../data/licenses/Python-2.0.txt"),
    ),
    (
        "UPL-1.0",
        include_str!("../../../data/licenses/UPL-1.0.txt"),
    ),
    (
        "Unicode-DFS-2016",
        include_str!("../../../data/licenses/Unicode-DFS-2016.txt"),
    ),
    (
        "Unlicense",
        include_str!("../../../data/licenses/Unlicense.txt"),
    ),
    ("WTFPL", include_str!("../../../data/licenses/WTFPL.txt")),
    ("X11", include_str!("../../../data/licenses/X11.txt")),
    ("Zlib", include_str!("../../../data/licenses/Zlib.txt")),
];

/// The short notice forms a file may hold instead of the whole text, cut
/// from SPDX's own texts (Apache-2.0's appendix, MPL-2.0's Exhibit A).
const NOTICES: &[(&str, &str)] = &[
    (
        "Apache-2.0",
        include_str!("../../../data/licenses/notices/Apache-2.0.txt"),
    ),
    (
        "MPL-2.0",
        include_str!("../../../data/licenses/notices/MPL-2.0.txt"),
    ),
];

/// A match below this is not an identification (askalono's own CLI uses 0.8;
/// ferry is stricter, as a reviewer acts on it).
const CONFIDENCE: f32 = 0.9;

/// The share of a file's words that the licenses found must cover for the
/// file to be named at all: pkg.go.dev's threshold (coverageThreshold = 75 in
/// pkgsite's internal/licenses). Copyright lines count for neither side.
pub const COVERAGE_PERCENT: usize = 75;

/// A whole text matching one license above this is that license alone.
const SHALLOW: f32 = 0.99;

/// Lines the top-down window moves by: smaller finds shorter texts, slower.
const STEP: usize = 3;

/// The largest text read top-down. Its cost grows with the square of the
/// text when nothing matches (minutes for a few hundred KB of shuffled
/// license words); the real files read this way (several licenses one after
/// another) are under 20 KB. A larger text that is not one license nearly
/// word for word is unknown.
pub const TOP_DOWN_MAX: usize = 24 * 1024;

pub(super) fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = Store::new();
        for (id, text) in TEXTS {
            store.add_license(id.to_string(), TextData::new(text));
        }
        for (id, text) in NOTICES {
            // Every notice names a license of TEXTS, so the variant has a home.
            let _ = store.add_variant(id, LicenseType::Header, TextData::new(text));
        }
        store
    })
}

/// What one file's text holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The SPDX ids found, sorted, each once.
    pub ids: Vec<String>,
    /// Whether the words outside the license texts let the user choose
    /// between them ("at your option", "dual licensed", "either … or").
    pub choice: bool,
    /// Percent of the file's words inside the licenses found.
    pub coverage: usize,
    /// Whether words outside the license texts restrict what they grant
    /// ("for any commercial purpose", the Commons Clause, "military"): the
    /// file is then more than its licenses, and a reviewer must read it.
    pub restricted: bool,
}

impl Found {
    /// Whether the file is named: something found, covering enough of it.
    pub fn identified(&self) -> bool {
        !self.ids.is_empty() && self.coverage >= COVERAGE_PERCENT
    }
}

/// Every license in `text`, where it is, and how much of the text they cover.
/// A text that is one license nearly word for word is settled by one
/// comparison; any other is read top-down (askalono's TopDown: a window
/// grown line by line until a license matches, then the next from there),
/// which finds each of several licenses one after another.
pub fn scan(text: &str) -> Found {
    let data = TextData::new(text);
    let lines = data.lines();
    let mut covered = vec![false; lines.len()];
    let mut ids = Vec::new();
    let whole = store().analyze(&data);
    match whole.score > SHALLOW {
        true => {
            // Nearly word for word: each line is covered when its words
            // follow one another in the license's own text.
            ids.push(whole.name.to_string());
            let known = pairs(&reference(whole.name));
            for (line, flag) in lines.iter().zip(covered.iter_mut()) {
                *flag = in_reference(line, &known);
            }
        }
        false if text.len() > TOP_DOWN_MAX => {}
        false => {
            let top_down = ScanStrategy::new(store())
                .mode(ScanMode::TopDown)
                .confidence_threshold(CONFIDENCE)
                .step_size(STEP);
            for c in top_down
                .scan(&data)
                .map(|r| r.containing)
                .unwrap_or_default()
            {
                ids.push(c.license.name.to_string());
                let known = pairs(&reference(c.license.name));
                let (start, end) = extend(lines, c.line_range, &known);
                for flag in covered.iter_mut().take(end).skip(start) {
                    *flag = true;
                }
            }
            if ids.is_empty()
                && let Some((id, from)) = after_preface(lines)
            {
                ids.push(id.to_string());
                let known = pairs(&reference(id));
                for (line, flag) in lines.iter().zip(covered.iter_mut()).skip(from) {
                    *flag = in_reference(line, &known);
                }
            }
        }
    }
    ids.sort();
    ids.dedup();
    let (inside, total) = word_counts(lines, &covered);
    let coverage = (inside * 100).checked_div(total).unwrap_or(0);
    let outside: Vec<&str> = lines
        .iter()
        .zip(&covered)
        .filter(|(_, c)| !**c)
        .map(|(l, _)| l.as_str())
        .collect();
    let outside = outside.join(" ");
    let choice = ids.len() > 1 && offers_choice(&outside);
    Found {
        restricted: restricts(&outside, &ids),
        ids,
        choice,
        coverage,
    }
}

/// A match's lines grown to the whole of its license: the top-down window
/// stops once the score is reached, short of the text's last lines (and a
/// title before it), which are the license's all the same.
fn extend(
    lines: &[String],
    (mut start, mut end): (usize, usize),
    known: &std::collections::HashSet<(String, String)>,
) -> (usize, usize) {
    while start > 0 && in_reference(&lines[start - 1], known) {
        start -= 1;
    }
    while end < lines.len() && in_reference(&lines[end], known) {
        end += 1;
    }
    (start, end)
}

/// Lines of preface the whole-text comparison may skip.
const PREFACE_LINES: usize = 8;

/// A license that starts after a few lines of preface (which can keep the
/// top-down read from ever matching): the license and its first line.
fn after_preface(lines: &[String]) -> Option<(&'static str, usize)> {
    (1..=PREFACE_LINES.min(lines.len())).find_map(|from| {
        let rest = TextData::new(&lines[from..].join("\n"));
        let m = store().analyze(&rest);
        (m.score >= CONFIDENCE).then_some((m.name, from))
    })
}

/// A license's reference text, with its notice form when it has one.
fn reference(id: &str) -> String {
    TEXTS
        .iter()
        .chain(NOTICES)
        .filter(|(i, _)| *i == id)
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A text's words, lower case, letters and digits only.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every pair of consecutive words of a text.
fn pairs(text: &str) -> std::collections::HashSet<(String, String)> {
    let w = words(text);
    w.windows(2).map(|p| (p[0].clone(), p[1].clone())).collect()
}

/// Whether most of a line's word pairs are pairs of the reference (a line of
/// one word or none is taken as covered: a heading, a blank).
fn in_reference(line: &str, known: &std::collections::HashSet<(String, String)>) -> bool {
    let w = words(line);
    if w.len() < 2 {
        return true;
    }
    let all = w.len() - 1;
    let hits = w
        .windows(2)
        .filter(|p| known.contains(&(p[0].clone(), p[1].clone())))
        .count();
    hits * 10 >= all * 9
}

/// Phrases that take away what a license grants (field of use, commerce,
/// selling); they count when the words outside the licenses found hold one
/// the licenses' own texts do not.
const RESTRICTIONS: &[&str] = &[
    "commercial purpose",
    "commercial use",
    "non-commercial",
    "noncommercial",
    "commons clause",
    "the right to sell",
    "military",
    "government agency",
    "shall not be used",
    "may not be used",
    "must not be used",
    "not use the work",
    "not use the software",
];

fn restricts(outside: &str, ids: &[String]) -> bool {
    let plain = |t: &str| words(t).join(" ");
    let outside = plain(outside);
    let own = plain(
        &ids.iter()
            .map(|i| reference(i))
            .collect::<Vec<_>>()
            .join(" "),
    );
    RESTRICTIONS
        .iter()
        .map(|r| plain(r))
        .any(|r| outside.contains(&r) && !own.contains(&r))
}

/// Licenses named by their canonical address rather than their text, as a
/// file that offers a choice between them does ("either of: Apache-2.0 …
/// https://www.apache.org/licenses/LICENSE-2.0, MIT … opensource.org/licenses/MIT").
const REFERENCES: &[(&str, &str)] = &[
    ("apache.org/licenses/license-2.0", "Apache-2.0"),
    ("opensource.org/licenses/apache-2.0", "Apache-2.0"),
    ("opensource.org/licenses/mit", "MIT"),
    ("opensource.org/licenses/bsd-3-clause", "BSD-3-Clause"),
    ("opensource.org/licenses/bsd-2-clause", "BSD-2-Clause"),
    ("mozilla.org/mpl/2.0", "MPL-2.0"),
];

/// The licenses a text offers as alternatives by reference only: two or
/// more named by address, and prose that lets the user choose. A text that
/// names one license, or several with no choice, names nothing this way.
pub fn choice_by_reference(text: &str) -> Option<Vec<String>> {
    let lower = text.to_lowercase();
    let mut ids: Vec<String> = REFERENCES
        .iter()
        .filter(|(url, _)| lower.contains(url))
        .map(|(_, id)| id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    (ids.len() > 1 && (offers_choice(&lower) || lower.contains("either of"))).then_some(ids)
}

/// A copyright line: one that starts as one, or a short one that reserves
/// rights. A license sentence that only mentions "the copyright holders"
/// (BSD's disclaimer, one line when read as paragraphs) is not.
fn is_copyright(line: &str) -> bool {
    let lower = line.trim_start().to_lowercase();
    ["copyright", "(c)", "©"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (lower.contains("all rights reserved") && lower.split_whitespace().count() <= 20)
}

/// Words inside the covered lines, and in all; copyright lines are neither.
fn word_counts(lines: &[String], covered: &[bool]) -> (usize, usize) {
    let mut inside = 0;
    let mut total = 0;
    for (line, c) in lines.iter().zip(covered) {
        if is_copyright(line) {
            continue;
        }
        let words = line
            .split(|ch: char| !ch.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .count();
        total += words;
        if *c {
            inside += words;
        }
    }
    (inside, total)
}

/// Whether prose says the licenses are alternatives (read only outside the
/// license texts: MPL-2.0 and Apache-2.0 say "at their option" of other
/// things). The GPL notice's "or (at your option) any later version" picks
/// a version of one license, no choice between licenses.
fn offers_choice(prose: &str) -> bool {
    let text = prose
        .to_lowercase()
        .replace(['(', ')'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("at your option any later version", "")
        .replace("at your option, any later version", "");
    [
        "at your option",
        "at your choice",
        "dual licensed",
        "dual-licensed",
        "you may choose",
        "licensed under either",
        "your choice of",
    ]
    .iter()
    .any(|p| text.contains(p))
}

/// Every reference text shipped in data/licenses/ is one the store holds.
#[cfg(test)]
pub(super) fn ids() -> Vec<&'static str> {
    TEXTS.iter().map(|(id, _)| *id).collect()
}

#[cfg(test)]
pub(super) fn text_of(id: &str) -> &'static str {
    TEXTS.iter().find(|(i, _)| *i == id).map_or("", |(_, t)| t)
}
