//! Variable history and include history: who set what, where.
//!
//! History is recorded only while tracking is on (as `bitbake -e` turns it on); this
//! module stores events and never interprets them.

use std::sync::Arc;

/// Where an operation came from: a metadata file and line, or internal code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file (full path for metadata, a bare name for internal code).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// For internal code, the function that made the change (shown as `[func]`).
    pub func: Option<Arc<str>>,
}

impl Origin {
    /// An origin in a metadata file.
    pub fn file(file: impl Into<Arc<str>>, line: u32) -> Origin {
        Origin {
            file: file.into(),
            line,
            func: None,
        }
    }

    /// An origin inside the engine itself (BitBake shows these as `file:line [func]`).
    pub fn internal(file: &str, line: u32, func: &str) -> Origin {
        Origin {
            file: file.into(),
            line,
            func: Some(func.into()),
        }
    }
}

/// One recorded operation on a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// What happened: `set`, `set?`, `immediate`, `append`, `:append[o]`, `exported`, `del`...
    pub op: String,
    /// Where.
    pub origin: Origin,
    /// The flag operated on, when it was a flag operation.
    pub flag: Option<String>,
    /// The text given (the operand, not the resulting value).
    pub detail: String,
}

/// The tree of files included while parsing, as `bitbake -e` prints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncludeTree {
    nodes: Vec<IncludeNode>,
    roots: Vec<usize>,
    stack: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct IncludeNode {
    file: String,
    children: Vec<usize>,
}

impl IncludeTree {
    /// Records that `file` is now being read (inside whatever file is open).
    pub fn enter(&mut self, file: &str) {
        let id = self.nodes.len();
        self.nodes.push(IncludeNode {
            file: file.to_owned(),
            children: Vec::new(),
        });
        match self.stack.last() {
            Some(&parent) => self.nodes[parent].children.push(id),
            None => self.roots.push(id),
        }
        self.stack.push(id);
    }

    /// The files being read right now, outermost first.
    pub fn open_files(&self) -> impl Iterator<Item = &str> {
        self.stack.iter().map(|&i| self.nodes[i].file.as_str())
    }

    /// Records that the file most recently entered is finished.
    pub fn leave(&mut self) {
        self.stack.pop();
    }

    /// Prints the tree in `bitbake -e`'s layout (without a trailing newline).
    pub fn emit(&self, out: &mut String) {
        out.push_str("#\n# INCLUDE HISTORY:\n#");
        for &r in &self.roots {
            self.emit_node(r, 1, out);
        }
    }

    fn emit_node(&self, id: usize, level: usize, out: &mut String) {
        let node = &self.nodes[id];
        out.push('\n');
        out.push_str("# ");
        for _ in 1..level {
            out.push_str("  ");
        }
        out.push_str(&node.file);
        if !node.children.is_empty() {
            out.push_str(" includes:");
        }
        for &c in &node.children {
            self.emit_node(c, level + 1, out);
        }
    }
}
