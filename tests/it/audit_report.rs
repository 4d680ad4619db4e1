//! The reviewer's audit: every module with its license, hash status and
//! drift; license policy gates; and the CycloneDX SBOM, checked by an
//! independent validator (cyclonedx-python-lib's JSON schema validation).

use std::process::{Command, Stdio};

use crate::common::{Sandbox, app, assert_exit, assert_ok, assert_says, text};

/// Validates a CycloneDX 1.5 JSON document with cyclonedx-python-lib.
pub fn validate_cyclonedx(json: &[u8]) {
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\nerr = JsonStrictValidator(SchemaVersion.V1_5).validate_str(sys.stdin.read())\nprint(err if err else 'valid')\nsys.exit(1 if err else 0)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with cyclonedx-python-lib (scripts/setup.sh installs it)");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), json).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the SBOM does not validate: {}",
        text(&out)
    );
}

#[test]
fn a_bundle_audit_names_licenses_sizes_and_verdicts() {
    let sb = Sandbox::new();
    sb.pack("clockwork", "c.ferry");
    let out = sb.run(&["audit", "c.ferry", "--pub", "rel.pub"]);
    assert_ok(&out);
    let table = text(&out);
    let line = |module: &str| {
        table
            .lines()
            .find(|l| l.starts_with(module))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("example.com/Upper/tzinfo").contains("MIT"), "{table}");
    assert!(
        line("example.com/strutil").contains("BSD-3-Clause"),
        "{table}"
    );
    assert!(line("example.com/strutil").contains("(version)"), "{table}");
    assert!(line("example.com/localdep").contains("unknown"), "{table}");
    assert!(
        line("example.com/localdep").contains("(local path)"),
        "{table}"
    );
    assert!(
        table.contains("4 modules, 4 verified, 0 findings"),
        "{table}"
    );

    let out = sb.run(&["audit", "c.ferry", "--pub", "rel.pub", "--format", "json"]);
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    let tz = json["licensed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == "example.com/Upper/tzinfo")
        .unwrap();
    assert_eq!(tz["license"], "MIT");
    assert_eq!(tz["status"], "verified");
    assert!(tz["vendored_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn the_bundled_sbom_validates_and_carries_every_module() {
    let sb = Sandbox::new();
    sb.pack("clockwork", "c.ferry");
    let out = sb.run(&[
        "audit",
        "c.ferry",
        "--pub",
        "rel.pub",
        "--format",
        "cyclonedx",
    ]);
    assert_ok(&out);
    validate_cyclonedx(&out.stdout);
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let purls: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:golang/example.com/Upper/tzinfo@v1.0.0",
            "pkg:golang/example.com/greet/v2@v2.1.0",
            "pkg:golang/example.com/localdep",
            "pkg:golang/example.com/strutil@v1.1.0",
        ]
    );
    let main = bom["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["ref"]
                .as_str()
                .unwrap()
                .starts_with("pkg:golang/example.com/clockwork")
        })
        .unwrap();
    assert_eq!(main["dependsOn"].as_array().unwrap().len(), 4, "{main}");
    // Licenses are SPDX expressions; "unknown" is an SPDX license reference.
    let expressions: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["licenses"][0]["expression"].as_str().unwrap())
        .collect();
    assert_eq!(
        expressions,
        ["MIT", "MIT", "LicenseRef-ferry-unknown", "BSD-3-Clause"],
        "{bom}"
    );

    // The same for a folder with a committed vendor/ and no module cache.
    let hello = app("hello");
    let out = sb.run(&["audit", hello.to_str().unwrap(), "--format", "cyclonedx"]);
    assert_ok(&out);
    validate_cyclonedx(&out.stdout);
}

#[test]
fn license_policy_gates() {
    let sb = Sandbox::new();
    sb.pack("clockwork", "c.ferry");
    let audit = |flags: &[&str]| {
        let mut args = vec!["audit", "c.ferry", "--pub", "rel.pub"];
        args.extend_from_slice(flags);
        sb.run(&args)
    };
    let out = audit(&["--deny-license", "MIT"]);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &[
            "POLICY example.com/Upper/tzinfo@v1.0.0: license MIT is denied",
            "POLICY example.com/greet/v2@v2.1.0",
        ],
    );

    let allowed = ["--allow-license", "MIT", "--allow-license", "BSD-3-Clause"];
    let out = audit(&allowed);
    assert_exit(&out, 1);
    assert_says(
        &out,
        &["example.com/localdep@v0.0.0: license unknown is not in --allow-license"],
    );

    let mut with_unknown = allowed.to_vec();
    with_unknown.extend(["--allow-license", "unknown"]);
    assert_ok(&audit(&with_unknown));
}
