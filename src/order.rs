//! One sort for every list the wasm sorts.
//!
//! A slice sort is compiled again for every element type and comparison
//! (about 2.5 KB of wasm each). Sorting positions with a comparison passed as
//! `&dyn Fn` compiles it once; callers then read their items in that order.

use std::cmp::Ordering;

/// The positions `0..len`, ordered by `cmp`; equal positions keep their order.
pub fn positions(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as a stable sort of the items.
        #[test]
        fn is_a_stable_sort(items in proptest::collection::vec(0u8..8, 0..40)) {
            let mut stable: Vec<usize> = (0..items.len()).collect();
            stable.sort_by_key(|&i| items[i]);
            prop_assert_eq!(positions(items.len(), &|a, b| items[a].cmp(&items[b])), stable);
        }
    }
}
