//! [`StrMap`]: the map every core type uses, from strings to values, in key
//! order.
//!
//! It is two sorted vectors, keys and values, not a `BTreeMap`. `BTreeMap`
//! compiles its node code (search, insert, split, iterate, drop) again for
//! every value type, and with eighteen value types that was about 50 KB of
//! the wasm. Here the key search is one function for every map, and what is
//! left per value type is a vector insert. The maps are small (at most a few
//! dozen purposes, events, fields or category values, all bounded by the
//! config), so an insert that moves the tail of a vector is cheap.
//!
//! It behaves as `BTreeMap<String, V>` does for what the core uses: keys are
//! unique, iteration is in byte order of the keys, a later insert of a key
//! replaces the earlier value, and it (de)serializes as a JSON object.

use std::fmt;

/// A map from `String` keys to `V`, iterated in key order.
#[derive(Clone, PartialEq, Eq)]
pub struct StrMap<V> {
    keys: Vec<String>,
    vals: Vec<V>,
}

/// Where `key` is in `keys`, or where it would go. One copy for every map.
fn search(keys: &[String], key: &str) -> Result<usize, usize> {
    keys.binary_search_by(|k| k.as_str().cmp(key))
}

/// `(key, value)` pairs in key order.
pub type Iter<'a, V> = std::iter::Zip<std::slice::Iter<'a, String>, std::slice::Iter<'a, V>>;
/// `(key, mutable value)` pairs in key order.
pub type IterMut<'a, V> = std::iter::Zip<std::slice::Iter<'a, String>, std::slice::IterMut<'a, V>>;
/// Owned `(key, value)` pairs in key order.
pub type IntoIter<V> = std::iter::Zip<std::vec::IntoIter<String>, std::vec::IntoIter<V>>;

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> StrMap<V> {
    /// An empty map.
    pub const fn new() -> Self {
        StrMap { keys: Vec::new(), vals: Vec::new() }
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        search(&self.keys, key).ok().map(|i| &self.vals[i])
    }

    /// The stored key equal to `key`, and its value.
    pub fn get_key_value(&self, key: &str) -> Option<(&String, &V)> {
        search(&self.keys, key).ok().map(|i| (&self.keys[i], &self.vals[i]))
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        search(&self.keys, key).ok().map(|i| &mut self.vals[i])
    }

    /// Whether `key` is in the map.
    pub fn contains_key(&self, key: &str) -> bool {
        search(&self.keys, key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match search(&self.keys, &key) {
            Ok(i) => Some(std::mem::replace(&mut self.vals[i], value)),
            Err(i) => {
                self.keys.insert(i, key);
                self.vals.insert(i, value);
                None
            }
        }
    }

    /// Takes `key` out; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = search(&self.keys, key).ok()?;
        self.keys.remove(i);
        Some(self.vals.remove(i))
    }

    /// The value of `key`, inserting `make()` first if it is missing.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let i = match search(&self.keys, key) {
            Ok(i) => i,
            Err(i) => {
                self.keys.insert(i, key.to_string());
                self.vals.insert(i, make());
                i
            }
        };
        &mut self.vals[i]
    }

    /// Keeps only the pairs for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut V) -> bool) {
        let mut i = 0;
        while i < self.keys.len() {
            if keep(&self.keys[i], &mut self.vals[i]) {
                i += 1;
            } else {
                self.keys.remove(i);
                self.vals.remove(i);
            }
        }
    }

    /// `(key, value)` pairs in key order.
    pub fn iter(&self) -> Iter<'_, V> {
        self.keys.iter().zip(self.vals.iter())
    }

    /// `(key, mutable value)` pairs in key order.
    pub fn iter_mut(&mut self) -> IterMut<'_, V> {
        self.keys.iter().zip(self.vals.iter_mut())
    }

    /// The keys, in order.
    pub fn keys(&self) -> std::slice::Iter<'_, String> {
        self.keys.iter()
    }

    /// The values, in key order.
    pub fn values(&self) -> std::slice::Iter<'_, V> {
        self.vals.iter()
    }

    /// The values, in key order, to change.
    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, V> {
        self.vals.iter_mut()
    }
}

impl<V: Default> StrMap<V> {
    /// The value of `key`, inserting the default first if it is missing.
    pub fn get_or_default(&mut self, key: &str) -> &mut V {
        self.get_or_insert_with(key, V::default)
    }
}

impl<V> std::ops::Index<&str> for StrMap<V> {
    type Output = V;
    /// The value of `key`; panics if it is missing, as `BTreeMap` does.
    fn index(&self, key: &str) -> &V {
        self.get(key).expect("key in StrMap")
    }
}

