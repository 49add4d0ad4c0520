//! Index build: `gloss index --rebuild` into an emptied folder, wall and CPU time, CPU
//! seconds per MB of markdown, peak memory.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::process::{run_measured, show};
use crate::queries::gloss_cmd;
use crate::stats::median;
use crate::Config;

pub struct Build {
    pub wall_s: f64,
    /// User + system CPU seconds (median over the builds).
    pub cpu_s: f64,
    pub peak_kb: Option<u64>,
    pub mb: f64,
    pub files: usize,
    /// gloss's own summary line.
    pub message: String,
}

impl Build {
    pub fn mb_s(&self) -> f64 {
        self.mb / self.wall_s
    }
    pub fn cpu_per_mb(&self) -> f64 {
        self.cpu_s / self.mb
    }
    pub fn files_s(&self) -> f64 {
        self.files as f64 / self.wall_s
    }
}

/// `builds` full builds of `dir` into `index`; the index is left built for the queries.
pub fn measure(
    cfg: &Config,
    key: &str,
    dir: &Path,
    index: &Path,
    files: usize,
    bytes: u64,
) -> Result<Build, String> {
    let builds = cfg
        .builds
        .unwrap_or(if bytes < 20_000_000 { 3 } else { 1 })
        .max(1);
    let (mut walls, mut cpus, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
    let mut message = String::new();
    for i in 0..builds {
        eprintln!("[{key}] index build {}/{}", i + 1, builds);
        let _ = fs::remove_dir_all(index);
        let cmd = gloss_cmd(cfg, dir, index, &["index", "--rebuild"]);
        let m = run_measured(
            cfg.gnu_time.as_deref(),
            &cfg.tmp,
            &cmd,
            Duration::from_secs(3600),
        );
        if m.code != Some(0) {
            return Err(format!(
                "`{}` exited {:?}: {}",
                show(&cmd),
                m.code,
                m.stderr.trim()
            ));
        }
        message = m.stderr.lines().last().unwrap_or("").to_string();
        walls.push(m.wall.as_secs_f64());
        cpus.push(m.cpu_s);
        peaks.extend(m.peak_kb);
    }
    Ok(Build {
        wall_s: median(&walls),
        cpu_s: median(&cpus),
        peak_kb: peaks.iter().max().copied(),
        mb: bytes as f64 / 1e6,
        files,
        message,
    })
}
