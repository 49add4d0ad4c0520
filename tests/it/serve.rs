//! `gloss serve` and `gloss watch` run as a user runs them: the JSON API against the CLI's
//! own JSON, bad requests, the Host check, freshness after edits, a broken index, a
//! missing notes folder, a clean stop; and the watcher's lock that lets queries skip their
//! freshness check.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use serde_json::Value;

use crate::common::Sandbox;

/// A `gloss serve` (or `gloss watch`) child process, killed when dropped.
pub struct Served {
    pub child: Child,
    /// `127.0.0.1:PORT` for `gloss serve`.
    pub addr: String,
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    /// Starts `gloss serve --port 0` on the sandbox and waits for its address.
    pub fn start(sandbox: &Sandbox) -> Served {
        Self::spawn(sandbox, &["serve", "--port", "0"], "gloss: serving ")
    }

    /// Starts `gloss watch` and waits until it holds the index.
    pub fn watch(sandbox: &Sandbox) -> Served {
        Self::spawn(sandbox, &["watch"], "gloss: watching ")
    }

    pub fn spawn(sandbox: &Sandbox, args: &[&str], ready: &str) -> Served {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("gloss"))
            .current_dir(sandbox.dir.path())
            .env_remove("GLOSS_CONTENT")
            .env_remove("GLOSS_INDEX")
            .env_remove("GLOSS_NO_REFRESH")
            .env("GLOSS_CONFIG", "")
            .arg("--content")
            .arg(sandbox.notes())
            .arg("--index")
            .arg(sandbox.index())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gloss");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        assert!(line.starts_with(ready), "unexpected first line: {line:?}");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("")
            .to_string();
        Served {
            child,
            addr,
            _stdout: stdout,
        }
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// `GET path` with the right Host header.
    pub fn get(&self, path: &str) -> Reply {
        request(&self.addr, "GET", path, &self.addr)
    }

    /// GETs `path` until `done` holds for the JSON answer (the watcher works in the
    /// background); panics with the last answer after 20 s.
    pub fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let reply = self.get(path);
            let value = reply.json();
            if done(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "gave up waiting on {path}: {value}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        self.child.wait().expect("wait")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP response.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header's value (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// A raw HTTP/1.1 request (raw so that a foreign `Host` header can be sent).
pub fn request(addr: &str, method: &str, path: &str, host: &str) -> Reply {
    request_with(addr, method, path, host, None)
}

/// [`request`] with an optional JSON body.
pub fn request_with(addr: &str, method: &str, path: &str, host: &str, body: Option<&str>) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).unwrap();
    read_reply(&mut stream)
}

/// Reads one response: the head, then a body of Content-Length bytes, chunks, or to EOF.
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut buf).expect("read reply");
        assert!(n > 0, "connection closed before the end of the head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let mut body = raw[split + 4..].to_vec();
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked = lower.contains("transfer-encoding: chunked");
    loop {
        let complete = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut buf).expect("read body");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = unchunk(&body);
    }
    Reply { status, head, body }
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

fn cli_json(sandbox: &Sandbox, args: &[&str]) -> Value {
    sandbox.json(args)
}

#[test]
fn the_api_answers_exactly_what_the_cli_answers() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    let api = server.get("/api/search?q=chunking&mode=define").json();
    assert_eq!(api, cli_json(&sandbox, &["define", "chunking"]));
    assert_eq!(api["hits"][0]["term"], "Chunking");
    assert_eq!(api["hits"][0]["file"], "01-rag.md");
    assert_eq!(api["hits"][0]["line"], 13);
    let api = server.get("/api/search?q=vector%20search").json();
    assert_eq!(api, cli_json(&sandbox, &["search", "vector search"]));
    assert!(api["hits"].as_array().unwrap().len() > 1);
    let api = server.get("/api/search?q=chunk&limit=1").json();
    assert_eq!(
        api,
        cli_json(&sandbox, &["search", "chunk", "--limit", "1"])
    );
    let api = server.get("/api/terms?prefix=ch").json();
    assert_eq!(api, cli_json(&sandbox, &["terms", "--prefix", "ch"]));
    assert_eq!(terms_of(&api), ["Chunk", "Chunk sizes", "Chunking"]);
    let api = server.get("/api/related?term=rag").json();
    assert_eq!(api, cli_json(&sandbox, &["related", "rag"]));
    let mentions: Vec<&str> = api["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["term"].as_str())
        .collect();
    assert!(mentions.contains(&"Large language model"), "{mentions:?}");
}

