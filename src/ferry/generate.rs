//! `ferry generate`: the man page and shell completions, made from the same
//! clap definitions that parse the command line, so they cannot drift.

use clap::CommandFactory;
use ferry::Exit;

use crate::flags::{Cli, GenerateArgs, Generated};

pub fn run(args: GenerateArgs) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    match args.what {
        Generated::Man => clap_mangen::Man::new(cmd).render(&mut out)?,
        Generated::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "ferry", &mut out)
        }
        Generated::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "ferry", &mut out)
        }
        Generated::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "ferry", &mut out)
        }
    }
    Ok(Exit::Ok)
}
