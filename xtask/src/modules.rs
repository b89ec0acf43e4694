//! `cargo xtask modules`: the file-level module graph of a crate's `src/`, read from its
//! `crate::`, `self::` and `super::` paths, and its cycles.
//!
//! One node per `.rs` file (inline modules belong to their file). An edge `a -> b` means a path
//! written in `a` names an item of `b` (the longest module prefix of the path that is a file);
//! `use crate::{a::X, b::{Y, Z}}` groups count for each path they hold. Left out:
//!
//! - comments, string and character literals (a hand-written lexer, so a `"crate::x"` in a message
//!   or a `//` inside a string changes nothing);
//! - every `#[cfg(test)] mod NAME { ... }` block, files declared `#[cfg(test)] mod NAME;` and files
//!   opening with `#![cfg(test)]`: tests may import anything;
//! - a module naming one of its ancestors (e.g. `deny/shared.rs` using `super::X` from `deny.rs`):
//!   a parent declares and re-exports its children, so that edge is not a cycle edge;
//! - paths relative to a module's own names (`use inner::X` without `self::`), attributes, and
//!   `#[path]` attributes (files are placed by their location under `src/`).
//!
//! A cycle is a strongly connected set of more than one file (Tarjan). The reference this ports
//! is `shared/tools/modgraph.py`; unlike it, `super` in a `mod.rs` names the directory module's
//! parent (as rustc does) and `super` inside an inline module names that module's parent.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::util::{Fail, ctx};
use crate::workspace;

/// Settings of `cargo xtask modules`.
#[derive(Debug, Parser)]
pub(crate) struct Args {
    /// A crate directory (holding `src/lib.rs` or `src/main.rs`) to check instead of the
    /// workspace's libraries; repeat for several.
    #[arg(long = "crate-dir", value_name = "DIR")]
    crate_dirs: Vec<PathBuf>,
    /// Also print every edge (`from -> to`, with the first path that makes it).
    #[arg(long)]
    edges: bool,
}

/// A crate to check: its name (for the report), its directory and its root file.
#[derive(Debug, Clone)]
struct Crate {
    name: String,
    dir: PathBuf,
    root: PathBuf,
}

/// Checks every crate; fails when any has a cycle.
pub(crate) fn run(args: &Args) -> Result<(), Fail> {
    let crates = if args.crate_dirs.is_empty() {
        workspace_crates()?
    } else {
        args.crate_dirs
            .iter()
            .map(|dir| crate_at(dir))
            .collect::<Result<Vec<_>, _>>()?
    };
    if crates.is_empty() {
        return Err(Fail("no library crate to check".into()));
    }
    let mut failed = Vec::new();
    for krate in &crates {
        let graph = Graph::of_crate(&krate.dir, &krate.root)?;
        let cycles = graph.cycles();
        print!("{}", graph.report(&krate.name, &cycles, args.edges));
        if !cycles.is_empty() {
            failed.push(krate.name.clone());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Fail(format!("module cycles in {}", failed.join(", "))))
    }
}

/// The workspace's library members (xtask aside), from `cargo metadata`.
fn workspace_crates() -> Result<Vec<Crate>, Fail> {
    Ok(workspace::packages()?
        .into_iter()
        .filter(|p| p.name != "xtask")
        .filter_map(|p| {
            let root = p.lib_root?;
            let in_src = root.parent()?.file_name().is_some_and(|n| n == "src");
            in_src.then_some(Crate {
                name: p.name,
                dir: p.dir,
                root,
            })
        })
        .collect())
}

/// The crate in `dir`: `src/lib.rs`, else `src/main.rs`.
fn crate_at(dir: &Path) -> Result<Crate, Fail> {
    let root = ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|f| dir.join(f))
        .find(|f| f.is_file())
        .ok_or_else(|| Fail(format!("{}: no src/lib.rs nor src/main.rs", dir.display())))?;
    Ok(Crate {
        name: dir.display().to_string(),
        dir: dir.to_path_buf(),
        root,
    })
}

