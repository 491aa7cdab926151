//! The properties the fuzz targets check, one function per target, each taking the raw input.
//!
//! `fuzz_targets/<target>.rs` hands libFuzzer's input to `checks::<target>`; the server's
//! integration tests compile the same `checks` module and replay `fuzz/corpus/<target>/` through
//! it, so CI exercises every committed input without a nightly toolchain or cargo-fuzz.

pub mod checks;
