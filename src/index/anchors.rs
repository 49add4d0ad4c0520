//! `stat`s of the notes and folders a manifest names, resolved from open handles on the
//! folders that hold many others (Linux: `openat` with `O_PATH`, then `fstatat`), so the
//! kernel walks one or two path components per `stat` instead of the whole path from the
//! notes folder (and the folders above it). The freshness check `stat`s every note and
//! folder, so this is most of what a query or refresh costs on a large notes folder.
//!
//! A folder renamed or replaced while its handle is open is seen as it was when opened: a
//! run then records what it saw at that moment (as a walk that had just passed by would),
//! and the next check, going by the path, sees that the stamp moved.

use std::path::Path;

use crate::notes;

/// Open folders at most (a process may be allowed only 1024 descriptors in all).
const MOST: usize = 512;

/// What a `stat` (following links) says of a path.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    /// What a note's line compares.
    pub stat: notes::Stat,
    /// What a folder's line compares ([`notes::dir_stamp`]).
    pub stamp: u64,
}

/// Handles on the notes folder and on the folders holding the most folders.
pub struct Anchors {
    #[cfg(target_os = "linux")]
    root: Option<std::os::fd::OwnedFd>,
    #[cfg(target_os = "linux")]
    below: rustc_hash::FxHashMap<String, std::os::fd::OwnedFd>,
}

impl Anchors {
    /// Opens `root` and the folders (keys of `dirs`, sorted) that hold the most subfolders.
    pub fn open(root: &Path, dirs: &[&str]) -> Anchors {
        Anchors::with(root, &busiest(dirs))
    }

    /// Opens `root` and the folders `folders` (keys, parents first; see [`busiest`]).
    #[cfg(target_os = "linux")]
    pub fn with(root: &Path, folders: &[&str]) -> Anchors {
        use std::os::unix::ffi::OsStrExt;
        let mut anchors = Anchors {
            root: open_at(libc::AT_FDCWD, root.as_os_str().as_bytes()),
            below: Default::default(),
        };
        if anchors.root.is_none() {
            return anchors;
        }
        // Each opens from the nearest open folder above it.
        for &dir in folders {
            let (fd, rest) = anchors.anchor(dir);
            if let Some(opened) = fd.and_then(|fd| open_at(fd, rest.as_bytes())) {
                anchors.below.insert(dir.to_string(), opened);
            }
        }
        anchors
    }

    /// The open handle on the notes folder (`key` `None`) or on the folder `key`, when it
    /// is open.
    #[cfg(target_os = "linux")]
    pub fn handle(&self, key: Option<&str>) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match key {
            None => self.root.as_ref().map(|fd| fd.as_raw_fd()),
            Some(key) => self.below.get(key).map(|fd| fd.as_raw_fd()),
        }
    }

    /// No handles: every `stat` goes by the whole path.
    #[cfg(not(target_os = "linux"))]
    pub fn with(_root: &Path, _folders: &[&str]) -> Anchors {
        Anchors {}
    }

    /// The nearest open folder strictly above key `rel`, and the rest of the path from it.
    #[cfg(target_os = "linux")]
    fn anchor<'r>(&self, rel: &'r str) -> (Option<std::os::fd::RawFd>, &'r str) {
        use std::os::fd::AsRawFd;
        let mut end = rel.len();
        // (A byte loop: the last separator is a few bytes back, nearer than a search's setup.)
        while let Some(i) = rel.as_bytes()[..end].iter().rposition(|&b| b == b'/') {
            if let Some(fd) = self.below.get(&rel[..i]) {
                return (Some(fd.as_raw_fd()), &rel[i + 1..]);
            }
            end = i;
        }
        (self.root.as_ref().map(|fd| fd.as_raw_fd()), rel)
    }

    /// A `stat` of the note or folder `rel` under `root` (following links); `None` when
    /// it cannot be `stat`ed.
    pub fn stat(&self, root: &Path, rel: &str) -> Option<Meta> {
        if plain(rel) {
            return self.stat_plain(root, rel);
        }
        by_path(root, rel)
    }

    /// [`Anchors::stat`] of a key known to be [`plain`].
    pub fn stat_plain(&self, root: &Path, rel: &str) -> Option<Meta> {
        debug_assert!(plain(rel));
        #[cfg(target_os = "linux")]
        if !rel.is_empty() {
            if let (Some(fd), rest) = self.anchor(rel) {
                return stat_at(fd, rest);
            }
        }
        by_path(root, rel)
    }
}

