//! Settings: `gloss.toml` files, environment variables and flags resolved into one set,
//! each value knowing where it came from (for `gloss config`).
//!
//! Precedence, strongest first: a command-line flag, an environment variable
//! (`GLOSS_CONTENT`, `GLOSS_INDEX`), the `gloss.toml` in the notes folder, the user's
//! `gloss.toml` (`<config dir>/gloss/gloss.toml`, or the file named by `GLOSS_CONFIG`), and
//! the built-in default. Synonyms and boosts from both files are merged, the notes folder's
//! winning for the same key. Relative paths in a file are relative to that file's folder.
//!
//! ```toml
//! index = "../index"      # where the index lives
//! limit = 20              # most hits of search and define
//!
//! [synonyms]
//! llm = "large language model"
//! rag = ["retrieval augmented generation", "retrieval-augmented generation"]
//!
//! [boosts]
//! "04-rag-*.md" = 1.5
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

/// The config file's name, in the notes folder or in `<config dir>/gloss/`.
pub const FILE_NAME: &str = "gloss.toml";

/// Default notes folder.
pub const DEFAULT_CONTENT: &str = "content";
/// Default index folder.
pub const DEFAULT_INDEX: &str = "index";
/// Default most hits of `search` and `define`.
pub const DEFAULT_LIMIT: usize = 10;

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a wrong key or value.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A `[boosts]` key is not a valid glob.
    #[error("{path}: [boosts] {glob:?} is not a valid glob: {message}")]
    Glob {
        /// The file.
        path: PathBuf,
        /// The key.
        glob: String,
        /// What is wrong.
        message: String,
    },
}

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (its name).
    Flag(&'static str),
    /// An environment variable (its name).
    Env(&'static str),
    /// A `gloss.toml` file.
    File(PathBuf),
    /// The built-in default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(name) => write!(f, "flag {name}"),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Default => write!(f, "default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Where it came from.
    pub origin: Origin,
}

/// What the command line said (each `None` when the flag was not given).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--content`.
    pub content: Option<PathBuf>,
    /// `--index`.
    pub index: Option<PathBuf>,
    /// `--limit`.
    pub limit: Option<usize>,
}

/// A query word or phrase and what it also means.
#[derive(Debug, Clone, PartialEq)]
pub struct Synonym {
    /// The word or phrase as written in the file.
    pub key: String,
    /// Its expansions.
    pub expansions: Vec<String>,
    /// The file that set it.
    pub origin: Origin,
}

/// A score multiplier for notes whose path matches a glob.
#[derive(Debug, Clone)]
pub struct Boost {
    /// The glob as written.
    pub glob: String,
    /// The multiplier.
    pub factor: f32,
    /// The file that set it.
    pub origin: Origin,
    matcher: GlobMatcher,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// The notes folder.
    pub content: Setting<PathBuf>,
    /// The index folder.
    pub index: Setting<PathBuf>,
    /// Most hits of `search` and `define`.
    pub limit: Setting<usize>,
    /// Query synonyms, sorted by key.
    pub synonyms: Vec<Synonym>,
    /// Score boosts, sorted by glob.
    pub boosts: Vec<Boost>,
    /// The config files looked for, and whether each was found.
    pub files: Vec<(PathBuf, bool)>,
    /// Problems that did not stop the run (a key that has no effect where it is).
    pub warnings: Vec<String>,
}

/// One `gloss.toml`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    content: Option<PathBuf>,
    index: Option<PathBuf>,
    #[serde(default, deserialize_with = "at_least_one")]
    limit: Option<usize>,
    #[serde(default)]
    synonyms: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    boosts: BTreeMap<String, Factor>,
}

/// `limit` must let something through: 0 would make every search come back empty.
fn at_least_one<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    let n = usize::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom("`limit` must be at least 1"));
    }
    Ok(Some(n))
}

