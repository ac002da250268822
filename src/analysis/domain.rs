//! The values one field may take within a region of records: a finite choice
//! (bools, enum variants, presence), sorted integer ranges (ints, numbers,
//! dates, times and durations by an order-preserving key), or a set of strings
//! described by equalities and prefixes. Every operation is exact.

use std::collections::BTreeSet;

/// The values of one dimension.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// A subset of `0..len` (false/true, variants by index, absent/present).
    Choices(Choices),
    /// Sorted, disjoint, non-adjacent closed ranges of keys.
    Ranges(Vec<(i128, i128)>),
    /// A set of strings.
    Text(Text),
    /// A field the analysis does not constrain (a list, say): every value.
    Any,
}

/// A subset of `0..len` as a bit set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choices {
    words: Vec<u64>,
    len: u32,
}

impl Choices {
    /// Every choice of `len`.
    pub fn all(len: u32) -> Choices {
        let mut c = Choices::none(len);
        for i in 0..len {
            c.insert(i);
        }
        c
    }

    /// No choice of `len`.
    pub fn none(len: u32) -> Choices {
        Choices {
            words: vec![0; (len as usize).div_ceil(64)],
            len,
        }
    }

    /// The given choices of `len` (indices beyond `len` are ignored).
    pub fn of(len: u32, items: impl IntoIterator<Item = u32>) -> Choices {
        let mut c = Choices::none(len);
        for i in items {
            c.insert(i);
        }
        c
    }

    fn insert(&mut self, i: u32) {
        if i < self.len
            && let Some(w) = self.words.get_mut((i / 64) as usize)
        {
            *w |= 1 << (i % 64);
        }
    }

    /// Whether `i` is a choice.
    pub fn has(&self, i: u32) -> bool {
        self.words
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The first choice.
    pub fn first(&self) -> Option<u32> {
        (0..self.len).find(|&i| self.has(i))
    }

    /// How many choices there are to pick from (`0..width`).
    pub fn width(&self) -> u32 {
        self.len
    }

    /// How many choices there are.
    pub fn count(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    fn zip(&self, other: &Choices, f: impl Fn(u64, u64) -> u64) -> Choices {
        Choices {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| f(*a, *b))
                .collect(),
            len: self.len,
        }
    }
}

/// A set of strings: exactly some strings, or every string that starts with
/// `prefix` except the `excluded` ones and those that start with a `barred` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// Exactly these.
    Only(BTreeSet<String>),
    /// Infinitely many: those that start with `prefix`, are not `excluded`,
    /// and start with no `barred` prefix.
    Open {
        /// Every member starts with it.
        prefix: String,
        /// Members left out one by one.
        excluded: BTreeSet<String>,
        /// Members left out by prefix.
        barred: Vec<String>,
    },
}

impl Text {
    /// Every string.
    pub fn all() -> Text {
        Text::starting_with("")
    }

    /// Every string starting with `prefix`.
    pub fn starting_with(prefix: &str) -> Text {
        Text::Open {
            prefix: prefix.to_owned(),
            excluded: BTreeSet::new(),
            barred: Vec::new(),
        }
    }

    /// Whether `s` is a member.
    pub fn contains(&self, s: &str) -> bool {
        match self {
            Text::Only(set) => set.contains(s),
            Text::Open {
                prefix,
                excluded,
                barred,
            } => {
                s.starts_with(prefix.as_str())
                    && !excluded.contains(s)
                    && !barred.iter().any(|b| s.starts_with(b.as_str()))
            }
        }
    }

