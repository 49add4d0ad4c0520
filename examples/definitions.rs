//! Prints the definitions gloss finds in one markdown file, without building an index:
//! `cargo run --example definitions -- notes/file.md`. Handy when writing notes or
//! checking why a term is (not) picked up.

use gloss::stages::{extract, parse};
use gloss::Kind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: cargo run --example definitions -- FILE.md")?;
    let text = std::fs::read_to_string(&path)?;
    for entry in extract(&path, &parse(&text)) {
        if entry.kind == Kind::Definition {
            let aliases = if entry.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", entry.aliases.join(", "))
            };
            println!(
                "{}:{}  {}{aliases}: {}",
                entry.file,
                entry.line,
                entry.term.unwrap_or_default(),
                entry.text
            );
        }
    }
    Ok(())
}
