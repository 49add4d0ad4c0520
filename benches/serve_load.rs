//! Load on `gloss serve` and the watcher's effect on command-line queries.
//!
//! `cargo bench --bench serve_load` runs, in one go:
//! 1. 50 concurrent keep-alive clients driving the JSON API for 20 s, on the shipped notes
//!    and on MDN (`../shared/corpora/mdn-en-us`, when present): requests per second, median
//!    and 99th-percentile latency, errors (targets: median < 2 ms / < 10 ms, no errors), and
//!    CPU per request of the server and of the clients (this process: they share the
//!    machine's cores). The requests are four mixes interleaved: every prefix of a term as
//!    it is typed, whole terms (search and define), multi-word queries, terms with a typo.
//!    Each corpus runs twice: with the server's answer cache (repeats are answered from it,
//!    as when a page searches as you type) and with `--cache-mb 0` (every request looked
//!    up; then each mix also alone with one client);
//! 2. how long an edit takes to show in the API (target < 1 s);
//! 3. one command-line query on MDN with `gloss watch` running, the same query with the
//!    `stat` freshness check, and `rg -i` over the folder (target: watched >= 30x faster
//!    than `rg -i`).
//!
//! Settings: `GLOSS_BENCH_SHARED` (folder holding `mdn-en-us/`, default
//! `../shared/corpora`), `GLOSS_LOAD_SECONDS` (default 20), `GLOSS_LOAD_CLIENTS` (50),
//! `GLOSS_BENCH_RUNS` (CLI runs per variant, default 15), `GLOSS_MIX_SECONDS` (one-client
//! runs, default 3). Indexes go to
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

/// Multi-word queries a student types (descriptions, questions, phrases), per corpus.
const PHRASES_NOTES: &[&str] = &[
    "retrieval augmented generation",
    "how do I get JSON out of a model",
    "delay before the first token",
    "vector database index",
    "what is the difference between lora and qlora",
    "prompt injection attack",
    "chunking strategies",
    "fine tuning a model on my data",
    "evaluate an agent with a judge",
    "reduce hallucinations",
];
const PHRASES_MDN: &[&str] = &[
    "cross origin resource sharing",
    "how to center a div",
    "javascript promise chaining",
    "fetch api request headers",
    "css custom properties variables",
    "event bubbling capture phase",
    "what is the difference between let and var",
    "array map filter reduce",
    "web accessibility aria roles",
    "service worker offline cache",
];

fn enc(s: &str) -> String {
    s.replace('%', "%25")
        .replace(' ', "%20")
        .replace('&', "%26")
        .replace('#', "%23")
        .replace('+', "%2B")
}

/// A typo a hand makes: two letters swapped in the middle of a word.
fn typo(word: &str) -> Option<String> {
    let mut chars: Vec<char> = word.chars().collect();
    let i = chars.len() / 2;
    (chars.len() >= 5 && chars[i - 1] != chars[i]).then(|| {
        chars.swap(i - 1, i);
        chars.into_iter().collect()
    })
}

/// The request mixes, by name: what search-as-you-type sends while a term is typed
/// (`typing`: every prefix from 3 letters), whole terms in both modes (`terms`),
/// multi-word queries (`phrases`), and terms with a typo (`typos`).
fn mixes(addr: &str, phrases: &[&str]) -> Vec<(&'static str, Vec<String>)> {
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
    let search = |q: &str| format!("/api/search?q={}", enc(q));
    let typing: Vec<String> = names
        .iter()
        .take(20)
        .flat_map(|n| {
            let chars: Vec<char> = n.chars().collect();
            (3..=chars.len())
                .map(|k| search(&chars[..k].iter().collect::<String>()))
                .collect::<Vec<_>>()
        })
        .collect();
    let whole: Vec<String> = names
        .iter()
        .flat_map(|n| [search(n), format!("{}&mode=define", search(n))])
        .collect();
    let phrases: Vec<String> = phrases.iter().map(|q| search(q)).collect();
    let typos: Vec<String> = names
        .iter()
        .filter_map(|n| typo(n))
        .map(|q| search(&q))
        .collect();
    vec![
        ("typing", typing),
        ("terms", whole),
        ("phrases", phrases),
        ("typos", typos),
    ]
}

/// All mixes interleaved, one request of each in turn.
fn interleave(mixes: &[(&str, Vec<String>)]) -> Vec<String> {
    let longest = mixes.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    (0..longest)
        .flat_map(|i| mixes.iter().map(move |(_, m)| m[i % m.len()].clone()))
        .collect()
}

