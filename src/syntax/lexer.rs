//! The lexer: a logos `Token` enum plus an adapter that feeds LALRPOP.
//!
//! Literals are decoded here (numbers without `_`, string escapes, dates,
//! instants, times of day), so the parser only sees values. A character or
//! literal the lexer cannot read becomes [`Token::Error`] and a [`LexError`]
//! is recorded; the parser keeps going, so the rest of the file is checked.

use logos::Logos;

use crate::source::{FileId, Span};
use crate::time::rfc3339::{self, TextError};

/// What went wrong while reading one token.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LexErrorKind {
    /// A character that starts no token.
    #[default]
    UnexpectedCharacter,
    /// A string literal without its closing quote on the same line.
    UnterminatedString,
    /// A backslash escape that is not `\" \\ \n \t \u{..}`.
    InvalidEscape(String),
    /// An integer literal that does not fit in 64 bits.
    IntegerTooLarge,
    /// A number glued to letters that are not a duration unit (`4hours`,
    /// `1.5h`, `1e6`), as written.
    InvalidNumber(String),
    /// A time of day with a one-digit hour (`9:00`), as written; it is read as
    /// the time it means.
    OneDigitHour(String),
    /// A date, date-time or time of day that does not exist (`2026-02-30`, `25:00`).
    InvalidDate(String),
    /// Syntax from another language whose meaning is clear (`==`, `&&`, `'text'`):
    /// the lexer reads it as the roe token and reports what to write instead.
    Foreign {
        /// What was written.
        written: String,
        /// What roe spells it as.
        meant: &'static str,
    },
}

/// A lexing problem and where it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct LexError {
    /// What went wrong.
    pub kind: LexErrorKind,
    /// The offending text.
    pub span: Span,
}

/// The unit of a plain duration literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
    /// `w`
    Weeks,
}

impl DurationUnit {
    /// The number of seconds in one unit.
    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Seconds => 1,
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3_600,
            DurationUnit::Days => 86_400,
            DurationUnit::Weeks => 604_800,
        }
    }
}

/// A plain duration literal such as `4h`, kept with its text so decisions print it as written.
#[derive(Clone, Debug, PartialEq)]
pub struct DurationLit {
    /// The number before the unit.
    pub amount: i64,
    /// The unit letter.
    pub unit: DurationUnit,
    /// The literal as written (`4h`, `1_000s`).
    pub text: String,
}

impl DurationLit {
    /// The length in seconds, or `None` if it overflows.
    pub fn seconds(&self) -> Option<i64> {
        self.amount.checked_mul(self.unit.seconds())
    }
}