    /// The same set with redundant parts dropped; empty sets become `Only(∅)`.
    fn normal(self) -> Text {
        match self {
            Text::Only(_) => self,
            Text::Open {
                prefix,
                excluded,
                barred,
            } => {
                if barred.iter().any(|b| prefix.starts_with(b.as_str())) {
                    return Text::Only(BTreeSet::new());
                }
                let mut kept: Vec<String> = barred
                    .into_iter()
                    .filter(|b| b.starts_with(prefix.as_str()))
                    .collect();
                kept.sort();
                kept.dedup();
                // A barred prefix that extends another barred prefix adds nothing.
                let barred: Vec<String> = kept
                    .iter()
                    .filter(|b| !kept.iter().any(|o| o != *b && b.starts_with(o.as_str())))
                    .cloned()
                    .collect();
                let excluded = excluded
                    .into_iter()
                    .filter(|e| {
                        e.starts_with(prefix.as_str())
                            && !barred.iter().any(|b| e.starts_with(b.as_str()))
                    })
                    .collect();
                Text::Open {
                    prefix,
                    excluded,
                    barred,
                }
            }
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Text::Only(set) if set.is_empty())
    }

    fn intersect(&self, other: &Text) -> Text {
        match (self, other) {
            (Text::Only(set), x) | (x, Text::Only(set)) => {
                Text::Only(set.iter().filter(|s| x.contains(s)).cloned().collect())
            }
            (
                Text::Open {
                    prefix: p1,
                    excluded: e1,
                    barred: b1,
                },
                Text::Open {
                    prefix: p2,
                    excluded: e2,
                    barred: b2,
                },
            ) => {
                let prefix = if p1.starts_with(p2.as_str()) {
                    p1
                } else if p2.starts_with(p1.as_str()) {
                    p2
                } else {
                    return Text::Only(BTreeSet::new());
                };
                Text::Open {
                    prefix: prefix.clone(),
                    excluded: e1.union(e2).cloned().collect(),
                    barred: b1.iter().chain(b2).cloned().collect(),
                }
                .normal()
            }
        }
    }

    /// The complement as a union of sets.
    fn complement(&self) -> Vec<Text> {
        match self {
            Text::Only(set) => vec![Text::Open {
                prefix: String::new(),
                excluded: set.clone(),
                barred: Vec::new(),
            }],
            Text::Open {
                prefix,
                excluded,
                barred,
            } => {
                let mut parts = Vec::new();
                if !prefix.is_empty() {
                    parts.push(Text::Open {
                        prefix: String::new(),
                        excluded: BTreeSet::new(),
                        barred: vec![prefix.clone()],
                    });
                }
                if !excluded.is_empty() {
                    parts.push(Text::Only(excluded.clone()));
                }
                parts.extend(barred.iter().map(|b| Text::starting_with(b)));
                parts
            }
        }
    }

    fn is_subset(&self, of: &Text) -> bool {
        if self.is_empty() {
            return true;
        }
        match (self, of) {
            (Text::Only(set), _) => set.iter().all(|s| of.contains(s)),
            (Text::Open { .. }, Text::Only(_)) => false,
            (
                Text::Open {
                    prefix: p,
                    barred: b,
                    ..
                },
                Text::Open {
                    prefix: op,
                    excluded: oe,
                    barred: ob,
                },
            ) => {
                // Below its prefix an open set is infinite, and finitely many
                // exclusions or barred prefixes empty no branch but their own.
                p.starts_with(op.as_str())
                    && oe.iter().all(|x| !self.contains(x))
                    && ob.iter().all(|q| {
                        if p.starts_with(q.as_str()) {
                            false
                        } else if q.starts_with(p.as_str()) {
                            b.iter().any(|bb| q.starts_with(bb.as_str()))
                        } else {
                            true
                        }
                    })
            }
        }
    }