struct Load {
    requests: usize,
    errors: usize,
    seconds: f64,
    median_ms: f64,
    p99_ms: f64,
    /// CPU seconds of the server and of this process (the clients) during the run.
    server_cpu: f64,
    clients_cpu: f64,
}

/// CPU seconds (user + system) a process has used, from /proc.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn drive(server: &Running, paths: &[String], clients: usize, seconds: u64) -> Load {
    let paths = Arc::new(paths.to_vec());
    let stop = Arc::new(AtomicBool::new(false));
    let pid = server.child.id().to_string();
    let (server_before, clients_before) = (cpu_seconds(&pid), cpu_seconds("self"));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|n| {
            let (paths, stop, addr) = (paths.clone(), stop.clone(), server.addr.clone());
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
        server_cpu: cpu_seconds(&pid) - server_before,
        clients_cpu: cpu_seconds("self") - clients_before,
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

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn report(name: &str, load: &Load, target_ms: f64) {
    let n = load.requests.max(1) as f64;
    println!(
        "{name:<34} {:>6.0} req/s  median {:7.2} ms (target < {target_ms} ms)  p99 {:8.2} ms  requests {:>7}  errors {}  CPU/request: server {:.3} ms, clients {:.3} ms  (load {})",
        load.requests as f64 / load.seconds,
        load.median_ms,
        load.p99_ms,
        load.requests,
        load.errors,
        load.server_cpu * 1000.0 / n,
        load.clients_cpu * 1000.0 / n,
        loadavg()
    );
}

/// The cache's counts from `/api/status`.
fn cache_counts(server: &Running) -> String {
    let mut client = Client {
        addr: server.addr.clone(),
        stream: None,
    };
    client
        .get("/api/status")
        .ok()
        .and_then(|(_, body)| serde_json::from_slice::<serde_json::Value>(&body).ok())
        .map(|v| v["cache"].to_string())
        .unwrap_or_default()
}

/// One corpus: the cached server (the page's case: repeats answered from the cache), then
/// the same with `--cache-mb 0` (every request looked up), per mix and all mixes at once.
fn corpus(
    gloss: &Path,
    name: &str,
    content: &Path,
    index: &Path,
    target: f64,
    settings: (usize, u64, u64),
) {
    let (clients, seconds, mix_seconds) = settings;
    let phrases = if name == "MDN" {
        PHRASES_MDN
    } else {
        PHRASES_NOTES
    };
    for (label, extra) in [("cached", &[][..]), ("uncached", &["--cache-mb", "0"][..])] {
        let mut args = vec!["serve", "--port", "0"];
        args.extend_from_slice(extra);
        let server = Running::start(gloss, content, index, &args, "gloss: serving ");
        // Let the watcher's first pass finish before measuring.
        std::thread::sleep(Duration::from_secs(2));
        let mixes = mixes(&server.addr, phrases);
        let all = interleave(&mixes);
        if label == "uncached" {
            for (mix, paths) in &mixes {
                let one = drive(&server, paths, 1, mix_seconds);
                report(
                    &format!("{name}, {label}, 1, {mix} ({})", paths.len()),
                    &one,
                    target,
                );
            }
        } else {
            let one = drive(&server, &all, 1, mix_seconds);
            report(&format!("{name}, {label}, 1, all mixes"), &one, target);
        }
        let load = drive(&server, &all, clients, seconds);
        report(
            &format!("{name}, {label}, {clients}, all mixes ({})", all.len()),
            &load,
            target,
        );
        if label == "cached" {
            println!("  cache after the runs: {}", cache_counts(&server));
        }
    }
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
    let mix_seconds = env_usize("GLOSS_MIX_SECONDS", 3) as u64;
    let mut corpora = vec![("shipped notes", root.join("content"), 2.0)];
    if mdn.is_dir() {
        corpora.push(("MDN", mdn.clone(), 10.0));
    } else {
        println!("(MDN not found at {}: skipped)", mdn.display());
    }
    for (name, content, target) in &corpora {
        let index = tmp.join(format!("index-{}", name.replace(' ', "-")));
        corpus(
            &gloss,
            name,
            content,
            &index,
            *target,
            (clients, seconds, mix_seconds),
        );
    }
    let visible = edit_visible(&gloss, &root.join("content"), &tmp);
    println!("\nedit visible in the API after {visible:.0} ms (median of 5; target < 1000 ms)");
    if mdn.is_dir() {
        cli_vs_rg(&gloss, &mdn, &tmp.join("index-MDN"), runs);
    }
}