/// A `stat` of `rel` under `root` by its whole path.
fn by_path(root: &Path, rel: &str) -> Option<Meta> {
    let path = if rel.is_empty() {
        root.to_path_buf()
    } else {
        notes::rel_path(root, rel)
    };
    let meta = std::fs::metadata(path).ok()?;
    Some(Meta {
        stat: notes::Stat {
            is_file: meta.is_file(),
            size: meta.len(),
            mtime_ns: notes::mtime_ns(&meta),
        },
        stamp: notes::dir_stamp(&meta),
    })
}

/// The folders worth a handle, of the folder keys `dirs` (as a manifest writes them): those
/// holding the most subfolders (at least two), at most [`MOST`], sorted, so parents come
/// first. Keys with a backslash (escaped) are left out.
pub fn busiest<'k>(dirs: &[&'k str]) -> Vec<&'k str> {
    let mut counts: rustc_hash::FxHashMap<&str, usize> = Default::default();
    for dir in dirs.iter().filter(|d| !d.is_empty()) {
        *counts.entry(parent_of(dir)).or_default() += 1;
    }
    let mut busiest: Vec<(&str, usize)> = counts
        .into_iter()
        .filter(|(d, n)| *n >= 2 && !d.is_empty() && !d.contains('\\'))
        .collect();
    busiest.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    busiest.truncate(MOST);
    let mut folders: Vec<&str> = busiest.into_iter().map(|(d, _)| d).collect();
    folders.sort_unstable();
    folders
}

/// `openat(fd, path, O_PATH | O_DIRECTORY)`.
#[cfg(target_os = "linux")]
fn open_at(fd: std::os::fd::RawFd, path: &[u8]) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let path = std::ffi::CString::new(path).ok()?;
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
    // SAFETY: `path` is NUL-terminated; a descriptor returned is ours alone to close.
    let opened = unsafe { libc::openat(fd, path.as_ptr(), flags) };
    // SAFETY: `opened` is a fresh descriptor (checked non-negative).
    (opened >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(opened) })
}

/// True when `key` holds neither a backslash (an escaped key, or a Windows separator) nor
/// a NUL byte: read eight bytes at a time (keys are short: a library search costs more to
/// set up than it saves, and this is one pass for both bytes).
pub fn plain(key: &str) -> bool {
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const SLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // A zero byte of `x` sets its high bit in the result (the lowest one exactly; a false
    // flag above it only follows a real one, and either way the word has a zero byte).
    let zero = |x: u64| x.wrapping_sub(LOW) & !x & HIGH != 0;
    let mut chunks = key.as_bytes().chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        if zero(x) || zero(x ^ SLASHES) {
            return false;
        }
    }
    !chunks.remainder().iter().any(|&c| c == b'\\' || c == 0)
}

/// `fstatat(fd, path)`, following links, as [`Meta`]. `path` holds no NUL byte
/// ([`plain`]).
#[cfg(target_os = "linux")]
fn stat_at(fd: std::os::fd::RawFd, path: &str) -> Option<Meta> {
    // A short path is made NUL-terminated on the stack, a long one in a `CString`.
    let mut buf = [0u8; 256];
    let long;
    let name = if path.len() < buf.len() {
        buf[..path.len()].copy_from_slice(path.as_bytes());
        // SAFETY: `path` holds no NUL byte, and the byte after it is 0.
        unsafe { std::ffi::CStr::from_bytes_with_nul_unchecked(&buf[..=path.len()]) }
    } else {
        long = std::ffi::CString::new(path).ok()?;
        long.as_c_str()
    };
    stat_name(fd, name)
}

/// `fstatat(fd, name)`, following links, as [`Meta`].
#[cfg(target_os = "linux")]
fn stat_name(fd: std::os::fd::RawFd, name: &std::ffi::CStr) -> Option<Meta> {
    // SAFETY: `name` is NUL-terminated.
    unsafe { stat_raw(fd, name.as_ptr()) }
}

