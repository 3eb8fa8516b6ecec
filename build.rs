//! Embeds every `schemas/**/*.json` into the binary, so a new report is a new file, not new
//! code. Schemas are grouped in one folder per workload (`schemas/teams/`).
use std::{
    env, fs,
    path::{Path, PathBuf},
};

/// Every `.json` file under `dir`, at any depth.
fn schema_files(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("schemas/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            schema_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut files = Vec::new();
    schema_files(&dir, &mut files);
    let mut out = String::from("/// The built-in schemas: (path under `schemas/`, document), in path order.\npub(crate) const BUILTIN_SCHEMAS: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .strip_prefix(&dir)
            .expect("found under schemas/")
            .to_string_lossy()
            .replace('\\', "/");
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_schemas.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
