//! The connected-side pipeline: snapshot the module into a scratch folder (the
//! user's tree is never written), let Go download and vendor, check the module
//! cache against go.sum and the vendor tree with Go itself, then write and sign
//! one bundle. Any failure leaves no bundle behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::audit;
use crate::build::warnings::GoVersion;
use crate::bundle::manifest::{self, Build, BuildMode, MainModule, Manifest, Module, Tool};
use crate::bundle::writer::{self, Payload, Storage};
use crate::bundle::{DOCKERFILE, DOCKERIGNORE, SBOM, VULNDB};
use crate::error::Error;
use crate::gomod::diags::{Finding, Findings};
use crate::gomod::gosum::{self, GoSum};
use crate::gomod::modfile::{self, ModFile};
use crate::gomod::modules_txt::{self, ModulesTxt};
use crate::gomod::toolchain::Go;
use crate::gomod::verify as go_verify;
use crate::gomod::{ParseError, modcache};
use crate::image::pull;
use crate::image::registry::Connection;
use crate::{build, dockerfile, progress, sign, source};

/// What `ferry pack` was asked to do.
#[derive(Debug, Clone)]
pub struct PackOptions {
    pub dir: PathBuf,
    pub output: PathBuf,
    pub key: PathBuf,
    pub mode: BuildMode,
    pub main: String,
    pub tags: Vec<String>,
    pub ldflags: String,
    /// Regenerate a committed vendor/ instead of checking it.
    pub revendor: bool,
    /// Base images to pull and bundle.
    pub images: Vec<pull::Request>,
    /// `docker save` or OCI archives to take images from instead of pulling.
    pub image_archives: Vec<PathBuf>,
    /// The platform image indexes resolve to (`linux/amd64`).
    pub platform: String,
    pub connection: Connection,
    /// A Go vulnerability database snapshot (OSV JSON, a folder or a zip) to bundle.
    pub vulndb: Option<PathBuf>,
    /// Ports the Dockerfile EXPOSEs.
    pub expose: Vec<u16>,
    /// Prove the offline build before signing (`--no-build-check` turns it off).
    pub build_check: bool,
    pub quiet: bool,
}

/// What a successful pack wrote.
#[derive(Debug, Clone)]
pub struct Packed {
    pub output: PathBuf,
    pub module: String,
    pub version: String,
    pub manifest_sha256: String,
    pub entries: usize,
    pub modules: usize,
    pub vendored_by_go: bool,
    pub key_id: String,
    /// Modules whose vendored files were bound to their verified source.
    pub modules_bound: usize,
    pub vendored_files: usize,
    pub images: Vec<manifest::Image>,
    /// Where the offline build may differ from module mode, or could not be judged.
    pub warnings: Vec<String>,
    /// How the offline build was proven, when it was.
    pub build_proof: Option<String>,
    pub timings: Timings,
}

/// Where a pack's time went, in seconds: the go commands (download, vendor,
/// verify, list), ferry's own Go verification, image pulls, the build proof,
/// and hashing, compressing and writing the bundle.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Timings {
    pub go: f64,
    pub verify: f64,
    pub images: f64,
    pub build_check: f64,
    pub bundle: f64,
    #[serde(skip)]
    since: std::time::Instant,
}

impl Timings {
    fn start() -> Timings {
        Timings {
            go: 0.0,
            verify: 0.0,
            images: 0.0,
            build_check: 0.0,
            bundle: 0.0,
            since: std::time::Instant::now(),
        }
    }

    /// Seconds since the last lap.
    fn lap(&mut self) -> f64 {
        let now = std::time::Instant::now();
        let secs = now.duration_since(self.since).as_secs_f64();
        self.since = now;
        secs
    }
}

