//! The `ferry` binary: parse the command line, run one subcommand, and turn
//! its outcome into the exit code of DESIGN.md. All logic lives in the library.

mod audit;
mod build;
mod context;
mod diff;
mod flags;
mod generate;
mod images;
mod keygen;
mod output;
mod pack;
mod progress;
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
    let out = &mut output::stdout();
    let result = match cli.command {
        Command::Keygen(args) => keygen::run(args, quiet, out),
        Command::Pack(args) => pack::run(args, quiet, out),
        Command::Verify(args) => verify::run(args, quiet, out),
        Command::Unpack(args) => unpack::run(args, quiet, out),
        Command::Generate(args) => generate::run(args, out),
        Command::Build(args) => build::run(args, quiet, out),
        Command::Images(cmd) => images::run(cmd, quiet, out),
        Command::Audit(args) => audit::run(args, quiet, out),
        Command::Diff(args) => diff::run(args, quiet, out),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) => {
            eprintln!("ferry: error: {}", message(&err));
            ExitCode::from(classify(&err).code())
        }
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
