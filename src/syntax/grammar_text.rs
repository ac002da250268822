//! `grammar/roe.lalrpop` read as text, for the tests that hold the Rust lists
//! of words to the grammar: LALRPOP cannot read a Rust constant, so the
//! grammar spells the words again and only a test notices when they drift.

use std::collections::BTreeSet;

use regex::Regex;

/// The grammar, as build.rs gives it to LALRPOP.
const GRAMMAR: &str = include_str!("../../grammar/roe.lalrpop");

/// One terminal of the grammar's `extern` block: `"then" => Token::Then`.
pub struct Terminal {
    /// The terminal's name in the grammar, without its quotes.
    pub name: &'static str,
    /// The `Token` variant it stands for.
    pub variant: &'static str,
    /// Whether the variant carries a value (`Token::Ident(<String>)`).
    pub carries_value: bool,
}

/// Every terminal of the `extern` block, in the grammar's order.
pub fn terminals() -> Vec<Terminal> {
    let start = GRAMMAR
        .find("enum Token {")
        .expect("the extern block declares the tokens");
    let end = start
        + GRAMMAR[start..]
            .find("\n    }")
            .expect("the token list ends");
    let entry = Regex::new(r#""([^"]+)"\s*=>\s*Token::(\w+)(\()?"#).expect("a valid regex");
    entry
        .captures_iter(&GRAMMAR[start..end])
        .map(|c| Terminal {
            name: c.get(1).map_or("", |m| m.as_str()),
            variant: c.get(2).map_or("", |m| m.as_str()),
            carries_value: c.get(3).is_some(),
        })
        .collect()
}

/// The words of a keyword group such as `DeclKeyword`, whose alternatives are
/// `"policy" => "policy".into()` or another group, which is read in turn.
/// Panics on an alternative of another shape, or one whose action returns
/// another word than the terminal it matches.
pub fn keyword_group(rule: &str) -> BTreeSet<String> {
    let header = format!("\n{rule}: String = {{");
    let start = GRAMMAR.find(&header).expect("the grammar has the group") + header.len();
    let end = start + GRAMMAR[start..].find("\n};").expect("the group ends");
    let body: String = GRAMMAR[start..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let pair = Regex::new(r#""(\w+)"\s*=>\s*"(\w+)"\.into\(\)"#).expect("a valid regex");
    let mut words = BTreeSet::new();
    for c in pair.captures_iter(&body) {
        assert_eq!(&c[1], &c[2], "{rule}: `{}` gives another word", &c[0]);
        words.insert(c[1].to_owned());
    }
    for other in pair.replace_all(&body, "").split(',').map(str::trim) {
        if other.is_empty() {
            continue;
        }
        assert!(
            other.chars().all(|c| c.is_ascii_alphanumeric()),
            "{rule}: an alternative of an unknown shape: {other}"
        );
        words.extend(keyword_group(other));
    }
    words
}
