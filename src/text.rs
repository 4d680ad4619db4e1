//! Text rules and layouts every layer shares: the characters a name a person
//! reads may not hide, and the one-item-a-line lists that error messages show.

/// Format characters (bidi overrides, zero-width) that make a name read
/// differently than it compares: refused by the rules for names a person
/// reads (file names, versions).
pub fn invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// The items an error reports, one a line, each indented by two spaces.
pub fn indented<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|item| format!("  {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One word as a POSIX shell reads it back unchanged: bare when it holds
/// only characters no shell treats specially, else in single quotes (a `'`
/// inside written as `'\''`), so that a pasted command line runs as shown.
pub fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A command line as a shell would read it back: each word [`shell_quote`]d.
pub fn shell_line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| shell_quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare() {
        for w in [
            "go",
            "build",
            "-trimpath",
            "./cmd/x",
            "-tags=a,b",
            "/out/app",
        ] {
            assert_eq!(shell_quote(w), w);
        }
    }

    #[test]
    fn words_a_shell_would_split_or_expand_are_quoted() {
        assert_eq!(shell_quote("-s -w"), "'-s -w'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("a*"), "'a*'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
        assert_eq!(shell_quote("~x"), "'~x'");
    }

    #[test]
    fn a_quoted_line_reads_back_as_the_same_words() {
        let words = [
            "go",
            "build",
            "-ldflags",
            "-s -w -X 'main.v=a b'",
            "-o",
            "/tmp/o ut",
            "`x`",
            "a;b",
        ];
        let line = shell_line(&words);
        assert_eq!(
            line,
            r"go build -ldflags '-s -w -X '\''main.v=a b'\''' -o '/tmp/o ut' '`x`' 'a;b'"
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s\\n' {line}"))
            .output()
            .unwrap();
        let back: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        assert_eq!(back, words);
    }
}