// ---------------------------------------------------------------------------------------------
// Lexer: just enough Rust to find paths, braces and attributes outside comments and literals.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Open(char),
    Close(char),
    Comma,
    Semi,
    Pound,
    Bang,
    Star,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    tok: Tok,
    line: u32,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The tokens of `text`, without whitespace, comments and literals.
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let n = chars.len();
    let mut tokens = Vec::new();
    let mut line = 1u32;
    let mut i = 0;
    // Skips a quoted literal whose body starts at `i` (escapes allowed); returns the index after
    // the closing quote.
    let quoted = |mut i: usize, quote: char, line: &mut u32| {
        while i < n {
            match at(i) {
                '\\' => {
                    if at(i + 1) == '\n' {
                        *line += 1;
                    }
                    i += 2;
                }
                '\n' => {
                    *line += 1;
                    i += 1;
                }
                c if c == quote => return i + 1,
                _ => i += 1,
            }
        }
        n
    };
    while i < n {
        let c = at(i);
        let next = at(i + 1);
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '/' if next == '/' => {
                while i < n && at(i) != '\n' {
                    i += 1;
                }
            }
            '/' if next == '*' => {
                let mut depth = 1;
                i += 2;
                while i < n && depth > 0 {
                    match (at(i), at(i + 1)) {
                        ('/', '*') => {
                            depth += 1;
                            i += 2;
                        }
                        ('*', '/') => {
                            depth -= 1;
                            i += 2;
                        }
                        ('\n', _) => {
                            line += 1;
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
            }
            '"' => i = quoted(i + 1, '"', &mut line),
            '\'' => {
                if next == '\\' {
                    // '\n', '\'', '\u{1F600}'
                    let mut j = i + 3;
                    while j < n && at(j) != '\'' && at(j) != '\n' {
                        j += 1;
                    }
                    i = j + 1;
                } else if at(i + 2) == '\'' {
                    i += 3; // 'x', '{'
                } else {
                    i += 1; // a lifetime or a label: its name lexes as an identifier
                    tokens.push(Token {
                        tok: Tok::Other,
                        line,
                    });
                }
            }
            c if is_ident_start(c) => {
                // Literal prefixes: r"", r#""#, b"", br"", c"", cr"", b'x'; raw identifiers.
                let raw_at = match (c, next) {
                    ('r', _) => Some(i + 1),
                    ('b' | 'c', 'r') => Some(i + 2),
                    _ => None,
                };
                if let Some(j) = raw_at {
                    let mut k = j;
                    while at(k) == '#' {
                        k += 1;
                    }
                    if at(k) == '"' {
                        let hashes = k - j;
                        let mut m = k + 1;
                        while m < n {
                            if at(m) == '\n' {
                                line += 1;
                            }
                            if at(m) == '"' && (1..=hashes).all(|h| at(m + h) == '#') {
                                break;
                            }
                            m += 1;
                        }
                        i = m + 1 + hashes;
                        continue;
                    }
                    if c == 'r' && k == j + 1 && is_ident_start(at(k)) {
                        i = k; // r#ident: the identifier itself
                        continue;
                    }
                }
                if matches!(c, 'b' | 'c') && next == '"' {
                    i = quoted(i + 2, '"', &mut line);
                    continue;
                }
                if c == 'b' && next == '\'' {
                    i += 1; // b'x': the character literal
                    continue;
                }
                let start = i;
                while i < n && is_ident_char(at(i)) {
                    i += 1;
                }
                let ident: String = chars.get(start..i).unwrap_or_default().iter().collect();
                tokens.push(Token {
                    tok: Tok::Ident(ident),
                    line,
                });
            }
            c if c.is_ascii_digit() => {
                while i < n && is_ident_char(at(i)) {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Other,
                    line,
                });
            }
            _ => {
                let (tok, len) = match c {
                    ':' if next == ':' => (Tok::PathSep, 2),
                    '{' | '(' | '[' => (Tok::Open(c), 1),
                    '}' | ')' | ']' => (Tok::Close(c), 1),
                    ',' => (Tok::Comma, 1),
                    ';' => (Tok::Semi, 1),
                    '#' => (Tok::Pound, 1),
                    '!' => (Tok::Bang, 1),
                    '*' => (Tok::Star, 1),
                    _ => (Tok::Other, 1),
                };
                tokens.push(Token { tok, line });
                i += len;
            }
        }
    }
    tokens
}

// ---------------------------------------------------------------------------------------------
// One file: the paths it names.

/// A path found in a file, absolute (from the crate root), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathRef {
    path: Vec<String>,
    line: u32,
}

