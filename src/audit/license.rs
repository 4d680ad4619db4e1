//! Which license a module's code is under: its LICENSE/LICENCE/COPYING files
//! (NOTICE when there is none) compared by askalono with the reference texts
//! in data/licenses. A text that matches none well is "unknown": never a guess.

use std::path::Path;
use std::sync::OnceLock;

use askalono::{Store, TextData};

/// The reference texts (SPDX license list data; scripts/make-license-data.sh).
const TEXTS: &[(&str, &str)] = &[
    ("0BSD", include_str!("../../data/licenses/0BSD.txt")),
    (
        "AGPL-3.0-only",
        include_str!("../../data/licenses/AGPL-3.0-only.txt"),
    ),
    (
        "Apache-2.0",
        include_str!("../../data/licenses/Apache-2.0.txt"),
    ),
    (
        "Artistic-2.0",
        include_str!("../../data/licenses/Artistic-2.0.txt"),
    ),
    (
        "BSD-2-Clause",
        include_str!("../../data/licenses/BSD-2-Clause.txt"),
    ),
    (
        "BSD-3-Clause",
        include_str!("../../data/licenses/BSD-3-Clause.txt"),
    ),
    (
        "BSD-4-Clause",
        include_str!("../../data/licenses/BSD-4-Clause.txt"),
    ),
    ("BSL-1.0", include_str!("../../data/licenses/BSL-1.0.txt")),
    (
        "BlueOak-1.0.0",
        include_str!("../../data/licenses/BlueOak-1.0.0.txt"),
    ),
    (
        "CC-BY-4.0",
        include_str!("../../data/licenses/CC-BY-4.0.txt"),
    ),
    ("CC0-1.0", include_str!("../../data/licenses/CC0-1.0.txt")),
    ("EPL-2.0", include_str!("../../data/licenses/EPL-2.0.txt")),
    ("EUPL-1.2", include_str!("../../data/licenses/EUPL-1.2.txt")),
    (
        "GPL-2.0-only",
        include_str!("../../data/licenses/GPL-2.0-only.txt"),
    ),
    (
        "GPL-3.0-only",
        include_str!("../../data/licenses/GPL-3.0-only.txt"),
    ),
    ("ISC", include_str!("../../data/licenses/ISC.txt")),
    (
        "LGPL-2.1-only",
        include_str!("../../data/licenses/LGPL-2.1-only.txt"),
    ),
    (
        "LGPL-3.0-only",
        include_str!("../../data/licenses/LGPL-3.0-only.txt"),
    ),
    ("MIT-0", include_str!("../../data/licenses/MIT-0.txt")),
    ("MIT", include_str!("../../data/licenses/MIT.txt")),
    ("MPL-2.0", include_str!("../../data/licenses/MPL-2.0.txt")),
    (
        "PostgreSQL",
        include_str!("../../data/licenses/PostgreSQL.txt"),
    ),
    (
        "Unlicense",
        include_str!("../../data/licenses/Unlicense.txt"),
    ),
    ("Zlib", include_str!("../../data/licenses/Zlib.txt")),
];

/// A match below this is not an identification (askalono's own CLI uses 0.8;
/// ferry is stricter, as a reviewer acts on it).
const THRESHOLD: f32 = 0.9;

pub const UNKNOWN: &str = "unknown";

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut store = Store::new();
        for (id, text) in TEXTS {
            store.add_license(id.to_string(), TextData::new(text));
        }
        store
    })
}

/// The SPDX id of one license text, if it is one of ours closely enough.
pub fn identify(text: &str) -> Option<String> {
    let found = store().analyze(&TextData::new(text));
    (found.score >= THRESHOLD).then(|| found.name.to_string())
}

/// A module's license, from the files at the top of its folder: the ids
/// found, joined with " AND "; "unknown" for a file no text matches, or when
/// there is no license file at all.
pub fn of_module(dir: &Path) -> String {
    let files = license_files(dir);
    if files.is_empty() {
        return UNKNOWN.into();
    }
    let mut ids: Vec<String> = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .ok()
                .and_then(|t| identify(&t))
                .unwrap_or_else(|| UNKNOWN.into())
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids.join(" AND ")
}

fn license_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<(bool, std::path::PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_uppercase();
            let license = ["LICENSE", "LICENCE", "COPYING"]
                .iter()
                .any(|p| name.starts_with(p));
            let notice = name.starts_with("NOTICE");
            (license || notice).then(|| (license, e.path()))
        })
        .collect();
    names.sort();
    let any_license = names.iter().any(|(l, _)| *l);
    names
        .into_iter()
        .filter(|(l, _)| *l || !any_license)
        .map(|(_, p)| p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIT: &str = "MIT License\n\nCopyright (c) 2019 The Example Authors\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n";

    #[test]
    fn common_licenses_are_identified_and_others_are_unknown() {
        assert_eq!(identify(MIT).as_deref(), Some("MIT"));
        let apache = TEXTS.iter().find(|(id, _)| *id == "Apache-2.0").unwrap().1;
        assert_eq!(identify(apache).as_deref(), Some("Apache-2.0"));
        let bsd3 = TEXTS
            .iter()
            .find(|(id, _)| *id == "BSD-3-Clause")
            .unwrap()
            .1
            .replace("<copyright holder>", "The Go Authors");
        assert_eq!(identify(&bsd3).as_deref(), Some("BSD-3-Clause"));
        let own = "Copyright ACME. You may use this code on Tuesdays only, and never on a boat.";
        assert_eq!(identify(own), None);
    }

    #[test]
    fn a_module_folder_gives_every_license_it_carries() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(of_module(dir.path()), UNKNOWN);
        std::fs::write(dir.path().join("LICENSE-MIT"), MIT).unwrap();
        std::fs::write(dir.path().join("NOTICE"), "Includes code by ACME.").unwrap();
        assert_eq!(of_module(dir.path()), "MIT");
        std::fs::write(dir.path().join("COPYING"), "All rights reserved.").unwrap();
        assert_eq!(of_module(dir.path()), "MIT AND unknown");
    }
}
