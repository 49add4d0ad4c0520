//! Lint: `gloss lint` on the whole corpus, wall and CPU time, killed after a time limit
//! (`GLOSS_BENCH_LINT_LIMIT` seconds, default 300) so a quadratic lint cannot stall the bench.

use std::path::Path;
use std::time::Duration;

use crate::process::{run_measured, show};
use crate::queries::gloss_cmd;
use crate::stats::env_usize;
use crate::Config;

pub struct Lint {
    pub wall_s: f64,
    pub cpu_s: f64,
    pub peak_kb: Option<u64>,
    /// Killed at this many seconds.
    pub timed_out: Option<u64>,
}

pub fn measure(cfg: &Config, key: &str, dir: &Path, index: &Path) -> Result<Lint, String> {
    eprintln!("[{key}] gloss lint");
    let limit = env_usize("GLOSS_BENCH_LINT_LIMIT").unwrap_or(300) as u64;
    let cmd = gloss_cmd(cfg, dir, index, &["lint"]);
    let m = run_measured(
        cfg.gnu_time.as_deref(),
        &cfg.tmp,
        &cmd,
        Duration::from_secs(limit),
    );
    if !m.timed_out && !matches!(m.code, Some(0 | 1)) {
        return Err(format!(
            "`{}` exited {:?}: {}",
            show(&cmd),
            m.code,
            m.stderr.trim()
        ));
    }
    Ok(Lint {
        wall_s: m.wall.as_secs_f64(),
        cpu_s: m.cpu_s,
        peak_kb: m.peak_kb,
        timed_out: m.timed_out.then_some(limit),
    })
}
