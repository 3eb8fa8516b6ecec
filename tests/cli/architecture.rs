//! The module graph of `src/` has no cycles (ARCHITECTURE.md, "Invariants"): modules follow
//! the data one way, so a reader can walk a file through the tool top to bottom.
//!
//! The graph is read from the sources themselves, not from the compiler: every `crate::`,
//! `super::` and `self::` path, every name a `use` brings in (`use crate::read::{self, sniff}`
//! makes `read::csv::check` a path into `read::csv`), child modules named directly, and
//! `m365report::` paths of the binary. Test code (`#[cfg(test)]` items) does not count, nor do
//! a module's `mod` declarations and `pub use` re-exports of its own children: those are how a
//! parent shows its children, not something it uses.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src/`'s module graph has no import cycle; the failure names each cycle found.
#[test]
fn modules_import_each_other_one_way_only() {
    let src = super::root().join("src");
    let files = read_tree(&src);
    let graph = Graph::of(&files);
    // A reader that found nothing would pass any tree: make sure it sees the known edges.
    let known = [
        ("validate", "read::csv"),
        ("read::csv", "check"),
        ("main", "cli"),
        ("cli::trend", "trend::chart"),
    ];
    for (from, to) in known {
        assert!(
            graph.has_edge(from, to),
            "the graph lost the edge {from} -> {to}; has the module reader broken?\n{graph:?}"
        );
    }
    let cycles = graph.cycles();
    if std::env::var_os("M365REPORT_PRINT_MODULES").is_some() {
        eprintln!("{graph:?}");
    }
    assert!(
        cycles.is_empty(),
        "import cycles between modules of src/ (see ARCHITECTURE.md: nothing below imports \
         anything above it):\n  {}",
        cycles.join("\n  ")
    );
}

/// The checker finds a cycle through a module imported by name, and names it.
#[test]
fn a_cycle_through_an_imported_module_name_is_found() {
    let files = sources(&[
        ("lib.rs", "pub mod read;\npub mod validate;\n"),
        ("read/mod.rs", "pub mod csv;\n"),
        (
            "read/csv.rs",
            "use crate::validate::Checker;\npub fn check(_: Checker) {}\n",
        ),
        (
            "validate.rs",
            "use crate::read;\npub struct Checker;\npub fn go() { read::csv::check(Checker) }\n",
        ),
    ]);
    assert_eq!(
        Graph::of(&files).cycles(),
        ["read::csv -> validate -> read::csv"]
    );
}

/// Test code, comments, strings and a parent's re-exports of its children make no edge.
#[test]
fn tests_comments_and_re_exports_are_not_edges() {
    let files = sources(&[
        (
            "lib.rs",
            "pub mod a;\npub mod b;\npub use b::Thing;\n\
             #[cfg(test)]\nmod tests { use crate::b::Thing; }\n",
        ),
        (
            "a.rs",
            "// crate::b::Thing\n/* crate::b::Thing */\nconst S: &str = \"crate::b::Thing\";\n\
             #[cfg(test)]\nuse crate::b::Thing;\npub struct Base;\n",
        ),
        (
            "b.rs",
            "pub mod c;\npub use c::Deep;\nuse crate::a::Base;\npub struct Thing(Base);\n",
        ),
        ("b/c.rs", "use super::Thing;\npub struct Deep(Thing);\n"),
    ]);
    let graph = Graph::of(&files);
    assert!(graph.cycles().is_empty(), "{graph:?}");
    assert!(graph.has_edge("b", "a"), "{graph:?}");
    assert!(graph.has_edge("b::c", "b"), "{graph:?}");
    assert!(!graph.has_edge("a", "b"), "{graph:?}");
    assert!(!graph.has_edge("lib", "b"), "{graph:?}");
}

fn sources(files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), text.to_string()))
        .collect()
}

/// Every `.rs` file under `src`, by its path relative to `src`.
fn read_tree(src: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(src)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path())
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
            let relative = e.path().strip_prefix(src).unwrap_or(e.path()).to_path_buf();
            (relative, text)
        })
        .collect()
}

/// A module: the crate it belongs to (`lib.rs` or `main.rs`) and its path below the root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Module {
    bin: bool,
    path: Vec<String>,
}

impl Module {
    fn name(&self) -> String {
        match (self.path.is_empty(), self.bin) {
            (true, false) => "lib".into(),
            (true, true) => "main".into(),
            (false, _) => self.path.join("::"),
        }
    }

    fn child(&self, name: &str) -> Module {
        let mut path = self.path.clone();
        path.push(name.to_string());
        Module {
            bin: self.bin,
            path,
        }
    }

    fn contains(&self, other: &Module) -> bool {
        self.bin == other.bin && other.path.starts_with(&self.path)
    }
}

/// Modules and the modules each one uses.
struct Graph {
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (from, to) in &self.edges {
            let to: Vec<String> = to.iter().map(Module::name).collect();
            writeln!(f, "{} -> {}", from.name(), to.join(", "))?;
        }
        Ok(())
    }
}

