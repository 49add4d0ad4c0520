//! Load on `gloss serve` and the watcher's effect on command-line queries.
//!
//! `cargo bench --bench serve_load` runs, in one go:
//! 1. 50 concurrent keep-alive clients driving the JSON API for 20 s, on the shipped notes
//!    and on MDN (`../shared/corpora/mdn-en-us`, when present): requests per second, median
//!    and 99th-percentile latency, errors (targets: median < 2 ms / < 10 ms, no errors);
//! 2. how long an edit takes to show in the API (target < 1 s);
//! 3. one command-line query on MDN with `gloss watch` running, the same query with the
//!    `stat` freshness check, and `rg -i` over the folder (target: watched >= 30x faster
//!    than `rg -i`).
//!
//! Settings: `GLOSS_BENCH_SHARED` (folder holding `mdn-en-us/`, default
//! `../shared/corpora`), `GLOSS_LOAD_SECONDS` (default 20), `GLOSS_LOAD_CLIENTS` (50),
//! `GLOSS_BENCH_RUNS` (CLI runs per variant, default 15). Indexes go to
//! `target/bench-tmp/`; nothing is written in the corpora.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    percentile(xs, 50.0)
}

/// A running `gloss serve` or `gloss watch`, stopped with SIGTERM when dropped.
struct Running {
    child: Child,
    addr: String,
}

