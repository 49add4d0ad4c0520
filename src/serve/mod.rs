//! `gloss serve`: the glossary as a local web page that searches as you type.
//!
//! A front end like the CLI: each request becomes one library lookup and its answer is
//! written with the same JSON renderer as `--format json`. The page is three embedded
//! files (HTML, JS, CSS) served from this origin only. A [`Watcher`] thread refreshes the
//! index after edits and the server swaps in the new commit; until then (and while a broken
//! index is rebuilt) the last commit answers. Each commit keeps the answers it gave
//! (bounded in bytes, see `cache`), so a repeated request is not looked up again.
//!
//! Defences: loopback only unless told otherwise; `Host` must name this server (DNS
//! rebinding); GET and HEAD only; request heads bounded in size and read under a timeout;
//! connections and lookups capped; each request under a deadline.

mod api;
mod assets;
mod cache;
mod memory;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::{self, Report, Store};
use crate::watch::{self, Watcher};

/// The port `gloss serve` listens on when `--port` is not given.
pub const DEFAULT_PORT: u16 = 8790;
/// Most connections served at once; further clients wait in the listen backlog.
const MAX_CONNECTIONS: usize = 256;
/// Most lookups running at once (the machine's cores do the work; more only queue).
const MAX_LOOKUPS: usize = 8;
/// A request head must arrive within this (slow-loris clients are cut off).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest request head, in bytes (hyper's read buffer).
const MAX_HEAD: usize = 16 * 1024;
/// Longest time one request may take, waiting for a lookup slot included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest life of one keep-alive connection.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Bytes of answers kept per commit when `--cache-mb` is not given.
pub const DEFAULT_CACHE_MB: usize = 64;

/// The Content-Security-Policy of every response: this origin only, nothing inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What `gloss serve` was asked to do.
pub struct Options {
    /// The notes folder.
    pub content: PathBuf,
    /// The index folder.
    pub index: PathBuf,
    /// The address to listen on (loopback unless the user says otherwise).
    pub host: IpAddr,
    /// The port (0: any free port).
    pub port: u16,
    /// Settings (synonyms, boosts, default limit) applied to every lookup.
    pub config: Config,
    /// Bytes of answers kept for the current commit (0: none).
    pub cache_bytes: usize,
}

/// One committed index, shared by the requests that started while it was current, and
/// the answers it gave.
pub(crate) struct Loaded {
    pub(crate) store: Store,
    pub(crate) answers: cache::Answers,
}

impl Loaded {
    fn new(store: Store, cache_bytes: usize) -> Loaded {
        Loaded {
            store,
            answers: cache::Answers::new(cache_bytes),
        }
    }
}

/// What the page shows in its banner; served at `/api/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// The notes folder is gone: the last index answers.
    pub notes_missing: bool,
    /// The last refresh failed with this message; the last commit answers.
    pub error: Option<String>,
    /// How many times the index was refreshed since the server started.
    pub refreshes: u64,
}

impl Status {
    /// One line for the page, or `None` when all is well.
    pub fn notice(&self) -> Option<String> {
        if self.notes_missing {
            return Some(
                "the notes folder is missing: answering from the last index until it is back"
                    .into(),
            );
        }
        self.error
            .as_ref()
            .map(|e| format!("could not refresh the index ({e}); answering from the last one"))
    }
}

/// State shared by all requests and the watcher.
pub(crate) struct Shared {
    pub(crate) content: PathBuf,
    pub(crate) config: Config,
    loaded: RwLock<Arc<Loaded>>,
    status: RwLock<Status>,
    lookups: Semaphore,
    /// Bytes of answers each commit keeps.
    cache_bytes: usize,
    /// The index files read so far (commits are read into memory, see `memory`).
    files: memory::Files,
    /// Set when reading the index failed: the watcher rebuilds it from scratch.
    rebuild: Arc<AtomicBool>,
    /// `Host` header values this server answers to.
    hosts: Vec<String>,
    /// Listening beyond loopback (`--host`): any IP literal with our port is fine too (DNS
    /// rebinding needs a name; an IP literal is its own origin).
    ip_literals: Option<u16>,
}

impl Shared {
    pub(crate) fn loaded(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .map_or_else(|p| p.into_inner().clone(), |l| l.clone())
    }

    pub(crate) fn status(&self) -> Status {
        self.status
            .read()
            .map_or_else(|p| p.into_inner().clone(), |s| s.clone())
    }

