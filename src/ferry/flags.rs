//! The command line (docs/guide.md), declared once with clap; help, the man page
//! and shell completions are all generated from these definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferry::bundle::parts::size::PartSize;

#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    about = "Carry a Go service across an air gap in one signed, verifiable bundle",
    long_about = None,
    after_help = "Exit codes: 0 ok; 1 a check failed (tampering, mismatch, bad signature); 2 usage error; 3 could not run (no go, network, I/O)."
)]
pub struct Cli {
    /// Print nothing but errors and requested results; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a minisign-compatible Ed25519 key pair: PREFIX.key and PREFIX.pub.
    Keygen(KeygenArgs),
    /// Connected side: vendor, check and sign a Go module into one bundle.
    Pack(PackArgs),
    /// Check a bundle's signature, then every entry, writing nothing.
    Verify(VerifyArgs),
    /// Cut a bundle into parts with a signed index, for media of any size.
    Split(SplitArgs),
    /// Reviewer side: approve a bundle's signed manifest with your own key.
    Approve(ApproveArgs),
    /// Verify a bundle and extract it into a new or empty folder.
    Unpack(UnpackArgs),
    /// Build an unpacked bundle offline with the local Go toolchain.
    Build(BuildArgs),
    /// List bundled base images, or push them to an intranet registry.
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Merge a bundle's module download cache into a module proxy's folder.
    #[command(subcommand)]
    Modules(ModulesCommand),
    /// Report on the vendored dependencies of a bundle or a Go module folder.
    Audit(AuditArgs),
    /// Show what third-party code changed between two bundles.
    Diff(DiffArgs),
    /// Print the man page or a shell completion script.
    Generate(GenerateArgs),
}

impl Command {
    /// Whether the command was asked for machine-readable output, so that
    /// a failure is reported as JSON on stdout too.
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Pack(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Approve(a) => a.json,
            Command::Split(a) => a.json,
            Command::Unpack(a) => a.json,
            Command::Images(ImagesCommand::List(a)) => a.json,
            Command::Modules(ModulesCommand::Export(a)) => a.json,
            Command::Audit(a) => !matches!(a.format, AuditFormat::Table),
            Command::Diff(a) => matches!(a.format, DiffFormat::Json),
            _ => false,
        }
    }
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Path prefix of the key files.
    #[arg(short, long, value_name = "PREFIX", default_value = "ferry")]
    pub output: PathBuf,
    /// Leave the secret key unencrypted (as `minisign -G -W`); otherwise the
    /// password comes from FERRY_KEY_PASSWORD or a prompt.
    #[arg(long)]
    pub no_password: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// GO111MODULE=off with the source under $GOPATH/src (the classic recipe).
    Gopath,
    /// Module mode with -mod=vendor.
    Vendor,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The Go module to pack.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The bundle to write.
    #[arg(short, long, value_name = "BUNDLE")]
    pub output: PathBuf,
    /// The minisign secret key that signs the bundle.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// The Go builder image to bundle and name in the Dockerfile.
    #[arg(long, value_name = "REF")]
    pub builder_image: Option<String>,
    /// The runtime base image of the final stage.
    #[arg(long, value_name = "REF", default_value = "scratch")]
    pub runtime_image: String,
    /// A further image to bundle (repeatable).
    #[arg(long = "image", value_name = "REF")]
    pub images: Vec<String>,
    /// A `docker save` tar or OCI archive to take an image from instead of
    /// pulling it (repeatable); it fills the builder or runtime role when it
    /// holds that reference.
    #[arg(long, value_name = "FILE")]
    pub image_archive: Vec<PathBuf>,
    /// The platform to resolve image indexes to.
    #[arg(long, value_name = "OS/ARCH", default_value = "linux/amd64")]
    pub platform: String,
    /// A registry (HOST[:PORT]) spoken to over plain HTTP (repeatable).
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// How the offline build finds vendored code.
    #[arg(long, value_enum, default_value = "gopath")]
    pub mode: Mode,
    /// A main package to build, relative to the module root (repeatable; the
    /// first is the image's entry point). Default: the root if it is package
    /// main, else the only main package in the module.
    #[arg(long = "main", value_name = "PKG")]
    pub main_pkg: Vec<String>,
    /// Build with cgo (CGO_ENABLED=1): the builder image needs a C toolchain,
    /// the runtime image a libc.
    #[arg(long)]
    pub cgo: bool,
    /// Build tags, comma-separated.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Extra -ldflags, after "-s -w".
    #[arg(
        long,
        value_name = "FLAGS",
        default_value = "",
        allow_hyphen_values = true
    )]
    pub ldflags: String,
    /// A Go vulnerability database snapshot (OSV JSON: a folder, or the zip
    /// vuln.go.dev publishes) to bundle for `ferry audit --vulns`.
    #[arg(long, value_name = "DIR|ZIP")]
    pub vulndb: Option<PathBuf>,
    /// A port the service listens on: EXPOSE in the Dockerfile (repeatable).
    #[arg(long, value_name = "PORT")]
    pub expose: Vec<u16>,
    /// Skip the offline build proof (the manifest records that it was skipped).
    #[arg(long)]
    pub no_build_check: bool,
    /// Also carry the build list's module cache (GOPROXY layout: .info, .mod,
    /// .zip) for `go mod verify` at the site or `ferry modules export`;
    /// without it the bundle proves each module zip without carrying it.
    #[arg(long)]
    pub with_modcache: bool,
    /// Regenerate a committed vendor/ with `go mod vendor` instead of checking it.
    #[arg(long)]
    pub revendor: bool,
    /// Write parts of SIZE bytes (BUNDLE.001, … and the signed index
    /// BUNDLE.parts) instead of one file: 650M, 4G (powers of 1000), 1GiB
    /// (powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = part_size)]
    pub split: Option<PartSize>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub base: BaseArg,
    /// A public key the --base bundle may be signed by, or a folder of .pub
    /// files (repeatable), e.g. after a key rotation. Default: the public
    /// half of --key. Used for the base only.
    #[arg(long = "pub", value_name = "PUB", requires = "base")]
    pub pub_keys: Vec<PathBuf>,
}

