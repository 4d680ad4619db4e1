//! Module path escaping of the GOPROXY protocol and the module cache: each
//! upper-case letter becomes `!` and its lower case, so that case-insensitive
//! file systems keep `Azure` and `azure` apart.

/// Escapes a module path or version for use as a file path.
pub fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reverses [`escape`]: `!` and a lower-case letter become that letter in
/// upper case. `None` for text that no escaping produces (an upper-case
/// letter, or `!` not followed by a lower-case one), so that whatever comes
/// back escapes to exactly the text it came from.
pub fn unescape(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '!' => match chars.next() {
                Some(l) if l.is_ascii_lowercase() => out.push(l.to_ascii_uppercase()),
                _ => return None,
            },
            c if c.is_ascii_uppercase() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_capitals() {
        assert_eq!(
            escape("github.com/Azure/go-AutoRest"),
            "github.com/!azure/go-!auto!rest"
        );
        assert_eq!(escape("example.com/greet/v2"), "example.com/greet/v2");
    }

    #[test]
    fn unescaping_round_trips() {
        for path in [
            "github.com/Azure/go-AutoRest",
            "example.com/Upper/tzinfo",
            "example.com/greet/v2",
            "v1.0.0-RC1",
        ] {
            assert_eq!(unescape(&escape(path)).as_deref(), Some(path));
        }
        assert_eq!(
            unescape("github.com/!azure/go-!auto!rest").as_deref(),
            Some("github.com/Azure/go-AutoRest")
        );
    }

    #[test]
    fn rejects_text_no_escaping_makes() {
        assert_eq!(unescape("a/B"), None);
        assert_eq!(unescape("a/!"), None);
        assert_eq!(unescape("a/!1"), None);
        assert_eq!(unescape("a/!!b"), None);
    }
}
