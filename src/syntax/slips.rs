//! Help for syntax slips the grammar's expected tokens cannot word: an
//! operator called like a function (`contains(email, "x")`), `now()`, a list
//! written in parentheses (`("DE", "FR")`), a name where text belongs
//! (`members emea_aes`) and a window without its dash. Each reads the text
//! around the unexpected token; strings and comments are skipped while scanning.

/// The operators a slip may call like a function.
const OPERATOR_WORDS: [&str; 2] = ["contains", "matches"];

/// The help for the unexpected token at `start..end` of `text`, if it is one
/// of these slips; `expected` are the terminals the grammar wanted there.
pub fn help(text: &str, start: usize, end: usize, expected: &[String]) -> Option<String> {
    let word = text.get(start..end)?;
    let after = text.get(end..)?.trim_start();
    if OPERATOR_WORDS.contains(&word) && after.starts_with('(') {
        let open = text.len() - after.len();
        let args = arguments(text, open)?;
        return Some(match args.as_slice() {
            [subject, pattern] => format!(
                "`{word}` is an operator, not a function: write `{subject} {word} {pattern}`"
            ),
            _ => format!(
                "`{word}` is an operator, not a function: write it between its operands, such as `email {word} \"@acme\"`"
            ),
        });
    }
    let before = text.get(..start)?.trim_end();
    if word == "(" && ends_with_word(before, "now") {
        return Some("`now` is a value, not a function: write `now` without parentheses".into());
    }
    let only = |terminal: &str| expected.len() == 1 && expected[0].trim_matches('"') == terminal;
    if only("string") && word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Some(if ends_with_word(before, "members") {
            "a team's members are people, written as quoted e-mail addresses: `members \"ana@acme.example\", \"ben@acme.example\"`".to_owned()
        } else {
            format!("text goes in double quotes: `\"{word}\"`")
        });
    }
    if only("-") {
        return Some("an opening window reads `09:00-17:30`".into());
    }
    let wants_close = expected.iter().any(|e| e == "\")\"");
    if word == "," && wants_close {
        let open = *open_parentheses(text, start).last()?;
        let close = closing(text, open)?;
        let inner = text.get(open + 1..close)?.trim();
        return Some(format!("a list is written in square brackets: `[{inner}]`"));
    }
    None
}

/// Whether `text` ends with the word `word`, not with a longer name.
fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word)
        .is_some_and(|rest| !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

/// The characters of `text` that are code, not inside a string or a
/// comment, with their byte offsets.
fn code(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    text.char_indices().filter(move |&(_, c)| {
        if in_comment {
            in_comment = c != '\n';
            return false;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"' | '\n') => in_string = false,
                _ => {}
            }
            return false;
        }
        match c {
            '"' => {
                in_string = true;
                false
            }
            '#' => {
                in_comment = true;
                false
            }
            _ => true,
        }
    })
}

/// The `(` still open at `upto`, innermost last.
fn open_parentheses(text: &str, upto: usize) -> Vec<usize> {
    let mut open = Vec::new();
    for (at, c) in code(text).take_while(|(at, _)| *at < upto) {
        match c {
            '(' => open.push(at),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// The `)` that closes the `(` at `open`.
fn closing(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in code(text).skip_while(|(at, _)| *at < open) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (c == ')').then_some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// The arguments between the `(` at `open` and its `)`, trimmed.
fn arguments(text: &str, open: usize) -> Option<Vec<&str>> {
    let close = closing(text, open)?;
    let mut depth = 0usize;
    let mut from = open + 1;
    let mut out = Vec::new();
    for (at, c) in code(text).skip_while(|(at, _)| *at <= open) {
        if at >= close {
            break;
        }
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(text.get(from..at)?.trim());
                from = at + 1;
            }
            _ => {}
        }
    }
    out.push(text.get(from..close)?.trim());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::help;

    fn help_at(text: &str, token: &str, expected: &[&str]) -> Option<String> {
        let start = text.find(token)?;
        let expected: Vec<String> = expected.iter().map(|e| format!("\"{e}\"")).collect();
        help(text, start, start + token.len(), &expected)
    }

    #[test]
    fn an_operator_called_like_a_function_is_written_between_its_operands() {
        assert_eq!(
            help_at("when contains(email, \"a, (b)\")", "contains", &[]).as_deref(),
            Some("`contains` is an operator, not a function: write `email contains \"a, (b)\"`")
        );
        assert!(
            help_at("when matches(email)", "matches", &[])
                .is_some_and(|h| h.contains("between its operands"))
        );
        assert_eq!(help_at("when contains email", "contains", &[]), None);
    }

    #[test]
    fn now_is_no_function_and_lists_take_brackets() {
        assert!(
            help_at("when created_at > now()", "(", &[])
                .is_some_and(|h| h.contains("`now` is a value"))
        );
        assert_eq!(help_at("when known()", "(", &[]), None);
        assert_eq!(
            help_at("when country in (\"DE\", \"FR\") # (x", ",", &[")"]).as_deref(),
            Some("a list is written in square brackets: `[\"DE\", \"FR\"]`")
        );
        assert_eq!(
            help_at("when country in (\"DE\", \"FR\")", ",", &["and"]),
            None
        );
    }

    #[test]
    fn names_where_text_belongs_and_windows_without_a_dash() {
        assert!(
            help_at("team t\n  members emea_aes", "emea_aes", &["string"])
                .is_some_and(|h| h.contains("quoted e-mail addresses"))
        );
        assert_eq!(
            help_at("timezone Berlin", "Berlin", &["string"]).as_deref(),
            Some("text goes in double quotes: `\"Berlin\"`")
        );
        assert!(
            help_at("open mon 09:00 to 17:30", "to", &["-"])
                .is_some_and(|h| h.contains("`09:00-17:30`"))
        );
    }
}
