//! The strategies, as pure functions of a team's turn state: who is next
//! among the members that can take a record now.

/// The member round robin picks: the first member that can take the record,
/// counting from the one after the last picked (`next` is that position).
pub fn round_robin(members: usize, can_take: impl Fn(usize) -> bool, next: usize) -> Option<usize> {
    (0..members)
        .map(|step| (next + step) % members)
        .find(|&m| can_take(m))
}

/// The member smooth weighted round robin picks, updating `credit` (one
/// entry per member): every member that can take the record gains its
/// weight, the one with the most credit (the first of equals) is picked and
/// pays the total gained. Over any run of records the picks follow the
/// weights as closely as whole records can, in one fixed interleaving: 60/40
/// over ten records is 6/4, and no member waits long for a turn.
pub fn smooth_weighted(
    weights: &[u32],
    can_take: impl Fn(usize) -> bool,
    credit: &mut [i64],
) -> Option<usize> {
    let eligible = || (0..weights.len()).filter(|&m| can_take(m));
    let total: i64 = eligible()
        .map(|m| i64::from(weights.get(m).copied().unwrap_or(0)))
        .sum();
    if total == 0 {
        return None;
    }
    for m in eligible() {
        if let (Some(c), Some(w)) = (credit.get_mut(m), weights.get(m)) {
            *c += i64::from(*w);
        }
    }
    let picked = eligible().max_by_key(|&m| {
        (
            credit.get(m).copied().unwrap_or(i64::MIN),
            std::cmp::Reverse(m),
        )
    })?;
    if let Some(c) = credit.get_mut(picked) {
        *c -= total;
    }
    Some(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_takes_turns_and_skips_who_cannot_take() {
        let mut next = 0;
        let mut picks = Vec::new();
        for _ in 0..5 {
            let m = round_robin(3, |m| m != 1, next).unwrap_or(usize::MAX);
            picks.push(m);
            next = m + 1;
        }
        assert_eq!(picks, [0, 2, 0, 2, 0]);
        assert_eq!(round_robin(3, |_| false, 0), None);
    }

    #[test]
    fn sixty_forty_over_ten_records_is_six_four_in_one_interleaving() {
        let weights = [6_000, 4_000];
        let mut credit = [0, 0];
        let picks: Vec<usize> = (0..10)
            .filter_map(|_| smooth_weighted(&weights, |_| true, &mut credit))
            .collect();
        assert_eq!(picks, [0, 1, 0, 1, 0, 0, 1, 0, 1, 0]);
        assert_eq!(picks.iter().filter(|&&m| m == 0).count(), 6);
        assert_eq!(
            credit,
            [0, 0],
            "after a whole cycle the credit is even again"
        );
    }

    #[test]
    fn weights_follow_over_any_prefix() {
        let weights = [5_000, 3_000, 2_000];
        let mut credit = [0; 3];
        let mut counts = [0i64; 3];
        for n in 1..=100i64 {
            let m = smooth_weighted(&weights, |_| true, &mut credit).unwrap_or(0);
            counts[m] += 1;
            for (count, w) in counts.iter().zip(weights) {
                // Never more than one record from the exact share.
                assert!(
                    (count * 10_000 - n * i64::from(w)).abs() <= 10_000,
                    "{counts:?} after {n}"
                );
            }
        }
    }

    #[test]
    fn a_member_who_cannot_take_gains_no_credit() {
        let weights = [5_000, 5_000];
        let mut credit = [0, 0];
        assert_eq!(smooth_weighted(&weights, |m| m == 1, &mut credit), Some(1));
        assert_eq!(credit, [0, 0]);
        assert_eq!(smooth_weighted(&weights, |_| false, &mut credit), None);
    }
}
