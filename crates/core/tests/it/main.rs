//! Core integration tests: the blob store conformance suite, run against every backend.

mod storage;
