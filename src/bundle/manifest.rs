//! `ferry.json`: what the bundle is (module, Go version, build), what it carries
//! (modules, images) and every other entry with its sha256, size and mode.
//! Serialised with sorted lists and fixed field order, so equal inputs give equal bytes.

use serde::{Deserialize, Serialize};

pub use crate::dockerfile::{BuildMode, MainPackage};
use crate::gomod::gosum::GoSum;
use crate::gomod::modfile::ModFile;
use crate::gomod::modules_txt::{ModulesTxt, Replacement};
pub use crate::image::Image;

/// The format this ferry writes: module zips proved, not carried.
pub const FORMAT: &str = "ferry/v2";

/// Every format this ferry reads: v1 carries every module zip in modcache/.
pub const READS: [&str; 2] = ["ferry/v1", FORMAT];

/// A manifest larger than this is refused before it is parsed.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub tool: Tool,
    /// RFC 3339, from `SOURCE_DATE_EPOCH` when set.
    pub created: String,
    pub module: MainModule,
    /// The Go that packed it, as `go env GOVERSION` prints it.
    pub go_version: String,
    pub build: Build,
    pub modules: Vec<Module>,
    pub images: Vec<Image>,
    /// A delta bundle's base: absent from a full bundle's manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Base>,
    pub entries: Vec<Entry>,
}

/// The release a delta bundle builds on, and the entries it takes from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Base {
    /// The sha256 of the base's signed ferry.json.
    pub manifest_sha256: String,
    pub module: String,
    pub version: String,
    /// Paths of `entries` whose bytes the zip does not carry: the base has
    /// an entry with the same sha256 and size. Sorted, unique.
    pub from_base: Vec<String>,
    /// Image tars the delta rebuilds from their members: blobs the base's
    /// image tars hold are not carried again. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<SplitTar>,
}

/// An image tar (an entry of `entries`, with its sha256 and size) as the
/// ordered members ferry wrote it with; the zip's entry of that name carries
/// only the data of the members that have no `base`, one after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitTar {
    pub path: String,
    pub members: Vec<Member>,
}

/// One tar member: its 512-byte header (hex) and its data's sha256 and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub header: String,
    pub sha256: String,
    pub size: u64,
    /// Where the base holds these bytes; absent when the delta carries them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<InBase>,
}

/// A member's data inside one of the base's entries (an image tar, named
/// by its sha256), at `offset` bytes from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InBase {
    pub tar_sha256: String,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MainModule {
    pub path: String,
    /// `git describe` of the packed tree, or "unversioned".
    pub version: String,
    pub go: Option<String>,
    pub toolchain: Option<String>,
    /// Where the module, and its workspace, sit below `src/` (absent: the
    /// module is `src/` itself, as in every bundle before workspaces).
    #[serde(flatten)]
    pub layout: crate::source::Layout,
}

