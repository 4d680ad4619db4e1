//! Talking to registries with the OCI distribution API (through `oci-client`):
//! pull one platform of an image with every blob hashed while it streams, and
//! push an image tar with the same digests. Transient failures are retried
//! with backoff; a digest that does not match never is.

use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use indicatif::ProgressBar;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::archive::{self, Archive, ImageContent};
use super::auth::{Credentials, Lookup};
use super::diags::ImageError;
use super::manifest::{self, Platform, Served};
use super::reference::ImageRef;

/// Blobs fetched at once per image.
const PARALLEL_BLOBS: usize = 4;
/// Attempts per request before a transient failure is final.
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    /// Hosts (`HOST[:PORT]`) spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// The folder of `config.json` with registry credentials
    /// (`$DOCKER_CONFIG`, else `~/.docker`), as the binary found it.
    pub docker_config: Option<PathBuf>,
}

pub struct Registry {
    rt: tokio::runtime::Runtime,
    client: Client,
    creds: Credentials,
}

/// What one push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub reference: String,
    pub digest: String,
    pub blobs_pushed: usize,
    pub blobs_present: usize,
}

/// One try's failure: worth another try, or final.
enum Failure {
    Transient(String),
    Final(ImageError),
}

impl Registry {
    pub fn new(conn: &Connection) -> Result<Registry, ImageError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ImageError::io("tokio runtime"))?;
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(conn.insecure.clone()),
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(120)),
            // One PUT per blob, as containerd pushes, instead of a PATCH per
            // 4 MiB: half the time on a loopback registry, and no minimum
            // chunk size for the registry to refuse.
            use_monolithic_push: true,
            ..Default::default()
        };
        Ok(Registry {
            rt,
            client: Client::new(config),
            creds: Credentials::load(conn.docker_config.as_deref())?,
        })
    }

    /// Pulls `image` for `platform`; blobs land in `blobs` (named by hex
    /// digest, only once checked, so a blob already there is not fetched again).
    pub fn pull(
        &self,
        image: &ImageRef,
        platform: &Platform,
        blobs: &Path,
        bar: &ProgressBar,
    ) -> Result<ImageContent, ImageError> {
        self.rt
            .block_on(self.pull_async(image, platform, blobs, bar))
    }

    async fn pull_async(
        &self,
        image: &ImageRef,
        platform: &Platform,
        blobs: &Path,
        bar: &ProgressBar,
    ) -> Result<ImageContent, ImageError> {
        let name = image.given.as_str();
        let r = &image.parsed;
        self.authenticate(name, r, RegistryOperation::Pull).await?;
        let (bytes, digest) = self.manifest(name, r).await?;
        let (bytes, digest, m) = match manifest::parse(name, &bytes)? {
            Served::Manifest(m) => (bytes, digest, m),
            Served::Index(index) => {
                let entry = manifest::select(name, &index, platform)?;
                let pinned = r.clone_with_digest(entry.digest.clone());
                let (bytes, digest) = self.manifest(name, &pinned).await?;
                match manifest::parse(name, &bytes)? {
                    Served::Manifest(m) => (bytes, digest, m),
                    Served::Index(_) => return Err(invalid(name, "an index inside an index")),
                }
            }
        };
        let content = archive::from_manifest(image.local_tag(), digest, bytes, *m);
        bar.set_length(content.size());
        stream::iter(content.blobs())
            .map(|d| self.fetch_blob(name, r, d, blobs, bar))
            .buffer_unordered(PARALLEL_BLOBS)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(content)
    }

    /// Credentials from Docker's config, and the token flow done up front so
    /// that a refusal is reported as such, not as a missing image.
    async fn authenticate(
        &self,
        name: &str,
        r: &Reference,
        op: RegistryOperation,
    ) -> Result<(), ImageError> {
        let (auth, helper) = match self.creds.lookup(r.registry())? {
            Lookup::Found(auth) => (auth, None),
            Lookup::None => (RegistryAuth::Anonymous, None),
            Lookup::Helper(h) => (RegistryAuth::Anonymous, Some(h)),
        };
        let result = retry(name, "authentication", || async {
            self.client
                .auth(r, &auth, op)
                .await
                .map_err(|e| classify(name, r, e))
        })
        .await;
        match (result, helper) {
            (Ok(_), _) => Ok(()),
            (
                Err(ImageError::Auth {
                    image,
                    registry,
                    reason,
                }),
                Some(h),
            ) => Err(ImageError::Auth {
                image,
                registry,
                reason: format!(
                    "{reason}; its credentials are kept by the credential helper docker-credential-{h}, which ferry does not run: add an \"auths\" entry to config.json (or point DOCKER_CONFIG at one)"
                ),
            }),
            (Err(e), _) => Err(e),
        }
    }

    /// A manifest's bytes and their digest, which must be the one asked for.
    async fn manifest(&self, name: &str, r: &Reference) -> Result<(Vec<u8>, String), ImageError> {
        let (bytes, _) = retry(name, "manifest", || async {
            self.client
                .pull_manifest_raw(r, &RegistryAuth::Anonymous, manifest::ACCEPTED)
                .await
                .map_err(|e| classify(name, r, e))
        })
        .await?;
        if bytes.len() > manifest::MAX_MANIFEST_BYTES {
            return Err(invalid(name, "the manifest is larger than 4 MiB"));
        }
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
        if let Some(expected) = r.digest().filter(|d| *d != actual) {
            return Err(ImageError::Digest {
                image: name.to_string(),
                digest: expected.to_string(),
                what: "the manifest served is not the one pinned",
                expected: expected.to_string(),
                actual,
            });
        }
        Ok((bytes.to_vec(), actual))
    }

    async fn fetch_blob(
        &self,
        name: &str,
        r: &Reference,
        d: &OciDescriptor,
        dir: &Path,
        bar: &ProgressBar,
    ) -> Result<(), ImageError> {
        let target = dir.join(d.digest.trim_start_matches("sha256:"));
        if target.is_file() {
            bar.inc(d.size.unsigned_abs());
            return Ok(());
        }
        retry(name, &format!("blob {}", d.digest), || {
            self.fetch_blob_once(name, r, d, &target, bar)
        })
        .await
    }

    async fn fetch_blob_once(
        &self,
        name: &str,
        r: &Reference,
        d: &OciDescriptor,
        target: &Path,
        bar: &ProgressBar,
    ) -> Result<(), Failure> {
        let partial = target.with_extension("partial");
        let mut fetched = Fetch::new(d, bar);
        let result = self.stream_blob(name, r, d, &partial, &mut fetched).await;
        if result.is_err() {
            bar.dec(fetched.len);
            let _ = tokio::fs::remove_file(&partial).await;
            return result;
        }
        tokio::fs::rename(&partial, target)
            .await
            .map_err(|e| Failure::Final(ImageError::io(target)(e)))
    }

    async fn stream_blob(
        &self,
        name: &str,
        r: &Reference,
        d: &OciDescriptor,
        partial: &Path,
        fetched: &mut Fetch<'_>,
    ) -> Result<(), Failure> {
        let io = |e| Failure::Final(ImageError::io(partial)(e));
        let mut body = self
            .client
            .pull_blob_stream(r, d)
            .await
            .map_err(|e| classify(name, r, e))?;
        let mut file = tokio::fs::File::create(partial).await.map_err(io)?;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => {
                    fetched.add(name, &bytes)?;
                    file.write_all(&bytes).await.map_err(io)?;
                }
                // oci-client's own digest check ends the stream with an error
                // once every byte is in: ours below names the blob.
                Err(_) if fetched.len == fetched.expected_len => break,
                Err(e) => return Err(Failure::Transient(format!("blob {}: {e}", d.digest))),
            }
        }
        file.sync_all().await.map_err(io)?;
        fetched.finish(name)
    }

    /// Pushes an image tar to `target` (a reference with a tag): blobs the
    /// registry has are skipped, the rest streamed with their digests checked,
    /// then the manifest, byte for byte.
    pub fn push(
        &self,
        archive: &Archive,
        target: &ImageRef,
        bar: &ProgressBar,
    ) -> Result<Pushed, ImageError> {
        self.rt.block_on(self.push_async(archive, target, bar))
    }

    async fn push_async(
        &self,
        archive: &Archive,
        target: &ImageRef,
        bar: &ProgressBar,
    ) -> Result<Pushed, ImageError> {
        let name = target.given.as_str();
        let r = &target.parsed;
        self.authenticate(name, r, RegistryOperation::Push).await?;
        let image = &archive.image;
        bar.set_length(image.size());
        let (mut pushed, mut present) = (0, 0);
        for d in image.blobs() {
            if self.blob_exists(name, r, &d.digest).await? {
                present += 1;
            } else {
                self.push_blob(name, r, archive, d).await?;
                pushed += 1;
            }
            bar.inc(d.size.unsigned_abs());
        }
        let content_type = http::HeaderValue::from_str(&image.media_type)
            .map_err(|_| invalid(name, "the manifest's media type is not a header value"))?;
        retry(name, "manifest upload", || async {
            self.client
                .push_manifest_raw(r, image.manifest.clone(), content_type.clone())
                .await
                .map_err(|e| classify(name, r, e))
        })
        .await?;
        let (_, served) = self.manifest(name, r).await?;
        if served != image.manifest_digest {
            return Err(ImageError::Digest {
                image: name.to_string(),
                digest: image.manifest_digest.clone(),
                what: "the registry serves another manifest than the one pushed",
                expected: image.manifest_digest.clone(),
                actual: served,
            });
        }
        Ok(Pushed {
            reference: r.whole(),
            digest: served,
            blobs_pushed: pushed,
            blobs_present: present,
        })
    }

    async fn blob_exists(
        &self,
        name: &str,
        r: &Reference,
        digest: &str,
    ) -> Result<bool, ImageError> {
        retry(name, &format!("blob {digest} (HEAD)"), || async {
            self.client
                .blob_exists(r, digest)
                .await
                .map_err(|e| classify(name, r, e))
        })
        .await
    }

    async fn push_blob(
        &self,
        name: &str,
        r: &Reference,
        archive: &Archive,
        d: &OciDescriptor,
    ) -> Result<(), ImageError> {
        retry(name, &format!("blob {} upload", d.digest), || async {
            let mismatch = Arc::new(Mutex::new(None));
            let body = checked_stream(
                archive.blob(&d.digest).map_err(Failure::Final)?,
                d,
                mismatch.clone(),
            );
            let result = self
                .client
                .push_blob_stream(r, body, &d.digest, Some(d.size.unsigned_abs()))
                .await;
            if let Some(actual) = mismatch.lock().ok().and_then(|m| m.clone()) {
                return Err(Failure::Final(ImageError::Digest {
                    image: archive.path.display().to_string(),
                    digest: d.digest.clone(),
                    what: "the bundled blob is not its digest",
                    expected: d.digest.clone(),
                    actual,
                }));
            }
            result.map(|_| ()).map_err(|e| classify(name, r, e))
        })
        .await
    }
}

