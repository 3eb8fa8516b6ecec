//! CLI tests: the real binary on real-shaped files. One test binary, one module per command,
//! to keep link time down.

mod trend;

use std::path::PathBuf;

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
