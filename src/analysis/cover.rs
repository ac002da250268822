//! Whether a union of cubes covers a region, and if not, a part it misses.
//! The region is split along the first cube that cuts it, and the parts
//! outside that cube are searched in turn: a k-d partition guided by the
//! cubes themselves, which never enumerates records.

use super::space::{Cube, Space};

/// How many regions one search may visit before it gives up.
pub const BUDGET: usize = 200_000;

/// The outcome of a search.
#[derive(Debug)]
pub enum Search {
    /// Every record of the region is in some cube.
    Covered,
    /// These records of the region are in none.
    Uncovered(Cube),
    /// The search visited [`BUDGET`] regions without an answer.
    GaveUp,
}

/// Searches `region` for records none of `cubes` holds.
pub fn uncovered(space: &Space, region: &Cube, cubes: &[&Cube], budget: &mut usize) -> Search {
    let all: Vec<usize> = (0..cubes.len()).collect();
    let mut stack = vec![(region.clone(), all)];
    while let Some((piece, candidates)) = stack.pop() {
        if *budget == 0 {
            return Search::GaveUp;
        }
        *budget -= 1;
        let relevant: Vec<usize> = candidates
            .into_iter()
            .filter(|&i| cubes.get(i).is_some_and(|c| space.meet(c, &piece)))
            .collect();
        let Some((&first, rest)) = relevant.split_first() else {
            return Search::Uncovered(piece);
        };
        if relevant
            .iter()
            .any(|&i| cubes.get(i).is_some_and(|c| c.contains(&piece)))
        {
            continue;
        }
        let Some(cut) = cubes.get(first) else {
            continue;
        };
        // Pushed in reverse so the parts are searched in the order they were cut.
        for part in space.minus(&piece, cut).into_iter().rev() {
            stack.push((part, rest.to_vec()));
        }
    }
    Search::Covered
}