impl<V> FromIterator<(String, V)> for StrMap<V> {
    /// Later duplicates win, as with `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (String, V)>>(pairs: I) -> Self {
        let mut m = StrMap::new();
        m.extend(pairs);
        m
    }
}

impl<V, const N: usize> From<[(String, V); N]> for StrMap<V> {
    fn from(pairs: [(String, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<V> Extend<(String, V)> for StrMap<V> {
    fn extend<I: IntoIterator<Item = (String, V)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<V> IntoIterator for StrMap<V> {
    type Item = (String, V);
    type IntoIter = IntoIter<V>;
    fn into_iter(self) -> IntoIter<V> {
        self.keys.into_iter().zip(self.vals)
    }
}

impl<'a, V> IntoIterator for &'a StrMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut StrMap<V> {
    type Item = (&'a String, &'a mut V);
    type IntoIter = IterMut<'a, V>;
    fn into_iter(self) -> IterMut<'a, V> {
        self.iter_mut()
    }
}

impl<V: fmt::Debug> fmt::Debug for StrMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: serde::Serialize> serde::Serialize for StrMap<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, V: serde::Deserialize<'de>> serde::Deserialize<'de> for StrMap<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = StrMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<StrMap<V>, A::Error> {
                let mut m = StrMap::new();
                while let Some((k, v)) = a.next_entry::<String, V>()? {
                    m.insert(k, v);
                }
                Ok(m)
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// The map of `pairs` (a later duplicate key wins).
pub fn build<V>(pairs: impl IntoIterator<Item = (String, V)>) -> StrMap<V> {
    pairs.into_iter().collect()
}

/// The map of `pairs`, or `None` as soon as one is `None`.
pub fn try_build<V>(pairs: impl IntoIterator<Item = Option<(String, V)>>) -> Option<StrMap<V>> {
    let mut m = StrMap::new();
    for pair in pairs {
        let (k, v) = pair?;
        m.insert(k, v);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String, u8),
        Remove(String),
        Bump(String),
        RetainEven,
    }

    fn op() -> impl Strategy<Value = Op> {
        // A small key alphabet, so that operations hit the same keys often;
        // non-ASCII to check the order is by bytes, as String's is.
        let key = "[ab\u{e9}\u{1f600}]{0,3}";
        prop_oneof![
            (key, any::<u8>()).prop_map(|(k, v)| Op::Insert(k, v)),
            key.prop_map(Op::Remove),
            key.prop_map(Op::Bump),
            Just(Op::RetainEven),
        ]
    }

    proptest! {
        /// Any sequence of operations leaves the same pairs, in the same
        /// order, as the same sequence on a `BTreeMap`, and each returns the
        /// same value.
        #[test]
        fn behaves_as_btreemap(ops in proptest::collection::vec(op(), 0..64)) {
            let mut ours: StrMap<u8> = StrMap::new();
            let mut std: BTreeMap<String, u8> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(ours.insert(k.clone(), v), std.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(ours.remove(&k), std.remove(&k)),
                    Op::Bump(k) => {
                        let a = ours.get_or_default(&k);
                        *a = a.wrapping_add(1);
                        let b = std.entry(k.clone()).or_default();
                        *b = b.wrapping_add(1);
                        prop_assert_eq!(ours.get(&k), std.get(&k));
                    }
                    Op::RetainEven => {
                        ours.retain(|_, v| *v % 2 == 0);
                        std.retain(|_, v| *v % 2 == 0);
                    }
                }
                prop_assert_eq!(ours.len(), std.len());
                prop_assert!(ours.iter().eq(std.iter()));
            }
            for (k, v) in &std {
                prop_assert!(ours.contains_key(k));
                prop_assert_eq!(&ours[k.as_str()], v);
            }
        }
    }

    #[test]
    fn build_is_collect_with_later_duplicates_winning() {
        let pairs = [("b", 1), ("a", 2), ("b", 3)].map(|(k, v)| (k.to_string(), v));
        let std: BTreeMap<String, i32> = pairs.clone().into_iter().collect();
        assert!(build(pairs.clone()).into_iter().eq(std));
        assert_eq!(try_build(pairs.clone().map(Some)), Some(build(pairs)));
        assert_eq!(try_build([Some(("a".to_string(), 1)), None]), None);
    }

    #[test]
    fn serde_is_a_json_object_in_key_order() {
        let m: StrMap<u32> = serde_json::from_str(r#"{"z":1,"a":2,"z":3}"#).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":2,"z":3}"#);
        assert!(serde_json::from_str::<StrMap<u32>>("[1]").is_err());
    }
}
