//! Subcommands of the contract that are not built yet: they say so and exit 2,
//! never pretending to succeed.

use ferry::Exit;

pub fn run(command: &'static str, issue: u32) -> anyhow::Result<Exit> {
    Err(ferry::Error::NotBuilt(command, issue).into())
}
