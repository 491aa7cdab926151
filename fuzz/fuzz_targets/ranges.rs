//! libFuzzer entry point: see `stowage_fuzz::checks::ranges`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| stowage_fuzz::checks::ranges::check(data));
