//! `ferry build`'s provenance, read back by an independent reader: the
//! in-toto attestation Python bindings parse `<binary>.intoto.json` as an
//! in-toto Statement v1 with a SLSA Provenance v1 predicate; the subject must
//! be the binary's sha256 and the modules must carry their go.sum `h1:`.

use std::process::Command;

use sha2::{Digest, Sha256};

use crate::common::{Sandbox, app, assert_ok, text};

/// What `tests/it/data/read_provenance.py` read: its lines, split on spaces.
fn read_with_in_toto(path: &std::path::Path) -> Vec<Vec<String>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/data/read_provenance.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 (scripts/setup.sh installs it and in-toto-attestation)");
    assert!(
        out.status.code() != Some(3),
        "the in-toto-attestation Python package is missing: run scripts/setup.sh\n{}",
        text(&out)
    );
    assert!(
        out.status.success(),
        "the in-toto bindings refuse the statement: {}",
        text(&out)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(String::from).collect())
        .collect()
}

/// The `h1:` go.sum records for `module version`.
fn go_sum_h1(app_name: &str, module: &str, version: &str) -> String {
    let sum = std::fs::read_to_string(app(app_name).join("go.sum")).unwrap();
    sum.lines()
        .find_map(|l| match l.split(' ').collect::<Vec<_>>()[..] {
            [m, v, h] if m == module && v == version => Some(h.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{module} {version} is not in {app_name}'s go.sum"))
}

#[test]
fn ferry_build_writes_a_provenance_statement_in_toto_reads() {
    let sb = Sandbox::new();
    sb.pack("clockwork", "c.ferry");
    sb.unpack("c.ferry", "site");
    let bin = sb.path("bin");
    let out = sb.build_offline("site", &bin);
    assert_ok(&out);
    let statement = sb.path("bin.intoto.json");
    assert!(
        text(&out).contains(&format!("provenance {}", statement.display())),
        "{}",
        text(&out)
    );
    let written = std::fs::read_to_string(&statement).unwrap();
    eprintln!("{}:\n{written}", statement.display());
    assert!(written.ends_with("}\n"));

    let lines = read_with_in_toto(&statement);
    let binary_sha256 = hex::encode(Sha256::digest(std::fs::read(&bin).unwrap()));
    let subjects: Vec<_> = lines.iter().filter(|l| l[0] == "subject").collect();
    assert_eq!(
        subjects,
        [&vec![
            "subject".to_string(),
            "bin".into(),
            "sha256".into(),
            binary_sha256
        ]]
    );
    // Each module by its go.sum h1:; replaced by a version, the replacement's.
    for (module, version) in [
        ("example.com/greet/v2", "v2.1.0"),
        ("example.com/strutil", "v1.1.0"),
    ] {
        let h1 = go_sum_h1("clockwork", module, version);
        let uri = format!("pkg:golang/{module}@{version}");
        let want = ["dependency", &uri, "dirHash", &h1];
        assert!(lines.iter().any(|l| l == &want), "{want:?} in {lines:?}");
    }
    // Replaced by a folder: no version, no h1:, left out.
    assert!(
        !lines.iter().any(|l| l[1].contains("localdep")),
        "{lines:?}"
    );
    let manifest_sha256 = hex::encode(Sha256::digest(
        std::fs::read(sb.path("site/ferry.json")).unwrap(),
    ));
    let manifest = ["dependency", "ferry.json", "sha256", &manifest_sha256];
    assert!(lines.iter().any(|l| l == &manifest), "{lines:?}");
    let leftovers: Vec<_> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(".ferry-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
