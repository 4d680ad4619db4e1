//! `build`: the offline build of an unpacked bundle, for sites with Go and
//! no container engine: ferry.json checked against its signature by a trusted
//! key and its fields against their rules, src/ against ferry.json, then
//! built as the manifest says, with `<binary>.intoto.json` beside it: what
//! was built, from what, and how (an unsigned SLSA provenance statement).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use super::target::Opened;
use crate::audit::sbom;
use crate::build::provenance::{self, Pinned};
use crate::build::warnings::{self, Warning};
use crate::build::{self, Built};
use crate::dockerfile::{MainPackage, Spec, Target};
use crate::error::Error;
use crate::gomod::modfile::ModFile;
use crate::gomod::{dirhash, modfile};
use crate::image::Role;
use crate::sign::TrustedKeys;
use crate::source::Layout;

/// What `ferry build` made.
#[derive(Debug)]
pub struct Outcome {
    /// Each binary, in the manifest's order, with its provenance.
    pub binaries: Vec<Binary>,
    /// How the build may differ from module mode.
    pub warnings: Vec<Warning>,
    /// With `build.cgo`: the C compiler the build ran on the vendored C code.
    pub cgo_compiler: Option<String>,
}

/// One binary `ferry build` made.
#[derive(Debug)]
pub struct Binary {
    pub built: Built,
    /// `<binary>.intoto.json`, beside the binary.
    pub provenance: PathBuf,
}

/// `./<binary>`: in the working folder, whatever the manifest says (its
/// fields were checked; a name that is not a plain file name is refused even so).
fn default_output(binary: &str) -> Result<PathBuf, Error> {
    let path = Path::new(binary);
    match path.file_name() {
        Some(name) if path.components().count() == 1 && name == binary => Ok(path.to_path_buf()),
        _ => Err(Error::Usage(format!(
            "build.binary {binary:?} is not a plain file name; pass -o PATH"
        ))),
    }
}

/// Where each binary goes: `-o` is the binary's path when there is one and
/// it names no folder; an existing folder gets every binary under its own
/// name, as `go build -o` treats one; no `-o` is the working folder. A path
/// ending in `/` names a folder, which must exist.
fn outputs(mains: &[MainPackage], out: Option<&Path>) -> Result<Vec<PathBuf>, Error> {
    let names = || {
        mains
            .iter()
            .map(|m| default_output(&m.binary))
            .collect::<Result<Vec<_>, _>>()
    };
    let paths = match out {
        None => names()?,
        Some(dir) if dir.is_dir() => names()?.iter().map(|n| dir.join(n)).collect(),
        Some(dir) if dir.as_os_str().as_encoded_bytes().ends_with(b"/") => {
            return Err(Error::Usage(format!(
                "-o {}: no such folder; create it first, or name the binary's path without a final /",
                dir.display()
            )));
        }
        Some(file) if mains.len() == 1 => vec![file.to_path_buf()],
        Some(other) => {
            let list: Vec<&str> = mains.iter().map(|m| m.binary.as_str()).collect();
            return Err(Error::Usage(format!(
                "the bundle builds {} binaries ({}): -o {} must be an existing folder to write each into",
                mains.len(),
                list.join(", "),
                other.display()
            )));
        }
    };
    let paths = paths
        .iter()
        .map(|p| std::path::absolute(p).map_err(Error::io(p)))
        .collect::<Result<Vec<_>, _>>()?;
    distinct_outputs(&paths)?;
    Ok(paths)
}

/// `<binary>.intoto.json`, beside the binary.
fn provenance_path(binary: &Path) -> PathBuf {
    let mut name = binary.as_os_str().to_os_string();
    name.push(provenance::SUFFIX);
    PathBuf::from(name)
}

/// No binary and no provenance file may land where another one does: a
/// binary named like another's `.intoto.json` would be overwritten by it.
fn distinct_outputs(binaries: &[PathBuf]) -> Result<(), Error> {
    for (i, b) in binaries.iter().enumerate() {
        for other in binaries.iter().take(i) {
            if other == b || provenance_path(other) == *b || provenance_path(b) == *other {
                return Err(Error::Usage(format!(
                    "{} and {} would overwrite each other (a binary and its {} provenance share a folder); nothing was built",
                    other.display(),
                    b.display(),
                    provenance::SUFFIX
                )));
            }
        }
    }
    Ok(())
}