/// Bytes of one blob as they arrive: counted against the descriptor's size
/// (a registry may not send more) and hashed.
struct Fetch<'a> {
    digest: String,
    expected_len: u64,
    len: u64,
    hasher: Sha256,
    bar: &'a ProgressBar,
}

impl<'a> Fetch<'a> {
    fn new(d: &OciDescriptor, bar: &'a ProgressBar) -> Fetch<'a> {
        Fetch {
            digest: d.digest.clone(),
            expected_len: d.size.unsigned_abs(),
            len: 0,
            hasher: Sha256::new(),
            bar,
        }
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), Failure> {
        self.len += bytes.len() as u64;
        if self.len > self.expected_len {
            return Err(Failure::Final(ImageError::Digest {
                image: name.to_string(),
                digest: self.digest.clone(),
                what: "the registry sent more bytes than the manifest declares",
                expected: format!("{} bytes", self.expected_len),
                actual: format!("at least {} bytes", self.len),
            }));
        }
        self.hasher.update(bytes);
        self.bar.inc(bytes.len() as u64);
        Ok(())
    }

    fn finish(&mut self, name: &str) -> Result<(), Failure> {
        if self.len != self.expected_len {
            return Err(Failure::Transient(format!(
                "blob {}: got {} of {} bytes",
                self.digest, self.len, self.expected_len
            )));
        }
        let actual = format!("sha256:{}", hex::encode(self.hasher.clone().finalize()));
        if actual != self.digest {
            return Err(Failure::Final(ImageError::Digest {
                image: name.to_string(),
                digest: self.digest.clone(),
                what: "the bytes the registry sent are not the digest",
                expected: self.digest.clone(),
                actual,
            }));
        }
        Ok(())
    }
}

/// A blob read from a tar as a stream of chunks, hashed as it goes; if the
/// bytes are not the digest, the last item is an error and `mismatch` holds
/// the digest that was read.
fn checked_stream(
    reader: std::io::Take<std::fs::File>,
    d: &OciDescriptor,
    mismatch: Arc<Mutex<Option<String>>>,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, OciDistributionError>> + Send + 'static {
    let expected = d.digest.clone();
    let state = Some((reader, Sha256::new()));
    stream::unfold(state, move |state| {
        let expected = expected.clone();
        let mismatch = mismatch.clone();
        async move {
            let (mut reader, mut hasher) = state?;
            let mut buf = vec![0u8; 1 << 20];
            match reader.read(&mut buf) {
                Ok(0) => {
                    let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
                    if actual == expected {
                        return None;
                    }
                    if let Ok(mut m) = mismatch.lock() {
                        *m = Some(actual.clone());
                    }
                    let e = OciDistributionError::GenericError(Some(format!(
                        "blob {expected} reads as {actual}"
                    )));
                    Some((Err(e), None))
                }
                Ok(n) => {
                    buf.truncate(n);
                    hasher.update(&buf);
                    Some((Ok(bytes::Bytes::from(buf)), Some((reader, hasher))))
                }
                Err(e) => Some((Err(e.into()), None)),
            }
        }
    })
}

/// Runs `attempt` until it succeeds, fails for good, or has failed
/// [`ATTEMPTS`] times, waiting longer after each transient failure.
async fn retry<T, F, Fut>(name: &str, operation: &str, mut attempt: F) -> Result<T, ImageError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut wait = FIRST_BACKOFF;
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Transient(reason)) if tries >= ATTEMPTS => {
                return Err(ImageError::Registry {
                    image: name.to_string(),
                    operation: operation.to_string(),
                    attempts: tries,
                    reason,
                });
            }
            Err(Failure::Transient(_)) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
}

