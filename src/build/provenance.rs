//! `<binary>.intoto.json`: what `ferry build` records of a build, as an
//! in-toto Statement v1 with a SLSA Provenance v1 predicate. Pure: the
//! operation hashes the binary and reads the clock, this lays the facts out.
//! Unsigned: the isolated side holds no ferry key.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Isolation, go_args, mode_name, offline_vars};
use crate::dockerfile::{MainPackage, Spec};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
/// Ferry's own build type: the offline build of an unpacked bundle.
pub const BUILD_TYPE: &str = "https://ferry.dev/offline-build/v1";
/// What the statement's file name adds to the binary's.
pub const SUFFIX: &str = ".intoto.json";

/// Something the build used, named by `uri` and pinned by `digest`,
/// `algorithm:value` (`sha256:…` for an image; `h1:…`, recorded as
/// `dirHash`, for a module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub uri: String,
    pub digest: String,
}

/// The facts of one `ferry build`.
pub struct Inputs<'a> {
    /// The binary's file name and the hex sha256 of its bytes.
    pub binary: &'a str,
    pub binary_sha256: &'a str,
    /// The hex sha256 of the signed ferry.json.
    pub manifest_sha256: &'a str,
    /// The build as the manifest says it (module, mode, main, tags, ldflags).
    pub spec: &'a Spec,
    /// The main package this binary was built from.
    pub main: &'a MainPackage,
    /// The bundle's module version (`git describe` at pack time).
    pub module_version: &'a str,
    /// `go env GOVERSION` of the Go that built.
    pub go_version: &'a str,
    pub isolation: Isolation,
    /// Every vendored module that has a version, as `pkg:golang/…` and `h1:…`.
    pub modules: &'a [Pinned],
    /// Each builder image of the manifest: its reference and manifest digest.
    pub images: &'a [Pinned],
    /// RFC 3339.
    pub started_on: &'a str,
    pub finished_on: &'a str,
}

/// The Statement, ready for [`to_bytes`].
pub fn statement(inp: &Inputs) -> Value {
    let mut resolved: Vec<Value> = inp
        .modules
        .iter()
        .map(|m| json!({"uri": m.uri, "digest": {"dirHash": m.digest}}))
        .collect();
    resolved.push(json!({"name": "ferry.json", "digest": {"sha256": inp.manifest_sha256}}));
    resolved.extend(inp.images.iter().map(|i| {
        let (algorithm, value) = i.digest.split_once(':').unwrap_or(("sha256", &i.digest));
        json!({"uri": i.uri, "digest": {algorithm: value}})
    }));
    let spec = inp.spec;
    let mut command = vec!["go".to_string()];
    command.extend(go_args(spec, inp.main, inp.binary));
    let env: serde_json::Map<String, Value> = offline_vars(spec)
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": inp.binary, "digest": {"sha256": inp.binary_sha256}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "module": {"path": spec.module, "version": inp.module_version},
                    "mode": mode_name(spec.mode),
                    "main": inp.main.package,
                    "tags": spec.tags,
                    "ldflags": spec.ldflags,
                },
                "internalParameters": {
                    "goVersion": inp.go_version,
                    "env": env,
                    "flags": ["-trimpath"],
                    "command": command,
                    "network": inp.isolation.to_string(),
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": builder_id()},
                "metadata": {
                    "invocationId": invocation_id(inp.manifest_sha256, inp.binary_sha256),
                    "startedOn": inp.started_on,
                    "finishedOn": inp.finished_on,
                },
            },
        },
    })
}

