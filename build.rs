//! Links the `gloss` binary as a position-dependent executable on Linux.
//!
//! A position-independent executable makes the loader apply ~35,000 relative relocations
//! at every start, which copies some 170 pages on write: about 0.3 ms of the ~1.5 ms a
//! `gloss --version` costs, measured in BENCHMARKS.md ("Start-up"). Libraries and tests are
//! unaffected; only the binaries get the flag.
//!
//! It also tells the allocator (src/allocator.rs) whether mimalloc was compiled without its
//! process constructor (`.cargo/config.toml`), in which case gloss starts mimalloc itself.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu_or_musl =
        std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "gnu" || e == "musl");
    // A static build (`crt-static`, see .cargo/config.toml) links as `-static` or
    // `-static-pie` on its own; `-no-pie` on top of it makes a binary that crashes.
    let static_crt = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|f| f.split(',').any(|f| f == "crt-static"));
    if linux && gnu_or_musl && !static_crt {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    mimalloc_start();
}

/// Sets `mimalloc_no_attach` when the C flags the `cc` crate gives mimalloc for this target
/// define `MI_PRIM_HAS_PROCESS_ATTACH` (no constructor: gloss must start mimalloc).
fn mimalloc_start() {
    println!("cargo::rustc-check-cfg=cfg(mimalloc_no_attach)");
    let target = std::env::var("TARGET").unwrap_or_default();
    let names = [
        format!("CFLAGS_{target}"),
        format!("CFLAGS_{}", target.replace('-', "_")),
        "TARGET_CFLAGS".to_string(),
        "CFLAGS".to_string(),
    ];
    let mut defined = false;
    for name in &names {
        println!("cargo:rerun-if-env-changed={name}");
        defined |= std::env::var(name).is_ok_and(|f| f.contains("MI_PRIM_HAS_PROCESS_ATTACH"));
    }
    if defined {
        println!("cargo:rustc-cfg=mimalloc_no_attach");
    }
}