    /// A member, preferring short, readable strings.
    pub fn pick(&self) -> Option<String> {
        match self {
            Text::Only(set) => set.iter().next().cloned(),
            Text::Open { prefix, .. } => {
                let mut candidates: Vec<String> = Vec::new();
                if prefix.is_empty() {
                    candidates.push("other".to_owned());
                } else {
                    candidates.push(prefix.clone());
                }
                // One more candidate than there are exclusions and barred
                // prefixes, each starting differently, so one of them is free.
                let (excluded, barred) = match self {
                    Text::Open {
                        excluded, barred, ..
                    } => (excluded.len(), barred.len()),
                    Text::Only(_) => (0, 0),
                };
                let letters = ('a'..='z').chain('A'..='Z').chain('0'..='9');
                let more = letters.chain((0x100u32..).filter_map(char::from_u32));
                candidates.extend(
                    more.take(excluded + barred + 2)
                        .map(|c| format!("{prefix}{c}")),
                );
                candidates.into_iter().find(|c| self.contains(c))
            }
        }
    }
}

impl Domain {
    /// Whether no value is left.
    pub fn is_empty(&self) -> bool {
        match self {
            Domain::Choices(c) => c.count() == 0,
            Domain::Ranges(r) => r.is_empty(),
            Domain::Text(t) => t.is_empty(),
            Domain::Any => false,
        }
    }

    /// The values in both.
    pub fn intersect(&self, other: &Domain) -> Domain {
        match (self, other) {
            (Domain::Any, x) | (x, Domain::Any) => x.clone(),
            (Domain::Choices(a), Domain::Choices(b)) => Domain::Choices(a.zip(b, |x, y| x & y)),
            (Domain::Ranges(a), Domain::Ranges(b)) => Domain::Ranges(intersect_ranges(a, b)),
            (Domain::Text(a), Domain::Text(b)) => Domain::Text(a.intersect(b)),
            // Dimensions never mix kinds; if they did, nothing is in both.
            _ => Domain::Ranges(Vec::new()),
        }
    }