/// One token of ROE source.
///
/// The keyword variants spell the words of [`super::keywords`] again (logos
/// cannot read a list); the tests there fail when the two differ.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
#[allow(
    missing_docs,
    reason = "each keyword variant is named after the keyword it matches"
)]
pub enum Token {
    #[token("policy")]
    Policy,
    #[token("for")]
    For,
    #[token("first")]
    First,
    #[token("all")]
    All,
    #[token("unique")]
    Unique,
    #[token("match")]
    Match,
    #[token("use")]
    Use,
    #[token("const")]
    Const,
    #[token("let")]
    Let,
    #[token("enum")]
    Enum,
    #[token("record")]
    Record,
    #[token("team")]
    Team,
    #[token("members")]
    Members,
    #[token("assign")]
    Assign,
    #[token("round")]
    Round,
    #[token("robin")]
    Robin,
    #[token("weighted")]
    Weighted,
    #[token("queue")]
    Queue,
    #[token("calendar")]
    Calendar,
    #[token("timezone")]
    Timezone,
    #[token("open")]
    Open,
    #[token("closed")]
    Closed,
    #[token("rule")]
    Rule,
    #[token("when")]
    When,
    #[token("then")]
    Then,
    #[token("otherwise")]
    Otherwise,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("set")]
    Set,
    #[token("contains")]
    Contains,
    #[token("starts")]
    Starts,
    #[token("ends")]
    Ends,
    #[token("with")]
    With,
    #[token("matches")]
    Matches,
    #[token("hand")]
    Hand,
    #[token("off")]
    Off,
    #[token("to")]
    To,
    #[token("within")]
    Within,
    #[token("escalate")]
    Escalate,
    #[token("reassign")]
    Reassign,
    #[token("after")]
    After,
    #[token("notify")]
    Notify,
    #[token("tag")]
    Tag,
    #[token("drop")]
    Drop,
    #[token("business")]
    Business,
    #[token("hour")]
    Hour,
    #[token("hours")]
    Hours,
    #[token("day")]
    Day,
    #[token("days")]
    Days,
    #[token("working")]
    Working,
    #[token("test")]
    Test,
    #[token("fixture")]
    Fixture,
    #[token("tests")]
    Tests,
    #[token("given")]
    Given,
    #[token("json")]
    Json,
    #[token("at")]
    At,
    #[token("due")]
    Due,
    #[token("expect")]
    Expect,
    #[token("error")]
    ErrorKw,
    #[token("list")]
    List,
    #[token("of")]
    Of,
    #[token("extend")]
    Extend,
    #[token("from")]
    From,
    #[token("format")]
    FormatKw,
    #[token("key")]
    Key,
    #[token("cap")]
    Cap,
    #[token("per")]
    Per,
    #[token("week")]
    Week,
    #[token("overflow")]
    Overflow,
    #[token("now")]
    Now,
    #[token("true")]
    True,
    #[token("false")]
    False,

    /// A name: `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword.
    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned())]
    Ident(String),
    /// An integer, `_` separators removed.
    #[regex("[0-9][0-9_]*", integer)]
    Int(i64),
    /// A decimal number such as `3.5`.
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*", decimal)]
    Decimal(f64),
    /// A percentage such as `60%`, as the number before the sign.
    #[regex(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?%", percent)]
    Percent(f64),
    /// A plain duration such as `4h`.
    #[regex("[0-9][0-9_]*[smhdw]", duration, priority = 10)]
    Duration(DurationLit),
    /// A number glued to a word that is not a unit, or a decimal glued to
    /// any word (`1.5h`): always an error.
    #[regex(
        r"[0-9][0-9_]*(\.[0-9][0-9_]*)?[A-Za-z][A-Za-z0-9_]*",
        invalid_number,
        priority = 5
    )]
    BadNumber,
    /// A calendar date such as `2026-12-25`.
    #[regex("[0-9]{4}-[0-9]{2}-[0-9]{2}", date)]
    Date(jiff::civil::Date),
    /// An instant with a `Z` or numeric offset such as `2026-11-30T09:15:00+01:00`.
    #[regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|z|[+-][0-9]{2}:[0-9]{2})", instant)]
    DateTime(jiff::Timestamp),
    /// A time of day such as `09:00`, as minutes after midnight (`24:00` is 1440).
    #[regex("[0-9]{2}:[0-9]{2}", time_of_day)]
    TimeOfDay(u16),
    /// `9:00`: read as the time of day `09:00`, with an error.
    #[regex("[0-9]:[0-9]{2}", time_of_day)]
    OneDigitHour(u16),
    /// A string literal with its escapes decoded.
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, string)]
    Str(String),
    /// A string literal that runs to the end of the line without a closing quote.
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, unterminated)]
    UnterminatedStr,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("=")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("?")]
    Question,

    /// `==`: read as `=`, with an error.
    #[token("==")]
    DoubleEq,
    /// `&&`: read as `and`, with an error.
    #[token("&&")]
    AmpAmp,
    /// `||`: read as `or`, with an error.
    #[token("||")]
    PipePipe,
    /// `;`: skipped, with an error.
    #[token(";")]
    Semicolon,
    /// `'text'`: read as a string, with an error.
    #[regex(r"'([^'\\\n]|\\[^\n])*'", single_quoted)]
    SingleQuoted(String),
    /// `!`: read as `not`, with an error.
    #[token("!")]
    Bang,
    /// `// text`: a comment as C writes it, skipped with an error.
    #[regex(r"//[^\n]*", allow_greedy = true)]
    SlashComment,

    /// Stands in for text the lexer could not read; its [`LexError`] is reported separately.
    Error,
}

fn invalid_number(lex: &mut logos::Lexer<Token>) -> Result<(), LexErrorKind> {
    Err(LexErrorKind::InvalidNumber(lex.slice().to_owned()))
}

