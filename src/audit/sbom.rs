//! `sbom.cdx.json`: a CycloneDX 1.5 JSON SBOM of the vendored modules, one
//! component per module (purl `pkg:golang/…`, license, go.sum hashes as
//! properties), and the dependency graph `go mod graph` gave at pack time.
//! Deterministic: the same modules give the same bytes, serial number included.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::bundle::manifest::{MainModule, Module};

/// What goes into one SBOM.
pub struct SbomInput<'a> {
    pub main: &'a MainModule,
    /// RFC 3339, as the manifest's `created`.
    pub created: &'a str,
    pub modules: &'a [Module],
    /// Module path → license (an SPDX expression; "unknown" for a text no
    /// SPDX license matches).
    pub licenses: &'a BTreeMap<String, String>,
    /// `go mod graph` edges: ("a@v1" or the main module, "b@v2").
    pub graph: &'a [(String, String)],
}

/// The SBOM of a packed module: the manifest's modules, each with the
/// license the audit read, and the `go mod graph` edges.
pub fn of_module(
    main: &MainModule,
    created: &str,
    modules: &[Module],
    licensed: &[super::AuditModule],
    graph: &[(String, String)],
) -> Vec<u8> {
    let licenses = licensed
        .iter()
        .map(|m| (m.status.path.clone(), m.license.clone()))
        .collect();
    cyclonedx(&SbomInput {
        main,
        created,
        modules,
        licenses: &licenses,
        graph,
    })
}

/// The SBOM as pretty JSON with a final newline.
pub fn cyclonedx(input: &SbomInput) -> Vec<u8> {
    let main_ref = purl(&input.main.path, Some(&input.main.version));
    let components: Vec<Value> = input
        .modules
        .iter()
        .map(|m| component(m, input.licenses))
        .collect();
    let serial = serial_number(&components);
    let bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": input.created,
            "tools": {"components": [{"type": "application", "name": "ferry", "version": crate::VERSION}]},
            "component": {
                "type": "application",
                "bom-ref": main_ref,
                "name": input.main.path,
                "version": input.main.version,
                "purl": main_ref,
            }
        },
        "components": components,
        "dependencies": dependencies(input, &main_ref),
    });
    let mut bytes = serde_json::to_vec_pretty(&bom).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The code a module entry stands for: its replacement's when replaced by a
/// version; a local-path replacement has no version.
pub fn code(m: &Module) -> (&str, Option<&str>) {
    match &m.replace {
        Some(r) if r.version.is_some() => (r.path.as_str(), r.version.as_deref()),
        Some(_) => (m.path.as_str(), None),
        None => (m.path.as_str(), Some(m.version.as_str())),
    }
}

fn component(m: &Module, licenses: &BTreeMap<String, String>) -> Value {
    let (path, version) = code(m);
    let reference = purl(path, version);
    let mut properties = vec![];
    let mut prop = |name: &str, value: &str| properties.push(json!({"name": name, "value": value}));
    if let Some(h1) = &m.h1 {
        prop("golang:h1", h1);
    }
    if let Some(h1) = &m.go_mod_h1 {
        prop("golang:go.mod:h1", h1);
    }
    if let Some(r) = &m.replace {
        prop("ferry:replaces", &format!("{}@{}", m.path, m.version));
        if r.version.is_none() {
            prop("ferry:local-path", &r.path);
        }
    }
    prop("ferry:explicit", if m.explicit { "true" } else { "false" });
    prop("ferry:packages", &m.packages.len().to_string());
    let mut c = json!({
        "type": "library",
        "bom-ref": reference,
        "name": path,
        "purl": reference,
        "properties": properties,
    });
    if let Some(v) = version {
        c["version"] = json!(v);
    }
    // One SPDX expression (CycloneDX allows one alone); a text no SPDX
    // license matches is an SPDX license reference, never a made-up id.
    let license = licenses
        .get(&m.path)
        .map_or(super::license::UNKNOWN, String::as_str);
    let choices = vec![json!({"expression": super::license::expr::to_spdx(license)})];
    c["licenses"] = Value::Array(choices);
    c
}

