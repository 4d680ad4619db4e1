//! `ferry keygen`: a new minisign key pair, never overwriting one.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use ferry::sign::{self, PASSWORD_ENV};
use ferry::{Error, Exit};

use crate::flags::KeygenArgs;
use crate::output::say;

pub fn run(args: KeygenArgs, quiet: bool, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let password = if args.no_password {
        None
    } else if let Ok(pw) = std::env::var(PASSWORD_ENV) {
        Some(pw)
    } else if std::io::stdin().is_terminal() {
        Some(prompt_twice()?)
    } else {
        return Err(Error::Usage(format!(
            "the secret key needs a password: set {PASSWORD_ENV}, or pass --no-password for an unencrypted key"
        ))
        .into());
    };
    let (sk, pk) = sign::keygen(&args.output, password)
        .map_err(Error::from)
        .context("keygen")?;
    if !quiet {
        say!(
            out,
            "secret key: {} (keep it on the connected side)",
            sk.display()
        );
        say!(
            out,
            "public key: {} (give it to the operators)",
            pk.display()
        );
    }
    Ok(Exit::Ok)
}

fn prompt_twice() -> anyhow::Result<String> {
    let first = rpassword::prompt_password("Password for the new secret key: ")?;
    if first != rpassword::prompt_password("Password again: ")? {
        return Err(Error::Usage("the two passwords differ".into()).into());
    }
    Ok(first)
}
