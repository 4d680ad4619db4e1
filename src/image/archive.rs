//! One image as one tar that is both an OCI image layout (`oci-layout`,
//! `index.json`, `blobs/sha256/…`) and a docker archive (`manifest.json` with
//! `RepoTags`), the layout `docker save` writes since Docker 25. Blobs are kept
//! byte for byte as the registry served them, so the manifest digest survives.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use oci_client::manifest::{OciDescriptor, OciImageManifest};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::diags::ImageError;
use super::manifest::{self, Served};

/// The annotation `podman load` and `skopeo` read the name from.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd (and so `docker load`) reads the name from.
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// JSON members of the tar larger than this are not ferry's.
const MAX_JSON: u64 = 4 * 1024 * 1024;

/// One image: its manifest as served, and where it came from.
#[derive(Debug, Clone)]
pub struct ImageContent {
    /// The tag it restores as (see `reference::local_tag`).
    pub tag: String,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub media_type: String,
    pub config: OciDescriptor,
    pub layers: Vec<OciDescriptor>,
}

impl ImageContent {
    /// Every blob the manifest names, config first, each digest once.
    pub fn blobs(&self) -> Vec<&OciDescriptor> {
        let mut seen = std::collections::BTreeSet::new();
        std::iter::once(&self.config)
            .chain(&self.layers)
            .filter(|d| seen.insert(d.digest.as_str()))
            .collect()
    }

    /// The sum of the blob sizes and the manifest: what a registry stores.
    pub fn size(&self) -> u64 {
        let blobs: i64 = self.blobs().iter().map(|d| d.size.max(0)).sum();
        blobs.unsigned_abs() + self.manifest.len() as u64
    }
}

/// `blobs/sha256/<hex>` for a checked `sha256:<hex>` digest.
pub fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

/// Writes `image` as a tar at `out`, taking blobs from `blobs` (a folder of
/// files named by their hex digest). Fixed order, times and owners: the same
/// image gives the same bytes.
pub fn write(image: &ImageContent, blobs: &Path, out: &Path) -> Result<(), ImageError> {
    let file = File::create(out).map_err(ImageError::io(out))?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let io = |e: io::Error| ImageError::io(out)(e);
    append(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(io)?;
    append(&mut tar, "index.json", &index_json(image)).map_err(io)?;
    append(&mut tar, "manifest.json", &docker_manifest_json(image)).map_err(io)?;
    append(
        &mut tar,
        &blob_path(&image.manifest_digest),
        &image.manifest,
    )
    .map_err(io)?;
    for d in image.blobs() {
        let src = blobs.join(d.digest.trim_start_matches("sha256:"));
        let mut f = File::open(&src).map_err(ImageError::io(&src))?;
        let len = f.metadata().map_err(ImageError::io(&src))?.len();
        let mut header = header(len);
        tar.append_data(&mut header, blob_path(&d.digest), &mut f)
            .map_err(io)?;
    }
    let mut inner = tar.into_inner().map_err(io)?;
    inner.flush().map_err(io)?;
    inner.get_ref().sync_all().map_err(io)
}

fn header(len: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_size(len);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

fn append<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    tar.append_data(&mut header(data.len() as u64), name, data)
}

fn index_json(image: &ImageContent) -> Vec<u8> {
    let index = json!({
        "schemaVersion": 2,
        "mediaType": manifest::OCI_INDEX,
        "manifests": [{
            "mediaType": image.media_type,
            "digest": image.manifest_digest,
            "size": image.manifest.len(),
            "annotations": {
                CONTAINERD_NAME: image.tag,
                REF_NAME: image.tag,
            }
        }]
    });
    serde_json::to_vec(&index).unwrap_or_default()
}

fn docker_manifest_json(image: &ImageContent) -> Vec<u8> {
    let layers: Vec<String> = image.layers.iter().map(|l| blob_path(&l.digest)).collect();
    let m = json!([{
        "Config": blob_path(&image.config.digest),
        "RepoTags": [image.tag],
        "Layers": layers,
    }]);
    serde_json::to_vec(&m).unwrap_or_default()
}

/// An image tar opened for reading: its manifest, and where each blob lies.
#[derive(Debug)]
pub struct Archive {
    pub path: PathBuf,
    pub image: ImageContent,
    /// Digest → (offset in the tar, length).
    spans: BTreeMap<String, (u64, u64)>,
}

impl Archive {
    /// Opens a tar ferry wrote: one manifest in `index.json`, named; every
    /// blob it needs present with its declared size; the manifest's bytes hash
    /// to its digest. Blob contents are checked as they are read.
    pub fn open(path: &Path) -> Result<Archive, ImageError> {
        let bad = |reason: String| ImageError::Archive {
            path: path.to_path_buf(),
            reason,
        };
        let (spans, index) = scan(path)?;
        let index = index.ok_or_else(|| bad("no index.json: not an OCI image layout".into()))?;
        let entry = one_manifest(&index).map_err(bad)?;
        let (digest, tag) = entry;
        manifest::check_digest(&path.display().to_string(), &digest)?;
        let (offset, len) = *spans
            .get(&digest)
            .ok_or_else(|| bad(format!("manifest blob {digest} is missing")))?;
        if len > MAX_JSON {
            return Err(bad(format!("manifest blob {digest} is {len} bytes")));
        }
        let bytes = read_span(path, offset, len)?;
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if actual != digest {
            return Err(ImageError::Digest {
                image: path.display().to_string(),
                digest: digest.clone(),
                what: "manifest bytes are not their digest",
                expected: digest,
                actual,
            });
        }
        let image = content(path, tag, digest, bytes)?;
        for d in image.blobs() {
            match spans.get(&d.digest) {
                Some(&(_, len)) if i64::try_from(len).ok() == Some(d.size) => {}
                Some(&(_, len)) => {
                    return Err(bad(format!(
                        "blob {} is {len} bytes, the manifest says {}",
                        d.digest, d.size
                    )));
                }
                None => return Err(bad(format!("blob {} is missing", d.digest))),
            }
        }
        Ok(Archive {
            path: path.to_path_buf(),
            image,
            spans,
        })
    }

    /// A reader of one blob's bytes (unchecked: callers hash what they read).
    pub fn blob(&self, digest: &str) -> Result<io::Take<File>, ImageError> {
        let &(offset, len) = self.spans.get(digest).ok_or_else(|| ImageError::Archive {
            path: self.path.clone(),
            reason: format!("blob {digest} is missing"),
        })?;
        let mut f = File::open(&self.path).map_err(ImageError::io(&self.path))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(ImageError::io(&self.path))?;
        Ok(f.take(len))
    }
}

/// Walks the tar once: blob spans by digest, and `index.json` if present.
type Scan = (BTreeMap<String, (u64, u64)>, Option<serde_json::Value>);

fn scan(path: &Path) -> Result<Scan, ImageError> {
    let bad = |reason: String| ImageError::Archive {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(ImageError::io(path))?;
    let mut tar = tar::Archive::new(file);
    let mut spans = BTreeMap::new();
    let mut index = None;
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let name = entry.path().map_err(|e| bad(e.to_string()))?;
        let name = name.to_string_lossy().trim_start_matches("./").to_string();
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            let (offset, len) = (entry.raw_file_position(), entry.size());
            spans.insert(format!("sha256:{hex}"), (offset, len));
        } else if name == "index.json" {
            if entry.size() > MAX_JSON {
                return Err(bad("index.json is too large".into()));
            }
            let mut text = Vec::new();
            entry
                .read_to_end(&mut text)
                .map_err(|e| bad(e.to_string()))?;
            index =
                Some(serde_json::from_slice(&text).map_err(|e| bad(format!("index.json: {e}")))?);
        }
    }
    Ok((spans, index))
}