fn unterminated(_: &mut logos::Lexer<Token>) -> Result<(), LexErrorKind> {
    Err(LexErrorKind::UnterminatedString)
}

fn single_quoted(lex: &mut logos::Lexer<Token>) -> Result<String, LexErrorKind> {
    let text = lex.slice();
    unescape(&text[1..text.len() - 1])
}

/// The roe token for syntax from another language, and how roe spells it;
/// `after` is the text that follows the token.
fn foreign(token: &Token, after: &str) -> Option<(Option<Token>, &'static str)> {
    Some(match token {
        Token::Bang if starts_with_word(after, "in") => (Some(Token::Not), "`not in`"),
        Token::Bang => (Some(Token::Not), "`not`"),
        Token::SlashComment => (
            None,
            "`#`: comments start with `#` and run to the end of the line",
        ),
        Token::DoubleEq => (Some(Token::Eq), "`=`"),
        Token::AmpAmp => (Some(Token::And), "`and`"),
        Token::PipePipe => (Some(Token::Or), "`or`"),
        Token::Semicolon => (
            None,
            "nothing: clauses start with keywords, so no `;` is needed",
        ),
        Token::SingleQuoted(s) => (Some(Token::Str(s.clone())), "double quotes: `\"...\"`"),
        _ => return None,
    })
}

/// Whether `text` starts with the word `word`, not with a longer name.
fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

fn digits(text: &str) -> String {
    text.chars().filter(|c| *c != '_').collect()
}

fn integer(lex: &mut logos::Lexer<Token>) -> Result<i64, LexErrorKind> {
    digits(lex.slice())
        .parse()
        .map_err(|_| LexErrorKind::IntegerTooLarge)
}

fn decimal(lex: &mut logos::Lexer<Token>) -> Result<f64, LexErrorKind> {
    digits(lex.slice())
        .parse()
        .map_err(|_| LexErrorKind::InvalidNumber(lex.slice().to_owned()))
}

fn percent(lex: &mut logos::Lexer<Token>) -> Result<f64, LexErrorKind> {
    let text = lex.slice();
    digits(&text[..text.len() - 1])
        .parse()
        .map_err(|_| LexErrorKind::InvalidNumber(text.to_owned()))
}

fn duration(lex: &mut logos::Lexer<Token>) -> Result<DurationLit, LexErrorKind> {
    let text = lex.slice();
    let (number, unit) = text.split_at(text.len() - 1);
    let unit = match unit {
        "s" => DurationUnit::Seconds,
        "m" => DurationUnit::Minutes,
        "h" => DurationUnit::Hours,
        "d" => DurationUnit::Days,
        _ => DurationUnit::Weeks,
    };
    let amount: i64 = digits(number)
        .parse()
        .map_err(|_| LexErrorKind::IntegerTooLarge)?;
    let literal = DurationLit {
        amount,
        unit,
        text: text.to_owned(),
    };
    literal.seconds().ok_or(LexErrorKind::IntegerTooLarge)?;
    Ok(literal)
}

fn date(lex: &mut logos::Lexer<Token>) -> Result<jiff::civil::Date, LexErrorKind> {
    rfc3339::date(lex.slice())
        .map_err(|_| LexErrorKind::InvalidDate(format!("`{}` is not a calendar date", lex.slice())))
}

/// A date-time literal: RFC 3339, except that the seconds may be left out
/// (`2026-11-30T09:15Z` is `09:15:00`).
fn instant(lex: &mut logos::Lexer<Token>) -> Result<jiff::Timestamp, LexErrorKind> {
    let text = lex.slice();
    let read = match text.as_bytes().get(16) {
        Some(b':') => rfc3339::instant(text),
        _ => rfc3339::instant(&format!("{}:00{}", &text[..16], &text[16..])),
    };
    read.map_err(|e| {
        LexErrorKind::InvalidDate(match e {
            TextError::Invalid | TextError::NoZone => {
                format!("`{text}` is not a valid date and time")
            }
            TextError::OutOfRange => format!("`{text}` {}", rfc3339::outside_range()),
        })
    })
}

