//! The corpora: the shipped notes, the real ones in the shared folder, and a generated one
//! of many tiny notes (for lint and refresh at scale); their markdown files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One corpus and its fixed queries: single words, typos, phrases.
pub struct Corpus {
    pub key: &'static str,
    pub name: &'static str,
    pub place: Place,
    pub queries: &'static [&'static str],
}

/// Where a corpus lives.
pub enum Place {
    /// Relative to the repository root.
    Repo(&'static str),
    /// Relative to the shared corpora folder.
    Shared(&'static str),
    /// Generated in the bench's temp folder: this many tiny notes.
    Generated,
}

pub const CORPORA: &[Corpus] = &[
    Corpus {
        key: "content",
        name: "content/ (shipped notes)",
        place: Place::Repo("content"),
        queries: &[
            "token",
            "hallucination",
            "embeddings",
            "fine-tuning",
            "chunking",
            "perplexty",
            "retreival augmented",
            "tempreture",
            "self attention",
            "vector search",
            "prompt injection",
            "delay before the first token",
        ],
    },
    Corpus {
        key: "k8s",
        name: "k8s-docs-en",
        place: Place::Shared("k8s-docs-en"),
        queries: &[
            "pod",
            "kubelet",
            "configmap",
            "ingress",
            "taint",
            "namespase",
            "servce account",
            "persistant volume",
            "rolling update",
            "resource quota",
            "horizontal pod autoscaler",
            "network policy",
        ],
    },
    Corpus {
        key: "mdn",
        name: "mdn-en-us",
        place: Place::Shared("mdn-en-us"),
        queries: &[
            "fetch",
            "flexbox",
            "promise",
            "viewport",
            "cors",
            "javascrpt",
            "accesibility",
            "event listner",
            "event listener",
            "local storage",
            "cross origin",
            "grid layout",
        ],
    },
    Corpus {
        key: "synth",
        name: "generated: many tiny notes (GLOSS_BENCH_SYNTH_NOTES, default 100000)",
        place: Place::Generated,
        queries: &["velomar", "kantrisol", "torvel drame", "velomr"],
    },
];

pub fn is_markdown(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Markdown files under `root` (hidden entries skipped), sorted.
pub fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && is_markdown(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let meta = fs::metadata(&src)?;
        if meta.is_dir() {
            copy_tree(&src, &dst)?;
        } else if meta.is_file() {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// True when `path` or a parent holds `.git` (gloss and rg would apply its ignore rules).
pub fn inside_git_repo(path: &Path) -> bool {
    path.ancestors().any(|p| p.join(".git").exists())
}

/// Writes `notes` tiny notes under `dir` (a hundred per folder), each defining one made-up
/// term and using three others, plus `anchor.md` defining the synthetic corpus's query terms.
/// Deterministic: the same count gives the same files. Returns the bytes written.
pub fn generate(dir: &Path, notes: usize) -> std::io::Result<u64> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir)?;
    let mut bytes = 0;
    let anchor = "# Anchor\n\n- **Velomar**: the anchor term of the generated corpus.\n\
                  - **Kantrisol**: a second anchor term.\n\
                  - **Torvel drame**: a two-word anchor term.\n";
    fs::write(dir.join("anchor.md"), anchor)?;
    bytes += anchor.len() as u64;
    let mut folder = PathBuf::new();
    for i in 0..notes {
        if i % 100 == 0 {
            folder = dir.join(format!("d{:04}", i / 100));
            fs::create_dir_all(&folder)?;
        }
        let text = tiny_note(i, notes);
        let mut f = fs::File::create(folder.join(format!("n{i:06}.md")))?;
        f.write_all(text.as_bytes())?;
        bytes += text.len() as u64;
    }
    Ok(bytes)
}

const SYLLABLES: [&str; 16] = [
    "ka", "lo", "li", "mi", "ne", "ru", "sa", "to", "ta", "vel", "dra", "mor", "qui", "zan", "pe",
    "tar",
];
const WORDS: [&str; 16] = [
    "a", "method", "that", "turns", "each", "record", "into", "small", "vectors", "for", "faster",
    "lookup", "across", "shared", "storage", "layers",
];

/// The made-up term of note `i`: five syllables from a bijective scramble of `i`.
fn term(i: usize) -> String {
    let mut x = (i as u64).wrapping_mul(2_654_435_761) & 0xF_FFFF;
    let mut s = String::new();
    for _ in 0..5 {
        s.push_str(SYLLABLES[(x & 15) as usize]);
        x >>= 4;
    }
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn tiny_note(i: usize, notes: usize) -> String {
    let t = term(i);
    let other = |k: usize| term((i * 7 + k * 13 + 1) % notes.max(1));
    let words: Vec<&str> = (0..8).map(|k| WORDS[(i + k * 5) % WORDS.len()]).collect();
    format!(
        "# {t}\n\n**{t}**: {} used with {} and **{}**.\n\nIt is {} {}, see {}.\n",
        words[..5].join(" "),
        other(1),
        other(2),
        words[5..].join(" "),
        t.to_lowercase(),
        other(3)
    )
}
