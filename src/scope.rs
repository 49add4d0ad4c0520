//! Scope: which part of the notes a query looks at (`--in PATH_OR_GLOB`, `--tag T`).

use globset::{Glob, GlobMatcher};

use crate::search::Hit;

/// One `--in` value.
#[derive(Debug, Clone)]
enum Place {
    /// A path or a prefix of one: `04-rag`, `sub/`, `sub/a.md`.
    Prefix(String),
    /// A glob over the whole relative path: `0[1-3]-*.md`, `**/draft*.md`.
    Glob(GlobMatcher),
}

/// A filter on hits: in one of the places (when any are given) and tagged with one of the
/// tags (when any are given).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    places: Vec<Place>,
    tags: Vec<String>,
}

/// A `--in` value that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("--in {pattern:?} is not a valid glob: {message}")]
pub struct ScopeError {
    /// The value given.
    pub pattern: String,
    /// What is wrong.
    pub message: String,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// `./a/b` → `a/b`, backslashes as slashes.
fn normalise(s: &str) -> String {
    let mut s = s.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

impl Scope {
    /// A scope from `--in` values (relative to the notes folder; a leading `content_prefix`,
    /// the notes folder as typed, is dropped so shell completion of `content/04-rag...`
    /// works) and `--tag` values.
    pub fn new(
        places: &[String],
        tags: &[String],
        content_prefix: &str,
    ) -> Result<Scope, ScopeError> {
        let content_prefix = normalise(content_prefix);
        let content_prefix = content_prefix.trim_end_matches('/');
        let mut out = Scope::default();
        for p in places {
            let mut p = normalise(p);
            if !content_prefix.is_empty() && content_prefix != "." {
                if let Some(rest) = p.strip_prefix(&format!("{content_prefix}/")) {
                    p = rest.to_string();
                }
            }
            if is_glob(&p) {
                let glob = Glob::new(&p).map_err(|e| ScopeError {
                    pattern: p.clone(),
                    message: e.kind().to_string(),
                })?;
                out.places.push(Place::Glob(glob.compile_matcher()));
            } else {
                out.places.push(Place::Prefix(p));
            }
        }
        out.tags = tags
            .iter()
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        Ok(out)
    }

    /// True when the scope keeps every hit.
    pub fn is_all(&self) -> bool {
        self.places.is_empty() && self.tags.is_empty()
    }

    /// Whether a hit is in scope.
    pub fn contains(&self, hit: &Hit) -> bool {
        let placed = self.places.is_empty()
            || self.places.iter().any(|p| match p {
                Place::Prefix(prefix) => hit.file.starts_with(prefix.as_str()),
                Place::Glob(glob) => glob.is_match(&hit.file),
            });
        let tagged = self.tags.is_empty()
            || hit.tags.iter().any(|t| {
                self.tags
                    .contains(&t.trim().trim_start_matches('#').to_lowercase())
            });
        placed && tagged
    }

    /// Drops the hits out of scope.
    pub fn filter(&self, hits: &mut Vec<Hit>) {
        if !self.is_all() {
            hits.retain(|h| self.contains(h));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::Kind;

    fn hit(kind: Kind, file: &str, line: usize, tags: &[&str]) -> Hit {
        Hit {
            kind,
            file: file.into(),
            line,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Hit::default()
        }
    }

    fn keeps(scope: &Scope, file: &str) -> bool {
        scope.contains(&hit(Kind::Passage, file, 1, &[]))
    }

    #[test]
    fn places_are_prefixes_or_globs() {
        let s = Scope::new(&["04-rag".into()], &[], "content").unwrap();
        assert!(keeps(&s, "04-rag-vector-search.md"));
        assert!(!keeps(&s, "03-apps.md"));
        let s = Scope::new(&["0[1-3]-*.md".into()], &[], "content").unwrap();
        assert!(keeps(&s, "02-x.md"));
        assert!(!keeps(&s, "04-x.md"));
        let s = Scope::new(
            &["./sub/".into(), "content/09-ops.md".into()],
            &[],
            "./content/",
        )
        .unwrap();
        assert!(keeps(&s, "sub/a.md"));
        assert!(keeps(&s, "09-ops.md"));
        assert!(!keeps(&s, "subway.md"));
        assert!(Scope::new(&["[".into()], &[], "").is_err());
    }

    #[test]
    fn tags_match_any_ignoring_case_and_hash() {
        let s = Scope::new(&[], &["#Kubernetes".into(), "ops".into()], "").unwrap();
        assert!(s.contains(&hit(Kind::Passage, "a.md", 1, &["kubernetes"])));
        assert!(s.contains(&hit(Kind::Passage, "a.md", 1, &["OPS", "x"])));
        assert!(!s.contains(&hit(Kind::Passage, "a.md", 1, &["rag"])));
        assert!(!s.contains(&hit(Kind::Passage, "a.md", 1, &[])));
    }
}