#[test]
fn bad_requests_get_a_4xx_with_a_json_error_and_foreign_hosts_are_refused() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    let long = "a".repeat(300);
    let bad = [
        ("/api/search?q=", 400, "empty"),
        ("/api/search", 400, "empty"),
        ("/api/search?q=%20%20", 400, "empty"),
        ("/api/search?q=rag&limit=0", 400, "limit"),
        ("/api/search?q=rag&limit=101", 400, "limit"),
        ("/api/search?q=rag&limit=ten", 400, "limit"),
        ("/api/search?q=rag&mode=fuzzy", 400, "unknown mode"),
        (&format!("/api/search?q={long}"), 400, "longer than 256"),
        ("/api/related?term=", 400, "empty"),
        ("/api/related?term=zeppelin", 404, "no definition"),
        ("/nope", 404, "no such page"),
    ];
    for (path, status, message) in bad {
        let reply = server.get(path);
        assert_eq!(reply.status, status, "{path}");
        let error = reply.json()["error"].as_str().unwrap_or("").to_string();
        assert!(error.contains(message), "{path}: {error}");
    }
    let post = request(&server.addr, "POST", "/api/search?q=rag", &server.addr);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow").as_deref(), Some("GET, HEAD"));
    let port = server.port();
    for host in [
        format!("evil.example:{port}"),
        "127.0.0.1".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        let reply = request(&server.addr, "GET", "/api/search?q=rag", &host);
        assert_eq!(reply.status, 403, "Host: {host}");
        assert!(reply.json()["error"].as_str().unwrap().contains("Host"));
    }
    let ok = request(
        &server.addr,
        "GET",
        "/api/search?q=rag",
        &format!("localhost:{port}"),
    );
    assert_eq!(ok.status, 200);
    assert!(ok.header("access-control-allow-origin").is_none());
    let head = request(&server.addr, "HEAD", "/", &server.addr);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn the_page_is_self_contained_under_a_same_origin_policy() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    let page = server.get("/");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("src=\"/app.js\"") && html.contains("href=\"/app.css\""));
    assert!(!html.contains("<style") && !html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script>"), "no inline script");
    let js = server.get("/app.js");
    assert_eq!(js.status, 200);
    assert!(js
        .header("content-type")
        .unwrap()
        .starts_with("text/javascript"));
    let js = String::from_utf8(js.body).unwrap();
    assert!(
        !js.contains("innerHTML"),
        "note text reaches the page as text only"
    );
    assert_eq!(server.get("/app.css").status, 200);
}

#[test]
fn it_listens_on_loopback_only_by_default() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    assert!(server.addr.starts_with("127.0.0.1:"), "{}", server.addr);
    // The kernel's table of listening sockets: local address 127.0.0.1 (0100007F), not 0.0.0.0.
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port = format!(":{:04X}", server.port());
    let listening: Vec<&str> = table
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[1].ends_with(&port) && cols[3] == "0A"
        })
        .collect();
    assert_eq!(listening.len(), 1, "{listening:?}");
    assert!(listening[0]
        .split_whitespace()
        .nth(1)
        .unwrap()
        .starts_with("0100007F:"));
}