/// Runs the whole pipeline.
pub fn run(opts: &PackOptions) -> Result<Packed, Error> {
    let go = Go::locate()?;
    let modfile = read_modfile(&opts.dir)?;
    let signer = sign::load_secret_key(&opts.key)?;
    let epoch = source_date_epoch()?;
    let out_dir = output_dir(&opts.output)?;
    let vulndb = opts.vulndb.as_deref().map(audit::vulns::load).transpose()?;

    let system_temp = std::env::temp_dir();
    let scratch = crate::temp::dir_in("pack", &system_temp).map_err(Error::io(&system_temp))?;
    let tree = scratch.path().join("src");
    let files = source::walk(&opts.dir, true, std::slice::from_ref(&opts.output))?;
    source::copy_to(&files, &tree)?;

    let committed_vendor = tree.join("vendor/modules.txt").is_file();
    let vendored_by_go = !committed_vendor || opts.revendor;
    let mut clock = Timings::start();
    let spin = progress::spinner("go mod download", opts.quiet);
    let downloads = go.mod_download(&tree)?;
    if vendored_by_go {
        spin.set_message("go mod vendor");
        if opts.revendor {
            fs::remove_dir_all(tree.join("vendor")).map_err(Error::io(tree.join("vendor")))?;
        }
        go.mod_vendor(&tree)?;
    }
    spin.set_message("go mod verify");
    go.mod_verify(&tree)?;
    check_vendor_consistency(&go, &tree)?;
    spin.finish_and_clear();
    clock.go = clock.lap();

    let sum = read_optional(&tree.join("go.sum"), gosum::parse)?.unwrap_or_default();
    let vendored =
        read_optional(&tree.join("vendor/modules.txt"), modules_txt::parse)?.unwrap_or_default();
    let cache_dir = PathBuf::from(go.env(&tree, "GOMODCACHE")?).join("cache/download");
    let selection = modcache::select(&cache_dir, &downloads, &sum);
    let go_check = go_verify::check_tree(&tree, Some(&cache_dir))?;
    let mut findings = selection.findings;
    findings.extend(go_check.findings.iter().cloned());
    // Before signing, "not checked" is a failure: everything must be bound.
    findings.extend(go_check.not_checked.iter().map(|n| Finding {
        module: n.module.clone(),
        version: n.version.clone(),
        file: "vendor/modules.txt".into(),
        problem: n.reason.clone(),
        expected: None,
        actual: None,
    }));
    if !findings.is_empty() {
        return Err(Findings(findings).into());
    }

    let module_list = modules(&vendored, &sum);
    let version = describe_version(&opts.dir);
    let sbom_bytes = sbom(
        &go,
        &tree,
        &modfile,
        &version,
        epoch,
        &module_list,
        &go_check,
    )?;
    clock.verify = clock.lap();
    let pulled = pull::pull_all(
        &opts.images,
        &opts.image_archives,
        &opts.platform,
        &opts.connection,
        &scratch.path().join("images"),
        opts.quiet,
    )?;

    clock.images = clock.lap();
    let plan = build_plan(opts, &modfile, &pulled, &tree)?;
    let proof = match opts.build_check {
        true => {
            let spin = progress::spinner("offline build", opts.quiet);
            let out = scratch.path().join("out").join(&plan.spec.binary);
            let built = build::offline(&go, &tree, &plan.spec, &out)?;
            spin.finish_and_clear();
            Some(format!(
                "{} mode, {}, empty module cache, {}",
                build::mode_name(opts.mode),
                built.go_version,
                built.isolation
            ))
        }
        false => None,
    };

    clock.build_check = clock.lap();
    let time = writer::zip_time(epoch);
    let mut payload = Payload::create_in(&out_dir, time)?;
    for (name, text) in [
        (DOCKERFILE, dockerfile::render(&plan.spec)),
        (DOCKERIGNORE, dockerfile::dockerignore()),
    ] {
        let path = scratch.path().join(name);
        fs::write(&path, text).map_err(Error::io(&path))?;
        payload.add_file(name, &path, 0o644, Storage::Deflated)?;
    }
    let src_files = source::walk(&tree, false, &[])?;
    let total: u64 = src_files
        .iter()
        .filter_map(|f| fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    let bar = progress::bytes(total, "bundling", opts.quiet);
    let src: Vec<(String, PathBuf, u32)> = src_files
        .iter()
        .map(|f| (format!("src/{}", f.rel), f.path.clone(), f.mode))
        .collect();
    payload.add_files(&src, Storage::by_name, &bar)?;
    for image in &pulled {
        payload.add_file(&image.entry, &image.tar, 0o644, Storage::Stored)?;
    }
    let cache: Vec<(String, PathBuf, u32)> = selection
        .files
        .iter()
        .map(|f| (format!("modcache/{}", f.rel), f.source.clone(), 0o644))
        .collect();
    payload.add_files(&cache, Storage::by_name, &indicatif::ProgressBar::hidden())?;
    if let Some(snapshot) = &vulndb {
        add_vulndb(&mut payload, snapshot, &scratch.path().join("vulndb"))?;
    }
    let sbom_path = scratch.path().join(SBOM);
    fs::write(&sbom_path, &sbom_bytes).map_err(Error::io(&sbom_path))?;
    payload.add_file(SBOM, &sbom_path, 0o644, Storage::Deflated)?;
    bar.finish_and_clear();

    let mut entries = payload.entries().to_vec();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: manifest::FORMAT.into(),
        tool: Tool {
            name: "ferry".into(),
            version: crate::VERSION.into(),
        },
        created: created(epoch),
        module: MainModule {
            path: modfile.module.clone(),
            version: version.clone(),
            go: modfile.go.clone(),
            toolchain: modfile.toolchain.clone(),
        },
        go_version: go.version.clone(),
        build: Build {
            mode: opts.mode,
            main: opts.main.clone(),
            binary: binary_name(&modfile.module, &opts.main),
            tags: opts.tags.clone(),
            ldflags: opts.ldflags.clone(),
            checked: proof.is_some(),
            checked_with: proof.clone(),
        },
        modules: module_list,
        images: images(&pulled),
        entries,
    };
    let bytes = manifest.to_bytes();
    let digest = hex::encode(Sha256::digest(&bytes));
    let signature = signer.sign(
        &bytes,
        &sign::trusted_comment(&modfile.module, &version, &digest),
    )?;
    payload.write_bundle(&opts.output, &bytes, signature.as_bytes())?;
    clock.bundle = clock.lap();
    Ok(Packed {
        timings: clock,
        output: opts.output.clone(),
        module: modfile.module,
        version,
        manifest_sha256: digest,
        entries: manifest.entries.len() + 2,
        modules: manifest.modules.len(),
        vendored_by_go,
        key_id: signer.key_id(),
        modules_bound: go_check.modules,
        vendored_files: go_check.vendored_files,
        images: manifest.images.clone(),
        warnings: plan.warnings,
        build_proof: proof,
    })
}

