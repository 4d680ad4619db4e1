//! `ferry generate`: the man page and shell completions, made from the same
//! clap definitions that parse the command line, so they cannot drift.

use std::io::Write;

use clap::CommandFactory;
use ferry::Exit;

use crate::flags::{Cli, GenerateArgs, Generated};

/// Renders into a buffer first, so a closed pipe can only cut the output,
/// never a generator in the middle of its work.
pub fn run(args: GenerateArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    match args.what {
        Generated::Man => clap_mangen::Man::new(cmd).render(&mut buf)?,
        Generated::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "ferry", &mut buf)
        }
        Generated::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "ferry", &mut buf)
        }
        Generated::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "ferry", &mut buf)
        }
    }
    out.write_all(&buf)?;
    Ok(Exit::Ok)
}