/// A `--split`/`--size` value, as `bundle::parts::size` reads it.
fn part_size(text: &str) -> Result<PartSize, String> {
    ferry::bundle::parts::size::parse(text)
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The bundle to cut; it stays as it is.
    pub bundle: PathBuf,
    /// The size of each part (the last may be smaller): 650M, 4G (powers of
    /// 1000), 1GiB (powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = part_size)]
    pub size: PartSize,
    /// The minisign secret key that signs the index; the bundle must be
    /// signed by the same key.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    pub bundle: PathBuf,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub approvals: ApprovalArgs,
    /// Print a machine-readable report of every check that ran.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub base: BaseArg,
}

/// `--base OLD`: a delta bundle against the release the site holds.
#[derive(Debug, Args)]
pub struct BaseArg {
    /// The release the site already has (a bundle, its parts index, or a
    /// folder unpack wrote): pack writes a delta over it; the readers read
    /// a delta against it.
    #[arg(long, value_name = "OLD")]
    pub base: Option<PathBuf>,
}

/// The reviewer approvals a reading command requires (`ferry approve`).
#[derive(Debug, Args)]
pub struct ApprovalArgs {
    /// Refuse unless N distinct approver keys (never the bundle's signer)
    /// approved this exact signed manifest.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub require_approvals: usize,
    /// An approver's public key, or a folder of .pub files (repeatable).
    /// Default: the folder $FERRY_APPROVERS, else /etc/ferry/approvers.d/.
    #[arg(long, value_name = "PUB")]
    pub approver: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// A bundle file (the approval goes to BUNDLE.approvals/) or an
    /// unpacked bundle folder (to DIR/approvals/).
    #[arg(value_name = "BUNDLE|DIR")]
    pub target: PathBuf,
    /// The reviewer's minisign secret key.
    #[arg(long, value_name = "KEY")]
    pub key: PathBuf,
    /// Words for the record, one line: the end of the trusted comment.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub comment: String,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UnpackArgs {
    pub bundle: PathBuf,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub approvals: ApprovalArgs,
    /// The folder to create (it must not exist, or be empty).
    #[arg(short = 'C', value_name = "DEST")]
    pub dest: PathBuf,
    /// Print a machine-readable report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub base: BaseArg,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// An unpacked bundle folder.
    pub dir: PathBuf,
    /// Where to write the binary (default: ./NAME, NAME from the manifest),
    /// or an existing folder to write each binary into (which it must be when
    /// the bundle has several); each provenance goes beside its binary as
    /// NAME.intoto.json.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub approvals: ApprovalArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Push every bundled image to a registry, digests checked.
    Push(ImagesPushArgs),
    /// Reference, digest, platform and size of each bundled image.
    List(ImagesListArgs),
}

#[derive(Debug, Args)]
pub struct ImagesTarget {
    /// An unpacked bundle (DIR) or a bundle file.
    pub target: PathBuf,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub base: BaseArg,
}

#[derive(Debug, Args)]
pub struct ImagesPushArgs {
    #[command(flatten)]
    pub target: ImagesTarget,
    /// The registry to push to.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub registry: String,
    /// Speak plain HTTP to this registry: as a flag, the --registry itself;
    /// with =HOST, that host (repeatable).
    #[arg(long, value_name = "HOST", num_args = 0..=1, default_missing_value = "")]
    pub insecure_registry: Vec<String>,
    /// A path inside the registry to push under (`base` gives HOST/base/golang:1.26).
    #[arg(long, value_name = "P")]
    pub repo_prefix: Option<String>,
    #[command(flatten)]
    pub approvals: ApprovalArgs,
}