impl MainModule {
    /// The packed module as go.mod names it, at `version`.
    pub fn new(modfile: &ModFile, version: String) -> MainModule {
        MainModule {
            path: modfile.module.clone(),
            version,
            go: modfile.go.clone(),
            toolchain: modfile.toolchain.clone(),
            layout: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BuildWire", into = "BuildWire")]
pub struct Build {
    pub mode: BuildMode,
    /// Every main package and its binary; the first is the image's entry point.
    pub mains: Vec<MainPackage>,
    pub tags: Vec<String>,
    pub ldflags: String,
    /// Built with `CGO_ENABLED=1`.
    pub cgo: bool,
    /// Whether pack proved the offline build before signing.
    pub checked: bool,
    /// How it was proven: mode, Go version, module cache, network isolation.
    pub checked_with: Option<String>,
}

/// `build` as ferry.json spells it. One binary keeps the first form,
/// `main` and `binary`, so that such a bundle's bytes (and every reader of
/// ferry/v2) stay as they were; several are `mains`, which an older reader
/// refuses (no `main`) rather than build only one. `cgo` is written only
/// when on.
#[derive(Serialize, Deserialize)]
struct BuildWire {
    mode: BuildMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    main: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mains: Option<Vec<MainPackage>>,
    tags: Vec<String>,
    ldflags: String,
    /// Any JSON value, so that anything but a boolean is refused naming the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cgo: Option<serde_json::Value>,
    checked: bool,
    checked_with: Option<String>,
}

impl TryFrom<BuildWire> for Build {
    type Error = String;

    fn try_from(w: BuildWire) -> Result<Build, String> {
        let mains = match (w.main, w.binary, w.mains) {
            (Some(package), Some(binary), None) => vec![MainPackage { package, binary }],
            (None, None, Some(mains)) if mains.len() > 1 => mains,
            (None, None, Some(_)) => {
                return Err("manifest field build.mains lists fewer than two binaries: one is written as build.main and build.binary".into());
            }
            _ => {
                return Err("manifest field build: it has build.main and build.binary, or build.mains, never both nor neither".into());
            }
        };
        let cgo = match w.cgo {
            None => false,
            Some(serde_json::Value::Bool(on)) => on,
            Some(other) => {
                return Err(format!(
                    "manifest field build.cgo = {other}: build.cgo is true or false"
                ));
            }
        };
        Ok(Build {
            mode: w.mode,
            mains,
            tags: w.tags,
            ldflags: w.ldflags,
            cgo,
            checked: w.checked,
            checked_with: w.checked_with,
        })
    }
}

impl From<Build> for BuildWire {
    fn from(b: Build) -> BuildWire {
        let (main, binary, mains) = match <[MainPackage; 1]>::try_from(b.mains) {
            Ok([one]) => (Some(one.package), Some(one.binary), None),
            Err(several) => (None, None, Some(several)),
        };
        BuildWire {
            mode: b.mode,
            main,
            binary,
            mains,
            tags: b.tags,
            ldflags: b.ldflags,
            cgo: b.cgo.then_some(serde_json::Value::Bool(true)),
            checked: b.checked,
            checked_with: b.checked_with,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleReplace {
    pub path: String,
    pub version: Option<String>,
}

impl From<&Replacement> for ModuleReplace {
    fn from(r: &Replacement) -> Self {
        ModuleReplace {
            path: r.path.clone(),
            version: r.version.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub replace: Option<ModuleReplace>,
    /// go.sum `h1:` of the module zip (of the replacement, when replaced);
    /// None for a local directory replacement.
    pub h1: Option<String>,
    pub go_mod_h1: Option<String>,
    pub explicit: bool,
    pub go: Option<String>,
    pub packages: Vec<String>,
}

/// The manifest's modules, from modules.txt, with the go.sum hashes of the
/// code that is really used (the replacement's, when replaced by a version).
pub fn modules(vendored: &ModulesTxt, sum: &GoSum) -> Vec<Module> {
    let mut out: Vec<Module> = vendored
        .modules
        .iter()
        .map(|m| {
            let (path, version) = match &m.replace {
                Some(r) => (r.path.as_str(), r.version.as_deref()),
                None => (m.path.as_str(), Some(m.version.as_str())),
            };
            let hash = |go_mod| {
                version
                    .and_then(|v| sum.hash(path, v, go_mod))
                    .map(str::to_string)
            };
            Module {
                path: m.path.clone(),
                version: m.version.clone(),
                replace: m.replace.as_ref().map(Into::into),
                h1: hash(false),
                go_mod_h1: hash(true),
                explicit: m.explicit,
                go: m.go_version.clone(),
                packages: m.packages.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.path, &a.version).cmp(&(&b.path, &b.version)));
    out
}

/// One zip entry other than the manifest and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    #[serde(with = "octal")]
    pub mode: u32,
}

impl Manifest {
    /// The exact bytes that are signed: pretty JSON and a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses signed manifest bytes and checks the format marker.
    pub fn from_bytes(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if !READS.contains(&m.format.as_str()) {
            return Err(format!(
                "format is {:?}, this ferry reads {}",
                m.format,
                READS.join(" and ")
            ));
        }
        Ok(m)
    }

    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.entries[i])
    }
}

/// Modes as the four octal digits people read (`"0644"`), not as 420.
mod octal {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{mode:04o}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let s = String::deserialize(d)?;
        u32::from_str_radix(&s, 8).map_err(|_| D::Error::custom(format!("mode {s:?} is not octal")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            tool: Tool {
                name: "ferry".into(),
                version: "0.1.0".into(),
            },
            created: "1980-01-01T00:00:00Z".into(),
            module: MainModule {
                path: "m".into(),
                version: "v1".into(),
                go: Some("1.22".into()),
                toolchain: None,
                layout: Default::default(),
            },
            go_version: "go1.26.8".into(),
            build: Build {
                mode: BuildMode::Gopath,
                mains: vec![MainPackage {
                    package: ".".into(),
                    binary: "m".into(),
                }],
                tags: vec![],
                ldflags: String::new(),
                cgo: false,
                checked: false,
                checked_with: None,
            },
            modules: vec![],
            images: vec![],
            base: None,
            entries: vec![
                Entry {
                    path: "src/a".into(),
                    sha256: "00".into(),
                    size: 1,
                    mode: 0o644,
                },
                Entry {
                    path: "src/b".into(),
                    sha256: "11".into(),
                    size: 2,
                    mode: 0o755,
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_writes_modes_in_octal() {
        let m = sample();
        let bytes = m.to_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains(r#""mode": "0755""#));
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), m);
        assert_eq!(m.entry("src/b").unwrap().size, 2);
        assert!(m.entry("src/c").is_none());
    }

    #[test]
    fn one_binary_keeps_the_first_form_several_are_listed() {
        let mut m = sample();
        let one = String::from_utf8(m.to_bytes()).unwrap();
        assert!(
            one.contains("\"main\": \".\",\n    \"binary\": \"m\",\n    \"tags\""),
            "{one}"
        );
        assert!(!one.contains("mains") && !one.contains("cgo"), "{one}");
        m.build.mains.push(MainPackage {
            package: "./cmd/x".into(),
            binary: "x".into(),
        });
        m.build.cgo = true;
        let two = m.to_bytes();
        let text = String::from_utf8_lossy(&two);
        assert!(
            text.contains("\"mains\": [") && !text.contains("\"main\":"),
            "{text}"
        );
        assert!(text.contains("\"cgo\": true"), "{text}");
        assert_eq!(Manifest::from_bytes(&two).unwrap(), m);
    }

    #[test]
    fn a_build_with_both_forms_or_neither_is_refused() {
        let one = String::from_utf8(sample().to_bytes()).unwrap();
        let both = one.replace(
            "\"binary\": \"m\",",
            "\"binary\": \"m\", \"mains\": [{\"package\": \".\", \"binary\": \"m\"}, {\"package\": \"./x\", \"binary\": \"x\"}],",
        );
        let neither = one.replace("\"main\": \".\",", "");
        let lonely = one.replace(
            "\"main\": \".\",\n    \"binary\": \"m\",",
            "\"mains\": [{\"package\": \".\", \"binary\": \"m\"}],",
        );
        let not_bool = one.replace("\"tags\"", "\"cgo\": \"yes\", \"tags\"");
        for bad in [both, neither, lonely, not_bool] {
            assert!(Manifest::from_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_v1_and_v2_and_refuses_other_formats() {
        let mut m = sample();
        for read in READS {
            m.format = read.into();
            assert_eq!(Manifest::from_bytes(&m.to_bytes()).unwrap().format, read);
        }
        m.format = "ferry/v3".into();
        let refused = Manifest::from_bytes(&m.to_bytes()).unwrap_err();
        assert!(
            refused.contains("ferry/v3") && refused.contains("ferry/v1"),
            "{refused}"
        );
    }
}
