//! libFuzzer entry point: see `stowage_fuzz::checks::continuation_token`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| stowage_fuzz::checks::continuation_token::check(data));