/// The snapshot's advisories as `vulndb/<id>.json` (their own bytes), and
/// `vulndb/db.json` with the snapshot's date.
fn add_vulndb(
    payload: &mut Payload,
    snapshot: &audit::vulns::Snapshot,
    dir: &Path,
) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(date) = &snapshot.modified {
        files.push((
            "db.json".into(),
            serde_json::to_vec(&serde_json::json!({"modified": date})).unwrap_or_default(),
        ));
    }
    for (adv, bytes) in &snapshot.advisories {
        let safe = !adv.id.is_empty()
            && adv
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !safe || adv.id.starts_with('.') {
            return Err(Error::Usage(format!(
                "vulnerability database: advisory id {:?} cannot be a file name",
                adv.id
            )));
        }
        files.push((format!("{}.json", adv.id), bytes.clone()));
    }
    for (name, bytes) in files {
        let path = dir.join(&name);
        fs::write(&path, bytes).map_err(Error::io(&path))?;
        payload.add_file(&format!("{VULNDB}{name}"), &path, 0o644, Storage::Deflated)?;
    }
    Ok(())
}

/// The CycloneDX SBOM of the vendored modules: licenses read from the
/// vendored tree, the graph from `go mod graph`.
fn sbom(
    go: &Go,
    tree: &Path,
    modfile: &ModFile,
    version: &str,
    epoch: Option<i64>,
    modules: &[Module],
    go_check: &go_verify::GoCheck,
) -> Result<Vec<u8>, Error> {
    let graph = audit::sbom::parse_graph(&go.mod_graph(tree)?);
    let licenses = audit::licenses(tree, go_check)
        .into_iter()
        .map(|m| (m.status.path, m.license))
        .collect();
    let main = MainModule {
        path: modfile.module.clone(),
        version: version.to_string(),
        go: modfile.go.clone(),
        toolchain: modfile.toolchain.clone(),
    };
    Ok(audit::sbom::cyclonedx(&audit::sbom::SbomInput {
        main: &main,
        created: &created(epoch),
        modules,
        licenses: &licenses,
        graph: &graph,
    }))
}

/// What the Dockerfile and the proof build, and what to warn about.
struct BuildPlan {
    spec: dockerfile::Spec,
    warnings: Vec<String>,
}

/// The Dockerfile's images (the bundled builder, else the official one for
/// go.mod, which the site must then provide), the builder's Go against
/// go.mod, and the warnings of `build::warnings`.
fn build_plan(
    opts: &PackOptions,
    modfile: &ModFile,
    pulled: &[pull::Bundled],
    tree: &Path,
) -> Result<BuildPlan, Error> {
    let role = |r: pull::Role| pulled.iter().find(|b| b.role == r);
    let builder = role(pull::Role::Builder);
    let builder_tag = builder.map_or_else(
        || dockerfile::default_builder(modfile.go.as_deref(), modfile.toolchain.as_deref()),
        |b| b.tag.clone(),
    );
    let mut warnings = Vec::new();
    let builder_go = match builder {
        Some(b) => b.go_version.as_deref().and_then(GoVersion::parse),
        None => {
            warnings.push(format!(
                "no --builder-image: the Dockerfile names {builder_tag}, which is NOT in the bundle; the site must provide it"
            ));
            builder_tag
                .strip_prefix("golang:")
                .and_then(GoVersion::parse)
        }
    };
    match (builder_go, modfile.go.as_deref()) {
        (Some(have), Some(line)) => {
            build::warnings::check_builder_go(&builder_tag, have, line).map_err(Error::Usage)?;
        }
        (None, _) => warnings.push(format!(
            "cannot tell which Go the builder image {builder_tag} has (no GOLANG_VERSION in its environment); it is not checked against go.mod"
        )),
        _ => {}
    }
    let missing = build::missing_includes(tree);
    warnings.extend(build::warnings::warnings(&build::warnings::Context {
        mode: opts.mode,
        modfile,
        builder_go,
        missing_includes: &missing,
    }));
    let spec = dockerfile::Spec {
        module: modfile.module.clone(),
        mode: opts.mode,
        main: opts.main.clone(),
        binary: binary_name(&modfile.module, &opts.main),
        tags: opts.tags.clone(),
        ldflags: opts.ldflags.clone(),
        builder: builder_tag,
        builder_bundled: builder.is_some(),
        runtime: role(pull::Role::Runtime).map(|r| r.tag.clone()),
        expose: opts.expose.clone(),
    };
    Ok(BuildPlan { spec, warnings })
}

