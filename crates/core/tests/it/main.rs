//! Core integration tests: the blob store conformance suite, run against every backend, and
//! the check that the SQLite and PostgreSQL migrations build one schema.

mod migrations;
mod storage;
