//! ferry's dirhash `h1:` agrees with Go: every go.sum line that the real `go`
//! wrote for the sample apps (fixtures/make-apps.sh) is recomputed from the
//! fixture proxy's zips and go.mod files, the capitalised path and the /v2
//! module among them.

use std::fs;

use ferry::gomod::{dirhash, escape::escape, gosum, modzip};

use crate::common;

#[test]
fn h1_of_every_fixture_module_matches_the_go_sum_go_wrote() {
    let proxy = common::fixtures().join("goproxy");
    let mut checked = Vec::new();
    for app in ["clockwork", "hello"] {
        let text = fs::read_to_string(common::app(app).join("go.sum")).unwrap();
        for line in gosum::parse(&text).unwrap().lines {
            let file = |ext: &str| {
                proxy
                    .join(escape(&line.path))
                    .join(format!("@v/{}.{ext}", line.version))
            };
            let actual = if line.go_mod {
                dirhash::hash_go_mod(&fs::read(file("mod")).unwrap())
            } else {
                modzip::hash_zip(&file("zip")).unwrap()
            };
            assert_eq!(
                actual, line.hash,
                "{app}/go.sum:{} {}@{}",
                line.line, line.path, line.version
            );
            checked.push(line.path);
        }
    }
    for must in [
        "example.com/Upper/tzinfo",
        "example.com/greet/v2",
        "example.com/strutil",
    ] {
        assert!(checked.iter().any(|p| p == must), "{must} was not checked");
    }
}
