//! The keywords of roe (LANGUAGE.md §2.5) and whether each may also serve as
//! a name (§2.6): the one list that the parser's messages and the checker read.
//!
//! The logos attributes of [`Token`](super::lexer::Token) and the grammar's
//! `extern` block and keyword groups cannot read a Rust list, so they spell
//! the words again; the tests beside this file fail when any of them, or the
//! list in docs/language.md, drifts from this one.

/// The keywords that start a declaration: never a field name.
pub const DECLARATION_KEYWORDS: &[&str] = &[
    "policy",
    "tests",
    "use",
    "const",
    "let",
    "enum",
    "record",
    "team",
    "calendar",
    "rule",
    "otherwise",
    "fixture",
    "test",
    "extend",
];

/// Every other keyword: it may also be a field name, a name after a dot or a
/// record-literal key.
pub const SOFT_KEYWORDS: &[&str] = &[
    "for", "first", "all", "unique", "match", "members", "assign", "round", "robin", "weighted",
    "queue", "timezone", "open", "closed", "when", "then", "and", "or", "not", "in", "is", "set",
    "contains", "starts", "ends", "with", "matches", "hand", "off", "to", "within", "escalate",
    "reassign", "after", "notify", "tag", "drop", "business", "hour", "hours", "day", "days",
    "working", "given", "json", "at", "due", "expect", "error", "list", "of", "from", "format",
    "key", "cap", "per", "week", "overflow", "now", "true", "false",
];

/// Whether `word` is a keyword of the language.
pub fn is_keyword(word: &str) -> bool {
    starts_declaration(word) || is_soft_keyword(word)
}

/// Whether `word` is a keyword that starts a declaration.
pub fn starts_declaration(word: &str) -> bool {
    DECLARATION_KEYWORDS.contains(&word)
}

/// Whether `word` is a keyword that may also serve as a name.
pub fn is_soft_keyword(word: &str) -> bool {
    SOFT_KEYWORDS.contains(&word)
}

#[cfg(test)]
mod tests;
