//! CLI tests: the real binary on real-shaped files. One test binary, one module per command,
//! to keep link time down.

mod annotate;
mod architecture;
mod archive;
mod catalogue;
mod convert;
mod hardening;
mod html;
mod inactive;
mod metrics;
mod parquet;
mod properties;
mod real;
mod trend;
mod validate;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The crate root, where `samples/` and `tests/fixtures/` live.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// The binary, run from the crate root with colour off.
pub fn m365report() -> Command {
    let mut cmd = Command::cargo_bin("m365report").expect("binary is built");
    cmd.current_dir(root()).env("NO_COLOR", "1");
    cmd
}

/// Runs `validate --format json` on one path and returns the parsed document.
pub fn validate_json(path: &Path) -> serde_json::Value {
    let out = m365report()
        .args(["validate", "--format", "json"])
        .arg(path)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// The `name` of every series of a `trend --format json` document, in order.
pub fn series_names(doc: &serde_json::Value) -> Vec<&str> {
    doc["series"]
        .as_array()
        .expect("a series array")
        .iter()
        .map(|s| s["name"].as_str().expect("a series name"))
        .collect()
}

/// The names in a folder, recursively, relative to it and sorted (temporary files included).
pub fn tree(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