#[derive(Debug, Args)]
pub struct ImagesListArgs {
    #[command(flatten)]
    pub target: ImagesTarget,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModulesCommand {
    /// Write the bundle's modcache/ into a module proxy's folder, merged
    /// with what is there; a file already there with other bytes fails the
    /// export and nothing is written.
    Export(ModulesExportArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModulesLayout {
    /// `<escaped path>/@v/{list,VERSION.info,.mod,.zip}`: what
    /// GOPROXY=file://FOLDER and any static web server serve.
    Goproxy,
    /// Athens' disk storage: `<path>/<version>/{go.mod,source.zip,<version>.info}`.
    Athens,
}

#[derive(Debug, Args)]
pub struct ModulesExportArgs {
    /// An unpacked bundle (DIR) or a bundle file.
    #[arg(value_name = "BUNDLE|DIR")]
    pub target: PathBuf,
    /// The module proxy's folder (made when missing; its parent must exist).
    #[arg(long, value_name = "FOLDER")]
    pub to: PathBuf,
    /// How the proxy lays out its files.
    #[arg(long, value_enum, default_value = "goproxy")]
    pub layout: ModulesLayout,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    /// The CycloneDX SBOM (with `vulnerabilities` when --vulns).
    Cyclonedx,
    /// An OpenVEX document: one statement per vulnerability match, its
    /// status from what the code calls (needs --vulns or --vulndb).
    Openvex,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A bundle, or a Go module folder with a vendor/.
    pub target: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: AuditFormat,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    /// For a bundle: list its reviewer approvals (who, and whether each
    /// counts) instead of its modules.
    #[arg(long)]
    pub approvals: bool,
    #[command(flatten)]
    pub approval: ApprovalArgs,
    /// For a folder: the module download cache in GOPROXY layout (default:
    /// $GOMODCACHE/cache/download); without one, zip checks are "not checked".
    #[arg(long, value_name = "DIR")]
    pub modcache: Option<PathBuf>,
    /// Fail (exit 1) when a module's license expression needs this license
    /// (SPDX id, or "unknown"; an OR fails only when every side does);
    /// repeatable.
    #[arg(long, value_name = "ID")]
    pub deny_license: Vec<String>,
    /// Fail (exit 1) when a module's license expression cannot be met with
    /// the licenses named here (an OR needs one side, an AND all); repeatable.
    #[arg(long, value_name = "ID")]
    pub allow_license: Vec<String>,
    /// Match every module version against a vulnerability database snapshot
    /// (the bundle's own, revised by a newer --vulndb), each match with how close the code
    /// comes (govulncheck's scan: at pack time for a bundle, now for a
    /// folder); exit 1 on a known vulnerability.
    #[arg(long)]
    pub vulns: bool,
    /// For a folder with --vulndb: the build tags govulncheck scans with
    /// (comma-separated; a bundle's scan used pack's --tags).
    #[arg(long, value_name = "TAGS", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// For a folder with --vulndb: the platform govulncheck scans for, as
    /// pack builds it (GOOS/GOARCH; a bundle's scan used pack's --platform).
    #[arg(long, value_name = "OS/ARCH", default_value = "linux/amd64")]
    pub platform: String,
    /// For a folder with --vulndb: scan with cgo on (CGO_ENABLED=1), as
    /// `pack --cgo` builds; off by default, as pack builds.
    #[arg(long)]
    pub cgo: bool,
    /// The snapshot to match against (OSV JSON folder or zip); implies
    /// --vulns. For a bundle, a newer one than it carries (an older one is
    /// refused): advisories its own did not hold are marked new since the
    /// pack, revised ones changed since. For a folder, govulncheck runs
    /// against it.
    #[arg(long, value_name = "DIR|ZIP")]
    pub vulndb: Option<PathBuf>,
    #[command(flatten)]
    pub base: BaseArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiffFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The approved bundle (or unpacked folder).
    pub old: PathBuf,
    /// The bundle (or unpacked folder) to review.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// List each vendored file added, removed or changed.
    #[arg(long)]
    pub files: bool,
    /// A trusted public key, or a folder of .pub files (repeatable; any one
    /// may have signed). Default: the folder $FERRY_TRUSTED_KEYS, else
    /// /etc/ferry/trusted.d/.
    #[arg(long = "pub", value_name = "PUB")]
    pub pub_keys: Vec<PathBuf>,
    #[command(flatten)]
    pub base: BaseArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Generated {
    Man,
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(value_enum)]
    pub what: Generated,
}
