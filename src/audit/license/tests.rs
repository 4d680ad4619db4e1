//! The detector on real modules' license files (fixtures/licenses/, made by
//! its make.sh from the Go module proxy), each against the SPDX expression a
//! reader of the file would write.

use std::path::PathBuf;

use super::*;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/licenses")
        .join(rel)
}

fn file(rel: &str) -> String {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    of_text(&text).0
}

fn module(rel: &str) -> String {
    of_module(&fixture(rel), &|_| false).expression
}

#[test]
fn an_apache_notice_alone_is_apache() {
    assert_eq!(
        file(
            "github.com/cyberphone/json-canonicalization@v0.0.0-20241213102144-19d51d7fe467/LICENSE"
        ),
        "Apache-2.0"
    );
}

#[test]
fn an_unlicense_file_is_read() {
    assert!(is_license_file("UNLICENSE"));
    assert_eq!(
        file("github.com/vbauerster/mpb/v8@v8.12.0/UNLICENSE"),
        "Unlicense"
    );
}

#[test]
fn three_licenses_one_after_another_are_each_found() {
    assert_eq!(
        file("github.com/klauspost/compress@v1.18.5/LICENSE"),
        "Apache-2.0 AND BSD-3-Clause AND MIT"
    );
}

#[test]
fn two_licenses_for_different_files_are_both_required() {
    // "covered by two different licenses": some files MIT, the rest
    // Apache-2.0; nothing lets the user choose, so both apply.
    assert_eq!(
        file("gopkg.in/yaml.v3@v3.0.1/LICENSE"),
        "Apache-2.0 AND MIT"
    );
}

#[test]
fn two_mit_texts_concatenated_are_mit() {
    assert_eq!(
        file("github.com/kevinburke/ssh_config@v1.2.0/LICENSE"),
        "MIT"
    );
}

#[test]
fn a_bsd_text_with_a_preface_is_bsd() {
    assert_eq!(
        file("github.com/gogo/protobuf@v1.3.2/LICENSE"),
        "BSD-3-Clause"
    );
}

#[test]
fn licenses_in_package_folders_join_the_module_expression() {
    assert_eq!(
        module("sigs.k8s.io/yaml@v1.4.0"),
        "Apache-2.0 AND BSD-3-Clause AND MIT"
    );
    let found = of_module(&fixture("sigs.k8s.io/yaml@v1.4.0"), &|_| false);
    assert_eq!(found.files.len(), 4, "{found:?}");
}

#[test]
fn a_folder_of_another_module_is_left_to_it() {
    let root = fixture("sigs.k8s.io/yaml@v1.4.0");
    let nested = root.join("goyaml.v2");
    let found = of_module(&root, &|d| d == nested);
    let files: Vec<&str> = found.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["LICENSE", "goyaml.v3/LICENSE"]);
}

#[test]
fn a_declared_spdx_expression_is_taken_when_the_texts_agree() {
    assert_eq!(
        file("github.com/cyphar/filepath-securejoin@v0.6.1/COPYING.md"),
        "BSD-3-Clause AND MPL-2.0"
    );
    assert!(is_license_file("LICENSE.MPL-2.0") && is_license_file("LICENSE.BSD"));
    assert_eq!(
        module("github.com/cyphar/filepath-securejoin@v0.6.1"),
        "BSD-3-Clause AND MPL-2.0"
    );
}

#[test]
fn a_choice_between_licenses_is_an_or() {
    assert_eq!(
        file("github.com/ipfs/boxo@v0.24.0/LICENSE.md"),
        "Apache-2.0 OR MIT"
    );
}

#[test]
fn mpl_whole_and_as_its_notice() {
    assert_eq!(
        file("github.com/hashicorp/go-multierror@v1.1.1/LICENSE"),
        "MPL-2.0"
    );
    let notice = "Copyright (c) 2021 Example Corp.\n\n".to_string()
        + include_str!("../../../data/licenses/notices/MPL-2.0.txt");
    assert_eq!(of_text(&notice).0, "MPL-2.0");
}

#[test]
fn a_text_matching_nothing_is_unknown_and_a_module_without_files_too() {
    let own = "Copyright ACME. You may use this code on Tuesdays only, and never on a boat.";
    assert_eq!(of_text(own).0, UNKNOWN);
    assert_eq!(identify(own), None);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(of_module(dir.path(), &|_| false).expression, UNKNOWN);
    std::fs::write(dir.path().join("COPYING"), "All rights reserved.").unwrap();
    std::fs::write(dir.path().join("LICENSE-MIT"), detect::text_of("MIT")).unwrap();
    assert_eq!(
        of_module(dir.path(), &|_| false).expression,
        "MIT AND unknown"
    );
}

#[test]
fn file_names_are_pkgsites_and_their_kin_but_not_source() {
    for name in [
        "LICENSE",
        "licence.md",
        "COPYING.LESSER",
        "MIT-LICENSE.txt",
        "GO_LICENSE",
        "LICENSE-APACHE",
    ] {
        assert!(is_license_file(name), "{name}");
    }
    for name in [
        "license.go",
        "NOTICE",
        "README.md",
        "LICENSES.json",
        "licensed.txt",
    ] {
        assert!(!is_license_file(name), "{name}");
    }
}

