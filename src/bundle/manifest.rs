//! `ferry.json`: what the bundle is (module, Go version, build), what it carries
//! (modules, images) and every other entry with its sha256, size and mode.
//! Serialised with sorted lists and fixed field order, so equal inputs give equal bytes.

use serde::{Deserialize, Serialize};

pub use crate::dockerfile::BuildMode;
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
}

impl MainModule {
    /// The packed module as go.mod names it, at `version`.
    pub fn new(modfile: &ModFile, version: String) -> MainModule {
        MainModule {
            path: modfile.module.clone(),
            version,
            go: modfile.go.clone(),
            toolchain: modfile.toolchain.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    pub mode: BuildMode,
    /// The main package, relative to the module root (`.` or `./cmd/x`).
    pub main: String,
    pub binary: String,
    pub tags: Vec<String>,
    pub ldflags: String,
    /// Whether pack proved the offline build before signing.
    pub checked: bool,
    /// How it was proven: mode, Go version, module cache, network isolation.
    pub checked_with: Option<String>,
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
            },
            go_version: "go1.26.8".into(),
            build: Build {
                mode: BuildMode::Gopath,
                main: ".".into(),
                binary: "m".into(),
                tags: vec![],
                ldflags: String::new(),
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