    fn set_status(&self, change: impl FnOnce(&mut Status)) {
        let mut status = self.status.write().unwrap_or_else(|p| p.into_inner());
        change(&mut status);
    }

    /// Runs `work` on `loaded` on a blocking thread once a lookup slot is free. `None` when
    /// it could not finish: the server is stopping, or the engine panicked on damaged index
    /// files (then the index is rebuilt).
    pub(crate) async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        loaded: Arc<Loaded>,
        work: impl FnOnce(&Loaded) -> T + Send + 'static,
    ) -> Option<T> {
        let _slot = self.lookups.acquire().await.ok()?;
        let done = tokio::task::spawn_blocking(move || work(&loaded)).await;
        match done {
            Ok(value) => Some(value),
            Err(err) => {
                if err.is_panic() {
                    self.index_failed();
                }
                None
            }
        }
    }

    /// Takes in what the watcher reports: a new commit is opened and swapped in.
    fn apply(&self, index_dir: &Path, event: &watch::Event) {
        match event {
            watch::Event::Refreshed(_) => match open_in_memory(index_dir, &self.files) {
                Ok((Some(store), _)) => {
                    *self.loaded.write().unwrap_or_else(|p| p.into_inner()) =
                        Arc::new(Loaded::new(store, self.cache_bytes));
                    self.set_status(|s| {
                        s.notes_missing = false;
                        s.error = None;
                        s.refreshes += 1;
                    });
                }
                Ok((None, _)) => {
                    self.set_status(|s| s.error = Some("no index after refresh".into()))
                }
                Err(err) => self.set_status(|s| s.error = Some(err.to_string())),
            },
            watch::Event::Failed(err) => {
                let message = err.to_string();
                self.set_status(|s| s.error = Some(message));
            }
            watch::Event::ContentMissing => self.set_status(|s| s.notes_missing = true),
            watch::Event::Shared | watch::Event::Ready => {}
        }
    }

    /// Asks the watcher to rebuild the index: a lookup found it damaged.
    pub(crate) fn index_failed(&self) {
        self.rebuild.store(true, Ordering::SeqCst);
    }

    fn host_allowed(&self, req: &Request<Incoming>) -> bool {
        req.headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| {
                self.hosts.iter().any(|ok| ok.eq_ignore_ascii_case(h))
                    || self
                        .ip_literals
                        .is_some_and(|port| h.parse::<SocketAddr>().is_ok_and(|a| a.port() == port))
            })
    }
}

/// A bound, not yet running server.
pub struct Server {
    listener: StdListener,
    shared: Arc<Shared>,
    index_dir: PathBuf,
}

/// What opening the index at start-up did, for the binary to print.
pub struct Started {
    /// The server, bound.
    pub server: Server,
    /// The index run that start-up needed, if any.
    pub report: Option<Report>,
    /// A notice to print (e.g. the notes folder is missing).
    pub notice: Option<String>,
}