/// The statement as pretty JSON with a final newline.
pub fn to_bytes(statement: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(statement).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// This ferry, as the builder that ran.
pub fn builder_id() -> String {
    format!("https://ferry.dev/ferry@{}", crate::VERSION)
}

/// The same bundle building the same bytes gets the same id: no randomness.
fn invocation_id(manifest_sha256: &str, binary_sha256: &str) -> String {
    let digest = Sha256::digest(format!("{manifest_sha256}\n{binary_sha256}\n"));
    format!("ferry-build:sha256:{}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::BuildMode;

    fn spec() -> Spec {
        Spec {
            module: "example.com/Clockwork".into(),
            mode: BuildMode::Vendor,
            mains: vec![main()],
            tags: vec!["prod".into()],
            ldflags: "-X main.v=1".into(),
            cgo: false,
            builder: String::new(),
            builder_bundled: false,
            runtime: None,
            expose: Vec::new(),
            layout: Default::default(),
            target: Default::default(),
        }
    }

    fn main() -> MainPackage {
        MainPackage {
            package: ".".into(),
            binary: "clockwork".into(),
        }
    }

    fn sample(spec: &Spec, modules: &[Pinned], images: &[Pinned]) -> Value {
        statement(&Inputs {
            binary: "clockwork",
            binary_sha256: "bb",
            manifest_sha256: "mm",
            spec,
            main: &main(),
            module_version: "v1.2.0",
            go_version: "go1.26.8",
            isolation: Isolation::Namespace("unshare -n"),
            modules,
            images,
            started_on: "2026-11-26T09:00:00Z",
            finished_on: "2026-11-26T09:00:05Z",
        })
    }

    #[test]
    fn the_statement_names_the_binary_and_the_slsa_predicate() {
        let s = sample(&spec(), &[], &[]);
        assert_eq!(s["_type"], STATEMENT_TYPE);
        assert_eq!(s["predicateType"], PREDICATE_TYPE);
        assert_eq!(
            s["subject"],
            json!([{"name": "clockwork", "digest": {"sha256": "bb"}}])
        );
        let def = &s["predicate"]["buildDefinition"];
        assert_eq!(def["buildType"], BUILD_TYPE);
        assert_eq!(
            def["externalParameters"],
            json!({
                "module": {"path": "example.com/Clockwork", "version": "v1.2.0"},
                "mode": "vendor", "main": ".", "tags": ["prod"], "ldflags": "-X main.v=1",
            })
        );
        let internal = &def["internalParameters"];
        assert_eq!(internal["goVersion"], "go1.26.8");
        assert_eq!(internal["env"]["CGO_ENABLED"], "0");
        assert_eq!(internal["flags"], json!(["-trimpath"]));
        assert_eq!(internal["network"], "no network: unshare -n");
        assert_eq!(internal["env"]["GOFLAGS"], "-mod=vendor");
        assert_eq!(internal["env"]["GOPROXY"], "off");
        let command = internal["command"].as_array().unwrap();
        assert_eq!(
            command[..3],
            [json!("go"), json!("build"), json!("-trimpath")]
        );
        assert_eq!(
            command[command.len() - 3..],
            [json!("-o"), json!("clockwork"), json!(".")]
        );
    }

    #[test]
    fn dependencies_are_the_modules_the_manifest_and_the_images() {
        let modules = [Pinned {
            uri: "pkg:golang/example.com/greet/v2@v2.1.0".into(),
            digest: "h1:abc=".into(),
        }];
        let images = [Pinned {
            uri: "registry.example/golang:1.26".into(),
            digest: "sha256:1234".into(),
        }];
        let s = sample(&spec(), &modules, &images);
        assert_eq!(
            s["predicate"]["buildDefinition"]["resolvedDependencies"],
            json!([
                {"uri": "pkg:golang/example.com/greet/v2@v2.1.0", "digest": {"dirHash": "h1:abc="}},
                {"name": "ferry.json", "digest": {"sha256": "mm"}},
                {"uri": "registry.example/golang:1.26", "digest": {"sha256": "1234"}},
            ])
        );
    }

    #[test]
    fn run_details_are_deterministic_but_for_the_clock() {
        let spec = spec();
        let a = sample(&spec, &[], &[]);
        let b = sample(&spec, &[], &[]);
        let run = &a["predicate"]["runDetails"];
        assert_eq!(run["builder"]["id"], builder_id());
        assert!(builder_id().ends_with(crate::VERSION));
        let id = run["metadata"]["invocationId"].as_str().unwrap();
        assert_eq!(id, b["predicate"]["runDetails"]["metadata"]["invocationId"]);
        assert_ne!(id, invocation_id("mm", "other"));
        assert_eq!(run["metadata"]["startedOn"], "2026-11-26T09:00:00Z");
        assert_eq!(run["metadata"]["finishedOn"], "2026-11-26T09:00:05Z");
        let bytes = to_bytes(&a);
        assert!(bytes.ends_with(b"}\n"));
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), a);
    }
}