/// The SBOM with each vulnerability match as a CycloneDX `vulnerabilities`
/// entry: the advisory, the component it affects, and the analysis the
/// reachability level gives (`analysis_of`). The components, and so the
/// serial number, are unchanged; the bytes are as deterministic.
pub fn with_vulnerabilities(
    sbom: &[u8],
    hits: &[super::vulns::Hit],
) -> Result<Vec<u8>, serde_json::Error> {
    // An SBOM that is not JSON is an error, never passed on without them.
    let mut bom = serde_json::from_slice::<Value>(sbom)?;
    let entries: Vec<Value> = hits.iter().map(vulnerability).collect();
    bom["vulnerabilities"] = Value::Array(entries);
    let mut bytes = serde_json::to_vec_pretty(&bom)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn vulnerability(h: &super::vulns::Hit) -> Value {
    let component = purl(&h.module, Some(&h.version));
    let mut v = json!({
        "bom-ref": format!("{}:{component}", h.id),
        "id": h.id,
        "source": {"name": "Go Vulnerability Database", "url": format!("https://pkg.go.dev/vuln/{}", h.id)},
        "description": h.summary,
        "affects": [{"ref": component}],
        "analysis": analysis_of(h),
    });
    if !h.aliases.is_empty() {
        let refs: Vec<Value> = h
            .aliases
            .iter()
            .map(|a| json!({"id": a, "source": {"name": if a.starts_with("CVE-") { "NVD" } else { "GitHub" }}}))
            .collect();
        v["references"] = Value::Array(refs);
    }
    if let Some(fixed) = &h.fixed {
        v["recommendation"] = json!(format!("upgrade {} to {fixed}", h.module));
    }
    v
}

/// CycloneDX's analysis of one match. A called symbol is `exploitable`:
/// reachable code is what an attacker needs, and whether the input reaching
/// it is theirs is the reviewer's call, not a tool's. Code that is never
/// called is `not_affected` (`code_not_reachable`), a module whose
/// vulnerable package is not even compiled in `not_affected`
/// (`code_not_present`); a match nobody analysed is `in_triage`.
pub fn analysis_of(h: &super::vulns::Hit) -> Value {
    use super::reach::Level;
    let detail = |what: String| format!("govulncheck: {what}");
    match (h.level, h.since_pack) {
        (_, true) | (None, _) => json!({
            "state": "in_triage",
            "detail": if h.since_pack {
                "advisory published after the pack: module version matches; reachability not analysed"
            } else {
                "module version matches; reachability not analysed"
            },
        }),
        (Some(Level::Called), _) => json!({
            "state": "exploitable",
            "detail": detail(format!(
                "{} is called: {}",
                h.symbol.as_deref().unwrap_or("a vulnerable symbol"),
                h.call_path.join(" -> ")
            )),
        }),
        (Some(Level::Imported), _) => json!({
            "state": "not_affected",
            "justification": "code_not_reachable",
            "detail": detail("the vulnerable package is imported; no vulnerable symbol is called".into()),
        }),
        (Some(Level::Required), _) => json!({
            "state": "not_affected",
            "justification": "code_not_present",
            "detail": detail("the module is required; no vulnerable package is imported".into()),
        }),
    }
}

/// `pkg:golang/<path>@<version>`, with characters outside a purl's plain set
/// percent-encoded.
pub fn purl(path: &str, version: Option<&str>) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    match version {
        Some(v) => format!("pkg:golang/{}@{}", enc(path), enc(v)),
        None => format!("pkg:golang/{}", enc(path)),
    }
}

