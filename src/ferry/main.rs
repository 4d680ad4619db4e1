//! The `ferry` binary: parse the command line, run one subcommand, and turn
//! its outcome into the exit code of the README's table. All logic lives in the library.

mod approve;
mod audit;
mod build;
mod context;
mod diff;
mod flags;
mod generate;
mod images;
mod keygen;
mod modules;
mod output;
mod pack;
mod progress;
mod split;
mod table;
mod unpack;
mod verify;

use std::process::ExitCode;

use clap::Parser;
use ferry::{Classify, Exit};

use flags::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = cli.quiet;
    let json = cli.command.wants_json();
    let out = &mut output::stdout();
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(args, quiet, out),
        Command::Pack(args) => pack::run(args, quiet, out),
        Command::Verify(args) => verify::run(args, quiet, out),
        Command::Approve(args) => approve::run(args, quiet, out),
        Command::Split(args) => split::run(args, quiet, out),
        Command::Unpack(args) => unpack::run(args, quiet, out),
        Command::Generate(args) => generate::run(args, out),
        Command::Build(args) => build::run(args, quiet, out),
        Command::Images(cmd) => images::run(cmd, quiet, out),
        Command::Modules(cmd) => modules::run(cmd, quiet, out),
        Command::Audit(args) => audit::run(args, quiet, out),
        Command::Diff(args) => diff::run(args, quiet, out),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            let exit = classify(&err);
            eprintln!("ferry: error: {}", message(&err));
            if json {
                let _ = output::json_error(out, &message(&err), exit, failed_check(&err));
            }
            ExitCode::from(exit.code())
        }
    }
}

/// Which check a failure stopped at, named as `verify --json` names checks:
/// a bundle that cannot be read did not fail its signature.
fn failed_check(err: &anyhow::Error) -> &'static str {
    use ferry::Error;
    use ferry::bundle::diags::BundleError;
    let Some(e) = err.chain().find_map(|c| c.downcast_ref::<Error>()) else {
        return "run";
    };
    match e {
        Error::Bundle(BundleError::Signature { .. }) => "signature",
        Error::Bundle(BundleError::Parts(_)) => "parts",
        Error::Bundle(BundleError::WrongBase { .. }) => "base",
        Error::Sign(_) => "key",
        Error::Approval(_) => "approvals",
        Error::Bundle(BundleError::Io { .. }) | Error::Io { .. } => "read",
        Error::Bundle(BundleError::Unreadable { .. }) => "format",
        Error::Bundle(BundleError::Rejected(_)) => "entries",
        Error::Usage(_) => "usage",
        Error::Refused(r) if r.exit() == Exit::Usage => "usage",
        Error::Findings(_) | Error::GoCheck(_) => "go",
        Error::Image(_) => "images",
        Error::Build(_) => "build",
        Error::Export(_) => "export",
        _ => "run",
    }
}

/// The error and its causes, each once: library errors already name their
/// source (`path: cause`), so a cause the text ends with is not repeated.
fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// The exit class of the first library error in the chain; anything else
/// (a failure outside the library) means ferry could not run.
fn classify(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<ferry::Error>())
        .map_or(Exit::CouldNotRun, Classify::exit)
}