/// Builds the unpacked bundle at `dir`, each binary as [`outputs`] places
/// it, and writes its provenance beside it.
pub fn run(
    dir: &Path,
    keys: &TrustedKeys,
    out: Option<&Path>,
    ctx: &Context,
) -> Result<Outcome, Error> {
    let site = super::target::open_proven(dir, keys, &["src/"], ctx)
        .map_err(super::target::no_base_here("build", "build"))?;
    let go = ctx.go()?;
    let src = site.root.join("src");
    let layout = &site.manifest.module.layout;
    let modfile = build_modfile(&src, layout)?;
    let b = &site.manifest.build;
    let spec = Spec {
        module: site.manifest.module.path.clone(),
        mode: b.mode,
        mains: b.mains.clone(),
        tags: b.tags.clone(),
        ldflags: b.ldflags.clone(),
        cgo: b.cgo,
        builder: String::new(),
        builder_bundled: false,
        runtime: None,
        expose: Vec::new(),
        layout: site.manifest.module.layout.clone(),
        target: target(&site, &go)?,
    };
    let missing = build::missing_includes(&src.join(layout.vendor_root()));
    let notes = warnings::warnings(&warnings::Context {
        mode: b.mode,
        modfile: &modfile,
        builder_go: warnings::GoVersion::parse(&go.version),
        go_of: warnings::GoOf::Site,
        go_file: layout.go_file(),
        missing_includes: &missing,
    });
    let outs = outputs(&b.mains, out)?;
    let cgo_compiler = match spec.cgo {
        true => Some(build::c_compiler(&go, &site.root, &spec)?),
        false => None,
    };
    let stage = Stage::new(&outs)?;
    let started_on = now();
    let built = build::offline(&go, &src, &spec, &stage.paths, &ctx.temp_dir)
        .map_err(|e| stage.as_placed(e, &outs))?;
    let mut staged = Vec::new();
    for (built, main) in built.into_iter().zip(&spec.mains) {
        let provenance = write_provenance(&site, &spec, main, &built, &started_on)?;
        staged.push(Binary { built, provenance });
    }
    // Every binary was built and checked: only now does any reach its place.
    let binaries = stage.place(staged, &outs)?;
    Ok(Outcome {
        binaries,
        warnings: notes,
        cgo_compiler,
    })
}

/// A private folder beside the outputs where each binary and its provenance
/// are made, renamed into place once all of them are: a failed build leaves
/// nothing of itself behind.
struct Stage {
    _dir: tempfile::TempDir,
    /// Where each binary is built, named as it will be.
    paths: Vec<PathBuf>,
}

impl Stage {
    /// One staging folder in the outputs' folder (they share one).
    fn new(outs: &[PathBuf]) -> Result<Stage, Error> {
        let parent = outs
            .first()
            .map_or(Path::new("."), |o| crate::fsutil::parent_dir(o));
        let dir = crate::temp::dir_in("build-out", parent).map_err(Error::io(parent))?;
        let paths = outs
            .iter()
            .map(|o| dir.path().join(o.file_name().unwrap_or_default()))
            .collect();
        Ok(Stage { _dir: dir, paths })
    }

    /// A build error that names a staged binary names its output path instead:
    /// the staging folder is gone by the time the user reads it.
    fn as_placed(&self, e: build::BuildError, outs: &[PathBuf]) -> build::BuildError {
        match e {
            build::BuildError::NotExecutable {
                package,
                path,
                reason,
            } => {
                let at = self.paths.iter().position(|p| *p == path);
                build::BuildError::NotExecutable {
                    package,
                    path: at.and_then(|i| outs.get(i).cloned()).unwrap_or(path),
                    reason,
                }
            }
            other => other,
        }
    }

    /// Renames each staged binary, then its provenance, to its output path.
    fn place(self, staged: Vec<Binary>, outs: &[PathBuf]) -> Result<Vec<Binary>, Error> {
        let mut placed = Vec::new();
        for (b, out) in staged.into_iter().zip(outs) {
            let prov = provenance_path(out);
            std::fs::rename(&b.built.binary, out).map_err(Error::io(out))?;
            std::fs::rename(&b.provenance, &prov).map_err(Error::io(&prov))?;
            placed.push(Binary {
                built: Built {
                    binary: out.clone(),
                    ..b.built
                },
                provenance: prov,
            });
        }
        Ok(placed)
    }
}