fn time_of_day(lex: &mut logos::Lexer<Token>) -> Result<u16, LexErrorKind> {
    let text = lex.slice();
    let invalid =
        || LexErrorKind::InvalidDate(format!("`{text}` is not a time of day (00:00 to 24:00)"));
    let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
    let hours: u16 = hours.parse().map_err(|_| invalid())?;
    let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > 24 * 60 {
        return Err(invalid());
    }
    Ok(total)
}

fn string(lex: &mut logos::Lexer<Token>) -> Result<String, LexErrorKind> {
    let text = lex.slice();
    unescape(&text[1..text.len() - 1])
}

/// Decodes the escapes of a string literal's body (without its quotes).
pub fn unescape(body: &str) -> Result<String, LexErrorKind> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('u') => out.push(unicode_escape(&mut chars)?),
            Some(other) => return Err(LexErrorKind::InvalidEscape(format!("\\{other}"))),
            None => return Err(LexErrorKind::InvalidEscape("\\".to_owned())),
        }
    }
    Ok(out)
}

fn unicode_escape(chars: &mut std::str::Chars<'_>) -> Result<char, LexErrorKind> {
    let bad = |seen: &str| LexErrorKind::InvalidEscape(format!("\\u{seen}"));
    if chars.next() != Some('{') {
        return Err(bad(""));
    }
    let mut hex = String::new();
    for c in chars.by_ref() {
        if c == '}' {
            return u32::from_str_radix(&hex, 16)
                .ok()
                .filter(|_| (1..=6).contains(&hex.len()))
                .and_then(char::from_u32)
                .ok_or_else(|| bad(&format!("{{{hex}}}")));
        }
        hex.push(c);
        if hex.len() > 6 {
            break;
        }
    }
    Err(bad(&format!("{{{hex}")))
}

/// A token with its byte offsets, as LALRPOP's external-lexer interface wants it.
pub type SpannedToken = (usize, Token, usize);

/// Lexes `text` completely: every token with its byte range, and every error.
///
/// Unreadable text becomes one [`Token::Error`] per run of bad characters, so
/// a stretch of binary garbage gives one error, not one per byte.
pub fn lex(file: FileId, text: &str) -> (Vec<SpannedToken>, Vec<LexError>) {
    let mut tokens: Vec<SpannedToken> = Vec::new();
    let mut errors: Vec<LexError> = Vec::new();
    let mut lexer = Token::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let (start, end) = (range.start, char_boundary(text, range.end));
        match result {
            Ok(Token::OneDigitHour(minutes)) => {
                let written = text.get(start..end).unwrap_or_default().to_owned();
                errors.push(LexError {
                    kind: LexErrorKind::OneDigitHour(written),
                    span: Span::new(file, start, end),
                });
                tokens.push((start, Token::TimeOfDay(minutes), end));
            }
            Ok(token) => match foreign(&token, text.get(end..).unwrap_or_default()) {
                None => tokens.push((start, token, end)),
                Some((replacement, meant)) => {
                    errors.push(LexError {
                        kind: LexErrorKind::Foreign {
                            written: text.get(start..end).unwrap_or_default().to_owned(),
                            meant,
                        },
                        span: Span::new(file, start, end),
                    });
                    if let Some(token) = replacement {
                        tokens.push((start, token, end));
                    }
                }
            },
            Err(kind) => {
                let merges = kind == LexErrorKind::UnexpectedCharacter
                    && matches!(tokens.last(), Some((_, Token::Error, last_end)) if *last_end == start)
                    && errors
                        .last()
                        .is_some_and(|e| e.kind == LexErrorKind::UnexpectedCharacter);
                if merges {
                    if let (Some(token), Some(error)) = (tokens.last_mut(), errors.last_mut()) {
                        token.2 = end;
                        error.span.end = Span::new(file, 0, end).end;
                    }
                } else {
                    tokens.push((start, Token::Error, end));
                    errors.push(LexError {
                        kind,
                        span: Span::new(file, start, end),
                    });
                }
                if end > range.end {
                    lexer.bump(end - range.end);
                }
            }
        }
    }
    (tokens, errors)
}

/// Moves `offset` forward to the next UTF-8 character boundary of `text`.
fn char_boundary(text: &str, mut offset: usize) -> usize {
    while offset < text.len() && !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

#[cfg(test)]
mod tests;