#[test]
fn expressions_join_and_gate() {
    use expr::{all_of, check};
    assert_eq!(
        all_of(["MIT", "Apache-2.0", "MIT"].into_iter()),
        "Apache-2.0 AND MIT"
    );
    assert_eq!(
        all_of(["MIT OR Apache-2.0"].into_iter()),
        "MIT OR Apache-2.0"
    );
    assert_eq!(
        all_of(["MIT OR Apache-2.0", "BSD-3-Clause"].into_iter()),
        "(MIT OR Apache-2.0) AND BSD-3-Clause"
    );
    let only_mit = |id: &str| id == "MIT";
    assert!(check("MIT OR Apache-2.0", &only_mit).is_ok());
    assert_eq!(
        check("MIT AND Apache-2.0", &only_mit),
        Err(vec!["Apache-2.0".to_string()])
    );
    assert_eq!(
        check("MIT AND unknown", &only_mit),
        Err(vec!["unknown".to_string()])
    );
    assert_eq!(
        expr::to_spdx("MIT AND unknown"),
        "MIT AND LicenseRef-ferry-unknown"
    );
}

#[test]
fn a_share_alike_text_is_not_its_plain_kin() {
    assert_eq!(
        file("github.com/opencontainers/go-digest@v1.0.0/LICENSE.docs"),
        "CC-BY-SA-4.0"
    );
    assert_eq!(
        module("github.com/opencontainers/go-digest@v1.0.0"),
        "Apache-2.0 AND CC-BY-SA-4.0"
    );
}

#[test]
fn every_shipped_text_is_in_the_store() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/licenses");
    let mut shipped: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".txt")
                .map(str::to_string)
        })
        .collect();
    shipped.sort();
    let mut held = detect::ids();
    held.sort();
    assert_eq!(shipped, held);
}

/// Words that take away what a license grants are no part of it: the file
/// is that license AND unknown, which an allow-list of the license refuses.
#[test]
fn a_restriction_added_to_a_license_is_unknown() {
    for (case, license) in [
        ("apache-no-commercial", "Apache-2.0"),
        ("apache-commons-clause", "Apache-2.0"),
        ("mit-no-military", "MIT"),
    ] {
        let text =
            std::fs::read_to_string(fixture(&format!("ferry-cases/{case}/LICENSE"))).unwrap();
        let (expression, coverage) = of_text(&text);
        assert_eq!(expression, format!("{license} AND unknown"), "{case}");
        assert!(coverage < 100, "{case}: coverage {coverage}");
    }
    let allowed = |id: &str| id == "Apache-2.0";
    assert!(expr::check("Apache-2.0 AND unknown", &allowed).is_err());
}

/// "or (at your option) any later version" chooses a GPL version, not
/// between the GPL and the other license of the file.
#[test]
fn a_gpl_later_version_notice_is_no_choice_between_licenses() {
    assert_eq!(
        file("ferry-cases/mit-gpl2-or-later/LICENSE"),
        "GPL-2.0-only AND MIT"
    );
}

/// A declared SPDX-License-Identifier is taken only with the text's support.
#[test]
fn a_declared_identifier_over_other_words_is_not_taken() {
    let text = "This software is proprietary and confidential. No part of it may be copied, \
                used or distributed without the written permission of Example Inc.\n\
                SPDX-License-Identifier: MIT\n";
    let (expression, coverage) = of_text(text);
    assert_eq!(expression, "unknown");
    assert!(coverage < 75, "{coverage}");
}

/// A large text of license words in no license's order is unknown, read
/// once, not window by window (which took minutes).
#[test]
fn a_large_text_of_shuffled_license_words_is_unknown_without_a_top_down_read() {
    let words: Vec<&str> = detect::text_of("Apache-2.0").split_whitespace().collect();
    // A fixed permutation: every 7th word, cycling.
    let shuffled: Vec<&str> = (0..words.len() * 12)
        .map(|i| words[(i * 7) % words.len()])
        .collect();
    let text = shuffled
        .chunks(12)
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.len() > detect::TOP_DOWN_MAX * 4, "{}", text.len());
    assert_eq!(of_text(&text).0, "unknown");
}

/// Only license files count: a stem followed by a license's name, not any
/// file whose name starts with LICENSE.
#[test]
fn files_named_like_licenses_that_are_not_are_left_out() {
    for name in [
        "LICENSE-3rdparty.csv",
        "LICENSE_HEADER",
        "LICENSE.tmpl",
        "license.go",
    ] {
        assert!(!is_license_file(name), "{name}");
    }
    for name in [
        "LICENSE.BSD",
        "LICENSE.MPL-2.0",
        "LICENSE-APACHE.txt",
        "GO_LICENSE",
        "BSD-LICENSE",
        "COPYING.LESSER",
        "LICENSE",
    ] {
        assert!(is_license_file(name), "{name}");
    }
}

/// A line of preface before a license leaves the license whole: the match
/// covers its text to the end, and a license the top-down read misses
/// after the preface is still found.
#[test]
fn a_one_line_preface_keeps_the_license_whole() {
    for id in ["MIT", "BSD-3-Clause"] {
        let text = format!(
            "This package is a fork of example.com/original, kept here for Go modules.\n\n{}",
            detect::text_of(id)
        );
        let (expression, coverage) = of_text(&text);
        assert_eq!(expression, id);
        assert!(coverage >= 85, "{id}: {coverage}");
    }
}