fn terms_of(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["term"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn edits_adds_renames_and_deletes_show_up_without_a_restart() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    let define = |t: &str| format!("/api/search?q={t}&mode=define");
    // Edit: a new definition in an existing note.
    let path = sandbox.notes().join("02-vectors.md");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n**Cosine similarity**: The angle between two embeddings.\n");
    std::fs::write(&path, text).unwrap();
    let v = server.wait_for(&define("cosine"), |v| {
        terms_of(v).contains(&"Cosine similarity".into())
    });
    assert_eq!(v["hits"][0]["file"], "02-vectors.md");
    // Add a note.
    sandbox.write(
        "03-new.md",
        "# New\n\n**Reranker**: A model that reorders hits.\n",
    );
    let v = server.wait_for(&define("reranker"), |v| !terms_of(v).is_empty());
    assert_eq!(v["hits"][0]["file"], "03-new.md");
    // Rename it.
    std::fs::rename(
        sandbox.notes().join("03-new.md"),
        sandbox.notes().join("04-renamed.md"),
    )
    .unwrap();
    server.wait_for(&define("reranker"), |v| {
        v["hits"][0]["file"] == "04-renamed.md"
    });
    // Delete it.
    std::fs::remove_file(sandbox.notes().join("04-renamed.md")).unwrap();
    server.wait_for(&define("reranker"), |v| terms_of(v).is_empty());
}

#[test]
fn a_deleted_index_is_rebuilt_and_a_missing_notes_folder_is_reported() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    // The watcher may be writing into it: retry until it is gone.
    while let Err(err) = std::fs::remove_dir_all(sandbox.index()) {
        assert_eq!(err.kind(), std::io::ErrorKind::DirectoryNotEmpty, "{err}");
    }
    // The last commit answers meanwhile; the index comes back.
    let reply = server.get("/api/search?q=embedding&mode=define");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["hits"][0]["term"], "Embedding");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sandbox.index().join("CURRENT").exists() {
        assert!(Instant::now() < deadline, "index not rebuilt");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The notes folder goes away: still serving, and saying so.
    let moved = sandbox.dir.path().join("moved");
    std::fs::rename(sandbox.notes(), &moved).unwrap();
    let status = server.wait_for("/api/status", |v| v["notes_missing"] == true);
    assert!(status["notice"]
        .as_str()
        .unwrap()
        .contains("notes folder is missing"));
    let reply = server.get("/api/search?q=embedding&mode=define");
    assert_eq!(reply.json()["hits"][0]["term"], "Embedding");
    assert!(reply.header("x-gloss-notice").unwrap().contains("missing"));
    // It comes back, edited.
    std::fs::rename(&moved, sandbox.notes()).unwrap();
    sandbox.write("05-back.md", "**Homecoming**: Notes that came back.\n");
    server.wait_for("/api/status", |v| v["notes_missing"] == false);
    server.wait_for("/api/search?q=homecoming&mode=define", |v| {
        terms_of(v) == ["Homecoming"]
    });
}

#[test]
fn a_repeated_request_is_answered_from_the_cache_until_the_index_changes() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    // The watcher's first refresh brings a new commit (and an empty cache): wait for it.
    server.wait_for("/api/status", |v| v["refreshes"].as_u64() >= Some(1));
    let path = "/api/search?q=embedding&mode=define";
    let first = server.get(path);
    let second = server.get(path);
    assert_eq!(first.header("x-gloss-cache").as_deref(), Some("miss"));
    assert_eq!(second.header("x-gloss-cache").as_deref(), Some("hit"));
    assert_eq!(first.body, second.body);
    let cache = &server.get("/api/status").json()["cache"];
    assert!(cache["hits"].as_u64().unwrap() >= 1, "{cache}");
    assert!(cache["entries"].as_u64().unwrap() >= 1, "{cache}");
    // An edit makes a new commit, and the new commit answers afresh.
    sandbox.write(
        "02-vectors.md",
        "## Embeddings\n\n**Embedding**: A list of numbers standing for a text, edited.\n",
    );
    server.wait_for(path, |v| {
        v["hits"][0]["text"]
            .as_str()
            .is_some_and(|t| t.ends_with("edited."))
    });
    // `--cache-mb 0` looks every request up.
    let uncached = Served::spawn(
        &sandbox,
        &["serve", "--port", "0", "--cache-mb", "0"],
        "gloss: serving ",
    );
    for _ in 0..2 {
        let reply = uncached.get(path);
        assert_eq!(reply.header("x-gloss-cache").as_deref(), Some("miss"));
    }
}

/// The generation folder `CURRENT` names.
fn live_generation(sandbox: &Sandbox) -> std::path::PathBuf {
    let current = std::fs::read_to_string(sandbox.index().join("CURRENT")).unwrap();
    sandbox.index().join(current.trim())
}

/// Index files truncated and overwritten under a running server: the server reads its
/// commit into memory (a memory-mapped file truncated under it would kill it with SIGBUS),
/// so it keeps answering, or answers 503 with a JSON error, while the watcher rebuilds.
#[test]
fn a_damaged_index_under_a_running_server_is_rebuilt_while_it_keeps_answering() {
    let sandbox = Sandbox::new("everyday");
    let mut server = Served::start(&sandbox);
    let path = "/api/search?q=embedding&mode=define";
    assert_eq!(server.get(path).json()["hits"][0]["term"], "Embedding");
    let damaged = live_generation(&sandbox);
    for entry in std::fs::read_dir(&damaged).unwrap().flatten() {
        let file = entry.path();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".store") || name.ends_with(".term") || name.ends_with(".idx") {
            let len = std::fs::metadata(&file).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            f.set_len(len / 3).unwrap();
        } else if name.ends_with(".fast") || name.ends_with(".pos") {
            std::fs::write(&file, b"not an index file").unwrap();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // A request that uncached-ly reads the damaged segments (a new query each time).
        let reply = server.get(path);
        match reply.status {
            200 => assert_eq!(reply.json()["hits"][0]["term"], "Embedding"),
            503 => assert!(reply.json()["error"].is_string()),
            other => panic!("status {other}: {}", String::from_utf8_lossy(&reply.body)),
        }
        let other = server.get("/api/search?q=vector%20of%20numbers");
        assert!(matches!(other.status, 200 | 503), "{}", other.status);
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "the server died"
        );
        if live_generation(&sandbox) != damaged && reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the damaged index was not rebuilt"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The rebuilt index answers the command line too.
    let v = sandbox.json(&["define", "embedding"]);
    assert_eq!(v["hits"][0]["term"], "Embedding");
}

