//! What a number glued to letters was meant to be, for the help of E0004:
//! a duration with its unit spelled out (`4hrs`, `4hours`), with a unit roe
//! does not have (`1mo`), with a fraction (`1.5h`), or a number with an
//! exponent (`1e6`). The units and their spellings are one table.

/// Each duration unit: its letter, its length in seconds, its name, and the
/// spellings people write for it.
const UNITS: [(&str, i64, &str, &[&str]); 5] = [
    ("w", 604_800, "weeks", &["w", "wk", "wks", "week", "weeks"]),
    ("d", 86_400, "days", &["d", "day", "days"]),
    ("h", 3_600, "hours", &["h", "hr", "hrs", "hour", "hours"]),
    (
        "m",
        60,
        "minutes",
        &["m", "min", "mins", "minute", "minutes"],
    ),
    (
        "s",
        1,
        "seconds",
        &["s", "sec", "secs", "second", "seconds"],
    ),
];

/// Spellings of units roe has no duration for, with their length in days (a
/// month and a year vary, so roe leaves them out).
const NO_UNITS: [(i64, &[&str]); 2] = [
    (30, &["mo", "mos", "mon", "mons", "month", "months"]),
    (365, &["y", "yr", "yrs", "year", "years"]),
];

/// The units as a sentence: `` `s` seconds, `m` minutes, ... ``.
fn units() -> String {
    let mut parts: Vec<String> = UNITS
        .iter()
        .rev()
        .map(|(letter, _, name, _)| format!("`{letter}` {name}"))
        .collect();
    let last = parts.pop().unwrap_or_default();
    format!("{} or {last}", parts.join(", "))
}

/// The help for `written`, a number glued to letters, when it says what was
/// meant; `None` for other words (`3x`).
pub fn glued_help(written: &str) -> Option<String> {
    let split = written
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(written.len());
    let (number, word) = written.split_at(split);
    let number = number.replace('_', "");
    let word = word.to_ascii_lowercase();
    if let Some(exponent) = word.strip_prefix('e')
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
    {
        let value: f64 = written.replace('_', "").to_ascii_lowercase().parse().ok()?;
        let shown = if value.fract() == 0.0 && value.abs() < 1e18 {
            format!("{value:.0}")
        } else {
            format!("{value}")
        };
        let shown = if number.contains('.') && !shown.contains('.') {
            format!("{shown}.0")
        } else {
            shown
        };
        return Some(format!("roe numbers have no exponent: write `{shown}`"));
    }
    if let Some((days, _)) = NO_UNITS.iter().find(|(_, s)| s.contains(&word.as_str())) {
        let amount: f64 = number.parse().ok()?;
        let suggestion = amount * *days as f64;
        let such_as = if suggestion.fract() == 0.0 && suggestion < 1e15 {
            format!("`{suggestion:.0}d`")
        } else {
            "`30d`".to_owned()
        };
        return Some(format!(
            "roe has no months or years as durations, as their length varies: write days or weeks, such as {such_as}"
        ));
    }
    let (_, seconds, _, _) = UNITS
        .iter()
        .find(|(_, _, _, s)| s.contains(&word.as_str()))?;
    let whole = match number.parse::<i64>() {
        Ok(amount) => Some((amount, *seconds)),
        // A fraction: the same length in the largest unit that makes it whole.
        Err(_) => {
            let total = number.parse::<f64>().ok()? * *seconds as f64;
            UNITS.iter().find_map(|(_, unit, _, _)| {
                let amount = total / *unit as f64;
                (amount.fract() == 0.0 && (1.0..1e15).contains(&amount))
                    .then_some((amount as i64, *unit))
            })
        }
    };
    let rule = format!(
        "a duration is a whole number glued to one unit: {}",
        units()
    );
    Some(match whole {
        Some((amount, unit)) => {
            let letter = UNITS
                .iter()
                .find(|(_, s, _, _)| *s == unit)
                .map_or("s", |(l, _, _, _)| l);
            format!("{rule}; write `{amount}{letter}`")
        }
        None => format!("{rule}; nothing is shorter than a second"),
    })
}

#[cfg(test)]
mod tests {
    use super::glued_help;

    fn help(written: &str) -> String {
        glued_help(written).unwrap_or_default()
    }

    #[test]
    fn units_spelled_out_name_the_letter() {
        let units = "`s` seconds, `m` minutes, `h` hours, `d` days or `w` weeks";
        assert_eq!(
            help("4hrs"),
            format!("a duration is a whole number glued to one unit: {units}; write `4h`")
        );
        assert!(help("4hours").ends_with("write `4h`"));
        assert!(help("30mins").ends_with("write `30m`"));
        assert!(help("2Days").ends_with("write `2d`"));
        assert!(help("1_000secs").ends_with("write `1000s`"));
    }

    #[test]
    fn fractions_become_a_smaller_unit() {
        assert!(help("1.5h").ends_with("write `90m`"), "{}", help("1.5h"));
        assert!(help("2.5d").ends_with("write `60h`"));
        assert!(help("0.5w").ends_with("write `84h`"));
        assert!(help("0.5s").ends_with("nothing is shorter than a second"));
    }

    #[test]
    fn months_years_and_exponents() {
        assert!(help("1mo").contains("no months or years"));
        assert!(help("1mo").ends_with("such as `30d`"));
        assert!(help("2years").ends_with("such as `730d`"));
        assert_eq!(help("1e6"), "roe numbers have no exponent: write `1000000`");
        assert_eq!(
            help("1.5e6"),
            "roe numbers have no exponent: write `1500000.0`"
        );
        assert_eq!(glued_help("3x"), None);
        assert_eq!(glued_help("1.5abc"), None);
    }
}
