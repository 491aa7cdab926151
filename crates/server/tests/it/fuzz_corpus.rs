//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`, crashes found included) through
//! the fuzz targets' own checks, so every CI run exercises those inputs on stable, without
//! cargo-fuzz or a nightly toolchain.

#[path = "../../../../fuzz/src/checks/mod.rs"]
mod checks;

use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// Runs every file of `target`'s corpus through its check, naming the input that fails.
fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target {target}"));
    let dir = corpus_root().join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    for path in inputs {
        let data = std::fs::read(&path).expect("corpus file");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("{target}: {} fails its check", path.display());
        }
    }
}

#[test]
fn every_target_has_a_corpus_and_every_corpus_a_target() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus_root())
        .expect("fuzz/corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut targets: Vec<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
    targets.sort();
    assert_eq!(dirs, targets);
}

#[test]
fn continuation_token_corpus() {
    replay("continuation_token");
}

#[test]
fn docker_reference_corpus() {
    replay("docker_reference");
}

#[test]
fn manifest_corpus() {
    replay("manifest");
}

#[test]
fn ranges_corpus() {
    replay("ranges");
}

#[test]
fn raw_path_corpus() {
    replay("raw_path");
}

#[test]
fn www_authenticate_corpus() {
    replay("www_authenticate");
}
