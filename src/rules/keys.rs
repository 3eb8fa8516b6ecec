//! The keys a file rule has seen (a detail report's entities, a counts report's day and
//! dimension values), each with the line it was first seen on.
//!
//! Why not a `HashMap<Box<str>, u64>`: a 20,000-user download is 20,000 keys, and a large
//! file is checked in pieces whose sets are then joined. Here the keys' text lives in one
//! buffer (no allocation per key) and each entry keeps its hash, so growing the table and
//! joining a piece's set never hash or copy a key one by one (BENCHMARKS.md, "Detail
//! reports").

use std::hash::BuildHasher;
use std::sync::LazyLock;

use hashbrown::HashTable;

/// One hasher for the process: sets are joined by their stored hashes, so every set must
/// hash alike. Seeded at random, as `HashMap`'s is, so a file cannot be made to collide.
static HASHER: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);

/// A key's place in [`KeySet::text`], its hash and the line it was first seen on.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    start: usize,
    len: u32,
    line: u64,
}

/// A set of keys, each with the line it was first seen on.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// Every key's bytes, one after another.
    text: String,
    table: HashTable<Entry>,
}

impl KeySet {
    /// Notes `key` as seen on `line`; the line it was first seen on, if it was seen before.
    pub fn seen_before(&mut self, key: &str, line: u64) -> Option<u64> {
        let hash = HASHER.hash_one(key);
        let text = &self.text;
        let same = |e: &Entry| e.len as usize == key.len() && &text[e.start..][..key.len()] == key;
        if let Some(entry) = self.table.find(hash, same) {
            return Some(entry.line);
        }
        let Ok(len) = u32::try_from(key.len()) else {
            // A key of 4 GiB cannot be in a record a reader lets through; not noted.
            return None;
        };
        let start = self.text.len();
        self.text.push_str(key);
        self.table.insert_unique(
            hash,
            Entry {
                hash,
                start,
                len,
                line,
            },
            |e| e.hash,
        );
        None
    }

    /// Makes room for `more` keys like those held so far, at once rather than growing (and
    /// moving every entry) as they come.
    pub fn reserve(&mut self, more: usize) {
        if let Some(per_key) = self.text.len().checked_div(self.table.len()) {
            self.text.reserve(more.saturating_mul(per_key));
        }
        self.table.reserve(more, |e| e.hash);
    }

    /// Whether no key of `other` is in this set.
    pub fn disjoint(&self, other: &KeySet) -> bool {
        other
            .table
            .iter()
            .all(|e| self.find(other.key(e), e.hash).is_none())
    }

    /// Adds the keys of `other`, which [`KeySet::disjoint`] said this set lacks, with their
    /// lines.
    pub fn extend_disjoint(&mut self, other: &KeySet) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.table.reserve(other.table.len(), |e| e.hash);
        for e in other.table.iter() {
            debug_assert!(self.find(other.key(e), e.hash).is_none());
            let entry = Entry {
                start: e.start + offset,
                ..*e
            };
            self.table.insert_unique(e.hash, entry, |e| e.hash);
        }
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    fn key(&self, e: &Entry) -> &str {
        &self.text[e.start..][..e.len as usize]
    }

    fn find(&self, key: &str, hash: u64) -> Option<&Entry> {
        self.table.find(hash, |e| self.key(e) == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_again_gives_the_line_it_was_first_seen_on() {
        let mut keys = KeySet::default();
        assert_eq!(keys.seen_before("a@contoso.com", 2), None);
        assert_eq!(keys.seen_before("b@contoso.com", 3), None);
        assert_eq!(keys.seen_before("a@contoso.com", 9), Some(2));
        assert_eq!(keys.seen_before("a@contoso.co", 10), None);
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn joined_sets_keep_every_key_and_its_first_line() {
        let (mut early, mut late) = (KeySet::default(), KeySet::default());
        for (i, key) in ["x", "y", "zz"].iter().enumerate() {
            early.seen_before(key, i as u64 + 2);
        }
        for (i, key) in ["w", "yy"].iter().enumerate() {
            late.seen_before(key, i as u64 + 10);
        }
        assert!(early.disjoint(&late) && late.disjoint(&early));
        early.extend_disjoint(&late);
        assert_eq!(early.len(), 5);
        assert_eq!(early.seen_before("yy", 99), Some(11));
        assert_eq!(early.seen_before("zz", 99), Some(4));
        assert_eq!(early.seen_before("w", 99), Some(10));
        let mut again = KeySet::default();
        again.seen_before("zz", 50);
        assert!(!early.disjoint(&again));
    }

    #[test]
    fn keys_noted_after_making_room_are_found_as_before() {
        let mut keys = KeySet::default();
        keys.reserve(100);
        assert_eq!(keys.seen_before("a", 2), None);
        keys.reserve(1000);
        for i in 0..1000u64 {
            assert_eq!(keys.seen_before(&i.to_string(), i + 3), None);
        }
        assert_eq!(keys.seen_before("a", 9), Some(2));
        assert_eq!(keys.seen_before("999", 9), Some(1002));
        assert_eq!(keys.len(), 1001);
    }

    #[test]
    fn many_keys_survive_the_table_growing() {
        let mut keys = KeySet::default();
        for i in 0..10_000u64 {
            assert_eq!(keys.seen_before(&format!("user{i}@contoso.com"), i), None);
        }
        for i in 0..10_000u64 {
            assert_eq!(
                keys.seen_before(&format!("user{i}@contoso.com"), 0),
                Some(i)
            );
        }
    }
}