fn read_modfile(dir: &Path) -> Result<ModFile, Error> {
    let path = dir.join("go.mod");
    if !path.is_file() {
        return Err(Error::Usage(format!(
            "{}: no go.mod: ferry packs a Go module",
            dir.display()
        )));
    }
    let text = fs::read_to_string(&path).map_err(Error::io(&path))?;
    Ok(modfile::parse(&text)?)
}

fn read_optional<T>(
    path: &Path,
    parse: fn(&str) -> Result<T, ParseError>,
) -> Result<Option<T>, Error> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(parse(&text)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

fn output_dir(output: &Path) -> Result<PathBuf, Error> {
    let dir = crate::fsutil::parent_dir(output);
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: the output's folder does not exist",
            dir.display()
        )));
    }
    Ok(dir.to_path_buf())
}

/// Go's own check that vendor/modules.txt agrees with go.mod ("inconsistent
/// vendoring"), run offline on the scratch tree.
fn check_vendor_consistency(go: &Go, tree: &Path) -> Result<(), Error> {
    if !tree.join("vendor/modules.txt").is_file() {
        return Ok(());
    }
    let mut cmd = go.command(tree);
    cmd.env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .args(["list", "-deps", "./..."]);
    go.run(&mut cmd, tree, true)?;
    Ok(())
}

/// Manifest modules from modules.txt, with the go.sum hashes of the code that
/// is really used (the replacement's, when a module is replaced by a version).
pub(crate) fn modules(vendored: &ModulesTxt, sum: &GoSum) -> Vec<Module> {
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

fn images(pulled: &[pull::Bundled]) -> Vec<manifest::Image> {
    let mut out: Vec<manifest::Image> = pulled
        .iter()
        .map(|b| manifest::Image {
            reference: b.reference.clone(),
            tag: b.tag.clone(),
            digest: b.digest.clone(),
            platform: b.platform.clone(),
            role: b.role.as_str().to_string(),
            entry: b.entry.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.entry.cmp(&b.entry));
    out
}

/// The binary's name: the main package's last path element, or the module's
/// without a `/vN` major-version suffix.
pub fn binary_name(module: &str, main: &str) -> String {
    let main = main.trim_start_matches("./").trim_end_matches('/');
    if !main.is_empty() && main != "." {
        return main.rsplit('/').next().unwrap_or(main).to_string();
    }
    let mut parts = module.rsplit('/');
    let last = parts.next().unwrap_or(module);
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit());
    match (is_major, parts.next()) {
        (true, Some(prev)) => prev.to_string(),
        _ => last.to_string(),
    }
}

pub(crate) fn source_date_epoch() -> Result<Option<i64>, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "SOURCE_DATE_EPOCH={s:?} is not a number of seconds"
            ))
        }),
        _ => Ok(None),
    }
}

/// 1980-01-01T00:00:00Z, the earliest time a zip entry can carry.
const ZIP_EPOCH: time::OffsetDateTime = match time::OffsetDateTime::from_unix_timestamp(315_532_800)
{
    Ok(t) => t,
    Err(_) => time::OffsetDateTime::UNIX_EPOCH,
};

/// The manifest's creation time: `SOURCE_DATE_EPOCH`, else the zip epoch, so
/// that a bundle never records when or where it was made unless asked.
pub(crate) fn created(epoch: Option<i64>) -> String {
    let t = epoch
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(ZIP_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `git describe --tags --always --dirty` of the packed tree, when it is a checkout.
pub(crate) fn describe_version(dir: &Path) -> String {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["describe", "--tags", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
        .unwrap_or_else(|| "unversioned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_names() {
        assert_eq!(binary_name("example.com/clockwork", "."), "clockwork");
        assert_eq!(binary_name("example.com/svc/v2", "."), "svc");
        assert_eq!(binary_name("example.com/svc", "./cmd/agent"), "agent");
        assert_eq!(binary_name("v2", "."), "v2");
    }
}
