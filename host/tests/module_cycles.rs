//! No import circles between the host's top-level modules (the folders of `host/src` and its
//! single-file modules): every `crate::…` path of every source file is an edge from the file's
//! top-level module to the one it names, and the graph must have no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → (module it names → files that name it).
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// The top-level module names at the start of each `crate::` path in `text` (comments
/// skipped; `crate::{a::x, b}` names `a` and `b`).
fn named_modules(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.push(item);
        } else {
            names.push(rest.to_owned());
        }
    }
    names
        .iter()
        .map(|n| {
            n.trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty() && n != "self")
        .collect()
}

/// The import graph of the `.rs` files under `src`.
fn graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let top = first.to_string_lossy().trim_end_matches(".rs").to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let edges = graph.entry(top.clone()).or_default();
            for name in named_modules(&std::fs::read_to_string(&path).unwrap()) {
                if name != top {
                    edges
                        .entry(name)
                        .or_default()
                        .insert(relative.display().to_string());
                }
            }
        }
    }
    graph
}

/// Every cycle of `graph` found by a depth-first search, as the modules along it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    fn visit(
        graph: &Graph,
        node: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            found.push(cycle);
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            visit(graph, next, stack, done, found);
        }
        stack.pop();
        done.insert(node.to_owned());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(graph, node, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn host_modules_import_no_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    assert!(graph.len() >= 10, "read only {:?}", graph.keys());
    let found = cycles(&graph);
    let explained: Vec<String> = found
        .iter()
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let files = &graph[&w[0]][&w[1]];
                    format!("{} -> {} ({})", w[0], w[1], files.iter().next().unwrap())
                })
                .collect();
            steps.join(", ")
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles:\n{}",
        explained.join("\n")
    );
}

#[test]
fn the_checker_finds_a_circle_and_reads_grouped_imports() {
    assert_eq!(
        named_modules("use crate::{io::formats, data::{a, b}, self};\n// crate::plot\nx = crate::sampling::sample::f();"),
        ["io", "data", "sampling"]
    );
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph
            .entry(from.into())
            .or_default()
            .entry(to.into())
            .or_default()
            .insert(format!("{from}.rs"));
    }
    assert_eq!(cycles(&graph), [["a", "b", "c", "a"]]);
    graph.get_mut("c").unwrap().remove("a");
    assert!(cycles(&graph).is_empty());
}
