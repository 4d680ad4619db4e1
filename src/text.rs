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
