//! go.work: the `go`/`toolchain`/`godebug` lines and the `use` and `replace`
//! directives, single-line or in blocks, as `go work` writes them. The
//! workspace's module folders are read from here on both sides of the gap.

use super::ParseError;
use super::modfile::{self, Replace};

/// The parts of go.work that ferry reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkFile {
    pub go: Option<String>,
    pub toolchain: Option<String>,
    pub godebug: Vec<String>,
    /// Each `use` folder as written, relative to go.work's folder.
    pub uses: Vec<String>,
    pub replaces: Vec<Replace>,
}

const FILE: &str = "go.work";

/// Parses go.work text.
pub fn parse(text: &str) -> Result<WorkFile, ParseError> {
    let mut wf = WorkFile::default();
    let mut block: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let (tokens, _) = modfile::tokenize(raw).map_err(|m| ParseError::new(FILE, n, m))?;
        if tokens.is_empty() {
            continue;
        }
        match &block {
            Some(_) if tokens == [")"] => block = None,
            Some((verb, _)) => {
                let verb = verb.clone();
                directive(&mut wf, &verb, &tokens, n)?;
            }
            None if tokens.len() == 2 && tokens[1] == "(" => {
                block = Some((tokens[0].clone(), n));
            }
            None => directive(&mut wf, &tokens[0], &tokens[1..], n)?,
        }
    }
    match block {
        Some((verb, n)) => Err(ParseError::new(
            FILE,
            n,
            format!("{verb} block is never closed"),
        )),
        None => Ok(wf),
    }
}

fn directive(wf: &mut WorkFile, verb: &str, args: &[String], n: usize) -> Result<(), ParseError> {
    let err = |m: String| ParseError::new(FILE, n, m);
    match (verb, args) {
        ("go", [v]) => wf.go = Some(v.clone()),
        ("toolchain", [v]) => wf.toolchain = Some(v.clone()),
        ("godebug", [kv]) => wf.godebug.push(kv.clone()),
        ("use", [dir]) => wf.uses.push(dir.clone()),
        ("replace", _) => wf.replaces.push(modfile::replace(args).map_err(err)?.at(n)),
        ("go" | "toolchain" | "godebug" | "use", _) => {
            return Err(err(format!(
                "malformed {verb} directive: {}",
                args.join(" ")
            )));
        }
        _ => return Err(err(format!("unknown directive {verb:?}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_go_work_writes() {
        let text = "go 1.22\n\ntoolchain go1.22.4\n\nuse (\n\t./lib\n\t./service // the binary\n)\n\nuse \"./tools dir\"\n\nreplace example.com/x v1.0.0 => ../x\n";
        let wf = parse(text).unwrap();
        assert_eq!(wf.go.as_deref(), Some("1.22"));
        assert_eq!(wf.toolchain.as_deref(), Some("go1.22.4"));
        assert_eq!(wf.uses, ["./lib", "./service", "./tools dir"]);
        assert_eq!(wf.replaces.len(), 1);
        assert_eq!(wf.replaces[0].with.path, "../x");
        assert_eq!(wf.replaces[0].line, 12);
    }

    #[test]
    fn malformed_input_names_the_line() {
        let e = parse("go 1.22\nuse ./a ./b\n").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("go.work", 2));
        assert_eq!(parse("use (\n./a\n").unwrap_err().line, 1);
        assert_eq!(parse("module x\n").unwrap_err().line, 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_errors_name_a_real_line(
            lines in proptest::collection::vec("(use|go|toolchain|godebug|replace|\\(|\\)|=>|\"|`| |//|[a-z./]{1,6}|v1\\.[0-9]){0,8}", 0..30)
        ) {
            let text = lines.join("\n");
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1));
            }
        }
    }
}