#[test]
fn sigterm_stops_the_server_cleanly_with_an_intact_index() {
    let sandbox = Sandbox::new("everyday");
    let server = Served::start(&sandbox);
    assert_eq!(server.get("/api/search?q=rag").status, 200);
    sandbox.write(
        "06-late.md",
        "**Latecomer**: Written just before the stop.\n",
    );
    std::thread::sleep(Duration::from_millis(50));
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    sandbox
        .gloss(&["index", "--check"])
        .assert()
        .code(predicates::ord::lt(2));
    // Whatever the watcher had committed is whole: a query answers from it or refreshes it.
    let v = sandbox.json(&["define", "latecomer"]);
    assert_eq!(terms_of(&v), ["Latecomer"]);
}

/// The watcher's lock: while held, a query answers from the index as it is (no stat walk);
/// once released, queries check the notes again.
#[test]
fn queries_skip_the_freshness_check_only_while_a_watcher_holds_the_index() {
    let sandbox = Sandbox::new("everyday");
    sandbox.gloss(&["index"]).assert().success();
    let claim = gloss::watch::Claim::take(&sandbox.index(), &sandbox.notes())
        .unwrap()
        .expect("lock free");
    sandbox.write("07-unseen.md", "**Quokka**: A small wallaby.\n");
    // A stand-in watcher that does not refresh: the query trusts it and does not see the note.
    sandbox
        .gloss(&["define", "quokka"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("re-indexed").not());
    drop(claim);
    sandbox.gloss(&["define", "quokka"]).assert().success();
}

#[test]
fn gloss_watch_keeps_the_index_fresh_and_holds_the_lock_until_it_dies() {
    let sandbox = Sandbox::new("everyday");
    let watcher = Served::watch(&sandbox);
    assert!(gloss::watch::is_watched(&sandbox.index(), &sandbox.notes()));
    assert!(!gloss::watch::is_watched(
        &sandbox.index(),
        &sandbox.dir.path().join("elsewhere")
    ));
    sandbox.write(
        "08-fresh.md",
        "**Axolotl**: A salamander that stays young.\n",
    );
    // --no-refresh: only the watcher can have put it in the index.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = sandbox.json(&["define", "axolotl", "--no-refresh"]);
        if terms_of(&v) == ["Axolotl"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "watcher never indexed the new note"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = watcher.terminate();
    assert!(status.success(), "{status:?}");
    assert!(!gloss::watch::is_watched(
        &sandbox.index(),
        &sandbox.notes()
    ));
}

/// The lock is the kernel's: a watcher killed outright releases it.
#[test]
fn a_killed_watcher_releases_the_index() {
    let sandbox = Sandbox::new("everyday");
    let mut watcher = Served::watch(&sandbox);
    assert!(gloss::watch::is_watched(&sandbox.index(), &sandbox.notes()));
    watcher.child.kill().unwrap();
    watcher.child.wait().unwrap();
    assert!(!gloss::watch::is_watched(
        &sandbox.index(),
        &sandbox.notes()
    ));
    sandbox.write("09-after.md", "**Pangolin**: A scaly anteater.\n");
    sandbox.gloss(&["define", "pangolin"]).assert().success();
}

/// Paths are compared by the canonical notes folder: a relative spelling is the same folder.
#[test]
fn the_lock_names_the_watched_folder() {
    let sandbox = Sandbox::new("everyday");
    let _watcher = Served::watch(&sandbox);
    let recorded = std::fs::read_to_string(sandbox.index().join(gloss::watch::LOCK_FILE)).unwrap();
    assert_eq!(
        Path::new(&recorded),
        std::fs::canonicalize(sandbox.notes()).unwrap()
    );
}