/// The one manifest of `index.json`: its digest and the tag it restores as.
fn one_manifest(index: &serde_json::Value) -> Result<(String, String), String> {
    let manifests = index
        .get("manifests")
        .and_then(|m| m.as_array())
        .ok_or("index.json has no manifests")?;
    let [m] = manifests.as_slice() else {
        return Err(format!(
            "index.json lists {} manifests; a ferry image tar holds exactly one",
            manifests.len()
        ));
    };
    let digest = m
        .get("digest")
        .and_then(|d| d.as_str())
        .ok_or("index.json: no digest")?;
    let annotations = m.get("annotations");
    let name = |key: &str| {
        annotations
            .and_then(|a| a.get(key))
            .and_then(|n| n.as_str())
    };
    let tag = name(CONTAINERD_NAME)
        .or_else(|| name(REF_NAME))
        .ok_or("index.json: the manifest has no name annotation")?;
    Ok((digest.to_string(), tag.to_string()))
}

fn read_span(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, ImageError> {
    let mut f = File::open(path).map_err(ImageError::io(path))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(ImageError::io(path))?;
    let mut bytes = Vec::new();
    f.take(len)
        .read_to_end(&mut bytes)
        .map_err(ImageError::io(path))?;
    Ok(bytes)
}

fn content(
    path: &Path,
    tag: String,
    digest: String,
    bytes: Vec<u8>,
) -> Result<ImageContent, ImageError> {
    let image = path.display().to_string();
    let Served::Manifest(m) = manifest::parse(&image, &bytes)? else {
        return Err(ImageError::Archive {
            path: path.to_path_buf(),
            reason: "index.json names an index; a ferry image tar holds one platform".into(),
        });
    };
    Ok(from_manifest(tag, digest, bytes, *m))
}

/// An [`ImageContent`] from a parsed manifest and its exact bytes.
pub fn from_manifest(
    tag: String,
    digest: String,
    bytes: Vec<u8>,
    m: OciImageManifest,
) -> ImageContent {
    ImageContent {
        tag,
        media_type: manifest::media_type(&m).to_string(),
        manifest: bytes,
        manifest_digest: digest,
        config: m.config,
        layers: m.layers,
    }
}
