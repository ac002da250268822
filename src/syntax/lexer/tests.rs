use super::*;

fn tokens(text: &str) -> Vec<Token> {
    let (tokens, errors) = lex(FileId(0), text);
    assert!(errors.is_empty(), "{text:?}: {errors:?}");
    tokens.into_iter().map(|(_, t, _)| t).collect()
}

fn errors(text: &str) -> Vec<LexErrorKind> {
    lex(FileId(0), text).1.into_iter().map(|e| e.kind).collect()
}

fn ident(s: &str) -> Token {
    Token::Ident(s.to_owned())
}

#[test]
fn keywords_and_names() {
    assert_eq!(
        tokens("rule hot when score > 50"),
        [
            Token::Rule,
            ident("hot"),
            Token::When,
            ident("score"),
            Token::Gt,
            Token::Int(50)
        ]
    );
    // A keyword inside a longer name is a name.
    assert_eq!(tokens("index settled"), [ident("index"), ident("settled")]);
}

#[test]
fn numbers_with_separators_and_decimals() {
    assert_eq!(
        tokens("1_000_000 3.5 60%"),
        [
            Token::Int(1_000_000),
            Token::Decimal(3.5),
            Token::Percent(60.0)
        ]
    );
    assert_eq!(tokens("250_000"), [Token::Int(250_000)]);
    assert_eq!(
        errors("99999999999999999999"),
        [LexErrorKind::IntegerTooLarge]
    );
    assert_eq!(
        errors("4hours"),
        [LexErrorKind::InvalidNumber("4hours".into())]
    );
    assert_eq!(errors("1.5h"), [LexErrorKind::InvalidNumber("1.5h".into())]);
}

#[test]
fn durations_keep_their_text() {
    let all = tokens("90s 30m 4h 2d 1w");
    let texts: Vec<(i64, String)> = all
        .iter()
        .map(|t| match t {
            Token::Duration(d) => (d.seconds().unwrap_or(-1), d.text.clone()),
            other => panic!("not a duration: {other:?}"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            (90, "90s".into()),
            (1_800, "30m".into()),
            (14_400, "4h".into()),
            (172_800, "2d".into()),
            (604_800, "1w".into())
        ]
    );
    // Business durations are three tokens.
    assert_eq!(
        tokens("4 business hours"),
        [Token::Int(4), Token::Business, Token::Hours]
    );
}

#[test]
fn dates_instants_and_times_of_day() {
    let date: jiff::civil::Date = "2026-12-25".parse().unwrap();
    assert_eq!(tokens("2026-12-25"), [Token::Date(date)]);
    let zulu: jiff::Timestamp = "2026-11-30T09:15:00Z".parse().unwrap();
    let offset: jiff::Timestamp = "2026-11-30T10:15:00+01:00".parse().unwrap();
    assert_eq!(zulu, offset);
    assert_eq!(
        tokens("2026-11-30T09:15:00Z 2026-11-30T10:15:00+01:00"),
        [Token::DateTime(zulu), Token::DateTime(offset)]
    );
    assert_eq!(
        tokens("09:00-17:30 24:00"),
        [
            Token::TimeOfDay(540),
            Token::Minus,
            Token::TimeOfDay(1050),
            Token::TimeOfDay(1440)
        ]
    );
    assert!(matches!(
        errors("2026-02-30")[..],
        [LexErrorKind::InvalidDate(_)]
    ));
    assert!(matches!(
        errors("24:01")[..],
        [LexErrorKind::InvalidDate(_)]
    ));
    assert!(matches!(
        errors("09:60")[..],
        [LexErrorKind::InvalidDate(_)]
    ));
}

#[test]
fn string_escapes() {
    assert_eq!(
        tokens(r#""a \"b\" \\ \n \t \u{1F600}""#),
        [Token::Str("a \"b\" \\ \n \t \u{1F600}".to_owned())]
    );
    assert!(matches!(
        errors(r#""bad \q""#)[..],
        [LexErrorKind::InvalidEscape(_)]
    ));
    assert!(matches!(
        errors(r#""bad \u{110000}""#)[..],
        [LexErrorKind::InvalidEscape(_)]
    ));
    assert_eq!(errors("\"no end\nrule"), [LexErrorKind::UnterminatedString]);
}

#[test]
fn comments_and_layout_are_skipped() {
    assert_eq!(
        tokens("# a comment\n  tag   # another\n\"x\""),
        [Token::Tag, Token::Str("x".into())]
    );
}

#[test]
fn unknown_characters_become_one_error_per_run_with_byte_spans() {
    let (tokens, errors) = lex(FileId(0), "score @@€ > 1");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].span.start, errors[0].span.end),
        (6, 11),
        "the span ends on a character boundary"
    );
    let kinds: Vec<&Token> = tokens.iter().map(|(_, t, _)| t).collect();
    assert_eq!(
        kinds,
        [&ident("score"), &Token::Error, &Token::Gt, &Token::Int(1)]
    );
    assert_eq!((tokens[0].0, tokens[0].2), (0, 5));
}
