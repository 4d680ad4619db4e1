//! The reviewer's export: an OpenVEX v0.2.0 document, one statement per
//! vulnerability match, its status from the reachability level (a VEX
//! statement is exactly "is this product affected by this vulnerability",
//! which is what a reviewer signs off; see docs/decisions.md).

use serde_json::{Value, json};

use super::reach::Level;
use super::sbom::purl;
use super::vulns::Hit;

/// The document for `product` (the main module's purl), dated `timestamp`
/// (the audit's, RFC 3339); its @id is derived from its statements, so the
/// same findings give the same bytes.
pub fn document(product: &str, timestamp: &str, hits: &[Hit]) -> Vec<u8> {
    let statements: Vec<Value> = hits
        .iter()
        .map(|h| statement(product, timestamp, h))
        .collect();
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            serde_json::to_vec(&statements).unwrap_or_default(),
        ))
    };
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://openvex.dev/docs/ferry/{}", &digest[..32]),
        "author": "ferry audit",
        "role": "reviewer's tool",
        "timestamp": timestamp,
        "version": 1,
        "tooling": format!("ferry {}", crate::VERSION),
        "statements": statements,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn statement(product: &str, timestamp: &str, h: &Hit) -> Value {
    let mut s = json!({
        "vulnerability": {"name": h.id, "aliases": h.aliases, "description": h.summary},
        "timestamp": timestamp,
        "products": [{
            "@id": product,
            "subcomponents": [{"@id": purl(&h.module, Some(&h.version))}],
        }],
    });
    match (h.level, h.since_pack) {
        (Some(Level::Called), false) => {
            s["status"] = json!("affected");
            s["action_statement"] = json!(match &h.fixed {
                Some(f) => format!(
                    "{} is called ({}); upgrade {} to {f}",
                    h.symbol.as_deref().unwrap_or("a vulnerable symbol"),
                    h.call_path.join(" -> "),
                    h.module
                ),
                None => format!(
                    "{} is called ({}); no fixed version",
                    h.symbol.as_deref().unwrap_or("a vulnerable symbol"),
                    h.call_path.join(" -> ")
                ),
            });
        }
        (Some(Level::Imported), false) => {
            s["status"] = json!("not_affected");
            s["justification"] = json!("vulnerable_code_not_in_execute_path");
            s["impact_statement"] = json!(
                "govulncheck: the vulnerable package is imported; no vulnerable symbol is called"
            );
        }
        (Some(Level::Required), false) => {
            s["status"] = json!("not_affected");
            s["justification"] = json!("vulnerable_code_not_present");
            s["impact_statement"] =
                json!("govulncheck: the module is required; no vulnerable package is imported");
        }
        _ => {
            s["status"] = json!("under_investigation");
            s["status_notes"] = json!(if h.since_pack {
                "advisory published after the pack; the module version matches; reachability not analysed"
            } else {
                "the module version matches; reachability not analysed"
            });
        }
    }
    s
}