/// What one file says about the module graph.
#[derive(Debug, Default, PartialEq, Eq)]
struct FileScan {
    /// The file opens with `#![cfg(test)]`: test code only.
    test_only: bool,
    /// Absolute paths of the modules it declares with `#[cfg(test)] mod NAME;`.
    test_children: Vec<Vec<String>>,
    /// The paths it names outside test code.
    refs: Vec<PathRef>,
}

fn is_ident(tokens: &[Token], k: usize, name: &str) -> bool {
    matches!(tokens.get(k), Some(Token { tok: Tok::Ident(s), .. }) if s == name)
}

fn tok(tokens: &[Token], k: usize) -> Option<&Tok> {
    tokens.get(k).map(|t| &t.tok)
}

/// The index after the bracket closing the one opened at `k` (or the end).
fn skip_group(tokens: &[Token], k: usize) -> usize {
    let mut depth = 0usize;
    let mut k = k;
    while let Some(t) = tok(tokens, k) {
        k += 1;
        match t {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    k
}

/// Whether the attribute body `tokens[from..to]` (inside `#[...]`) is exactly `cfg(test)`.
fn is_cfg_test(tokens: &[Token], from: usize, to: usize) -> bool {
    let body: Vec<&Tok> = tokens
        .get(from..to)
        .unwrap_or_default()
        .iter()
        .map(|t| &t.tok)
        .collect();
    matches!(
        body.as_slice(),
        [Tok::Ident(cfg), Tok::Open('('), Tok::Ident(test), Tok::Close(')')]
            if cfg == "cfg" && test == "test"
    )
}

/// Appends one path segment: `super` goes up, `self` stays.
fn push_segment(path: &mut Vec<String>, segment: &str) {
    match segment {
        "super" => {
            path.pop();
        }
        "self" => {}
        _ => path.push(segment.to_owned()),
    }
}

/// Reads the path or use-tree starting at `k` under `prefix`, pushing every path it names to
/// `out`; returns the index after it.
fn read_tree(
    tokens: &[Token],
    k: usize,
    prefix: Vec<String>,
    line: u32,
    out: &mut Vec<PathRef>,
) -> usize {
    match tok(tokens, k) {
        Some(Tok::Open('{')) => {
            let mut k = k + 1;
            loop {
                match tok(tokens, k) {
                    None => return k,
                    Some(Tok::Close('}')) => return k + 1,
                    // A group ends at `}`; a `;` means the braces were not a use group.
                    Some(Tok::Semi) => return k,
                    Some(Tok::Comma) => k += 1,
                    Some(_) => {
                        let after = read_tree(tokens, k, prefix.clone(), line, out);
                        k = after.max(k + 1);
                        // The rest of this item (`as NAME`) up to `,` or `}`.
                        while let Some(t) = tok(tokens, k) {
                            match t {
                                Tok::Comma | Tok::Close('}') | Tok::Semi => break,
                                Tok::Open(_) => k = skip_group(tokens, k),
                                _ => k += 1,
                            }
                        }
                    }
                }
            }
        }
        Some(Tok::Ident(segment)) => {
            let mut path = prefix;
            push_segment(&mut path, segment);
            let mut k = k + 1;
            while tok(tokens, k) == Some(&Tok::PathSep) {
                match tok(tokens, k + 1) {
                    Some(Tok::Ident(segment)) => {
                        push_segment(&mut path, segment);
                        k += 2;
                    }
                    Some(Tok::Open('{')) => {
                        out.push(PathRef {
                            path: path.clone(),
                            line,
                        });
                        return read_tree(tokens, k + 1, path, line, out);
                    }
                    _ => {
                        k += 1; // `::*`, `::<T>`
                        break;
                    }
                }
            }
            out.push(PathRef { path, line });
            k
        }
        Some(Tok::Star) => {
            out.push(PathRef { path: prefix, line });
            k + 1
        }
        _ => k,
    }
}

/// Scans one file of module `module` (its absolute path).
fn scan(text: &str, module: &[String]) -> FileScan {
    let tokens = lex(text);
    let mut scan = FileScan::default();
    // Inline modules open in this file: (name, brace depth inside it).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut pending_mod: Option<String> = None;
    let mut depth = 0usize;
    let mut k = 0;
    let current = |inline: &[(String, usize)]| -> Vec<String> {
        module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect()
    };
    while let Some(t) = tokens.get(k) {
        match &t.tok {
            Tok::Pound => {
                let inner = tok(&tokens, k + 1) == Some(&Tok::Bang);
                let open = if inner { k + 2 } else { k + 1 };
                if tok(&tokens, open) != Some(&Tok::Open('[')) {
                    k += 1;
                    continue;
                }
                // One or more outer attributes, then the item they apply to.
                let mut test = false;
                let mut open = open;
                let end = loop {
                    let end = skip_group(&tokens, open);
                    test |= is_cfg_test(&tokens, open + 1, end.saturating_sub(1));
                    if inner || tok(&tokens, end) != Some(&Tok::Pound) {
                        break end;
                    }
                    if tok(&tokens, end + 1) != Some(&Tok::Open('[')) {
                        break end;
                    }
                    open = end + 1;
                };
                if inner {
                    if test && depth == 0 {
                        scan.test_only = true;
                        scan.refs.clear();
                        return scan;
                    }
                    k = end;
                    continue;
                }
                k = end;
                if !test {
                    continue;
                }
                // `pub`, `pub(crate)`, `pub(in path)`
                let mut item = end;
                if is_ident(&tokens, item, "pub") {
                    item += 1;
                    if tok(&tokens, item) == Some(&Tok::Open('(')) {
                        item = skip_group(&tokens, item);
                    }
                }
                if !is_ident(&tokens, item, "mod") {
                    continue;
                }
                if let Some(Tok::Ident(name)) = tok(&tokens, item + 1) {
                    match tok(&tokens, item + 2) {
                        Some(Tok::Open('{')) => k = skip_group(&tokens, item + 2),
                        Some(Tok::Semi) => {
                            let mut child = current(&inline);
                            child.push(name.clone());
                            scan.test_children.push(child);
                            k = item + 3;
                        }
                        _ => {}
                    }
                }
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Open('{'))) =
                    (tok(&tokens, k + 1), tok(&tokens, k + 2))
                {
                    pending_mod = Some(name.clone());
                    k += 2;
                } else {
                    k += 1;
                }
            }
            Tok::Open('{') => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
                k += 1;
            }
            Tok::Close('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                k += 1;
            }
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "self" | "super")
                    && tok(&tokens, k + 1) == Some(&Tok::PathSep)
                    && k.checked_sub(1).and_then(|p| tok(&tokens, p)) != Some(&Tok::PathSep) =>
            {
                k = if word == "crate" {
                    read_tree(&tokens, k + 2, Vec::new(), t.line, &mut scan.refs)
                } else {
                    // `self::`/`super::` from the module the path is written in.
                    read_tree(&tokens, k, current(&inline), t.line, &mut scan.refs)
                };
            }
            _ => k += 1,
        }
    }
    scan
}

