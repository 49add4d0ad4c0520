//! Whole processes: start one, time it (wall and CPU), measure its peak memory.
//!
//! CPU time is the user + system time of the reaped child, read as the growth of
//! `getrusage(RUSAGE_CHILDREN)` around one run: the bench starts one child at a time, so the
//! difference is that child's (and its own children's) CPU. On a shared machine CPU seconds
//! vary far less than wall time, so the targets are checked on CPU.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

pub fn tool_works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// User + system CPU seconds of every reaped child so far.
/// User + system CPU seconds of this process's waited-for children so far.
pub fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return f64::NAN;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// A run whose output is kept (the untimed warm-up), to count hits and catch errors.
pub struct Checked {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// User + system CPU seconds.
    pub cpu_s: f64,
}

pub fn run_checked(cmd: &[OsString]) -> Checked {
    let cpu0 = children_cpu();
    let started = Instant::now();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .output();
    let wall = started.elapsed();
    let cpu_s = children_cpu() - cpu0;
    match out {
        Ok(out) => Checked {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            wall,
            cpu_s,
        },
        Err(e) => Checked {
            code: None,
            stdout: String::new(),
            stderr: format!("cannot start {:?}: {e}", cmd[0]),
            wall,
            cpu_s,
        },
    }
}

/// One timed whole process, output to /dev/null.
pub struct Timed {
    pub wall: Duration,
    /// User + system CPU seconds.
    pub cpu_s: f64,
}

/// Wall and CPU time of one whole process. `None` when it failed to start.
pub fn time_run(cmd: &[OsString]) -> Option<Timed> {
    let cpu0 = children_cpu();
    let started = Instant::now();
    Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    Some(Timed {
        wall: started.elapsed(),
        cpu_s: children_cpu() - cpu0,
    })
}

/// A measured run: wall time, CPU, peak RSS in kB, exit code, stderr.
pub struct Measured {
    pub wall: Duration,
    pub peak_kb: Option<u64>,
    /// User + system CPU seconds.
    pub cpu_s: f64,
    pub code: Option<i32>,
    pub stderr: String,
    /// Killed after the time limit.
    pub timed_out: bool,
}

/// Peak resident memory of reaped children, in kB (`ru_maxrss` of `RUSAGE_CHILDREN`: the
/// largest child so far, so a measured run must be the largest child yet, or run under
/// `/usr/bin/time`).
fn children_maxrss_kb() -> Option<u64> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    (unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } == 0)
        .then_some(usage.ru_maxrss as u64)
}

/// Runs `cmd` with stdout to /dev/null, killing it after `limit`; peak RSS from
/// `/usr/bin/time -f %M` when present.
pub fn run_measured(
    gnu_time: Option<&Path>,
    tmp: &Path,
    cmd: &[OsString],
    limit: Duration,
) -> Measured {
    let report = tmp.join("time-report.txt");
    let _ = fs::remove_file(&report);
    let mut command = match gnu_time {
        Some(time) => {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg("-o").arg(&report).args(cmd);
            c
        }
        None => {
            let mut c = Command::new(&cmd[0]);
            c.args(&cmd[1..]);
            c
        }
    };
    // Its own process group, so a time limit kills `time` and gloss alike.
    command.process_group(0);
    let cpu0 = children_cpu();
    let started = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Measured {
                wall: started.elapsed(),
                peak_kb: None,
                cpu_s: f64::NAN,
                code: None,
                stderr: e.to_string(),
                timed_out: false,
            }
        }
    };
    let stderr = read_stderr(&mut child);
    let (code, timed_out) = wait_with_limit(&mut child, started, limit);
    let wall = started.elapsed();
    let stderr = stderr.join().unwrap_or_default();
    let peak_kb = match gnu_time {
        Some(_) => fs::read_to_string(&report)
            .ok()
            .and_then(|t| t.lines().last()?.trim().parse().ok()),
        None => children_maxrss_kb(),
    };
    Measured {
        wall,
        peak_kb,
        cpu_s: children_cpu() - cpu0,
        code,
        stderr,
        timed_out,
    }
}

fn read_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut pipe = child.stderr.take();
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    })
}

/// Waits for `child`, killing it once `limit` has passed since `started`.
fn wait_with_limit(child: &mut Child, started: Instant, limit: Duration) -> (Option<i32>, bool) {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (status.code(), false),
            Ok(None) if started.elapsed() > limit => {
                // SAFETY: kill(2) on the child's own process group.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                return (None, true);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => return (None, false),
        }
    }
}

pub fn show(cmd: &[OsString]) -> String {
    cmd.iter()
        .map(|a| {
            let s = a.to_string_lossy();
            if s.contains(' ') || s.is_empty() {
                format!("'{s}'")
            } else {
                s.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn cmd_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// `/usr/bin/time` when it works (GNU time: `-f %M` gives the peak RSS).
pub fn gnu_time() -> Option<PathBuf> {
    let time = Path::new("/usr/bin/time");
    (time.is_file()
        && Command::new(time)
            .args(["-f", "%M", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()))
    .then(|| time.to_path_buf())
}

pub fn machine() -> String {
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or("? GB".into(), |kb| {
            format!("{:.1} GB", kb / 1024.0 / 1024.0)
        });
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpus} CPUs ({model}), {ram} RAM, {}", std::env::consts::OS)
}

pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".into())
}
