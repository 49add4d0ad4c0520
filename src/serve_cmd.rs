//! `gloss serve` and `gloss watch`: flags in, library server or watcher run, events printed.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use gloss::config::Config;
use gloss::index::Report;
use gloss::render;
use gloss::serve::{self, Options, DEFAULT_CACHE_MB, DEFAULT_PORT};
use gloss::watch::{self, Watcher};

/// Flags of `gloss serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long = "port", value_name = "N", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Address to listen on. The default is loopback only; any other address lets other
    /// machines read your notes (a warning is printed).
    #[arg(long = "host", value_name = "ADDR")]
    host: Option<IpAddr>,
    /// Open the page in the default browser once the server is listening.
    #[arg(long = "open")]
    open: bool,
    /// Megabytes of answers kept for the current index; a repeated request is answered
    /// from them until the index changes (0: look every request up).
    #[arg(long = "cache-mb", value_name = "MB", default_value_t = DEFAULT_CACHE_MB)]
    cache_mb: usize,
}

/// One line per watcher event, on stderr.
fn print_event(event: &watch::Event) {
    match event {
        watch::Event::Refreshed(report) => print_refresh(report),
        watch::Event::Failed(err) => eprintln!(
            "gloss: warning: could not refresh the index ({}); the last one still answers",
            render::printable(&err.to_string())
        ),
        watch::Event::ContentMissing => {
            eprintln!("gloss: warning: the notes folder is gone; waiting for it to come back")
        }
        watch::Event::Shared => eprintln!(
            "gloss: another `gloss watch` or `gloss serve` holds this index; watching it too"
        ),
        watch::Event::Ready => {}
    }
}

fn print_refresh(report: &Report) {
    for w in &report.warnings {
        eprintln!("gloss: warning: {}", render::printable(&w.to_string()));
    }
    if let Some(notice) = &report.notice {
        eprintln!("gloss: {}", render::printable(notice));
    }
    if report.indexed > 0 || report.removed > 0 || report.rebuilt {
        eprintln!(
            "gloss: {} {} of {} files ({} removed) in {:.2}s",
            if report.rebuilt {
                "indexed"
            } else {
                "re-indexed"
            },
            report.indexed,
            report.files,
            report.removed,
            report.seconds
        );
    }
}

/// `gloss serve`.
pub fn serve(args: &ServeArgs, config: Config) -> Result<ExitCode> {
    let host = match args.host {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(host) => {
            if !host.is_loopback() {
                eprintln!(
                    "gloss: warning: --host {host}: the page and its API are reachable from other machines on that network, without a password"
                );
            }
            host
        }
    };
    let content = config.content.value.clone();
    let options = Options {
        content: content.clone(),
        index: config.index.value.clone(),
        host,
        port: args.port,
        config,
        cache_bytes: args.cache_mb.saturating_mul(1 << 20),
    };
    let started = serve::bind(options)
        .with_context(|| format!("starting the server on {host} port {}", args.port))?;
    if let Some(report) = &started.report {
        print_refresh(report);
    }
    if let Some(notice) = &started.notice {
        eprintln!("gloss: {}", render::printable(notice));
    }
    let addr = started.server.local_addr()?;
    let url = format!("http://{addr}/");
    println!(
        "gloss: serving {} at {url} (Ctrl-C stops)",
        render::printable(&content.display().to_string())
    );
    std::io::stdout().flush()?;
    if args.open {
        open_browser(&url);
    }
    started.server.run(print_event)?;
    eprintln!("gloss: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Opens `url` in the desktop's browser; a failure is a warning, the server goes on.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(err) = spawned {
        eprintln!("gloss: warning: could not open a browser with {opener} ({err}); open {url}");
    }
}

/// `gloss watch`: keeps the index fresh until Ctrl-C or SIGTERM.
pub fn watch(content: &Path, index: &Path) -> Result<ExitCode> {
    if !content.is_dir() {
        anyhow::bail!(gloss::error::Error::ContentMissing(content.to_path_buf()));
    }
    let stop = serve::stop_on_signal()?;
    let watcher = Watcher::new(content, index, stop);
    watcher.run(&mut |event| {
        print_event(&event);
        if matches!(event, watch::Event::Ready) {
            println!(
                "gloss: watching {} (index {}); Ctrl-C stops",
                render::printable(&content.display().to_string()),
                render::printable(&index.display().to_string())
            );
            let _ = std::io::stdout().flush();
        }
    });
    eprintln!("gloss: stopped");
    Ok(ExitCode::SUCCESS)
}
