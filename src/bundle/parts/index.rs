//! `BUNDLE.parts`: the index of a bundle cut into parts, serialised
//! deterministically and read back strictly (a pure parser): every field that
//! names a file or a size is held to its rule before anything opens a part.

use serde::{Deserialize, Serialize};

/// The index's `format`.
pub const FORMAT: &str = "ferry-parts/v1";

/// The largest index ferry reads: 999 parts of a few hundred bytes each.
pub const MAX_INDEX_BYTES: u64 = 1024 * 1024;

/// At most this many parts: three digits in every name.
pub const MAX_PARTS: usize = 999;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub format: String,
    /// The file name of the bundle that was cut; parts are `<bundle>.001`, …
    pub bundle: String,
    pub module: String,
    pub version: String,
    /// The sha256 of the cut bundle's signed ferry.json: which bundle this is.
    pub manifest_sha256: String,
    /// The whole bundle: its size and sha256 (what `cat` of the parts gives).
    pub size: u64,
    pub sha256: String,
    /// Every part but the last has exactly this size.
    pub part_size: u64,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// The name of part `number` (1-based) of `bundle`.
pub fn part_name(bundle: &str, number: usize) -> String {
    format!("{bundle}.{number:03}")
}

impl Index {
    /// Pretty JSON with a final newline: what is signed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Parses and checks the index: a plain bundle file name, parts named
    /// `<bundle>.001` up in order, sizes that tile the whole, hex digests.
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, String> {
        let index: Index = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        index.check()?;
        Ok(index)
    }

    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format {:?}, expected {FORMAT:?}", self.format));
        }
        plain_file_name(&self.bundle).map_err(|e| format!("bundle {:?}: {e}", self.bundle))?;
        for (what, hex) in [
            ("manifest_sha256", &self.manifest_sha256),
            ("sha256", &self.sha256),
        ] {
            sha256_hex(hex).map_err(|e| format!("{what}: {e}"))?;
        }
        if self.parts.is_empty() || self.parts.len() > MAX_PARTS {
            return Err(format!(
                "{} parts (between 1 and {MAX_PARTS})",
                self.parts.len()
            ));
        }
        self.check_parts()
    }

    fn check_parts(&self) -> Result<(), String> {
        let last = self.parts.len() - 1;
        let mut total: u64 = 0;
        for (i, part) in self.parts.iter().enumerate() {
            let expected = part_name(&self.bundle, i + 1);
            if part.name != expected {
                return Err(format!(
                    "part {} is named {:?}, expected {expected:?}",
                    i + 1,
                    part.name
                ));
            }
            sha256_hex(&part.sha256).map_err(|e| format!("{}: sha256: {e}", part.name))?;
            let fits = match i == last {
                true => part.size > 0 && part.size <= self.part_size,
                false => part.size == self.part_size,
            };
            if !fits {
                return Err(format!(
                    "{}: {} bytes, but parts are {} bytes (the last at most that, and not empty)",
                    part.name, part.size, self.part_size
                ));
            }
            total = total
                .checked_add(part.size)
                .ok_or_else(|| "part sizes overflow".to_string())?;
        }
        if total != self.size {
            return Err(format!(
                "parts add up to {total} bytes, the whole is {}",
                self.size
            ));
        }
        Ok(())
    }

    /// The offset in the whole where each part starts.
    pub fn offsets(&self) -> Vec<u64> {
        let mut at = 0;
        self.parts
            .iter()
            .map(|p| {
                let start = at;
                at += p.size;
                start
            })
            .collect()
    }
}

/// A name that is one file in one folder: no separator, not `.` or `..`,
/// no NUL or control character, not empty.
fn plain_file_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("not a file name".into());
    }
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return Err("a plain file name has no separator and no control character".into());
    }
    if name.len() > 200 {
        return Err("longer than 200 bytes".into());
    }
    Ok(())
}

fn sha256_hex(hex: &str) -> Result<(), String> {
    let ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match ok {
        true => Ok(()),
        false => Err(format!("{hex:?} is not 64 lowercase hex digits")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Index {
        let h = "ab".repeat(32);
        Index {
            format: FORMAT.into(),
            bundle: "app.ferry".into(),
            module: "example.com/app".into(),
            version: "v1.0.0".into(),
            manifest_sha256: h.clone(),
            size: 250,
            sha256: h.clone(),
            part_size: 100,
            parts: (1..=3)
                .map(|i| Part {
                    name: part_name("app.ferry", i),
                    size: if i == 3 { 50 } else { 100 },
                    sha256: h.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn round_trips() {
        let i = index();
        assert_eq!(
            Index::from_bytes(&i.to_bytes().expect("serialises")).expect("reads back"),
            i
        );
        assert_eq!(i.offsets(), vec![0, 100, 200]);
    }

    #[test]
    fn refuses_an_index_that_does_not_hold_together() {
        type Edit = fn(&mut Index);
        let cases: Vec<(&str, Edit)> = vec![
            ("format", |i| i.format = "ferry-parts/v9".into()),
            ("bundle", |i| i.bundle = "../app.ferry".into()),
            ("bundle", |i| i.bundle = "..".into()),
            ("expected", |i| i.parts[1].name = "app.ferry.003".into()),
            ("expected", |i| i.parts[0].name = "../x".into()),
            ("bytes", |i| i.parts[0].size = 99),
            ("not empty", |i| i.parts[2].size = 0),
            ("add up", |i| i.size = 251),
            ("hex", |i| i.parts[2].sha256 = "AB".repeat(32)),
            ("manifest_sha256", |i| i.manifest_sha256.clear()),
            ("parts", |i| i.parts.clear()),
        ];
        for (want, edit) in cases {
            let mut i = index();
            edit(&mut i);
            let err = Index::from_bytes(&i.to_bytes().expect("serialises")).expect_err(want);
            assert!(err.contains(want), "{want}: {err}");
        }
        assert!(Index::from_bytes(b"{\"format\":1}").is_err());
        let extra = String::from_utf8(index().to_bytes().expect("serialises"))
            .expect("utf-8")
            .replacen('{', "{\"extra\": 1,", 1);
        assert!(
            Index::from_bytes(extra.as_bytes()).is_err(),
            "unknown field"
        );
    }
}