/// A boost factor: a finite number (`nan` and `inf` would wreck every score they touch).
#[derive(Debug, Clone, Copy)]
struct Factor(f32);

impl<'de> Deserialize<'de> for Factor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Factor, D::Error> {
        let x = f64::deserialize(d)?;
        if !x.is_finite() || !(x as f32).is_finite() {
            return Err(serde::de::Error::custom(format!(
                "a boost must be a finite number, not {x}"
            )));
        }
        Ok(Factor(x as f32))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Reads and parses one file; `Ok(None)` when it does not exist.
fn read_file(path: &Path) -> Result<Option<File>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    parse(path, &text).map(Some)
}

fn parse(path: &Path, text: &str) -> Result<File, ConfigError> {
    toml::from_str::<File>(text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            message: e.message().trim().replace('\n', " "),
        }
    })
}

/// `~/x` expanded; a relative path joined to the folder of the file that named it.
fn resolve_path(path: &Path, file: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~") {
        if let Some(home) = dirs::home_dir() {
            return home.join(rest);
        }
    }
    if path.is_absolute() {
        return path.to_path_buf();
    }
    tidy(&file.parent().unwrap_or(Path::new(".")).join(path))
}

/// `content/../index` → `index`, without touching the file system (symlinks aside, which a
/// config path rarely crosses, this names the same folder and reads better).
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// The user's config file: `GLOSS_CONFIG` when set (empty: none), else
/// `<config dir>/gloss/gloss.toml`.
pub fn user_file(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    match env("GLOSS_CONFIG") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => dirs::config_dir().map(|d| d.join("gloss").join(FILE_NAME)),
    }
}

/// A `gloss.toml` that was found, with its path.
type Layer = (PathBuf, File);

