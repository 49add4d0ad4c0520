//! Answers kept for the commit they were read from: a page that searches as you type asks
//! the same few prefixes again and again, and scripts repeat their requests.
//!
//! An answer depends only on the request and on the commit, so the cache lives in
//! [`Loaded`](super::Loaded): a refresh brings a new, empty cache and the old one goes
//! away with the last request still reading the old commit. Nothing is ever stale.
//!
//! It is bounded in bytes. Answers go into a "recent" half; when that half holds half the
//! budget it becomes the "older" half and the previous older half is dropped. A hit in the
//! older half moves the answer back into the recent one, so what is asked often stays.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::http::StatusCode;

/// A cached answer: its status and its body.
#[derive(Clone)]
pub(crate) struct Cached {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

#[derive(Default)]
struct Halves {
    recent: HashMap<String, Cached>,
    older: HashMap<String, Cached>,
    recent_bytes: usize,
}

/// The answers of one commit, at most `budget` bytes of them.
pub(crate) struct Answers {
    budget: usize,
    halves: Mutex<Halves>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What the cache did so far, for `/api/status`.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct CacheCounts {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Requests that ran a lookup.
    pub misses: u64,
    /// Answers held.
    pub entries: usize,
    /// Bytes held (bodies and keys).
    pub bytes: usize,
}

impl Answers {
    /// A cache of at most `budget` bytes; 0 keeps nothing.
    pub(crate) fn new(budget: usize) -> Answers {
        Answers {
            budget,
            halves: Mutex::new(Halves::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn halves(&self) -> std::sync::MutexGuard<'_, Halves> {
        self.halves.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer to `key`, if kept; counts a hit or a miss.
    pub(crate) fn get(&self, key: &str) -> Option<Cached> {
        if self.budget == 0 {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let found = {
            let mut halves = self.halves();
            match halves.recent.get(key) {
                Some(found) => Some(found.clone()),
                None => halves.older.remove(key).inspect(|found| {
                    halves.insert(key.to_string(), found.clone(), self.budget);
                }),
            }
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps an answer (unless it alone would take more than a quarter of the budget).
    pub(crate) fn put(&self, key: String, answer: Cached) {
        if self.budget > 0 && size(&key, &answer) <= self.budget / 4 {
            self.halves().insert(key, answer, self.budget);
        }
    }

    /// Hits, misses and what is held.
    pub(crate) fn counts(&self) -> CacheCounts {
        let halves = self.halves();
        let entries = halves.recent.len() + halves.older.len();
        let bytes =
            halves.recent_bytes + halves.older.iter().map(|(k, a)| size(k, a)).sum::<usize>();
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }
}

fn size(key: &str, answer: &Cached) -> usize {
    key.len() + answer.body.len()
}

impl Halves {
    fn insert(&mut self, key: String, answer: Cached, budget: usize) {
        self.older.remove(&key);
        if let Some(old) = self.recent.remove(&key) {
            self.recent_bytes -= size(&key, &old);
        }
        let bytes = size(&key, &answer);
        if self.recent_bytes + bytes > budget / 2 {
            self.older = std::mem::take(&mut self.recent);
            self.recent_bytes = 0;
        }
        self.recent_bytes += bytes;
        self.recent.insert(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: usize) -> Cached {
        Cached {
            status: StatusCode::OK,
            body: Bytes::from(vec![b'x'; n]),
        }
    }

    #[test]
    fn keeps_what_is_asked_often_within_its_budget() {
        let cache = Answers::new(1000);
        cache.put("often".into(), answer(95));
        for n in 0..40 {
            cache.put(format!("once-{n:02}"), answer(95));
            assert!(cache.get("often").is_some(), "lost after {n} others");
            assert!(cache.counts().bytes <= 1000);
        }
        assert!(cache.get("once-00").is_none(), "the oldest went");
        assert!(cache.get("once-39").is_some());
        let counts = cache.counts();
        assert_eq!((counts.hits, counts.misses), (41, 1));
    }

    #[test]
    fn a_zero_budget_or_a_huge_answer_is_not_kept() {
        let off = Answers::new(0);
        off.put("a".into(), answer(1));
        assert!(off.get("a").is_none());
        let small = Answers::new(1000);
        small.put("big".into(), answer(300));
        assert!(small.get("big").is_none());
        small.put("a".into(), answer(10));
        small.put("a".into(), answer(20));
        assert_eq!(small.get("a").unwrap().body.len(), 20);
        assert_eq!(small.counts().bytes, 21);
    }
}