impl Graph {
    /// The graph of the crates rooted at `lib.rs` and `main.rs` among `files`, following
    /// `mod` declarations from the roots.
    fn of(files: &BTreeMap<PathBuf, String>) -> Graph {
        let mut modules: BTreeMap<Module, Vec<String>> = BTreeMap::new();
        for (root, bin) in [("lib.rs", false), ("main.rs", true)] {
            if files.contains_key(Path::new(root)) {
                let module = Module {
                    bin,
                    path: Vec::new(),
                };
                load(files, Path::new(root), module, &mut modules);
            }
        }
        let known: BTreeSet<Module> = modules.keys().cloned().collect();
        let mut edges = BTreeMap::new();
        for (module, tokens) in &modules {
            edges.insert(module.clone(), uses(module, tokens, &known));
        }
        Graph { edges }
    }

    fn has_edge(&self, from: &str, to: &str) -> bool {
        self.edges
            .iter()
            .any(|(m, targets)| m.name() == from && targets.iter().any(|t| t.name() == to))
    }

    /// Each cycle once, as `a -> b -> a`, starting from its smallest module.
    fn cycles(&self) -> Vec<String> {
        let mut found = BTreeSet::new();
        let mut done = BTreeSet::new();
        for start in self.edges.keys() {
            let mut stack = vec![start.clone()];
            self.walk(&mut stack, &mut done, &mut found);
        }
        found.into_iter().collect()
    }

    fn walk(
        &self,
        stack: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
        found: &mut BTreeSet<String>,
    ) {
        let Some(here) = stack.last().cloned() else {
            return;
        };
        if done.contains(&here) {
            return;
        }
        for next in self.edges.get(&here).into_iter().flatten() {
            if let Some(at) = stack.iter().position(|m| m == next) {
                let mut cycle: Vec<Module> = stack[at..].to_vec();
                let smallest = (0..cycle.len())
                    .min_by_key(|&i| &cycle[i])
                    .unwrap_or_default();
                cycle.rotate_left(smallest);
                let mut names: Vec<String> = cycle.iter().map(Module::name).collect();
                names.push(cycle[0].name());
                found.insert(names.join(" -> "));
            } else {
                stack.push(next.clone());
                self.walk(stack, done, found);
                stack.pop();
            }
        }
        done.insert(here);
    }
}

/// Reads the module in `file` and, through its `mod` declarations, its children.
fn load(
    files: &BTreeMap<PathBuf, String>,
    file: &Path,
    module: Module,
    modules: &mut BTreeMap<Module, Vec<String>>,
) {
    let Some(text) = files.get(file) else {
        panic!("{}: declared as a module but not found", file.display());
    };
    let tokens = without_test_code(&tokens(text));
    let children = mod_declarations(&tokens);
    // A `mod.rs`, `lib.rs` or `main.rs` holds its children beside it; `a.rs` in `a/`.
    let dir = match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") => file.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => file.with_extension(""),
    };
    for child in &children {
        let flat = dir.join(format!("{child}.rs"));
        let nested = dir.join(child).join("mod.rs");
        let path = if files.contains_key(&flat) {
            flat
        } else {
            nested
        };
        load(files, &path, module.child(child), modules);
    }
    modules.insert(module, tokens);
}

/// The tokens of Rust source without comments; every string, byte string and character
/// literal becomes `""`, so no text inside one is read as a path.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            out.push("\"\"".into());
            i = end;
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            i += if c == 'b' { 2 } else { 1 };
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push("\"\"".into());
            i += 1;
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let quote = if c == 'b' { i + 1 } else { i };
            if at(quote + 1) == '\\' {
                // An escaped character (`'\''`, `'\u{1F}'`): up to the closing quote.
                i = quote + 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                out.push("\"\"".into());
                i += 1;
            } else if at(quote + 2) == '\'' {
                out.push("\"\"".into());
                i = quote + 3;
            } else {
                // A lifetime or label: the quote alone, then the name as an identifier.
                out.push("'".into());
                i = quote + 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && at(i + 1) == ':' {
            out.push("::".into());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Where a raw string (`r"…"`, `r#"…"#`, `br"…"`) starting at `i` ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    // Not the end of an identifier such as `bar"`.
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The tokens without the items marked `#[cfg(test)]` (a test module, a test-only `use`).
fn without_test_code(tokens: &[String]) -> Vec<String> {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !tokens[i..].starts_with(&CFG_TEST.map(String::from)) {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        i += CFG_TEST.len();
        // The item ends at a `;` outside brackets, or with its first block.
        let mut depth = 0i32;
        while i < tokens.len() {
            let t = tokens[i].as_str();
            i += 1;
            match t {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" => depth -= 1,
                "}" => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ";" if depth == 0 => break,
                _ => {}
            }
        }
    }
    out
}

/// The names of `mod name;` declarations (not inline modules, whose text is the file's).
fn mod_declarations(tokens: &[String]) -> Vec<String> {
    tokens
        .windows(3)
        .filter(|w| w[0] == "mod" && w[2] == ";")
        .map(|w| w[1].clone())
        .collect()
}

/// One name a `use` brings in: its full path and the name it goes by (none for a glob).
struct Import {
    path: Vec<String>,
    name: Option<String>,
    /// `pub use` or `pub(…) use`: a re-export.
    public: bool,
}

/// Every `use` declaration of a module, its trees expanded.
fn imports(tokens: &[String]) -> Vec<Import> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t != "use" {
            continue;
        }
        let public = i > 0
            && (tokens[i - 1] == "pub"
                || (tokens[i - 1] == ")" && tokens[..i].iter().rev().take(6).any(|t| t == "pub")));
        let mut at = i + 1;
        let mut trees = Vec::new();
        use_tree(tokens, &mut at, Vec::new(), &mut trees);
        out.extend(
            trees
                .into_iter()
                .map(|(path, name)| Import { path, name, public }),
        );
    }
    out
}

