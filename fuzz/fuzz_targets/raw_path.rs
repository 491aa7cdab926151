//! libFuzzer entry point: see `stowage_fuzz::checks::raw_path`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| stowage_fuzz::checks::raw_path::check(data));