/// `fstatat(fd, name)`, following links, as [`Meta`], of a name given by where it starts.
///
/// # Safety
/// `name` points into memory that holds a NUL byte at or after it, readable up to it.
#[cfg(target_os = "linux")]
pub unsafe fn stat_raw(fd: std::os::fd::RawFd, name: *const libc::c_char) -> Option<Meta> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `name` is NUL-terminated (the caller's promise); `st` is written by the call
    // when it returns 0.
    let st = unsafe {
        if libc::fstatat(fd, name, st.as_mut_ptr(), 0) != 0 {
            return None;
        }
        st.assume_init()
    };
    // (`i64` on 64-bit Linux; wider conversions kept for 32-bit targets.)
    #[allow(clippy::useless_conversion)]
    let (mtime, mtime_nsec) = (i64::from(st.st_mtime), i64::from(st.st_mtime_nsec));
    #[allow(clippy::useless_conversion)]
    let (ctime, ctime_nsec) = (i64::from(st.st_ctime), i64::from(st.st_ctime_nsec));
    // As notes::mtime_ns has it from std's `Metadata`: a time before 1970 is 0.
    let mtime_ns = u64::try_from(mtime).map_or(0, |s| {
        (u128::from(s) * 1_000_000_000 + u128::from(u64::try_from(mtime_nsec).unwrap_or(0))) as u64
    });
    // As notes::dir_stamp has it.
    let stamp = u64::try_from(ctime)
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(ctime_nsec).unwrap_or(0));
    Some(Meta {
        stat: notes::Stat {
            is_file: st.st_mode & libc::S_IFMT == libc::S_IFREG,
            size: u64::try_from(st.st_size).unwrap_or(0),
            mtime_ns,
        },
        stamp,
    })
}

/// The folder of a key: `"a/b"` for `"a/b/c"`, `""` for `"c"`.
fn parent_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_plain_unless_a_backslash_or_nul_is_at_any_offset() {
        assert!(plain(""));
        assert!(plain("docs/été/n.md"));
        for len in 1..40 {
            assert!(plain(&"x".repeat(len)), "{len}");
            // Bytes next to the two searched for, and bytes with the high bit set.
            let near: String = "[]\u{1}/é\u{7f}".chars().cycle().take(len).collect();
            assert!(plain(&near), "{near:?}");
            for at in 0..len {
                for bad in ['\\', '\0'] {
                    let mut key: Vec<char> = "x".repeat(len).chars().collect();
                    key[at] = bad;
                    let key: String = key.into_iter().collect();
                    assert!(!plain(&key), "{key:?}");
                }
            }
        }
    }

    #[test]
    fn stats_from_handles_equal_stats_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut dirs = vec![String::new()];
        for a in ["a", "b", "back\\slash"] {
            for sub in ["x", "y", "z"] {
                let rel = format!("{a}/{sub}");
                std::fs::create_dir_all(root.join(&rel)).unwrap();
                std::fs::write(root.join(&rel).join("n.md"), format!("{rel}\n")).unwrap();
                dirs.push(notes::relative(&root.join(a), root));
                dirs.push(notes::relative(&root.join(&rel), root));
            }
        }
        dirs.sort();
        dirs.dedup();
        let keys: Vec<&str> = dirs.iter().map(String::as_str).collect();
        let anchors = Anchors::open(root, &keys);
        #[cfg(target_os = "linux")]
        assert!(anchors.below.contains_key("a") && anchors.below.contains_key("b"));
        let mut rels: Vec<String> = dirs.iter().map(|d| format!("{d}/n.md")).collect();
        rels.extend(dirs.iter().cloned());
        rels.push("a/missing.md".into());
        rels.push("a/x/n.md/below-a-file".into());
        for rel in rels {
            let path = if rel.is_empty() {
                root.to_path_buf()
            } else {
                notes::rel_path(root, &rel)
            };
            let by_path = std::fs::metadata(&path).ok().map(|m| {
                (
                    m.is_file(),
                    m.len(),
                    notes::mtime_ns(&m),
                    notes::dir_stamp(&m),
                )
            });
            let by_handle = anchors
                .stat(root, &rel)
                .map(|m| (m.stat.is_file, m.stat.size, m.stat.mtime_ns, m.stamp));
            assert_eq!(by_handle, by_path, "{rel}");
        }
    }
}
