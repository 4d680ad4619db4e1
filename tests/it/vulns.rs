//! The offline vulnerability check: a small OSV snapshot written here, with
//! real-shaped Go advisories, bundled by `pack --vulndb` and matched by
//! `audit --vulns` (also against a folder, from the published zip layout).

use std::fs;
use std::io::Write;
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