/// What the build is for: the platform of the bundle's builder image (the
/// `--platform` pack pulled it for), else the machine's, as its Go reports
/// it (`GOHOSTOS`, `GOHOSTARCH`); never the caller's `GOOS` or `GOARCH`.
fn target(site: &Opened, go: &crate::gomod::toolchain::Go) -> Result<Target, Error> {
    let builder = site
        .manifest
        .images
        .iter()
        .find(|i| i.role == Role::Builder);
    if let Some(image) = builder {
        return super::target_of(&image.platform);
    }
    Ok(Target {
        os: go.env(&site.root, "GOHOSTOS")?,
        arch: go.env(&site.root, "GOHOSTARCH")?,
    })
}

/// go.mod as the build reads it: in a workspace, go.work's `go` and
/// `godebug` lines are the ones that set the program's GODEBUG defaults.
fn build_modfile(src: &Path, layout: &Layout) -> Result<ModFile, Error> {
    let path = src.join(&layout.module_dir).join("go.mod");
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    let mut modfile = modfile::parse(&text)?;
    if let Some(ws) = &layout.workspace {
        let path = src.join(&ws.dir).join("go.work");
        let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
        let work = crate::gomod::workfile::parse(&text)?;
        modfile.go = work.go.or(modfile.go);
        modfile.godebug = work.godebug;
    }
    Ok(modfile)
}

/// The system clock, RFC 3339 in UTC: the one place `build` reads it.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `<binary>.intoto.json` in the binary's folder, written whole (a
/// temporary there, then one rename).
fn write_provenance(
    site: &Opened,
    spec: &Spec,
    main: &MainPackage,
    built: &Built,
    started_on: &str,
) -> Result<PathBuf, Error> {
    let binary = &built.binary;
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{}: not a file name", binary.display())))?;
    let mut file = std::fs::File::open(binary).map_err(Error::io(binary))?;
    let binary_sha256 = hex::encode(dirhash::sha256_reader(&mut file).map_err(Error::io(binary))?);
    let manifest = &site.manifest;
    let manifest_sha256 = site
        .manifest_sha256
        .as_deref()
        .ok_or_else(|| Error::Usage("the signed ferry.json's digest was not kept".into()))?;
    // A local-path replacement has no version and no h1: its files are
    // pinned by ferry.json, recorded below, and left out here.
    let modules: Vec<Pinned> = manifest
        .modules
        .iter()
        .filter_map(|m| match (sbom::code(m), &m.h1) {
            ((path, Some(version)), Some(h1)) => Some(Pinned {
                uri: sbom::purl(path, Some(version)),
                digest: h1.clone(),
            }),
            _ => None,
        })
        .collect();
    let images: Vec<Pinned> = manifest
        .images
        .iter()
        .filter(|i| i.role == Role::Builder)
        .map(|i| Pinned {
            uri: i.reference.clone(),
            digest: i.digest.clone(),
        })
        .collect();
    let statement = provenance::statement(&provenance::Inputs {
        binary: &name,
        binary_sha256: &binary_sha256,
        manifest_sha256,
        spec,
        main,
        module_version: &manifest.module.version,
        go_version: &built.go_version,
        isolation: built.isolation,
        modules: &modules,
        images: &images,
        started_on,
        finished_on: &now(),
    });
    let dir = crate::fsutil::parent_dir(binary);
    let path = provenance_path(binary);
    let mut temp =
        crate::temp::file_in("provenance", dir, provenance::SUFFIX).map_err(Error::io(dir))?;
    let write = |temp: &mut tempfile::NamedTempFile| -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        temp.write_all(&provenance::to_bytes(&statement))?;
        // Readable like the binary it describes, and on disk before it is named.
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        temp.as_file().sync_all()
    };
    write(&mut temp).map_err(Error::io(temp.path()))?;
    temp.persist(&path).map_err(|e| Error::io(&path)(e.error))?;
    Ok(path)
}
