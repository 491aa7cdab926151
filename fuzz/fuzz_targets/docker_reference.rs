//! libFuzzer entry point: see `stowage_fuzz::checks::docker_reference`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| stowage_fuzz::checks::docker_reference::check(data));
