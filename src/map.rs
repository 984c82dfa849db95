//! Building `BTreeMap`s without `collect()`.
//!
//! `BTreeMap`'s `FromIterator` buffers the pairs and sorts them before it
//! builds the tree, and that sort is compiled again for every key and value
//! type: two dozen copies of it were about 50 KB of the wasm. Inserting one
//! pair at a time uses `insert`, which each map type compiles anyway. The
//! result is the same map (a later duplicate key wins).

use std::collections::BTreeMap;

/// The map of `pairs`.
pub fn build<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut m = BTreeMap::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    m
}

/// The map of `pairs`, or `None` as soon as one is `None`.
pub fn try_build<K: Ord, V>(pairs: impl IntoIterator<Item = Option<(K, V)>>) -> Option<BTreeMap<K, V>> {
    let mut m = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair?;
        m.insert(k, v);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_collect() {
        let pairs = [("b", 1), ("a", 2), ("b", 3)];
        assert_eq!(build(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(try_build(pairs.map(Some)), Some(build(pairs)));
        assert_eq!(try_build([Some(("a", 1)), None]), None);
    }
}