    /// Whether some value is in both (without building the intersection when it can).
    pub fn meets(&self, other: &Domain) -> bool {
        match (self, other) {
            (Domain::Any, x) | (x, Domain::Any) => !x.is_empty(),
            (Domain::Choices(a), Domain::Choices(b)) => {
                a.words.iter().zip(&b.words).any(|(x, y)| x & y != 0)
            }
            (Domain::Ranges(a), Domain::Ranges(b)) => {
                let (mut i, mut j) = (0, 0);
                while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
                    if alo.max(blo) <= ahi.min(bhi) {
                        return true;
                    }
                    if ahi < bhi {
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
                false
            }
            (Domain::Text(Text::Only(set)), Domain::Text(t))
            | (Domain::Text(t), Domain::Text(Text::Only(set))) => set.iter().any(|s| t.contains(s)),
            _ => !self.intersect(other).is_empty(),
        }
    }

    /// Whether every value of `self` is in `of`.
    pub fn is_subset(&self, of: &Domain) -> bool {
        match (self, of) {
            (_, Domain::Any) => true,
            (Domain::Any, _) => false,
            (Domain::Choices(a), Domain::Choices(b)) => a.zip(b, |x, y| x & !y).count() == 0,
            (Domain::Ranges(a), Domain::Ranges(b)) => a
                .iter()
                .all(|&(lo, hi)| b.iter().any(|&(blo, bhi)| blo <= lo && hi <= bhi)),
            (Domain::Text(a), Domain::Text(b)) => a.is_subset(b),
            _ => self.is_empty(),
        }
    }

    /// `self` without the values of `other`, as disjoint or overlapping pieces
    /// whose union is exactly the difference; empty pieces are left out.
    /// `full` is the dimension's every value, for ranges.
    pub fn minus(&self, other: &Domain, full: &Domain) -> Vec<Domain> {
        let this = if *self == Domain::Any { full } else { self };
        let pieces = match (this, other) {
            (_, Domain::Any) | (Domain::Any, _) => Vec::new(),
            (Domain::Choices(a), Domain::Choices(b)) => {
                vec![Domain::Choices(a.zip(b, |x, y| x & !y))]
            }
            (Domain::Ranges(a), Domain::Ranges(b)) => {
                let Domain::Ranges(universe) = full else {
                    return Vec::new();
                };
                vec![Domain::Ranges(intersect_ranges(
                    a,
                    &complement_ranges(b, universe),
                ))]
            }
            (Domain::Text(a), Domain::Text(b)) => b
                .complement()
                .iter()
                .map(|c| Domain::Text(a.intersect(c)))
                .collect(),
            _ => vec![this.clone()],
        };
        pieces.into_iter().filter(|p| !p.is_empty()).collect()
    }
}

/// The keys in both lists of ranges.
fn intersect_ranges(a: &[(i128, i128)], b: &[(i128, i128)]) -> Vec<(i128, i128)> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
        let lo = alo.max(blo);
        let hi = ahi.min(bhi);
        if lo <= hi {
            out.push((lo, hi));
        }
        if ahi < bhi {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The keys of `universe` outside `ranges`.
fn complement_ranges(ranges: &[(i128, i128)], universe: &[(i128, i128)]) -> Vec<(i128, i128)> {
    let (Some(&(lo, _)), Some(&(_, hi))) = (universe.first(), universe.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut next = lo;
    for &(rlo, rhi) in ranges {
        if rlo > next {
            out.push((next, rlo - 1));
        }
        next = next.max(rhi.saturating_add(1));
    }
    if next <= hi {
        out.push((next, hi));
    }
    intersect_ranges(&out, universe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(items: &[&str]) -> Text {
        Text::Only(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn ranges_subtract_and_complement_exactly() {
        let full = Domain::Ranges(vec![(-100, 100)]);
        let a = Domain::Ranges(vec![(0, 50)]);
        let b = Domain::Ranges(vec![(10, 20), (40, 60)]);
        assert_eq!(
            a.minus(&b, &full),
            vec![Domain::Ranges(vec![(0, 9), (21, 39)])]
        );
        assert_eq!(
            full.minus(&a, &full),
            vec![Domain::Ranges(vec![(-100, -1), (51, 100)])]
        );
        assert!(Domain::Ranges(vec![(12, 18)]).is_subset(&b));
        assert!(!Domain::Ranges(vec![(12, 45)]).is_subset(&b));
    }

    #[test]
    fn text_sets_intersect_by_prefix_and_exclusion() {
        let vp = Text::starting_with("VP");
        let not_vp_sales = Text::Open {
            prefix: String::new(),
            excluded: BTreeSet::new(),
            barred: vec!["VP Sales".to_owned()],
        };
        let both = vp.intersect(&not_vp_sales);
        assert!(both.contains("VP Marketing"));
        assert!(!both.contains("VP Sales EMEA"));
        assert!(!both.contains("CEO"));
        assert!(both.is_subset(&vp));
        assert!(!vp.is_subset(&both));
        assert!(only(&["VP", "VPx"]).is_subset(&vp));
        // Starting with "VP" and barred from "V": nothing.
        let none = vp.intersect(&Text::Open {
            prefix: String::new(),
            excluded: BTreeSet::new(),
            barred: vec!["V".to_owned()],
        });
        assert!(none.is_empty());
    }

    #[test]
    fn text_complement_covers_everything_else() {
        let set = Text::Open {
            prefix: "A".to_owned(),
            excluded: ["AB".to_owned()].into(),
            barred: vec!["AC".to_owned()],
        };
        for s in ["", "A", "AB", "ACx", "B", "Az"] {
            let outside = set.complement().iter().any(|c| c.contains(s));
            assert_eq!(outside, !set.contains(s), "{s:?}");
        }
    }

    #[test]
    fn a_string_is_picked_from_any_non_empty_set() {
        let crowded = Text::Open {
            prefix: String::new(),
            excluded: ["other".to_owned(), "a".to_owned()].into(),
            barred: vec!["b".to_owned(), "c".to_owned()],
        };
        let picked = crowded.pick().unwrap_or_default();
        assert!(crowded.contains(&picked), "{picked:?}");
        assert_eq!(only(&["DE"]).pick().as_deref(), Some("DE"));
    }
}
