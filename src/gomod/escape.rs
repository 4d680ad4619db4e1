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
}
