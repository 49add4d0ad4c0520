//! The `gloss` binary: parse flags, run, print errors on one line, map to exit codes.

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse_from(cli::with_default_subcommand(std::env::args_os().collect()));
    match cli::run(args) {
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
            let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
            eprintln!("gloss: {}", chain.join(": "));
            ExitCode::from(2)
        }
    }
}
