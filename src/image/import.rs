//! Images already on the connected machine: a `docker save` tar (the classic
//! layout with `manifest.json` and `<id>/layer.tar`, or Docker 25's OCI one)
//! or an OCI archive (`skopeo copy … oci-archive:`). Every blob is hashed as
//! it is copied out; the classic layout gets an OCI manifest made for it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use oci_client::manifest::{OciDescriptor, OciImageManifest};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::archive::{self, CONTAINERD_NAME, ImageContent, REF_NAME};
use super::diags::ImageError;
use super::manifest::{self, Platform, Served};
use super::reference::ImageRef;

const MAX_JSON: u64 = 4 * 1024 * 1024;
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// An image taken from an archive: the reference it names itself by, and its
/// content with blobs copied into the blob folder.
pub struct Imported {
    pub reference: ImageRef,
    pub content: ImageContent,
}

/// Every member of the tar by name: (offset, length).
struct Members {
    path: PathBuf,
    spans: BTreeMap<String, (u64, u64)>,
}

impl Members {
    fn scan(path: &Path) -> Result<Members, ImageError> {
        let file = File::open(path).map_err(ImageError::io(path))?;
        let mut tar = tar::Archive::new(file);
        let mut spans = BTreeMap::new();
        let entries = tar.entries().map_err(|e| bad(path, e.to_string()))?;
        for entry in entries {
            let entry = entry.map_err(|e| bad(path, e.to_string()))?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let name = entry.path().map_err(|e| bad(path, e.to_string()))?;
            let name = name.to_string_lossy().trim_start_matches("./").to_string();
            spans.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(Members {
            path: path.to_path_buf(),
            spans,
        })
    }

    fn reader(&self, name: &str) -> Result<io::Take<File>, ImageError> {
        let &(offset, len) = self
            .spans
            .get(name)
            .ok_or_else(|| bad(&self.path, format!("{name} is missing")))?;
        let mut f = File::open(&self.path).map_err(ImageError::io(&self.path))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(ImageError::io(&self.path))?;
        Ok(f.take(len))
    }

    fn json(&self, name: &str) -> Result<Option<Value>, ImageError> {
        match self.spans.get(name) {
            None => Ok(None),
            Some(&(_, len)) if len > MAX_JSON => {
                Err(bad(&self.path, format!("{name} is too large")))
            }
            Some(_) => {
                let bytes = self.bytes(name)?;
                let value = serde_json::from_slice(&bytes)
                    .map_err(|e| bad(&self.path, format!("{name}: {e}")))?;
                Ok(Some(value))
            }
        }
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>, ImageError> {
        let mut bytes = Vec::new();
        self.reader(name)?
            .read_to_end(&mut bytes)
            .map_err(ImageError::io(&self.path))?;
        Ok(bytes)
    }

    /// Copies member `name` into `blobs` as the blob it hashes to; when
    /// `expected` is given, the hash must be that digest.
    fn copy_blob(
        &self,
        name: &str,
        expected: Option<&str>,
        blobs: &Path,
    ) -> Result<(String, u64), ImageError> {
        let partial = blobs.join(format!(".import-{}", std::process::id()));
        let mut out = File::create(&partial).map_err(ImageError::io(&partial))?;
        let mut hashing = HashingReader {
            inner: self.reader(name)?,
            hasher: Sha256::new(),
        };
        let len = io::copy(&mut hashing, &mut out).map_err(ImageError::io(&self.path))?;
        let digest = format!("sha256:{}", hex::encode(hashing.hasher.finalize()));
        if let Some(expected) = expected.filter(|e| *e != digest) {
            let _ = std::fs::remove_file(&partial);
            return Err(ImageError::Digest {
                image: self.path.display().to_string(),
                digest: expected.to_string(),
                what: "the archive's blob is not its digest",
                expected: expected.to_string(),
                actual: digest,
            });
        }
        let target = blobs.join(digest.trim_start_matches("sha256:"));
        std::fs::rename(&partial, &target).map_err(ImageError::io(&target))?;
        Ok((digest, len))
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn bad(path: &Path, reason: String) -> ImageError {
    ImageError::Archive {
        path: path.to_path_buf(),
        reason,
    }
}

/// Takes the image in the archive at `path` for `platform`, copying its blobs
/// into `blobs`.
pub fn import(path: &Path, platform: &Platform, blobs: &Path) -> Result<Imported, ImageError> {
    let members = Members::scan(path)?;
    let docker = members.json("manifest.json")?;
    match members.json("index.json")? {
        Some(index) => from_oci(&members, &index, docker.as_ref(), platform, blobs),
        None => match docker {
            Some(docker) => from_classic(&members, &docker, blobs),
            None => Err(bad(
                path,
                "neither index.json nor manifest.json: not an image archive".into(),
            )),
        },
    }
}

/// An OCI layout: the one image in index.json (an index in it resolved to
/// the platform), blobs copied with their digests checked.
fn from_oci(
    members: &Members,
    index: &Value,
    docker: Option<&Value>,
    platform: &Platform,
    blobs: &Path,
) -> Result<Imported, ImageError> {
    let shown = members.path.display().to_string();
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let [entry] = entries.as_slice() else {
        return Err(bad(
            &members.path,
            format!(
                "index.json lists {} images; pass an archive of one",
                entries.len()
            ),
        ));
    };
    let name = image_name(entry, docker).ok_or_else(|| no_name(&members.path))?;
    let mut digest = entry["digest"].as_str().unwrap_or_default().to_string();
    let mut bytes = read_manifest(members, &digest)?;
    let m = loop {
        match manifest::parse(&shown, &bytes)? {
            Served::Manifest(m) => break m,
            Served::Index(ix) => {
                digest = manifest::select(&shown, &ix, platform)?.digest.clone();
                bytes = read_manifest(members, &digest)?;
            }
        }
    };
    let content = archive::from_manifest(name.local_tag(), digest, bytes, *m);
    for d in content.blobs() {
        members.copy_blob(&archive::blob_path(&d.digest), Some(&d.digest), blobs)?;
    }
    Ok(Imported {
        reference: name,
        content,
    })
}

fn read_manifest(members: &Members, digest: &str) -> Result<Vec<u8>, ImageError> {
    manifest::check_digest(&members.path.display().to_string(), digest)?;
    let name = archive::blob_path(digest);
    if members
        .spans
        .get(&name)
        .is_some_and(|&(_, len)| len > MAX_JSON)
    {
        return Err(bad(&members.path, format!("{name} is too large")));
    }
    let bytes = members.bytes(&name)?;
    let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    if actual != digest {
        return Err(ImageError::Digest {
            image: members.path.display().to_string(),
            digest: digest.to_string(),
            what: "the archive's manifest is not its digest",
            expected: digest.to_string(),
            actual,
        });
    }
    Ok(bytes)
}

/// The classic `docker save` layout: a config and uncompressed layer tars.
/// ferry writes the OCI manifest for them, so the digest is new; the config's
/// `rootfs.diff_ids` must be the layers' digests.
fn from_classic(members: &Members, docker: &Value, blobs: &Path) -> Result<Imported, ImageError> {
    let images = docker.as_array().cloned().unwrap_or_default();
    let [image] = images.as_slice() else {
        return Err(bad(
            &members.path,
            format!(
                "manifest.json lists {} images; pass an archive of one",
                images.len()
            ),
        ));
    };
    let name = repo_tag(Some(docker)).ok_or_else(|| no_name(&members.path))?;
    let config_name = image["Config"].as_str().unwrap_or_default();
    let (config_digest, config_size) = members.copy_blob(config_name, None, blobs)?;
    let config_path = blobs.join(config_digest.trim_start_matches("sha256:"));
    let config: Value =
        serde_json::from_slice(&std::fs::read(&config_path).map_err(ImageError::io(&config_path))?)
            .map_err(|e| bad(&members.path, format!("{config_name}: {e}")))?;
    let diff_ids = config["rootfs"]["diff_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let layer_names = image["Layers"].as_array().cloned().unwrap_or_default();
    if diff_ids.len() != layer_names.len() {
        return Err(bad(
            &members.path,
            format!(
                "{} layers, but the config lists {} diff_ids",
                layer_names.len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::new();
    for (layer, diff_id) in layer_names.iter().zip(&diff_ids) {
        let (digest, size) =
            members.copy_blob(layer.as_str().unwrap_or_default(), diff_id.as_str(), blobs)?;
        layers.push(descriptor(OCI_LAYER_TAR, digest, size));
    }
    let m = OciImageManifest {
        schema_version: 2,
        media_type: Some(manifest::OCI_MANIFEST.to_string()),
        config: descriptor(OCI_CONFIG, config_digest, config_size),
        layers,
        ..Default::default()
    };
    let bytes = serde_json::to_vec(&m).map_err(|e| bad(&members.path, e.to_string()))?;
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
    Ok(Imported {
        content: archive::from_manifest(name.local_tag(), digest, bytes, m),
        reference: name,
    })
}

fn descriptor(media_type: &str, digest: String, size: u64) -> OciDescriptor {
    OciDescriptor {
        media_type: media_type.to_string(),
        digest,
        size: i64::try_from(size).unwrap_or(i64::MAX),
        ..Default::default()
    }
}

/// The name an archive gives its image: containerd's annotation (Docker 25),
/// the docker `RepoTags`, or an OCI ref.name that is a whole reference.
fn image_name(entry: &Value, docker: Option<&Value>) -> Option<ImageRef> {
    let annotation = |k: &str| entry["annotations"][k].as_str().map(str::to_string);
    annotation(CONTAINERD_NAME)
        .and_then(|n| ImageRef::parse(&n).ok())
        .or_else(|| repo_tag(docker))
        .or_else(|| {
            annotation(REF_NAME)
                .filter(|n| n.contains(':') || n.contains('/'))
                .and_then(|n| ImageRef::parse(&n).ok())
        })
}

fn repo_tag(docker: Option<&Value>) -> Option<ImageRef> {
    docker?[0]["RepoTags"][0]
        .as_str()
        .and_then(|n| ImageRef::parse(n).ok())
}

fn no_name(path: &Path) -> ImageError {
    bad(
        path,
        "the archive names no image (no RepoTags, io.containerd.image.name or a ref.name that is a reference): save it with a tag, e.g. docker save golang:1.26 -o golang.tar".into(),
    )
}