/// Reads one use tree at `*at` below `prefix` into `out`.
fn use_tree(
    tokens: &[String],
    at: &mut usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let tok = |i: usize| tokens.get(i).map_or("", String::as_str);
    if tok(*at) == "::" {
        *at += 1;
    }
    loop {
        match tok(*at) {
            "{" => {
                *at += 1;
                while !matches!(tok(*at), "}" | "") {
                    use_tree(tokens, at, prefix.clone(), out);
                    if tok(*at) == "," {
                        *at += 1;
                    }
                }
                *at += 1;
                return;
            }
            "*" => {
                *at += 1;
                out.push((prefix, None));
                return;
            }
            "self" if !prefix.is_empty() => {
                *at += 1;
                let name = alias(tokens, at).or_else(|| prefix.last().cloned());
                out.push((prefix, name));
                return;
            }
            name if is_ident(name) => {
                prefix.push(name.to_string());
                *at += 1;
                if tok(*at) == "::" {
                    *at += 1;
                    continue;
                }
                let name = alias(tokens, at).or_else(|| prefix.last().cloned());
                out.push((prefix, name));
                return;
            }
            _ => return,
        }
    }
}

/// `as name` at `*at`, if there.
fn alias(tokens: &[String], at: &mut usize) -> Option<String> {
    if tokens.get(*at).map(String::as_str) == Some("as") {
        *at += 2;
        return tokens.get(*at - 1).cloned();
    }
    None
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// The modules `module` uses.
fn uses(module: &Module, tokens: &[String], known: &BTreeSet<Module>) -> BTreeSet<Module> {
    let imports = imports(tokens);
    // Names a `use` made stand for a module: `read` after `use crate::read::{self, …}`.
    let mut names: BTreeMap<String, Module> = BTreeMap::new();
    for import in &imports {
        if let (Some(name), Some((target, rest))) = (
            &import.name,
            resolve(module, &import.path, known, &BTreeMap::new()),
        ) {
            if rest == 0 {
                names.insert(name.clone(), target);
            }
        }
    }
    let mut used = BTreeSet::new();
    for import in &imports {
        let Some((target, _)) = resolve(module, &import.path, known, &names) else {
            continue;
        };
        // A parent showing its children's items is not a use of them.
        if import.public && module.contains(&target) {
            continue;
        }
        used.insert(target);
    }
    // Paths in code: `a::b::c` outside `use` declarations (`mod child;` has no path).
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            while i < tokens.len() && tokens[i] != ";" {
                i += 1;
            }
            continue;
        }
        let starts_path = is_ident(&tokens[i])
            && tokens.get(i + 1).map(String::as_str) == Some("::")
            && (i == 0 || tokens[i - 1] != "::");
        if starts_path {
            let mut path = vec![tokens[i].clone()];
            let mut j = i + 1;
            while tokens.get(j).map(String::as_str) == Some("::")
                && tokens.get(j + 1).is_some_and(|t| is_ident(t))
            {
                path.push(tokens[j + 1].clone());
                j += 2;
            }
            if let Some((target, _)) = resolve(module, &path, known, &names) {
                used.insert(target);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    used.remove(module);
    used
}

/// The module a path leads into, and how many of its segments were left after the last
/// module (0: the path names a module). `None` for paths outside the crates (std, other
/// crates, local items).
fn resolve(
    module: &Module,
    path: &[String],
    known: &BTreeSet<Module>,
    names: &BTreeMap<String, Module>,
) -> Option<(Module, usize)> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Module {
            bin: module.bin,
            path: Vec::new(),
        },
        "self" => module.clone(),
        "super" => {
            let mut m = module.clone();
            m.path.pop();
            m
        }
        "m365report" if module.bin => Module {
            bin: false,
            path: Vec::new(),
        },
        name => match names.get(name) {
            Some(m) => m.clone(),
            None if known.contains(&module.child(name)) => module.child(name),
            None => return None,
        },
    };
    let mut left = rest.len();
    for segment in rest {
        match segment.as_str() {
            "super" => {
                base.path.pop();
            }
            "self" => {}
            name if known.contains(&base.child(name)) => base = base.child(name),
            _ => break,
        }
        left -= 1;
    }
    Some((base, left))
}