impl Running {
    fn start(gloss: &Path, content: &Path, index: &Path, args: &[&str], ready: &str) -> Running {
        let mut child = Command::new(gloss)
            .env("GLOSS_CONFIG", "")
            .arg("--content")
            .arg(content)
            .arg("--index")
            .arg(index)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gloss");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("first line");
        assert!(line.starts_with(ready), "gloss said {line:?}");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
            .to_string();
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in out.lines() {});
        Running { child, addr }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 connection.
struct Client {
    addr: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Client {
    fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.addr).map_err(|e| e.to_string())?;
            s.set_nodelay(true).ok();
            s.set_read_timeout(Some(Duration::from_secs(10))).ok();
            self.stream = Some(BufReader::new(s));
        }
        let result = self.exchange(path);
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    fn exchange(&mut self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let reader = self.stream.as_mut().ok_or("no connection")?;
        write!(
            reader.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.addr
        )
        .map_err(|e| e.to_string())?;
        let mut status = 0;
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
                return Err("connection closed".into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if status == 0 {
                status = l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        Ok((status, body))
    }
}

/// Requests a student's typing makes: prefixes of terms, whole terms, define lookups.
fn workload(addr: &str) -> Vec<String> {
    let mut client = Client {
        addr: addr.to_string(),
        stream: None,
    };
    let (_, body) = client.get("/api/terms").expect("terms");
    let terms: serde_json::Value = serde_json::from_slice(&body).expect("terms JSON");
    let names: Vec<String> = terms["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["term"].as_str().map(str::to_string))
        .step_by(7)
        .take(60)
        .collect();
    let enc = |s: &str| {
        s.replace('%', "%25")
            .replace(' ', "%20")
            .replace('&', "%26")
            .replace('#', "%23")
            .replace('+', "%2B")
    };
    let mut paths = Vec::new();
    for name in &names {
        let short: String = name.chars().take(4).collect();
        paths.push(format!("/api/search?q={}", enc(&short)));
        paths.push(format!("/api/search?q={}", enc(name)));
        paths.push(format!("/api/search?q={}&mode=define", enc(name)));
    }
    paths
}

struct Load {
    requests: usize,
    errors: usize,
    seconds: f64,
    median_ms: f64,
    p99_ms: f64,
}

fn drive(addr: &str, clients: usize, seconds: u64) -> Load {
    let paths = Arc::new(workload(addr));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|n| {
            let (paths, stop, addr) = (paths.clone(), stop.clone(), addr.to_string());
            std::thread::spawn(move || {
                let mut client = Client { addr, stream: None };
                let (mut lat, mut errors, mut i) = (Vec::new(), 0usize, n * 13);
                while !stop.load(Ordering::Relaxed) {
                    let path = &paths[i % paths.len()];
                    i += 1;
                    let t = Instant::now();
                    match client.get(path) {
                        Ok((200, _)) => lat.push(t.elapsed().as_secs_f64() * 1000.0),
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.join().expect("client thread");
        all.extend(lat);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Load {
        requests: all.len(),
        errors,
        seconds,
        median_ms: percentile(&all, 50.0),
        p99_ms: percentile(&all, 99.0),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Milliseconds from writing a new note until the API answers with it (median of 5).
fn edit_visible(gloss: &Path, content: &Path, tmp: &Path) -> f64 {
    let notes = tmp.join("edit-notes");
    let _ = std::fs::remove_dir_all(&notes);
    copy_dir(content, &notes);
    let server = Running::start(
        gloss,
        &notes,
        &tmp.join("edit-index"),
        &["serve", "--port", "0"],
        "gloss: serving ",
    );
    let mut client = Client {
        addr: server.addr.clone(),
        stream: None,
    };
    std::thread::sleep(Duration::from_millis(500));
    let mut times = Vec::new();
    for n in 0..5 {
        let word = format!("zyzzyva{n}");
        let t = Instant::now();
        std::fs::write(
            notes.join(format!("99-edit-{n}.md")),
            format!("**{word}**: A word added by the bench.\n"),
        )
        .expect("write note");
        loop {
            let (_, body) = client
                .get(&format!("/api/search?q={word}&mode=define"))
                .expect("search");
            // The query is echoed in the answer: look for the new term in the hits.
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if answer["hits"][0]["term"] == word.as_str() {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(30), "edit never visible");
            std::thread::sleep(Duration::from_millis(5));
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(300));
    }
    median(&mut times)
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(&mut times)
}

/// One CLI query on MDN: with a watcher, with the stat check, and `rg -i`.
fn cli_vs_rg(gloss: &Path, mdn: &Path, index: &Path, runs: usize) {
    let query = "flexbox";
    let search = |gloss: &Path| {
        let out = Command::new(gloss)
            .env("GLOSS_CONFIG", "")
            .arg("--content")
            .arg(mdn)
            .arg("--index")
            .arg(index)
            .args(["search", query])
            .output()
            .expect("gloss search");
        assert!(out.status.success(), "gloss search failed");
    };
    search(gloss); // warm the page cache and make sure the index is fresh
    let checked = time_runs(runs, || search(gloss));
    let watched = {
        let _watch = Running::start(gloss, mdn, index, &["watch"], "gloss: watching ");
        time_runs(runs, || search(gloss))
    };
    let rg = Command::new("rg").arg("--version").output().is_ok();
    let rg_ms = if rg {
        time_runs(runs.min(5), || {
            let _ = Command::new("rg")
                .args(["-i", "-c", query])
                .arg(mdn)
                .stdout(Stdio::null())
                .status();
        })
    } else {
        f64::NAN
    };
    println!("\nCLI `gloss search {query}` on MDN, median of {runs} runs:");
    println!("  with `gloss watch` running   {watched:8.1} ms");
    println!("  with the stat check          {checked:8.1} ms");
    println!("  rg -i over the folder        {rg_ms:8.1} ms");
    println!(
        "  watched vs rg -i: {:.1}x faster (target >= 30x); vs stat check: {:.1}x",
        rg_ms / watched,
        checked / watched
    );
}

fn report(name: &str, load: &Load, target_ms: f64) {
    println!(
        "{name:<20} {:>6.0} req/s  median {:6.2} ms (target < {target_ms} ms)  p99 {:7.2} ms  requests {}  errors {} (target 0)",
        load.requests as f64 / load.seconds,
        load.median_ms,
        load.p99_ms,
        load.requests,
        load.errors
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = root.join("target").join("bench-tmp").join("serve-load");
    std::fs::create_dir_all(&tmp).expect("bench-tmp");
    // Measure a snapshot: another build must not swap the binary mid-run.
    let gloss = tmp.join("gloss");
    std::fs::copy(env!("CARGO_BIN_EXE_gloss"), &gloss).expect("copy gloss");
    let shared = std::env::var_os("GLOSS_BENCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpora"));
    let mdn = shared.join("mdn-en-us");
    let seconds = env_usize("GLOSS_LOAD_SECONDS", 20) as u64;
    let clients = env_usize("GLOSS_LOAD_CLIENTS", 50);
    let runs = env_usize("GLOSS_BENCH_RUNS", 15);

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "gloss serve under load: {clients} clients, {seconds} s each (load average before: {})",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("(1 client: one request at a time, the latency of a request itself; {clients} clients: with queueing on this machine's cores)");
    let mut corpora = vec![("shipped notes", root.join("content"), 2.0)];
    if mdn.is_dir() {
        corpora.push(("MDN", mdn.clone(), 10.0));
    } else {
        println!("(MDN not found at {}: skipped)", mdn.display());
    }
    for (name, content, target) in &corpora {
        let index = tmp.join(format!("index-{}", name.replace(' ', "-")));
        let server = Running::start(
            &gloss,
            content,
            &index,
            &["serve", "--port", "0"],
            "gloss: serving ",
        );
        // Let the watcher's first pass finish before measuring.
        std::thread::sleep(Duration::from_secs(2));
        let single = drive(&server.addr, 1, seconds.div_ceil(4));
        report(&format!("{name}, 1"), &single, *target);
        let load = drive(&server.addr, clients, seconds);
        report(&format!("{name}, {clients}"), &load, *target);
    }
    let visible = edit_visible(&gloss, &root.join("content"), &tmp);
    println!("\nedit visible in the API after {visible:.0} ms (median of 5; target < 1000 ms)");
    if mdn.is_dir() {
        cli_vs_rg(&gloss, &mdn, &tmp.join("index-MDN"), runs);
    }
}
