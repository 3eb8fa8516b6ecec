//! Embeds every `schemas/*.json` into the binary, so a new report is a new file, not new code.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=schemas");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("schemas/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = String::from("/// The built-in schemas: (file name, document), in file-name order.\npub(crate) const BUILTIN_SCHEMAS: &[(&str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_schemas.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
