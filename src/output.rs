//! Where output goes: stdout, or a file given by `--output`, written atomically.
//!
//! A file is written to a temporary file in the same folder (a rename within one file
//! system is atomic), synced, then renamed over the target, so an interrupted export leaves
//! either the old file or the new one, never half a file. An existing file is kept unless
//! `--force` is given; without it the final rename refuses to replace a file that appeared
//! meanwhile, too. On an error the temporary file is removed.
//!
//! Nothing is destroyed on the way: a symlink is followed and its target replaced (the link
//! stays a link); a FIFO, a device or any other file that is not a regular file is written
//! to directly, never replaced; a folder is refused.

use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tempfile::NamedTempFile;

/// An open output.
pub enum Output {
    /// Standard output, buffered (`-o -` or no `--output`).
    Stdout(BufWriter<io::StdoutLock<'static>>),
    /// A temporary file that becomes `path` on [`Output::finish`].
    File {
        /// The temporary file, in the target's folder.
        file: BufWriter<NamedTempFile>,
        /// The target.
        path: PathBuf,
        /// Replace an existing target.
        force: bool,
    },
    /// A FIFO, device or other special file, written to as it is.
    Direct(BufWriter<fs::File>),
}

impl Output {
    /// Opens `path` (stdout for `None` or `-`). Fails before anything is written when the
    /// target exists and `force` is off, or is a folder.
    pub fn open(path: Option<&Path>, force: bool) -> Result<Output> {
        let path = match path {
            None => return Ok(Output::stdout()),
            Some(p) if p.as_os_str() == "-" => return Ok(Output::stdout()),
            Some(p) => p,
        };
        let given = path;
        let path = &follow_links(given)?;
        let existing = fs::metadata(path).ok();
        if let Some(meta) = &existing {
            if meta.is_dir() {
                bail!(
                    "--output {}: is a folder; give a file name",
                    given.display()
                );
            }
            if !meta.is_file() {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("--output {}: cannot write to it", given.display()))?;
                return Ok(Output::Direct(BufWriter::new(file)));
            }
            if !force {
                bail!(
                    "--output {}: the file exists; add --force to overwrite it",
                    path.display()
                );
            }
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| format!("--output {}: not a file name", path.display()))?;
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // Temp files are private (0600) by default; an export should get the mode a new
            // file gets (0666 less the umask), or keep the mode of the file it replaces.
            use std::os::unix::fs::PermissionsExt;
            let mode = existing
                .as_ref()
                .map_or(0o666, |m| m.permissions().mode() & 0o7777);
            builder.permissions(fs::Permissions::from_mode(mode));
        }
        let file = builder.tempfile_in(folder).with_context(|| {
            format!(
                "--output {}: cannot create a file in {}",
                path.display(),
                folder.display()
            )
        })?;
        Ok(Output::File {
            file: BufWriter::new(file),
            path: path.to_path_buf(),
            force,
        })
    }

    fn stdout() -> Output {
        Output::Stdout(BufWriter::new(io::stdout().lock()))
    }

    /// True when output goes to a terminal (stdout, and stdout is a tty).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Output::Stdout(_)) && io::stdout().is_terminal()
    }

    /// The writer renderers write to.
    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::File { file, .. } => file,
            Output::Direct(file) => file,
        }
    }

    /// Flushes stdout, or syncs the temporary file and renames it into place.
    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => Ok(w.flush()?),
            Output::Direct(mut w) => Ok(w.flush()?),
            Output::File { file, path, force } => {
                let what = || format!("writing {}", path.display());
                let file = file
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(what)?;
                file.as_file().sync_all().with_context(what)?;
                let persisted = if force {
                    file.persist(&path)
                } else {
                    file.persist_noclobber(&path)
                };
                match persisted {
                    Ok(_) => Ok(()),
                    Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => bail!(
                        "--output {}: the file exists; add --force to overwrite it",
                        path.display()
                    ),
                    // Dropping `e.file` removes the temporary file.
                    Err(e) => Err(e.error).with_context(what),
                }
            }
        }
    }
}

/// The file `path` stands for: symlinks followed (up to 40), each relative target taken
/// from the link's folder. A dangling link gives the path it points to, to be created.
fn follow_links(path: &Path) -> Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&at).with_context(|| {
                    format!("--output {}: cannot read the link", path.display())
                })?;
                at = match at.parent() {
                    Some(folder) if target.is_relative() => folder.join(target),
                    _ => target,
                };
            }
            _ => return Ok(at),
        }
    }
    bail!(
        "--output {}: too many levels of symbolic links",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_the_file_only_on_finish_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mut out = Output::open(Some(&target), false).unwrap();
        out.writer().write_all(b"hello\n").unwrap();
        out.writer().flush().unwrap();
        assert!(!target.exists(), "nothing at the target before finish");
        out.finish().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "hello\n");
        assert_eq!(leftovers(dir.path()), ["out.txt"]);
    }

    #[test]
    fn refuses_an_existing_file_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        fs::write(&target, "old").unwrap();
        let err = Output::open(Some(&target), false).err().unwrap();
        assert!(err.to_string().contains("add --force"), "{err}");
        let mut out = Output::open(Some(&target), true).unwrap();
        out.writer().write_all(b"new").unwrap();
        out.finish().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(leftovers(dir.path()), ["out.txt"]);
    }

    #[test]
    fn a_file_that_appears_meanwhile_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mut out = Output::open(Some(&target), false).unwrap();
        out.writer().write_all(b"new").unwrap();
        fs::write(&target, "theirs").unwrap();
        let err = out.finish().unwrap_err();
        assert!(err.to_string().contains("add --force"), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "theirs");
        assert_eq!(leftovers(dir.path()), ["out.txt"]);
    }

    #[test]
    fn an_abandoned_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mut out = Output::open(Some(&target), false).unwrap();
        out.writer().write_all(b"half").unwrap();
        drop(out);
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_folder_is_not_a_target() {
        let dir = tempfile::tempdir().unwrap();
        let err = Output::open(Some(dir.path()), true).err().unwrap();
        assert!(err.to_string().contains("is a folder"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("real");
        fs::create_dir(&sub).unwrap();
        let target = sub.join("target.txt");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("real/target.txt", &link).unwrap();
        assert!(
            Output::open(Some(&link), false).is_err(),
            "exists without --force"
        );
        let mut out = Output::open(Some(&link), true).unwrap();
        out.writer().write_all(b"new").unwrap();
        out.finish().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/target.txt"));
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(leftovers(&sub), ["target.txt"]);
        assert_eq!(leftovers(dir.path()), ["link.txt", "real"]);
        // A dangling link: its target is created, the link kept.
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink("real/made.txt", &dangling).unwrap();
        let mut out = Output::open(Some(&dangling), false).unwrap();
        out.writer().write_all(b"made").unwrap();
        out.finish().unwrap();
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(sub.join("made.txt")).unwrap(), "made");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_loop_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let err = Output::open(Some(&a), true).err().unwrap();
        assert!(err.to_string().contains("too many levels"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_usual_mode_and_replaced_files_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let usual = dir.path().join("usual.txt");
        fs::File::create(&usual).unwrap();
        Output::open(Some(&target), false)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(mode(&target), mode(&usual));
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        Output::open(Some(&target), true).unwrap().finish().unwrap();
        assert_eq!(mode(&target), 0o600);
    }
}