/// Opens (or builds) the index and binds the listening socket.
pub fn bind(options: Options) -> Result<Started> {
    let (mapped, report, notice) = open_index(&options.content, &options.index)?;
    let files = memory::Files::default();
    let store = match open_in_memory(&options.index, &files) {
        Ok((Some(store), _)) => store,
        _ => mapped,
    };
    let addr = SocketAddr::new(options.host, options.port);
    let listener = StdListener::bind(addr).map_err(|e| Error::io(addr.to_string(), e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::io(addr.to_string(), e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io(addr.to_string(), e))?
        .port();
    let hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    let ip_literals = (!options.host.is_loopback()).then_some(port);
    let shared = Arc::new(Shared {
        content: options.content.clone(),
        config: options.config,
        loaded: RwLock::new(Arc::new(Loaded::new(store, options.cache_bytes))),
        status: RwLock::new(Status {
            notes_missing: !options.content.is_dir(),
            ..Status::default()
        }),
        lookups: Semaphore::new(MAX_LOOKUPS),
        cache_bytes: options.cache_bytes,
        files,
        rebuild: Arc::new(AtomicBool::new(false)),
        hosts,
        ip_literals,
    });
    Ok(Started {
        server: Server {
            listener,
            shared,
            index_dir: options.index,
        },
        report,
        notice,
    })
}

/// Opens the index with its files read into memory: nothing done to the folder afterwards
/// (a truncated or deleted file) can reach the commit being served.
fn open_in_memory(dir: &Path, files: &memory::Files) -> Result<(Option<Store>, Option<String>)> {
    files.prune();
    index::open_with(dir, &|generation, rest| {
        Box::new(memory::InMemory::new(generation, files.clone(), rest))
    })
}

/// The index, built when missing; with the notes folder gone, the last index answers.
fn open_index(content: &Path, dir: &Path) -> Result<(Store, Option<Report>, Option<String>)> {
    match index::ensure_fresh_with_progress(content, dir, true, &|_| {}) {
        Err(Error::ContentMissing(path)) => match index::open(dir)? {
            (Some(store), _) => Ok((
                store,
                None,
                Some(format!(
                    "warning: notes folder {} is missing; serving the last index until it is back",
                    path.display()
                )),
            )),
            (None, _) => Err(Error::ContentMissing(path)),
        },
        other => other,
    }
}

impl Server {
    /// The address listened on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::io("listening socket", e))
    }

    /// Serves until Ctrl-C or SIGTERM, with a watcher keeping the index fresh; `tell` hears
    /// what the watcher does. Returns once the watcher has finished any refresh under way.
    pub fn run(self, tell: impl FnMut(&watch::Event) + Send + 'static) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::io("async runtime", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = self.spawn_watcher(stop.clone(), tell);
        let served = runtime.block_on(self.accept_loop());
        stop.store(true, Ordering::SeqCst);
        // Connections still open are dropped; only the watcher writes, and it is joined.
        runtime.shutdown_timeout(Duration::from_millis(500));
        let _ = watcher.join();
        served
    }

    fn spawn_watcher(
        &self,
        stop: Arc<AtomicBool>,
        mut tell: impl FnMut(&watch::Event) + Send + 'static,
    ) -> std::thread::JoinHandle<()> {
        let shared = self.shared.clone();
        let index_dir = self.index_dir.clone();
        std::thread::spawn(move || {
            let watcher = Watcher::new(&shared.content, &index_dir, stop)
                .with_rebuild(shared.rebuild.clone());
            watcher.run(&mut |event| {
                shared.apply(&index_dir, &event);
                tell(&event);
            });
        })
    }

    async fn accept_loop(self) -> Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|e| Error::io("listening socket", e))?;
        let router = api::router(self.shared.clone());
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let shutdown = Signals::install().recv();
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = connections.clone().acquire_owned() => permit,
                () = &mut shutdown => return Ok(()),
            };
            let Ok(permit) = permit else {
                return Ok(());
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => return Ok(()),
            };
            let Ok((stream, _)) = accepted else {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (shared, router) = (self.shared.clone(), router.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    handle(shared.clone(), router.clone(), req)
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(MAX_HEAD)
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
                drop(permit);
            });
        }
    }
}

/// A flag set on Ctrl-C or SIGTERM (for `gloss watch`, which has no server loop).
pub fn stop_on_signal() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("signal handler", e))?;
    // Handlers are installed here, before this returns, so no early signal is missed.
    let signals = {
        let _context = runtime.enter();
        Signals::install()
    };
    let flag = stop.clone();
    std::thread::spawn(move || {
        runtime.block_on(signals.recv());
        flag.store(true, Ordering::SeqCst);
    });
    Ok(stop)
}

/// SIGINT (Ctrl-C) and SIGTERM handlers.
struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    /// Installs the handlers; needs a tokio runtime context.
    fn install() -> Signals {
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    /// Resolves on the first of the two signals.
    async fn recv(mut self) {
        async fn one(s: Option<&mut Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            () = one(self.interrupt.as_mut()) => {},
            () = one(self.terminate.as_mut()) => {},
        }
    }
}

/// The checks every request passes before routing, and the headers every response gets.
async fn handle(
    shared: Arc<Shared>,
    router: Router,
    req: Request<Incoming>,
) -> std::result::Result<Response<Body>, Infallible> {
    let mut response = if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = api::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if !shared.host_allowed(&req) {
        api::error(
            StatusCode::FORBIDDEN,
            "the Host header does not name this server (use http://127.0.0.1:PORT/)",
        )
    } else {
        match tokio::time::timeout(REQUEST_TIMEOUT, router.oneshot(req)).await {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_) => api::error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; try again",
            ),
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    Ok(response)
}