/// Resolves the settings from flags, the environment (`env` looks a variable up; empty
/// values count as unset) and the config files, in named steps: the user's file, the notes
/// folder, the notes folder's file, then each setting strongest source first.
pub fn resolve(
    flags: &Flags,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Config, ConfigError> {
    let env_path = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let user = read_user_file(env, &mut files)?;
    let content = pick(
        flags.content.clone().map(|d| (d, "--content")),
        env_path("GLOSS_CONTENT").map(|d| (d, "GLOSS_CONTENT")),
        user.as_ref()
            .and_then(|(p, f)| Some((resolve_path(f.content.as_ref()?, p), p.clone()))),
        PathBuf::from(DEFAULT_CONTENT),
    );
    let notes = read_notes_file(&content.value, &mut files, &mut warnings)?;
    // Strongest file first.
    let layers: Vec<&Layer> = notes.iter().chain(user.iter()).collect();
    let index = pick(
        flags.index.clone().map(|d| (d, "--index")),
        env_path("GLOSS_INDEX").map(|d| (d, "GLOSS_INDEX")),
        layers
            .iter()
            .find_map(|(p, f)| Some((resolve_path(f.index.as_ref()?, p), p.clone()))),
        PathBuf::from(DEFAULT_INDEX),
    );
    let limit = pick(
        flags.limit.map(|n| (n, "--limit")),
        None,
        layers.iter().find_map(|(p, f)| Some((f.limit?, p.clone()))),
        DEFAULT_LIMIT,
    );
    Ok(Config {
        content,
        index,
        limit,
        synonyms: merge_synonyms(&layers),
        boosts: merge_boosts(&layers)?,
        files,
        warnings,
    })
}

/// The setting from the strongest source that has it: flag, environment, file, default.
fn pick<T>(
    flag: Option<(T, &'static str)>,
    env: Option<(T, &'static str)>,
    file: Option<(T, PathBuf)>,
    default: T,
) -> Setting<T> {
    let setting = |value, origin| Setting { value, origin };
    if let Some((value, name)) = flag {
        setting(value, Origin::Flag(name))
    } else if let Some((value, name)) = env {
        setting(value, Origin::Env(name))
    } else if let Some((value, path)) = file {
        setting(value, Origin::File(path))
    } else {
        setting(default, Origin::Default)
    }
}

/// The user's `gloss.toml`, noting in `files` whether it was found.
fn read_user_file(
    env: &dyn Fn(&str) -> Option<OsString>,
    files: &mut Vec<(PathBuf, bool)>,
) -> Result<Option<Layer>, ConfigError> {
    let Some(path) = user_file(env) else {
        return Ok(None);
    };
    let found = read_file(&path)?;
    files.push((path.clone(), found.is_some()));
    Ok(found.map(|f| (path, f)))
}

/// The notes folder's own `gloss.toml` (listed first in `files`); a `content` key there is
/// ignored with a warning, since the file is found through the notes folder.
fn read_notes_file(
    content: &Path,
    files: &mut Vec<(PathBuf, bool)>,
    warnings: &mut Vec<String>,
) -> Result<Option<Layer>, ConfigError> {
    let path = content.join(FILE_NAME);
    let found = read_file(&path)?;
    files.insert(0, (path.clone(), found.is_some()));
    if found.as_ref().is_some_and(|f| f.content.is_some()) {
        warnings.push(format!(
            "{}: `content` is ignored in the notes folder's own gloss.toml",
            path.display()
        ));
    }
    Ok(found.map(|f| (path, f)))
}

/// Synonyms of every file, sorted by key; the stronger file wins for the same key.
fn merge_synonyms(layers: &[&Layer]) -> Vec<Synonym> {
    let mut synonyms: BTreeMap<String, Synonym> = BTreeMap::new();
    // Weakest first, so the notes folder's file overwrites the user's for the same key.
    for (path, file) in layers.iter().rev() {
        for (key, value) in &file.synonyms {
            let expansions: Vec<String> = value
                .clone()
                .into_vec()
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect();
            let origin = Origin::File(path.clone());
            let key_as_written = key.clone();
            synonyms.insert(
                key.to_lowercase(),
                Synonym {
                    key: key_as_written,
                    expansions,
                    origin,
                },
            );
        }
    }
    synonyms.into_values().collect()
}

/// Boosts of every file, sorted by glob; the stronger file wins for the same glob.
fn merge_boosts(layers: &[&Layer]) -> Result<Vec<Boost>, ConfigError> {
    let mut boosts: BTreeMap<String, Boost> = BTreeMap::new();
    for (path, file) in layers.iter().rev() {
        for (glob, &Factor(factor)) in &file.boosts {
            let mut boost = Boost::new(glob, factor).map_err(|e| ConfigError::Glob {
                path: path.clone(),
                glob: glob.clone(),
                message: e.kind().to_string(),
            })?;
            boost.origin = Origin::File(path.clone());
            boosts.insert(glob.clone(), boost);
        }
    }
    Ok(boosts.into_values().collect())
}

impl Boost {
    /// A boost of `factor` for notes whose path (relative to the notes folder) matches
    /// `glob`; for front ends that take boosts from elsewhere than a `gloss.toml`.
    pub fn new(glob: &str, factor: f32) -> Result<Boost, globset::Error> {
        Ok(Boost {
            glob: glob.to_string(),
            factor,
            origin: Origin::Default,
            matcher: Glob::new(glob)?.compile_matcher(),
        })
    }

    /// Whether the boost applies to a note (its path relative to the notes folder).
    pub fn matches(&self, file: &str) -> bool {
        self.matcher.is_match(file)
    }
}

/// Quotes a TOML key when it is not a bare key.
pub fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn precedence_is_flag_env_notes_user_default() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        let user = dir.path().join("user/gloss.toml");
        write(&notes.join(FILE_NAME), "limit = 5\n");
        write(
            &user,
            &format!(
                "content = {:?}\nindex = \"idx\"\nlimit = 7\n",
                notes.display().to_string()
            ),
        );
        let user_s = user.display().to_string();
        let env = env_of(&[("GLOSS_CONFIG", &user_s)]);
        let c = resolve(&Flags::default(), &env).unwrap();
        assert_eq!(c.content.value, notes);
        assert_eq!(c.content.origin, Origin::File(user.clone()));
        assert_eq!(c.index.value, dir.path().join("user/idx"));
        assert_eq!(c.limit.value, 5);
        assert_eq!(c.limit.origin, Origin::File(notes.join(FILE_NAME)));

        let env = env_of(&[("GLOSS_CONFIG", &user_s), ("GLOSS_INDEX", "/x")]);
        let flags = Flags {
            limit: Some(3),
            ..Flags::default()
        };
        let c = resolve(&flags, &env).unwrap();
        assert_eq!(c.index.value, PathBuf::from("/x"));
        assert_eq!(c.index.origin, Origin::Env("GLOSS_INDEX"));
        assert_eq!(c.limit.value, 3);
        assert_eq!(c.limit.origin, Origin::Flag("--limit"));
    }

    #[test]
    fn no_files_gives_defaults() {
        let env = env_of(&[("GLOSS_CONFIG", ""), ("GLOSS_CONTENT", "/nowhere/notes")]);
        let c = resolve(&Flags::default(), &env).unwrap();
        assert_eq!(c.index.value, PathBuf::from(DEFAULT_INDEX));
        assert_eq!(c.index.origin, Origin::Default);
        assert_eq!(c.limit.value, DEFAULT_LIMIT);
        assert_eq!(c.content.origin, Origin::Env("GLOSS_CONTENT"));
        assert_eq!(
            c.files,
            [(PathBuf::from("/nowhere/notes/gloss.toml"), false)]
        );
    }

    #[test]
    fn a_zero_limit_or_a_boost_that_is_not_finite_names_its_line() {
        let err = parse(Path::new("g.toml"), "index = \"i\"\nlimit = 0\n").unwrap_err();
        assert!(err.to_string().starts_with("g.toml:2: "), "{err}");
        assert!(err.to_string().contains("at least 1"), "{err}");
        for bad in ["nan", "inf", "-inf", "1e300"] {
            let text = format!("limit = 3\n[boosts]\n\"a*.md\" = 2.0\n\"b*.md\" = {bad}\n");
            let err = parse(Path::new("g.toml"), &text).unwrap_err();
            assert!(err.to_string().starts_with("g.toml:4: "), "{bad}: {err}");
            assert!(err.to_string().contains("finite"), "{bad}: {err}");
        }
        let ok = parse(Path::new("g.toml"), "limit = 1\n[boosts]\n\"a\" = 0.5\n").unwrap();
        assert_eq!((ok.limit, ok.boosts["a"].0), (Some(1), 0.5));
    }

    #[test]
    fn a_bad_file_names_its_line() {
        let err = parse(Path::new("g.toml"), "limit = 3\nlimt = 4\n").unwrap_err();
        assert!(err.to_string().starts_with("g.toml:2: "), "{err}");
        let err = parse(Path::new("g.toml"), "limit = \"ten\"\n").unwrap_err();
        assert!(err.to_string().starts_with("g.toml:1: "), "{err}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let file = Path::new("content/gloss.toml");
        assert_eq!(
            resolve_path(Path::new("../index"), file),
            PathBuf::from("index")
        );
        assert_eq!(
            resolve_path(Path::new("idx"), file),
            PathBuf::from("content/idx")
        );
        assert_eq!(resolve_path(Path::new("/abs"), file), PathBuf::from("/abs"));
        assert_eq!(
            resolve_path(Path::new("../../x"), file),
            PathBuf::from("../x")
        );
        assert_eq!(resolve_path(Path::new(".."), file), PathBuf::from("."));
    }

    #[test]
    fn toml_keys_are_quoted_when_needed() {
        assert_eq!(toml_key("llm"), "llm");
        assert_eq!(toml_key("04-rag*.md"), "\"04-rag*.md\"");
    }
}
