//! The keyword list against every other place that spells the keywords: the
//! lexer's logos attributes, the grammar's `extern` block and keyword groups,
//! and LANGUAGE.md §2.5 in docs/language.md.

use std::collections::BTreeSet;

use logos::Logos;
use regex::Regex;

use super::*;
use crate::syntax::grammar_text;
use crate::syntax::lexer::Token;

/// Fails with the words only one side has, when `found` differs from `listed`.
fn assert_same_words(found: &BTreeSet<String>, listed: &BTreeSet<String>, place: &str) {
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
        a.difference(b).cloned().collect::<Vec<_>>().join(" ")
    };
    assert!(
        found == listed,
        "{place} differs from src/syntax/keywords.rs: only in {place}: [{}]; only in the list: [{}]",
        only(found, listed),
        only(listed, found)
    );
}

fn word_set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

/// Every keyword of the list.
fn listed() -> BTreeSet<String> {
    let mut all = word_set(DECLARATION_KEYWORDS);
    all.extend(word_set(SOFT_KEYWORDS));
    all
}

/// The one token `word` lexes to, or `None` when it is not exactly one token.
fn lone_token(word: &str) -> Option<Token> {
    let mut lexer = Token::lexer(word);
    match (lexer.next(), lexer.next()) {
        (Some(Ok(token)), None) => Some(token),
        _ => None,
    }
}

#[test]
fn each_keyword_is_listed_once_and_in_one_group() {
    let count = DECLARATION_KEYWORDS.len() + SOFT_KEYWORDS.len();
    assert_eq!(listed().len(), count, "a keyword is listed twice");
}

#[test]
fn each_keyword_lexes_to_a_token_of_its_own() {
    let mut tokens = BTreeSet::new();
    for word in listed() {
        let token = lone_token(&word);
        assert!(
            !matches!(token, None | Some(Token::Ident(_))),
            "`{word}` is listed as a keyword, but lexes as {token:?}"
        );
        let shown = format!("{token:?}");
        assert!(
            tokens.insert(shown.clone()),
            "`{word}` lexes to {shown}, as another keyword does"
        );
    }
}

#[test]
fn each_keyword_token_of_the_lexer_is_listed() {
    let attribute = Regex::new(r#"#\[token\("([a-z]+)"\)\]"#).expect("a valid regex");
    let lexed: BTreeSet<String> = attribute
        .captures_iter(include_str!("../lexer.rs"))
        .map(|c| c[1].to_owned())
        .collect();
    assert_same_words(&lexed, &listed(), "the lexer's `#[token]` words");
}

#[test]
fn the_grammar_declares_each_keyword_as_the_token_it_lexes_to() {
    let mut declared = BTreeSet::new();
    for terminal in grammar_text::terminals() {
        let is_word = terminal.name.chars().all(|c| c.is_ascii_lowercase());
        if !is_word || terminal.carries_value {
            continue;
        }
        let lexed = lone_token(terminal.name).map(|token| format!("{token:?}"));
        assert_eq!(
            lexed.as_deref(),
            Some(terminal.variant),
            "the grammar's terminal \"{}\" is Token::{}, but the lexer reads it as {lexed:?}",
            terminal.name,
            terminal.variant
        );
        declared.insert(terminal.name.to_owned());
    }
    assert_same_words(&declared, &listed(), "the grammar's keyword terminals");
}

#[test]
fn the_grammar_groups_keywords_as_the_list_does() {
    assert_same_words(
        &grammar_text::keyword_group("DeclKeyword"),
        &word_set(DECLARATION_KEYWORDS),
        "the grammar's DeclKeyword",
    );
    assert_same_words(
        &grammar_text::keyword_group("SoftKeyword"),
        &word_set(SOFT_KEYWORDS),
        "the grammar's SoftKeyword",
    );
}

#[test]
fn the_language_reference_lists_the_keywords() {
    let doc = include_str!("../../../docs/language.md");
    let count = listed().len();
    let intro = format!("These {count} words are keywords:\n\n```text\n");
    let (_, after) = doc
        .split_once(&intro)
        .unwrap_or_else(|| panic!("docs/language.md §2.5 should begin its list with: {intro}"));
    let (block, _) = after.split_once("\n```").unwrap_or_default();
    let words: BTreeSet<String> = block.split_whitespace().map(str::to_owned).collect();
    assert_same_words(&words, &listed(), "docs/language.md §2.5");
    let declarations = format!(
        "of them start a declaration: `{}`.",
        DECLARATION_KEYWORDS.join(" ")
    );
    let flowed = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flowed.contains(&declarations),
        "docs/language.md §2.5 should say: {declarations}"
    );
}