/// Sorts a client error into "try again" (5xx, 429, a dropped connection)
/// and "stop" (refused, not found, a digest that does not match).
fn classify(name: &str, r: &Reference, e: OciDistributionError) -> Failure {
    let auth = |reason: String| {
        Failure::Final(ImageError::Auth {
            image: name.to_string(),
            registry: r.registry().to_string(),
            reason,
        })
    };
    let fatal = |reason: String| {
        Failure::Final(ImageError::Registry {
            image: name.to_string(),
            operation: "request".into(),
            attempts: 1,
            reason,
        })
    };
    match e {
        OciDistributionError::ServerError {
            code,
            ref url,
            ref message,
        } if code >= 500 || code == 429 => {
            Failure::Transient(format!("{url}: HTTP {code} {}", message.trim()))
        }
        OciDistributionError::RequestError(ref re)
            if re.is_connect()
                || re.is_timeout()
                || re.is_body()
                || re.is_request()
                || re.is_decode() =>
        {
            Failure::Transient(format!("{re}"))
        }
        OciDistributionError::IoError(ref io) => Failure::Transient(format!("{io}")),
        OciDistributionError::UnauthorizedError { url } => {
            auth(format!("{url} answered 401 Unauthorized"))
        }
        OciDistributionError::AuthenticationFailure(reason) => {
            auth(format!("the token service refused: {}", reason.trim()))
        }
        OciDistributionError::DigestError(e) => Failure::Final(invalid(name, &e.to_string())),
        other => fatal(other.to_string()),
    }
}

fn invalid(name: &str, reason: &str) -> ImageError {
    ImageError::Invalid {
        image: name.to_string(),
        reason: reason.to_string(),
    }
}
