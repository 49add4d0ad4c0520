//! The `gloss` binary: parse flags, run, print errors on one line, map to exit codes.

mod cli;
mod mcp;
mod output;
mod serve_cmd;

use std::process::ExitCode;

use clap::Parser;

/// The system allocator for queries, mimalloc once an index run starts: see
/// `gloss::allocator` and BENCHMARKS.md.
#[global_allocator]
static ALLOC: gloss::allocator::Allocator = gloss::allocator::Allocator;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let misspelt = cli::misspelt_subcommand(&argv);
    let argv = cli::with_default_subcommand(argv);
    // An everyday query is read without clap; anything else (and every error) by clap.
    let mut args = cli::parse_plain(&argv).unwrap_or_else(|| cli::Cli::parse_from(argv));
    args.misspelt = misspelt;
    // A panic inside the engine (seen on index files with flipped bytes) must still end as
    // one line and exit 2, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let what = what.lines().next().unwrap_or("").to_string();
        eprintln!(
            "gloss: internal error ({what}); if the index is damaged, `gloss index --rebuild` rebuilds it"
        );
    }));
    let outcome = std::panic::catch_unwind(|| cli::run(args));
    let Ok(outcome) = outcome else {
        return ExitCode::from(2);
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            // A reader that stopped early (`gloss terms | head -1`) is not an error.
            if err
                .chain()
                .filter_map(|c| c.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            // One line whatever the causes say: some engine messages span several lines.
            let chain: Vec<String> = err
                .chain()
                .map(|c| {
                    c.to_string()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            eprintln!("gloss: {}", chain.join(": "));
            ExitCode::from(2)
        }
    }
}