// ---------------------------------------------------------------------------------------------
// The graph of one crate.

/// An edge's first witness: the line and the path that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Site {
    line: u32,
    path: String,
}

#[derive(Debug)]
struct Graph {
    /// The file of each module, relative to the crate directory (`src/deny/shared.rs`).
    files: BTreeMap<Vec<String>, String>,
    /// `from -> to -> first site`.
    edges: BTreeMap<Vec<String>, BTreeMap<Vec<String>, Site>>,
}

/// The module of `file` (under `src`): `a/b.rs` and `a/b/mod.rs` are `a::b`; the root is `[]`.
fn module_of(src: &Path, root: &Path, file: &Path) -> Option<Vec<String>> {
    if file == root {
        return Some(Vec::new());
    }
    let rel = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// Every `.rs` file under `dir`, sorted; `skip` names files and directories left out.
fn rust_files(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) -> Result<(), Fail> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(ctx(&dir.display().to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if skip.contains(&path) {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, skip, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

impl Graph {
    /// Reads the crate in `dir` whose root file is `root` (its directory is the source tree).
    fn of_crate(dir: &Path, root: &Path) -> Result<Self, Fail> {
        let src = root
            .parent()
            .ok_or_else(|| Fail(format!("{}: no parent directory", root.display())))?;
        // A library's src/main.rs and src/bin/ are other crates.
        let skip = if root.file_name().is_some_and(|n| n == "lib.rs") {
            vec![src.join("main.rs"), src.join("bin")]
        } else {
            Vec::new()
        };
        let mut paths = Vec::new();
        rust_files(src, &skip, &mut paths)?;
        let mut files = Vec::new();
        for path in paths {
            let Some(module) = module_of(src, root, &path) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).map_err(ctx(&path.display().to_string()))?;
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            files.push((module, name, text));
        }
        Ok(Self::build(files.iter().map(|(m, name, text)| {
            (m.clone(), name.clone(), text.as_str())
        })))
    }

    /// The graph of `(module, file name, text)` triples.
    fn build<'a>(sources: impl IntoIterator<Item = (Vec<String>, String, &'a str)>) -> Self {
        let mut scans = BTreeMap::new();
        let mut files = BTreeMap::new();
        let mut test_modules = Vec::new();
        for (module, name, text) in sources {
            let scan = scan(text, &module);
            if scan.test_only {
                test_modules.push(module.clone());
            }
            test_modules.extend(scan.test_children.iter().cloned());
            files.insert(module.clone(), name);
            scans.insert(module, scan);
        }
        // Test-only files and their descendants are not nodes.
        files.retain(|m, _| !test_modules.iter().any(|t| m.starts_with(t)));
        let resolve = |path: &[String]| -> Option<Vec<String>> {
            (1..=path.len())
                .rev()
                .filter_map(|k| path.get(..k))
                .find(|prefix| files.contains_key(*prefix))
                .map(<[String]>::to_vec)
        };
        let mut edges: BTreeMap<Vec<String>, BTreeMap<Vec<String>, Site>> = BTreeMap::new();
        for (module, scan) in &scans {
            if !files.contains_key(module) {
                continue;
            }
            let out = edges.entry(module.clone()).or_default();
            for r in &scan.refs {
                let Some(target) = resolve(&r.path) else {
                    continue;
                };
                // A module naming itself or one of its ancestors is no cycle edge.
                if module.starts_with(&target) {
                    continue;
                }
                out.entry(target).or_insert_with(|| Site {
                    line: r.line,
                    path: format!("crate::{}", r.path.join("::")),
                });
            }
        }
        Self { files, edges }
    }

    fn edge_count(&self) -> usize {
        self.edges.values().map(BTreeMap::len).sum()
    }

    /// The strongly connected sets of more than one module, each sorted, in module order.
    fn cycles(&self) -> Vec<Vec<Vec<String>>> {
        let nodes: Vec<&Vec<String>> = self.files.keys().collect();
        let index_of: BTreeMap<&Vec<String>, usize> =
            nodes.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let adjacency: Vec<Vec<usize>> = nodes
            .iter()
            .map(|m| {
                self.edges
                    .get(*m)
                    .into_iter()
                    .flat_map(BTreeMap::keys)
                    .filter_map(|t| index_of.get(t).copied())
                    .collect()
            })
            .collect();
        let mut sets: Vec<Vec<Vec<String>>> = strongly_connected(&adjacency)
            .into_iter()
            .filter(|set| set.len() > 1)
            .map(|set| {
                let mut set: Vec<Vec<String>> = set
                    .into_iter()
                    .filter_map(|i| nodes.get(i).map(|m| (*m).clone()))
                    .collect();
                set.sort();
                set
            })
            .collect();
        sets.sort();
        sets
    }

    /// A shortest cycle through the first module of `set`, inside `set`.
    fn witness(&self, set: &[Vec<String>]) -> Vec<Vec<String>> {
        let Some(start) = set.first() else {
            return Vec::new();
        };
        let members: BTreeSet<&Vec<String>> = set.iter().collect();
        let mut parent: BTreeMap<&Vec<String>, &Vec<String>> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(m) = queue.pop_front() {
            for next in self.edges.get(m).into_iter().flat_map(BTreeMap::keys) {
                if !members.contains(next) {
                    continue;
                }
                if next == start {
                    let mut path = vec![start.clone(), m.clone()];
                    let mut at = m;
                    while let Some(p) = parent.get(at) {
                        path.push((*p).clone());
                        at = p;
                    }
                    path.reverse();
                    // `path` ends at `start`, then walks back: [start, .., m, start] reversed.
                    return path;
                }
                if next != start && !parent.contains_key(next) {
                    parent.insert(next, m);
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }

    fn name(&self, module: &[String]) -> &str {
        self.files.get(module).map_or("?", String::as_str)
    }

    /// The report of one crate: a summary line, then each cycle with its edges.
    fn report(&self, krate: &str, cycles: &[Vec<Vec<String>>], all_edges: bool) -> String {
        let mut out = String::new();
        let largest = cycles.iter().map(Vec::len).max().unwrap_or(0);
        out.push_str(&format!(
            "{krate}: files: {}, edges: {}, cycles: {}, largest: {largest}\n",
            self.files.len(),
            self.edge_count(),
            cycles.len(),
        ));
        let edge_line = |from: &[String], to: &[String], site: &Site| {
            format!(
                "    {} -> {}  ({}:{} `{}`)\n",
                self.name(from),
                self.name(to),
                self.name(from),
                site.line,
                site.path
            )
        };
        for set in cycles {
            let names: Vec<&str> = set.iter().map(|m| self.name(m)).collect();
            out.push_str(&format!("cycle: {}\n", names.join(", ")));
            let witness: Vec<&str> = self.witness(set).iter().map(|m| self.name(m)).collect();
            out.push_str(&format!("  for example: {}\n", witness.join(" -> ")));
            out.push_str("  its edges:\n");
            let members: BTreeSet<&Vec<String>> = set.iter().collect();
            for from in set {
                for (to, site) in self.edges.get(from).into_iter().flatten() {
                    if members.contains(to) {
                        out.push_str(&edge_line(from, to, site));
                    }
                }
            }
        }
        if all_edges {
            out.push_str("edges:\n");
            for (from, targets) in &self.edges {
                for (to, site) in targets {
                    out.push_str(&edge_line(from, to, site));
                }
            }
        }
        out
    }
}

/// Tarjan's strongly connected components of the graph `adjacency` (node `i`'s successors at
/// `adjacency[i]`), iterative.
fn strongly_connected(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut index: Vec<Option<usize>> = vec![None; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0usize;
    let mut components = Vec::new();
    for start in 0..n {
        if index.get(start).copied().flatten().is_some() {
            continue;
        }
        // (node, next successor to look at)
        let mut calls = vec![(start, 0usize)];
        visit(
            start,
            &mut next,
            &mut index,
            &mut low,
            &mut on_stack,
            &mut stack,
        );
        while let Some(&(v, edge)) = calls.last() {
            let successor = adjacency.get(v).and_then(|s| s.get(edge)).copied();
            if let Some(call) = calls.last_mut() {
                call.1 += 1;
            }
            match successor {
                Some(w) => match index.get(w).copied().flatten() {
                    None => {
                        visit(
                            w,
                            &mut next,
                            &mut index,
                            &mut low,
                            &mut on_stack,
                            &mut stack,
                        );
                        calls.push((w, 0));
                    }
                    Some(w_index) if on_stack.get(w).copied().unwrap_or(false) => {
                        lower(&mut low, v, w_index);
                    }
                    Some(_) => {}
                },
                None => {
                    calls.pop();
                    let v_low = low.get(v).copied().unwrap_or(0);
                    if let Some(&(u, _)) = calls.last() {
                        lower(&mut low, u, v_low);
                    }
                    if Some(v_low) == index.get(v).copied().flatten() {
                        let mut component = Vec::new();
                        while let Some(w) = stack.pop() {
                            if let Some(on) = on_stack.get_mut(w) {
                                *on = false;
                            }
                            component.push(w);
                            if w == v {
                                break;
                            }
                        }
                        components.push(component);
                    }
                }
            }
        }
    }
    components
}

fn visit(
    v: usize,
    next: &mut usize,
    index: &mut [Option<usize>],
    low: &mut [usize],
    on_stack: &mut [bool],
    stack: &mut Vec<usize>,
) {
    if let (Some(i), Some(l), Some(on)) = (index.get_mut(v), low.get_mut(v), on_stack.get_mut(v)) {
        *i = Some(*next);
        *l = *next;
        *on = true;
    }
    *next += 1;
    stack.push(v);
}

fn lower(low: &mut [usize], v: usize, to: usize) {
    if let Some(l) = low.get_mut(v) {
        *l = (*l).min(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str) -> Vec<String> {
        if path.is_empty() {
            Vec::new()
        } else {
            path.split("::").map(str::to_owned).collect()
        }
    }

    fn paths(text: &str, module: &str) -> Vec<String> {
        scan(text, &m(module))
            .refs
            .iter()
            .map(|r| r.path.join("::"))
            .collect()
    }

    /// `(module, text)` pairs; file names are derived from the modules.
    fn graph(files: &[(&str, &str)]) -> Graph {
        Graph::build(files.iter().map(|(module, text)| {
            let name = if module.is_empty() {
                "src/lib.rs".to_owned()
            } else {
                format!("src/{}.rs", module.replace("::", "/"))
            };
            (m(module), name, *text)
        }))
    }

    fn edges(g: &Graph) -> Vec<String> {
        let name = |m: &[String]| {
            if m.is_empty() {
                "crate".to_owned()
            } else {
                m.join("::")
            }
        };
        g.edges
            .iter()
            .flat_map(|(from, to)| {
                to.keys()
                    .map(move |t| format!("{} -> {}", name(from), name(t)))
            })
            .collect()
    }

    fn cycle_names(g: &Graph) -> Vec<Vec<String>> {
        g.cycles()
            .iter()
            .map(|set| set.iter().map(|m| m.join("::")).collect())
            .collect()
    }

    #[test]
    fn plain_paths_and_groups() {
        let text = "use crate::{a::X, b::{Y, Z}, c};\nuse crate::d::e::{self, F};\nfn f() { crate::g::h(); }";
        assert_eq!(
            paths(text, "z"),
            [
                "a::X", "b", "b::Y", "b::Z", "c", "d::e", "d::e", "d::e::F", "g::h"
            ]
        );
    }

    #[test]
    fn nested_groups_with_renames_and_globs() {
        let text = "use crate::{a::{b::{C as D, e::*}, f}, g::*};";
        assert_eq!(
            paths(text, ""),
            ["a", "a::b", "a::b::C", "a::b::e", "a::f", "g"]
        );
    }

    #[test]
    fn super_and_self_are_relative_to_the_module() {
        assert_eq!(paths("use super::x::Y;", "a::b"), ["a::x::Y"]);
        assert_eq!(paths("use super::super::x;", "a::b::c"), ["a::x"]);
        assert_eq!(paths("use self::x::Y;", "a"), ["a::x::Y"]);
        assert_eq!(
            paths("use super::{x, super::y};", "a::b"),
            ["a", "a::x", "y"]
        );
        // Inside an inline module, `super` is the file's module.
        assert_eq!(
            paths("mod inner { use super::X; }\nuse super::Y;", "a::b"),
            ["a::b::X", "a::Y"]
        );
    }

    #[test]
    fn comments_strings_and_chars_are_not_paths() {
        let text = r##"
            // use crate::a::X;
            /* crate::b /* nested crate::c */ still crate::d */
            /// [`crate::e`]
            const S: &str = "crate::f // not a comment"; use crate::g;
            const R: &str = r#"crate::h "quoted" "#; const B: &[u8] = b"crate::i";
            const C: char = '{'; const Q: char = '"'; fn l<'a>(x: &'a str) { crate::j::K }
        "##;
        assert_eq!(paths(text, ""), ["g", "j::K"]);
    }

    #[test]
    fn test_modules_are_left_out() {
        let text = "use crate::a;\n#[cfg(test)]\n#[allow(clippy::unwrap_used)]\nmod tests {\n    use crate::b;\n    fn f() { let s = '}'; }\n}\nuse crate::c;\n";
        assert_eq!(paths(text, ""), ["a", "c"]);
        let scan = scan("#[cfg(test)]\npub(crate) mod tests;\nmod real;", &m("x"));
        assert_eq!(scan.test_children, [m("x::tests")]);
        assert!(scan.refs.is_empty());
        // Not `cfg(test)` alone: kept.
        assert_eq!(
            paths(
                "#[cfg(any(test, feature = \"t\"))]\nmod t { use crate::d; }",
                ""
            ),
            ["d"]
        );
        assert!(scan_test_only("#![cfg(test)]\nuse crate::a;"));
        assert!(!scan_test_only("#![forbid(unsafe_code)]\nuse crate::a;"));
    }

    fn scan_test_only(text: &str) -> bool {
        scan(text, &m("x")).test_only
    }

    #[test]
    fn a_tree_with_a_cycle() {
        let g = graph(&[
            ("", "mod a; mod b; mod c; mod d;"),
            ("a", "use crate::b::B;"),
            ("b", "use crate::{c::C, d::D};"),
            ("c", "pub struct C; fn f() -> crate::a::A { todo() }"),
            ("d", "pub struct D;"),
        ]);
        assert_eq!(edges(&g), ["a -> b", "b -> c", "b -> d", "c -> a"]);
        assert_eq!(cycle_names(&g), [["a", "b", "c"]]);
        let report = g.report("demo", &g.cycles(), false);
        assert!(
            report.starts_with("demo: files: 5, edges: 4, cycles: 1, largest: 3\n"),
            "{report}"
        );
        assert!(
            report.contains("cycle: src/a.rs, src/b.rs, src/c.rs\n"),
            "{report}"
        );
        assert!(
            report.contains("for example: src/a.rs -> src/b.rs -> src/c.rs -> src/a.rs\n"),
            "{report}"
        );
        assert!(
            report.contains("src/c.rs -> src/a.rs  (src/c.rs:1 `crate::a::A`)"),
            "{report}"
        );
    }

    #[test]
    fn a_tree_without_a_cycle() {
        let g = graph(&[
            ("", "mod a; mod b; pub use crate::a::A;"),
            ("a", "use crate::b::B; pub struct A;"),
            ("b", "pub struct B;"),
        ]);
        assert_eq!(edges(&g), ["crate -> a", "a -> b"]);
        assert!(g.cycles().is_empty());
    }

    #[test]
    fn a_child_naming_its_parent_is_no_cycle_edge() {
        let g = graph(&[
            (
                "deny",
                "mod shared; use crate::deny::shared::S; pub struct D;",
            ),
            (
                "deny::shared",
                "use super::D; use crate::deny::D as E; pub struct S;",
            ),
        ]);
        assert_eq!(edges(&g), ["deny -> deny::shared"]);
        assert!(g.cycles().is_empty());
        // Siblings through the parent's path are edges.
        let g = graph(&[
            ("p", "mod x; mod y;"),
            ("p::x", "use super::y::Y; pub struct X;"),
            ("p::y", "use crate::p::x::X; pub struct Y;"),
        ]);
        assert_eq!(cycle_names(&g), [["p::x", "p::y"]]);
    }

    #[test]
    fn test_only_files_are_no_nodes() {
        let g = graph(&[
            ("a", "#[cfg(test)]\nmod tests;\npub struct A;"),
            ("a::tests", "use crate::b::B;"),
            ("b", "#![cfg(test)]\nuse crate::a::A;"),
        ]);
        assert!(edges(&g).is_empty());
        assert_eq!(g.files.len(), 1);
    }

    #[test]
    fn tarjan_finds_each_set() {
        // 0 <-> 1, 2 -> 3 -> 4 -> 2, 5 alone with a self loop, 6 -> 0
        let adjacency = vec![
            vec![1],
            vec![0],
            vec![3],
            vec![4],
            vec![2],
            vec![5],
            vec![0],
        ];
        let mut sets: Vec<Vec<usize>> = strongly_connected(&adjacency)
            .into_iter()
            .map(|mut s| {
                s.sort_unstable();
                s
            })
            .collect();
        sets.sort();
        assert_eq!(sets, [vec![0, 1], vec![2, 3, 4], vec![5], vec![6]]);
    }

    #[test]
    fn module_of_files() {
        let src = Path::new("/c/src");
        let root = src.join("lib.rs");
        assert_eq!(module_of(src, &root, &root), Some(m("")));
        assert_eq!(module_of(src, &root, &src.join("a/b.rs")), Some(m("a::b")));
        assert_eq!(module_of(src, &root, &src.join("a/mod.rs")), Some(m("a")));
    }

    #[test]
    fn a_crate_on_disk() -> Result<(), Fail> {
        let dir = std::env::temp_dir().join(format!("xtask-modules-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("p")).map_err(ctx("mkdir"))?;
        let write = |file: &str, text: &str| std::fs::write(src.join(file), text);
        write("lib.rs", "mod p; mod q;").map_err(ctx("write"))?;
        write("main.rs", "use crate::q::Q; fn main() {}").map_err(ctx("write"))?;
        write("p/mod.rs", "mod r; use super::q::Q;").map_err(ctx("write"))?;
        write("p/r.rs", "pub struct R;").map_err(ctx("write"))?;
        write("q.rs", "pub struct Q; use crate::p::r::R;").map_err(ctx("write"))?;
        let krate = crate_at(&dir)?;
        let g = Graph::of_crate(&dir, &krate.root)?;
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            g.files.values().cloned().collect::<Vec<_>>(),
            ["src/lib.rs", "src/p/mod.rs", "src/p/r.rs", "src/q.rs"]
        );
        // `super` in p/mod.rs is the crate root: p -> q; q -> p::r; no cycle.
        assert_eq!(edges(&g), ["p -> q", "q -> p::r"]);
        assert!(g.cycles().is_empty());
        Ok(())
    }
}
