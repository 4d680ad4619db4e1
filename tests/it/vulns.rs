//! The offline vulnerability check: a small OSV snapshot written here, with
//! real-shaped Go advisories, bundled by `pack --vulndb` and matched by
//! `audit --vulns` (also against a folder, from the published zip layout).

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, text};

fn advisory(id: &str, cve: &str, module: &str, events: &str) -> String {
    format!(
        r#"{{"schema_version":"1.3.1","id":"{id}","modified":"2099-01-02T00:00:00Z","published":"2099-01-01T00:00:00Z","aliases":["{cve}"],"summary":"Flaw in {module}","details":"A flaw.","affected":[{{"package":{{"name":"{module}","ecosystem":"Go"}},"ranges":[{{"type":"SEMVER","events":[{events}]}}],"ecosystem_specific":{{"imports":[{{"path":"{module}","symbols":["F"]}}]}}}}],"references":[{{"type":"FIX","url":"https://example.com/fix"}}],"database_specific":{{"url":"https://pkg.go.dev/vuln/{id}"}}}}"#
    )
}

/// The vuln.go.dev layout: ID/<id>.json and index/db.json.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let files = vec![
        (
            "index/db.json".to_string(),
            r#"{"modified":"2099-01-03T00:00:00Z"}"#.to_string(),
        ),
        // strutil: fixed in 1.1.0 (hello uses v1.0.0; clockwork's replacement is v1.1.0).
        (
            "ID/GO-2099-0001.json".into(),
            advisory(
                "GO-2099-0001",
                "CVE-2099-1001",
                "example.com/strutil",
                r#"{"introduced":"0"},{"fixed":"1.1.0"}"#,
            ),
        ),
        // tzinfo: v1.0.0 is the last affected.
        (
            "ID/GO-2099-0002.json".into(),
            advisory(
                "GO-2099-0002",
                "CVE-2099-1002",
                "example.com/Upper/tzinfo",
                r#"{"introduced":"1.0.0"},{"last_affected":"1.0.0"}"#,
            ),
        ),
        // greet/v2: only versions after the one used.
        (
            "ID/GO-2099-0003.json".into(),
            advisory(
                "GO-2099-0003",
                "CVE-2099-1003",
                "example.com/greet/v2",
                r#"{"introduced":"2.1.1"},{"fixed":"2.2.0"}"#,
            ),
        ),
    ];
    for (name, text) in &files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    files
}

#[test]
fn a_bundled_snapshot_finds_what_is_affected_and_nothing_else() {
    let sb = Sandbox::new();
    snapshot(&sb.path("vulndb"));
    let out = sb.pack_with("clockwork", "c.ferry", &["-q", "--vulndb", "vulndb"]);
    assert_ok(&out);
    let out = sb.run(&["audit", "c.ferry", "--pub", "rel.pub", "--vulns"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "VULN GO-2099-0002 (CVE-2099-1002) example.com/Upper/tzinfo@v1.0.0: Flaw in example.com/Upper/tzinfo; no fixed version",
            "vulnerabilities: 1 found in 3 module versions against 3 advisories (database snapshot of 2099-01-03T00:00:00Z)",
        ],
    );
    let said = text(&out);
    assert!(
        !said.contains("GO-2099-0001") && !said.contains("GO-2099-0003"),
        "{said}"
    );

    // Without --vulns, the same bundle passes: the check is asked for.
    assert_ok(&sb.run(&["audit", "c.ferry", "--pub", "rel.pub"]));
}

#[test]
fn a_folder_is_checked_against_the_published_zip() {
    let sb = Sandbox::new();
    let files = snapshot(&sb.path("unused"));
    let mut zip = zip::ZipWriter::new(fs::File::create(sb.path("vulndb.zip")).unwrap());
    for (name, text) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let hello = app("hello");
    let out = sb.run(&["audit", hello.to_str().unwrap(), "--vulndb", "vulndb.zip"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "VULN GO-2099-0001 (CVE-2099-1001) example.com/strutil@v1.0.0",
            "fixed in v1.1.0",
        ],
    );

    let out = sb.run(&["audit", hello.to_str().unwrap(), "--vulns"]);
    assert_exit(&out, 2);
    assert_says(&out, &["--vulns on a folder needs --vulndb"]);
}