/// Edges of `go mod graph` between modules of the build list, as bom-refs.
fn dependencies(input: &SbomInput, main_ref: &str) -> Vec<Value> {
    let selected: BTreeMap<&str, (&str, String)> = input
        .modules
        .iter()
        .map(|m| {
            let (path, version) = code(m);
            (m.path.as_str(), (m.version.as_str(), purl(path, version)))
        })
        .collect();
    let node = |n: &str| -> Option<String> {
        match n.split_once('@') {
            None if n == input.main.path => Some(main_ref.to_string()),
            None => None,
            Some((path, version)) => selected
                .get(path)
                .filter(|(v, _)| *v == version)
                .map(|(_, r)| r.clone()),
        }
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry(main_ref.to_string()).or_default();
    for (_, r) in selected.values() {
        graph.entry(r.clone()).or_default();
    }
    for (from, to) in input.graph {
        let to_path = to.split_once('@').map_or(to.as_str(), |(p, _)| p);
        if let (Some(f), Some((_, t))) = (node(from), selected.get(to_path)) {
            graph.entry(f).or_default().insert(t.clone());
        }
    }
    graph
        .into_iter()
        .map(|(r, deps)| json!({"ref": r, "dependsOn": deps}))
        .collect()
}

/// A UUID made from the components (name-based, as UUID v5 is), so the same
/// modules give the same serial number.
fn serial_number(components: &[Value]) -> String {
    let digest = Sha256::digest(serde_json::to_vec(components).unwrap_or_default());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Parses `go mod graph` output: one "from to" pair per line.
pub fn parse_graph(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (a, b) = l.trim().split_once(' ')?;
            Some((a.to_string(), b.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::ModuleReplace;

    #[test]
    fn an_sbom_that_is_not_json_is_an_error_not_passed_on() {
        assert!(with_vulnerabilities(b"not json", &[]).is_err());
        let bom = with_vulnerabilities(b"{}", &[]).unwrap();
        assert!(
            String::from_utf8(bom)
                .unwrap()
                .contains("\"vulnerabilities\": []")
        );
    }

    fn module(path: &str, version: &str, replace: Option<(&str, Option<&str>)>) -> Module {
        Module {
            path: path.into(),
            version: version.into(),
            replace: replace.map(|(p, v)| ModuleReplace {
                path: p.into(),
                version: v.map(String::from),
            }),
            h1: Some("h1:abc=".into()),
            go_mod_h1: None,
            explicit: true,
            go: None,
            packages: vec!["x".into()],
        }
    }

    #[test]
    fn components_purls_licenses_and_the_graph() {
        let main = MainModule {
            path: "example.com/app".into(),
            version: "v1.4.0".into(),
            go: None,
            toolchain: None,
            layout: Default::default(),
        };
        let modules = vec![
            module("example.com/Upper/tz", "v1.0.0", None),
            module(
                "example.com/s",
                "v1.0.0",
                Some(("example.com/s", Some("v1.1.0"))),
            ),
            module(
                "example.com/local",
                "v0.0.0",
                Some(("./third_party/local", None)),
            ),
        ];
        let licenses = BTreeMap::from([("example.com/Upper/tz".to_string(), "MIT".to_string())]);
        let graph = parse_graph(
            "example.com/app example.com/Upper/tz@v1.0.0\nexample.com/app example.com/s@v1.0.0\nexample.com/s@v1.1.0 example.com/Upper/tz@v1.0.0\nexample.com/s@v0.9.0 example.com/gone@v1.0.0\n",
        );
        let input = SbomInput {
            main: &main,
            created: "1980-01-01T00:00:00Z",
            modules: &modules,
            licenses: &licenses,
            graph: &graph,
        };
        let bytes = cyclonedx(&input);
        assert_eq!(bytes, cyclonedx(&input), "deterministic");
        let bom: Value = serde_json::from_slice(&bytes).unwrap();
        let c = &bom["components"];
        assert_eq!(c[0]["purl"], "pkg:golang/example.com/Upper/tz@v1.0.0");
        assert_eq!(c[0]["licenses"], json!([{"expression": "MIT"}]));
        assert_eq!(
            c[1]["purl"], "pkg:golang/example.com/s@v1.1.0",
            "the code used: the replacement"
        );
        assert_eq!(
            c[1]["licenses"],
            json!([{"expression": "LicenseRef-ferry-unknown"}]),
            "never \"unknown\" as an id"
        );
        assert_eq!(c[2]["purl"], "pkg:golang/example.com/local");
        let deps = bom["dependencies"].as_array().unwrap();
        let of = |r: &str| deps.iter().find(|d| d["ref"] == r).unwrap()["dependsOn"].clone();
        assert_eq!(
            of("pkg:golang/example.com/app@v1.4.0"),
            json!([
                "pkg:golang/example.com/Upper/tz@v1.0.0",
                "pkg:golang/example.com/s@v1.1.0"
            ])
        );
        // s is required at v1.0.0 (replaced by v1.1.0's code); the graph's
        // v1.1.0 node is not the selected version of s, so its edge is not taken.
        assert_eq!(of("pkg:golang/example.com/s@v1.1.0"), json!([]));
        assert!(
            bom["serialNumber"]
                .as_str()
                .unwrap()
                .starts_with("urn:uuid:")
        );
    }
}
