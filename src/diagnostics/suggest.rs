//! The one did-you-mean helper every stage uses.

/// The candidate closest to `name`: an exact match ignoring case first, then the
/// smallest edit distance within a third of the name's length (at least 1, at
/// most 3), then a candidate the name contains or is contained in (`lowercase`
/// for `lower`, `lead_status` for `status`). `None` when nothing is close
/// enough to be a likely slip.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&str> = candidates.into_iter().filter(|c| *c != name).collect();
    if let Some(same) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(same);
    }
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let close = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, c)| (*distance, *c))
        .map(|(_, c)| c);
    if close.is_some() {
        return close;
    }
    let folded = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| c.len() >= 3 && folded.len() >= 3)
        .filter(|c| {
            let c = c.to_ascii_lowercase();
            folded.contains(&c) || c.contains(&folded)
        })
        .min_by_key(|c| (c.len().abs_diff(name.len()), *c))
}

/// `did you mean `x`?` for the closest candidate, if any.
pub fn help_did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_a_transposition() {
        assert_eq!(did_you_mean("scroe", ["score", "segment"]), Some("score"));
    }

    #[test]
    fn prefers_a_case_only_difference() {
        assert_eq!(did_you_mean("Score", ["scores", "score"]), Some("score"));
    }

    #[test]
    fn finds_a_name_inside_a_longer_one() {
        assert_eq!(did_you_mean("lowercase", ["lower", "upper"]), Some("lower"));
        assert_eq!(
            did_you_mean("lead_status", ["status", "score"]),
            Some("status")
        );
    }

    #[test]
    fn refuses_distant_names() {
        assert_eq!(did_you_mean("revenue", ["score", "segment"]), None);
    }

    #[test]
    fn short_names_allow_one_edit() {
        assert_eq!(
            did_you_mean("id", ["ip", "idx"]),
            Some("idx").or(Some("ip"))
        );
        assert_eq!(did_you_mean("ab", ["xy"]), None);
    }
}