/// fixtures/vulndb (fixtures/make-vulndb.py): three advisories against
/// example.com/vulnlib v1.0.0, which fixtures/apps/vulnapp requires. It
/// calls vulnlib.Parse (GO-2099-0101), never vulnlib.Render (GO-2099-0102),
/// and never imports vulnlib/extra (GO-2099-0103).
fn fixture_vulndb() -> std::path::PathBuf {
    crate::common::fixtures().join("vulndb")
}

const CALLED: &str = "VULN GO-2099-0101 (CVE-2099-101) example.com/vulnlib@v1.0.0: Parse reads past the end of a header; fixed in v1.0.1; symbol called: example.com/vulnapp.main (main.go:13) -> example.com/vulnlib.Parse (vulnlib.go:8)";
const IMPORTED: &str = "VULN GO-2099-0102 (CVE-2099-102) example.com/vulnlib@v1.0.0: Render writes an unescaped header; fixed in v1.0.1; package imported, no vulnerable symbol called";
const REQUIRED: &str = "VULN GO-2099-0103 (CVE-2099-103) example.com/vulnlib@v1.0.0: Unused leaks a file descriptor; fixed in v1.0.1; module required, vulnerable package not imported";

#[test]
fn a_folder_audit_says_which_vulnerable_symbol_is_called_and_which_is_not() {
    let sb = Sandbox::new();
    let vulnapp = app("vulnapp");
    let db = fixture_vulndb();
    let args = [
        "audit",
        vulnapp.to_str().unwrap(),
        "--vulndb",
        db.to_str().unwrap(),
    ];
    let out = sb.run(&args);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            CALLED,
            IMPORTED,
            REQUIRED,
            "1 symbol called, 1 package imported, 1 module required, 0 not analysed, 0 new and 0 changed since the pack (reachability by govulncheck@v1.9.0 at audit time",
        ],
    );

    let json = sb.run(&[&args[..], &["--format", "json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let levels: Vec<&str> = v["vulns"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["called", "imported", "required"], "{v:#}");
    assert_eq!(v["vulns"]["hits"][0]["symbol"], "example.com/vulnlib.Parse");

    // The reviewer's export: OpenVEX statuses from the levels.
    let vex = sb.run(&[&args[..], &["--format", "openvex"]].concat());
    let vex: serde_json::Value = serde_json::from_slice(&vex.stdout).unwrap();
    let statuses: Vec<(&str, &str, &str)> = vex["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["vulnerability"]["name"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
                s["justification"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("GO-2099-0101", "affected", ""),
            (
                "GO-2099-0102",
                "not_affected",
                "vulnerable_code_not_in_execute_path"
            ),
            (
                "GO-2099-0103",
                "not_affected",
                "vulnerable_code_not_present"
            ),
        ]
    );
    assert_eq!(vex["@context"], "https://openvex.dev/ns/v0.2.0");

    // Without govulncheck, the folder's check cannot run: it says so.
    let mut cmd = sb.ferry();
    cmd.args(args)
        .env("FERRY_GOVULNCHECK", sb.path("no-such-govulncheck"));
    let out = cmd.output().unwrap();
    assert_exit(&out, 3);
    assert_says(&out, &["cannot run govulncheck", "FERRY_GOVULNCHECK"]);
}

#[test]
fn a_bundle_carries_the_levels_and_a_newer_snapshot_adds_what_is_new() {
    let sb = Sandbox::new();
    let db = fixture_vulndb();
    pack_vulnapp(&sb);

    // The isolated side has no govulncheck: the levels come from the bundle.
    let isolated = |extra: &[&str]| {
        let mut cmd = sb.ferry();
        cmd.args(["audit", "v.ferry", "--pub", "rel.pub", "--vulns"])
            .args(extra)
            .env("FERRY_GOVULNCHECK", sb.path("no-such-govulncheck"));
        cmd.output().unwrap()
    };
    let out = isolated(&[]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            CALLED,
            IMPORTED,
            REQUIRED,
            "reachability by govulncheck@v1.9.0 at pack time",
        ],
    );

    // vulns.json is an entry of the signed manifest.
    let listing = sb.run(&["verify", "v.ferry", "--pub", "rel.pub", "--json"]);
    assert_ok(&listing);
    let bundle = fs::File::open(sb.path("v.ferry")).unwrap();
    let mut zip = zip::ZipArchive::new(bundle).unwrap();
    let mut manifest = String::new();
    zip.by_name("ferry.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    assert!(manifest.contains("\"vulns.json\""), "{manifest}");

    // The bundled SBOM carries the vulnerabilities with their analysis.
    let out = isolated(&["--format", "cyclonedx"]);
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(&str, &str)> = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["analysis"]["state"].as_str().unwrap(),
                v["analysis"]["justification"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("exploitable", ""),
            ("not_affected", "code_not_reachable"),
            ("not_affected", "code_not_present")
        ]
    );
    crate::audit_report::validate_cyclonedx(&out.stdout);

    // A newer snapshot: one more advisory, published after the pack.
    let newer = sb.path("newer");
    copy_dir(&db, &newer);
    let adv = advisory(
        "GO-2099-0104",
        "CVE-2099-104",
        "example.com/vulnlib",
        r#"{"introduced":"0"},{"fixed":"1.0.2"}"#,
    );
    fs::write(newer.join("ID/GO-2099-0104.json"), adv).unwrap();
    // …and GO-2099-0102 revised since (more symbols, a later `modified`):
    // the level the pack's scan gave the old revision is not shown for it.
    let revised = fs::read_to_string(newer.join("ID/GO-2099-0102.json"))
        .unwrap()
        .replace("\"modified\": \"2099-01-02", "\"modified\": \"2099-03-01")
        .replace("\"Render\"", "\"Render\", \"Parse\"");
    fs::write(newer.join("ID/GO-2099-0102.json"), revised).unwrap();
    dated(&newer, "2099-03-01T00:00:00Z");
    let out = isolated(&["--vulndb", newer.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            CALLED,
            "VULN GO-2099-0102 (CVE-2099-102) example.com/vulnlib@v1.0.0: Render writes an unescaped header; fixed in v1.0.1; CHANGED since the pack: the advisory was revised, module version matches, reachability not analysed",
            "VULN GO-2099-0104 (CVE-2099-104) example.com/vulnlib@v1.0.0: Flaw in example.com/vulnlib; fixed in v1.0.2; NEW since the pack: module version matches, reachability not analysed",
            "against 4 advisories (database snapshot of 2099-03-01T00:00:00Z); 1 symbol called, 0 package imported, 1 module required, 0 not analysed, 1 new and 1 changed since the pack",
        ],
    );
    // An older snapshot would bring back old revisions and hide new ones.
    let older = sb.path("older");
    copy_dir(&db, &older);
    fs::remove_file(older.join("ID/GO-2099-0101.json")).unwrap();
    dated(&older, "1999-01-01T00:00:00Z");
    let out = isolated(&["--vulndb", older.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert_says(
        &out,
        &[
            "its snapshot of 1999-01-01T00:00:00Z is older than the bundle's own (2099-01-02T00:00:00Z)",
        ],
    );
    let vex = isolated(&["--vulndb", newer.to_str().unwrap(), "--format", "openvex"]);
    let vex: serde_json::Value = serde_json::from_slice(&vex.stdout).unwrap();
    assert_eq!(
        vex["statements"][3]["status"], "under_investigation",
        "{vex:#}"
    );
}

#[test]
fn pack_without_govulncheck_writes_no_bundle() {
    let sb = Sandbox::new();
    sb.keygen("rel");
    let db = fixture_vulndb();
    let mut cmd = sb.ferry();
    cmd.args([
        "pack",
        app("vulnapp").to_str().unwrap(),
        "-o",
        "v.ferry",
        "--key",
        "rel.key",
        "-q",
    ])
    .args(["--vulndb", db.to_str().unwrap()])
    .env("FERRY_GOVULNCHECK", sb.path("no-such-govulncheck"));
    let out = cmd.output().unwrap();
    assert_exit(&out, 3);
    assert_says(&out, &["cannot run govulncheck"]);
    assert!(!sb.path("v.ferry").exists());
}

/// `v.ferry`: vulnapp packed with fixtures/vulndb.
fn pack_vulnapp(sb: &Sandbox) {
    let db = fixture_vulndb();
    let out = sb.pack_with(
        "vulnapp",
        "v.ferry",
        &["-q", "--vulndb", db.to_str().unwrap()],
    );
    assert_ok(&out);
}

/// Sets a snapshot folder's date (its index/db.json).
fn dated(db: &Path, modified: &str) {
    let json = serde_json::json!({ "modified": modified }).to_string();
    fs::write(db.join("index/db.json"), json).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let target = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The vulnapp bundle with its `vulns.json` rewritten by `edit` and the
/// manifest re-signed by the same key: what a packer (or a wrapper around
/// govulncheck) could sign.
fn forged(sb: &Sandbox, edit: impl Fn(&mut serde_json::Value)) {
    forged_entry(sb, "vulns.json", edit)
}

/// The same, for any JSON entry.
fn forged_entry(sb: &Sandbox, name: &str, edit: impl Fn(&mut serde_json::Value)) {
    use crate::common::{rawzip, resign::resigned};
    use sha2::{Digest, Sha256};
    if !sb.path("v.ferry").exists() {
        pack_vulnapp(sb);
    }
    let mut entries = rawzip::entries_of(&fs::read(sb.path("v.ferry")).unwrap());
    let at = entries.iter().position(|e| e.0 == name).unwrap();
    let mut record: serde_json::Value = serde_json::from_slice(&entries[at].1).unwrap();
    edit(&mut record);
    let forged = serde_json::to_vec_pretty(&record).unwrap();
    entries[at].1 = forged.clone();
    let sha = hex::encode(Sha256::digest(&forged));
    let size = forged.len();
    let entries = resigned(sb, &entries, |m| {
        for e in m["entries"].as_array_mut().unwrap() {
            if e["path"] == name {
                e["sha256"] = sha.clone().into();
                e["size"] = size.into();
            }
        }
    });
    fs::write(sb.path("forged.ferry"), rawzip::rebuild(&entries).build()).unwrap();
}

/// vulns.json is input, signature or not: a record re-signed with a call
/// path that hides terminal control characters is a failed check (exit 1)
/// of verify and audit alike, and shown nowhere.
#[test]
fn a_resigned_vulns_record_that_hides_characters_is_refused() {
    let sb = Sandbox::new();
    forged(&sb, |r| {
        let path = &mut r["findings"][0]["call_path"][0];
        *path = format!("{}\u{1b}[2J", path.as_str().unwrap()).into();
    });
    for cmd in ["verify", "audit"] {
        let out = sb.run(
            &[cmd, "forged.ferry", "--pub", "rel.pub", "--vulns"]
                [..if cmd == "verify" { 4 } else { 5 }],
        );
        assert_exit(&out, 1);
        assert_says(
            &out,
            &["vulns.json", "holds a control or invisible character"],
        );
        assert!(!text(&out).contains('\u{1b}'), "{}", text(&out));
    }
    let out = sb.run(&["verify", "forged.ferry", "--pub", "rel.pub", "--json"]);
    assert_says(&out, &["\"code\": \"vulns-record\""]);
}

/// A signed vulns.json is the packer's claim, held against what the bundle
/// itself says: its database's date and advisories, its modules' versions,
/// the one govulncheck ferry runs, the build it makes. Each lie is a coded
/// failed check of verify and audit; no level of the record is shown.
#[test]
fn a_resigned_vulns_record_that_disagrees_with_the_bundle_fails_its_checks() {
    let sb = Sandbox::new();
    forged(&sb, |r| {
        r["scanner"] = "govulncheck@v9.9.9".into();
        r["db_modified"] = "2000-01-01T00:00:00Z".into();
        let findings = r["findings"].as_array_mut().unwrap();
        findings.retain(|f| f["id"] != "GO-2099-0102");
        findings[0]["version"] = "v0.0.1".into();
        let mut extra = findings[1].clone();
        extra["id"] = "GO-2099-9999".into();
        findings.push(extra);
        r["build"]["cgo"] = true.into();
    });
    let out = sb.run(&["verify", "forged.ferry", "--pub", "rel.pub"]);
    assert_exit(&out, 1);
    let said = [
        "vulns.json: scanned by another govulncheck than ferry runs (expected govulncheck@v1.9.0, actual govulncheck@v9.9.9)",
        "vulns.json: scanned another database than vulndb/ (its date) (expected 2099-01-02T00:00:00Z, actual 2000-01-01T00:00:00Z)",
        "vulns.json: scanned another build than the manifest's (expected CGO_ENABLED=0 -tags [], actual CGO_ENABLED=1 -tags [])",
        "vulns.json: GO-2099-0101: a finding for example.com/vulnlib@v0.0.1, a module version the manifest does not list",
        "vulns.json: a finding for GO-2099-9999 in example.com/vulnlib, which vulndb/ does not hold",
        "vulns.json: GO-2099-0102 matches example.com/vulnlib@v1.0.0, and the record has no finding for it",
    ];
    assert_says(&out, &said);
    let out = sb.run(&["audit", "forged.ferry", "--pub", "rel.pub", "--vulns"]);
    assert_exit(&out, 1);
    assert_says(&out, &said);
    assert!(!text(&out).contains("symbol called:"), "{}", text(&out));
    let json = sb.run(&["verify", "forged.ferry", "--pub", "rel.pub", "--json"]);
    for code in [
        "vulns-scanner",
        "vulns-database",
        "vulns-build",
        "vulns-version",
        "vulns-unknown-advisory",
        "vulns-missing-finding",
    ] {
        assert_says(&json, &[&format!("\"code\": \"{code}\"")]);
    }
}

/// govulncheck scans the build ferry makes, not the one the shell around
/// it would: CGO_ENABLED=0 unless --cgo, whatever the environment says. A
/// file built only without cgo that calls Render makes Render called.
#[test]
fn govulncheck_scans_the_build_ferry_makes_not_the_shells() {
    let sb = Sandbox::new();
    let tree = sb.path("app2");
    crate::common::copy_tree(&app("vulnapp"), &tree);
    fs::write(
        tree.join("render_cgo.go"),
        "//go:build !cgo\n\npackage main\n\nimport \"example.com/vulnlib\"\n\nvar _ = vulnlib.Render([]string{\"x\"})\n",
    )
    .unwrap();
    let db = fixture_vulndb();
    let audit = |extra: &[&str]| {
        let mut cmd = sb.ferry();
        cmd.args(["audit", "app2", "--vulndb", db.to_str().unwrap()])
            .args(extra)
            .env("CGO_ENABLED", "1");
        cmd.output().unwrap()
    };
    let out = audit(&[]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "VULN GO-2099-0102 (CVE-2099-102) example.com/vulnlib@v1.0.0: Render writes an unescaped header; fixed in v1.0.1; symbol called: ",
        ],
    );
    let out = audit(&["--cgo"]);
    assert_says(&out, &[IMPORTED]);

    // pack scans its own build too, and the bundle says what that was.
    sb.keygen("rel");
    let mut pack = sb.ferry();
    pack.args(["pack", "app2", "-o", "a.ferry", "--key", "rel.key", "-q"])
        .args(["--vulndb", db.to_str().unwrap()])
        .env("CGO_ENABLED", "1");
    assert_ok(&pack.output().unwrap());
    let out = sb.run(&["audit", "a.ferry", "--pub", "rel.pub", "--vulns"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &["Render writes an unescaped header; fixed in v1.0.1; symbol called: "],
    );
    let out = sb.run(&["audit", "a.ferry", "--pub", "rel.pub", "--vulns", "--cgo"]);
    assert_exit(&out, 2);
    assert_says(&out, &["--tags and --cgo are for a folder"]);
}

/// The bundled database is signed input too: an advisory summary that would
/// rewrite the terminal fails verify and audit (`vulndb-text`); from a
/// folder's database, the same words are shown escaped.
#[test]
fn terminal_escapes_in_advisory_text_are_refused_in_a_bundle_and_escaped_from_a_folder() {
    let sb = Sandbox::new();
    let evil = "\u{1b}[2K\r\u{1b}[32mOK: not affected\u{202e}";
    forged_entry(&sb, "vulndb/GO-2099-0102.json", |a| {
        a["summary"] = evil.into()
    });
    for args in [
        &["verify", "forged.ferry", "--pub", "rel.pub"][..],
        &["audit", "forged.ferry", "--pub", "rel.pub", "--vulns"],
    ] {
        let out = sb.run(args);
        assert_exit(&out, 1);
        assert_says(
            &out,
            &[
                "vulndb/: advisory \"GO-2099-0102\"",
                "holds a control or invisible character",
            ],
        );
        assert!(
            !text(&out).contains('\u{1b}') && !text(&out).contains('\u{202e}'),
            "{}",
            text(&out)
        );
    }

    let db = sb.path("db");
    copy_dir(&fixture_vulndb(), &db);
    let path = db.join("ID/GO-2099-0102.json");
    let mut adv: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    adv["summary"] = evil.into();
    fs::write(&path, adv.to_string()).unwrap();
    let out = sb.run(&["audit", app("vulnapp").to_str().unwrap(), "--vulndb", "db"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "example.com/vulnlib@v1.0.0: \\u{1b}[2K\\u{d}\\u{1b}[32mOK: not affected\\u{202e}; fixed in v1.0.1",
        ],
    );
    assert!(!text(&out).contains('\u{1b}'), "{}", text(&out));
}
