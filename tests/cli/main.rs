//! The command-line tests: one binary, one module per subcommand.

mod convert;

use std::path::{Path, PathBuf};

/// The `m365report` binary under test.
pub fn m365report() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("m365report").expect("the binary is built")
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
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
