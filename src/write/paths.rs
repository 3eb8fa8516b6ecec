//! Where each output goes under `--out-dir`: the input's relative path, mirrored, with the
//! output format's extension, and never outside the folder.

use std::path::{Component, Path, PathBuf};

use super::Format;

/// An input's relative path that cannot be mirrored safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: cannot be placed under the output folder ({reason})", .relative.display())]
pub struct PathError {
    /// The relative path as discovered.
    pub relative: PathBuf,
    /// Why it was refused.
    pub reason: &'static str,
}

/// The output path for an input found at `relative` (see `Source::relative`): `out_dir`
/// joined with it, the extension replaced by `format`'s. Refuses `..`, absolute and drive
/// components and empty names, so the result always lies inside `out_dir`.
pub fn mirror(out_dir: &Path, relative: &Path, format: Format) -> Result<PathBuf, PathError> {
    let refuse = |reason| PathError {
        relative: relative.to_path_buf(),
        reason,
    };
    let mut inside = PathBuf::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("it goes up with `..`")),
            Component::RootDir | Component::Prefix(_) => return Err(refuse("it is absolute")),
        }
    }
    if inside.file_name().is_none() {
        return Err(refuse("it has no file name"));
    }
    inside.set_extension(format.extension());
    Ok(out_dir.join(inside))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_folders_and_changes_the_extension() {
        let out = mirror(
            Path::new("out"),
            Path::new("tenant-1/GroupCounts_D7.csv"),
            Format::Json,
        )
        .unwrap();
        assert_eq!(out, Path::new("out/tenant-1/GroupCounts_D7.json"));
        let out = mirror(Path::new("out"), Path::new("./x.json"), Format::Ndjson).unwrap();
        assert_eq!(out, Path::new("out/x.ndjson"));
        let out = mirror(Path::new("out"), Path::new("stdin"), Format::Csv).unwrap();
        assert_eq!(out, Path::new("out/stdin.csv"));
    }

    #[test]
    fn never_leaves_the_output_folder() {
        for bad in ["../x.csv", "a/../../x.csv", "/etc/x.csv", "", "."] {
            assert!(
                mirror(Path::new("out"), Path::new(bad), Format::Json).is_err(),
                "{bad}"
            );
        }
    }
}
