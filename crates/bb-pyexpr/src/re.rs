//! Python's `re` module for `str` patterns: a backtracking matcher with the semantics of
//! CPython's `sre` engine (leftmost match, first alternative first, greedy and lazy
//! repetition, sre's rule that a repetition stops after an iteration that matched nothing),
//! and the module functions, `Pattern` and `Match` objects built on it.
//!
//! Only what we reproduce exactly is accepted: a pattern CPython rejects (`re.error`) or a
//! construct we do not implement (possessive repetition, atomic groups, conditionals,
//! variable-width lookbehind, scoped flags) needs Python, and so does any character class
//! test, word boundary or case-insensitive comparison that meets a non-ASCII character
//! (CPython applies Unicode tables we do not carry). Matching is bounded by a step budget.
//! It must not know about the interpreter beyond calling a replacement function.

use std::rc::Rc;
use std::sync::Arc;

use crate::builtins::index_arg;
use crate::error::{EvalError, Result};
use crate::eval::{Args, Interp};
use crate::value::{Dict, Value, str_repr};

/// `re.IGNORECASE`, `re.LOCALE`, `re.MULTILINE`, `re.DOTALL`, `re.UNICODE`, `re.VERBOSE`,
/// `re.ASCII`.
const I: i64 = 2;
const L: i64 = 4;
const M: i64 = 8;
const S: i64 = 16;
const U: i64 = 32;
const X: i64 = 64;
const A: i64 = 256;

/// Most steps one search may take before we give up (catastrophic backtracking).
const MAX_STEPS: u64 = 2_000_000;

/// Most instructions a compiled pattern may have (counted repetitions are unrolled).
const MAX_PROGRAM: usize = 20_000;

/// Deepest group nesting we parse.
const MAX_NESTING: usize = 100;

fn unsupported(what: &str) -> EvalError {
    EvalError::needs(format!("regular expression with {what}"))
}

fn bad_pattern(what: &str) -> EvalError {
    EvalError::needs(format!("regular expression that CPython rejects ({what})"))
}

/// The module's constants.
pub(crate) fn constant(name: &str) -> Option<Value> {
    let v = match name {
        "I" | "IGNORECASE" => I,
        "L" | "LOCALE" => L,
        "M" | "MULTILINE" => M,
        "S" | "DOTALL" => S,
        "U" | "UNICODE" => U,
        "X" | "VERBOSE" => X,
        "A" | "ASCII" => A,
        _ => return None,
    };
    Some(Value::ReFlag(v))
}

/// `repr()` of a `re.RegexFlag`: its member names joined by `|`.
pub(crate) fn flag_repr(f: i64, out: &mut String) -> Result<()> {
    let names = [
        (I, "re.IGNORECASE"),
        (L, "re.LOCALE"),
        (M, "re.MULTILINE"),
        (S, "re.DOTALL"),
        (U, "re.UNICODE"),
        (X, "re.VERBOSE"),
        (A, "re.ASCII"),
    ];
    let known: i64 = names.iter().map(|(v, _)| v).sum();
    if f & !known != 0 || f < 0 {
        return Err(EvalError::needs(
            "repr() of a combination of unknown re flags",
        ));
    }
    let parts: Vec<&str> = names
        .iter()
        .filter(|(v, _)| f & v != 0)
        .map(|(_, n)| *n)
        .collect();
    if parts.is_empty() {
        out.push_str("re.NOFLAG");
    } else {
        out.push_str(&parts.join("|"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Syntax.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assert {
    /// `^`.
    Bol,
    /// `$`.
    Eol,
    /// `\A`.
    Start,
    /// `\Z`.
    End,
    /// `\b`.
    Word,
    /// `\B`.
    NotWord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Digit,
    Word,
    Space,
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Range(char, char),
    Set(Builtin, bool),
}

#[derive(Debug, Clone, PartialEq)]
struct Class {
    items: Vec<ClassItem>,
    negated: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Assert(Assert),
    /// A capturing group (its number) or not.
    Group(Option<usize>, Box<Node>),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
    Backref(usize),
    Look {
        behind: bool,
        negate: bool,
        node: Box<Node>,
    },
}

struct Parser<'p> {
    s: &'p [char],
    pos: usize,
    flags: i64,
    groups: usize,
    names: Vec<(Arc<str>, usize)>,
    /// Groups closed so far (a backreference may only name one of them).
    closed: Vec<usize>,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn verbose(&self) -> bool {
        self.flags & X != 0
    }

    /// Skips whitespace and comments in verbose mode.
    fn skip_verbose(&mut self) {
        if !self.verbose() {
            return;
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += 1;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Leading global flags `(?aiLmsux)`.
    fn global_flags(&mut self) -> Result<()> {
        while self.s.get(self.pos) == Some(&'(')
            && self.s.get(self.pos + 1) == Some(&'?')
            && self
                .s
                .get(self.pos + 2)
                .is_some_and(|c| "aiLmsux".contains(*c))
        {
            let mut i = self.pos + 2;
            let mut flags = 0;
            while let Some(&c) = self.s.get(i) {
                let f = match c {
                    'a' => A,
                    'i' => I,
                    'L' => L,
                    'm' => M,
                    's' => S,
                    'u' => U,
                    'x' => X,
                    ')' => break,
                    ':' | '-' => return Err(unsupported("scoped inline flags")),
                    _ => return Err(bad_pattern("unknown flag")),
                };
                flags |= f;
                i += 1;
            }
            if self.s.get(i) != Some(&')') {
                return Err(bad_pattern("missing )"));
            }
            self.flags |= flags;
            self.pos = i + 1;
        }
        if self.flags & L != 0 {
            return Err(bad_pattern("LOCALE flag with a str pattern"));
        }
        if self.flags & A != 0 && self.flags & U != 0 {
            return Err(bad_pattern("ASCII and UNICODE flags are incompatible"));
        }
        Ok(())
    }

    fn alternation(&mut self) -> Result<Node> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(unsupported("groups nested too deeply"));
        }
        let mut alts = vec![self.concat()?];
        while self.eat('|') {
            alts.push(self.concat()?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn concat(&mut self) -> Result<Node> {
        let mut items = Vec::new();
        loop {
            self.skip_verbose();
            match self.peek() {
                None | Some('|' | ')') => break,
                _ => {}
            }
            let atom = self.atom()?;
            let atom = self.quantifier(atom)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// A `{m,n}` quantifier at the current position, if it is one (else `{` is a literal).
    fn braces(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut i = self.pos + 1;
        let read = |i: &mut usize| -> Option<u32> {
            let start = *i;
            while self.s.get(*i).is_some_and(char::is_ascii_digit) {
                *i += 1;
            }
            let text: String = self.s.get(start..*i)?.iter().collect();
            if text.is_empty() {
                None
            } else {
                Some(text.parse::<u32>().unwrap_or(u32::MAX))
            }
        };
        let min = read(&mut i);
        let (min, max) = if self.s.get(i) == Some(&',') {
            i += 1;
            let max = read(&mut i);
            (min.unwrap_or(0), max)
        } else {
            (min?, min)
        };
        (self.s.get(i) == Some(&'}')).then_some((min, max, i + 1 - self.pos))
    }

    fn quantifier(&mut self, atom: Node) -> Result<Node> {
        self.skip_verbose();
        let (min, max) = match self.peek() {
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('{') => match self.braces() {
                Some((min, max, len)) => {
                    if max.is_some_and(|max| max < min) {
                        return Err(bad_pattern("min repeat greater than max repeat"));
                    }
                    self.pos += len;
                    (min, max)
                }
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if matches!(atom, Node::Empty | Node::Assert(_)) {
            return Err(bad_pattern("nothing to repeat"));
        }
        let greedy = !self.eat('?');
        if self.peek() == Some('+') {
            return Err(unsupported("possessive repetition"));
        }
        self.skip_verbose();
        if matches!(self.peek(), Some('*' | '+' | '?')) {
            return Err(bad_pattern("multiple repeat"));
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
        })
    }

    fn atom(&mut self) -> Result<Node> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Assert(Assert::Bol),
            '$' => Node::Assert(Assert::Eol),
            '[' => Node::Class(self.class()?),
            '(' => self.group()?,
            '\\' => self.escape(false)?,
            '*' | '+' | '?' => return Err(bad_pattern("nothing to repeat")),
            '{' => {
                self.pos -= 1;
                if self.braces().is_some() {
                    return Err(bad_pattern("nothing to repeat"));
                }
                self.pos += 1;
                Node::Char('{')
            }
            c => Node::Char(c),
        })
    }

    fn group(&mut self) -> Result<Node> {
        if !self.eat('?') {
            self.groups += 1;
            let n = self.groups;
            let inner = self.alternation()?;
            if !self.eat(')') {
                return Err(bad_pattern("missing ), unterminated subpattern"));
            }
            self.closed.push(n);
            return Ok(Node::Group(Some(n), Box::new(inner)));
        }
        let kind = self.peek();
        self.pos += 1;
        let look = |p: &mut Self, behind: bool, negate: bool| -> Result<Node> {
            let inner = p.alternation()?;
            if !p.eat(')') {
                return Err(bad_pattern("missing ), unterminated subpattern"));
            }
            Ok(Node::Look {
                behind,
                negate,
                node: Box::new(inner),
            })
        };
        match kind {
            Some(':') => {
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return Err(bad_pattern("missing ), unterminated subpattern"));
                }
                Ok(Node::Group(None, Box::new(inner)))
            }
            Some('P') => match self.peek() {
                Some('<') => {
                    self.pos += 1;
                    let name = self.name('>')?;
                    if self.names.iter().any(|(n, _)| *n == name) {
                        return Err(bad_pattern("redefinition of group name"));
                    }
                    self.groups += 1;
                    let n = self.groups;
                    self.names.push((name, n));
                    let inner = self.alternation()?;
                    if !self.eat(')') {
                        return Err(bad_pattern("missing ), unterminated subpattern"));
                    }
                    self.closed.push(n);
                    Ok(Node::Group(Some(n), Box::new(inner)))
                }
                Some('=') => {
                    self.pos += 1;
                    let name = self.name(')')?;
                    match self.names.iter().find(|(n, _)| *n == name) {
                        Some((_, g)) if self.closed.contains(g) => Ok(Node::Backref(*g)),
                        _ => Err(bad_pattern("unknown group name")),
                    }
                }
                _ => Err(bad_pattern("unknown extension")),
            },
            Some('#') => {
                while self.peek().is_some_and(|c| c != ')') {
                    self.pos += 1;
                }
                if !self.eat(')') {
                    return Err(bad_pattern("missing ), unterminated comment"));
                }
                Ok(Node::Empty)
            }
            Some('=') => look(self, false, false),
            Some('!') => look(self, false, true),
            Some('<') => match self.peek() {
                Some('=') => {
                    self.pos += 1;
                    look(self, true, false)
                }
                Some('!') => {
                    self.pos += 1;
                    look(self, true, true)
                }
                _ => Err(unsupported("`(?<name>...)` groups")),
            },
            Some('>') => Err(unsupported("atomic groups")),
            Some('(') => Err(unsupported("conditional groups")),
            Some(c) if "aiLmsux-".contains(c) => Err(unsupported("inline flags after the start")),
            _ => Err(bad_pattern("unknown extension")),
        }
    }

    fn name(&mut self, end: char) -> Result<Arc<str>> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c != end) {
            self.pos += 1;
        }
        let name: String = self.s.get(start..self.pos).unwrap_or(&[]).iter().collect();
        if !self.eat(end) {
            return Err(bad_pattern("missing group name terminator"));
        }
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c == '_' || c.is_alphabetic())
            && name.chars().all(|c| c == '_' || c.is_alphanumeric());
        if !valid || !name.is_ascii() {
            return Err(bad_pattern("bad character in group name"));
        }
        Ok(Arc::from(name))
    }

    fn hex(&mut self, n: usize) -> Result<char> {
        let digits: String = self
            .s
            .get(self.pos..self.pos + n)
            .unwrap_or(&[])
            .iter()
            .collect();
        if digits.len() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad_pattern("incomplete escape"));
        }
        self.pos += n;
        u32::from_str_radix(&digits, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| bad_pattern("bad escape"))
    }

    /// An escape after `\`, in a class or not.
    fn escape(&mut self, in_class: bool) -> Result<Node> {
        let Some(c) = self.peek() else {
            return Err(bad_pattern("bad escape (end of pattern)"));
        };
        self.pos += 1;
        let set = |b, neg| {
            Node::Class(Class {
                items: vec![ClassItem::Set(b, neg)],
                negated: false,
            })
        };
        Ok(match c {
            'd' => set(Builtin::Digit, false),
            'D' => set(Builtin::Digit, true),
            'w' => set(Builtin::Word, false),
            'W' => set(Builtin::Word, true),
            's' => set(Builtin::Space, false),
            'S' => set(Builtin::Space, true),
            'b' if in_class => Node::Char('\x08'),
            'b' => Node::Assert(Assert::Word),
            'B' if !in_class => Node::Assert(Assert::NotWord),
            'A' if !in_class => Node::Assert(Assert::Start),
            'Z' if !in_class => Node::Assert(Assert::End),
            'a' => Node::Char('\x07'),
            'f' => Node::Char('\x0c'),
            'n' => Node::Char('\n'),
            'r' => Node::Char('\r'),
            't' => Node::Char('\t'),
            'v' => Node::Char('\x0b'),
            'x' => Node::Char(self.hex(2)?),
            'u' => Node::Char(self.hex(4)?),
            'U' => Node::Char(self.hex(8)?),
            'N' => return Err(unsupported("`\\N{...}` escapes")),
            '0'..='9' => {
                let d2 = self.peek().filter(char::is_ascii_digit);
                let d3 = self
                    .s
                    .get(self.pos + 1)
                    .copied()
                    .filter(char::is_ascii_digit);
                let octal = |c: char| ('0'..='7').contains(&c);
                if c == '0' || in_class {
                    // Up to three octal digits.
                    let mut v = c.to_digit(8).ok_or_else(|| bad_pattern("bad escape"))?;
                    for _ in 0..2 {
                        match self.peek().filter(|c| octal(*c)) {
                            Some(d) => {
                                v = v * 8 + d.to_digit(8).unwrap_or(0);
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    if v > 0o377 {
                        return Err(bad_pattern("octal escape value outside of range"));
                    }
                    return Ok(Node::Char(char::from_u32(v).unwrap_or('\0')));
                }
                if let (Some(a), Some(b)) = (d2, d3)
                    && octal(c)
                    && octal(a)
                    && octal(b)
                {
                    self.pos += 2;
                    let v = (c.to_digit(8).unwrap_or(0) * 8 + a.to_digit(8).unwrap_or(0)) * 8
                        + b.to_digit(8).unwrap_or(0);
                    if v > 0o377 {
                        return Err(bad_pattern("octal escape value outside of range"));
                    }
                    return Ok(Node::Char(char::from_u32(v).unwrap_or('\0')));
                }
                let mut n = c.to_digit(10).unwrap_or(0) as usize;
                if let Some(d) = d2 {
                    n = n * 10 + d.to_digit(10).unwrap_or(0) as usize;
                    self.pos += 1;
                }
                if !self.closed.contains(&n) {
                    return Err(bad_pattern("invalid group reference"));
                }
                Node::Backref(n)
            }
            c if c.is_ascii_alphabetic() => return Err(bad_pattern("bad escape")),
            c => Node::Char(c),
        })
    }

    fn class(&mut self) -> Result<Class> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(bad_pattern("unterminated character set"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if c == '\\' {
                match self.escape(true)? {
                    Node::Char(c) => c,
                    Node::Class(mut cl) => {
                        items.append(&mut cl.items);
                        continue;
                    }
                    _ => return Err(bad_pattern("bad escape")),
                }
            } else {
                c
            };
            // A range `lo-hi`, unless `-` is last.
            if self.peek() == Some('-') && self.s.get(self.pos + 1).is_some_and(|c| *c != ']') {
                self.pos += 1;
                let Some(h) = self.peek() else {
                    return Err(bad_pattern("unterminated character set"));
                };
                self.pos += 1;
                let hi = if h == '\\' {
                    match self.escape(true)? {
                        Node::Char(c) => c,
                        _ => return Err(bad_pattern("bad character range")),
                    }
                } else {
                    h
                };
                if hi < lo {
                    return Err(bad_pattern("bad character range"));
                }
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Ok(Class { items, negated })
    }
}

/// The width of what a node matches, when it is fixed.
fn fixed_width(n: &Node) -> Option<usize> {
    match n {
        Node::Empty | Node::Assert(_) | Node::Look { .. } => Some(0),
        Node::Char(_) | Node::Any | Node::Class(_) => Some(1),
        Node::Group(_, n) => fixed_width(n),
        Node::Concat(ns) => ns.iter().map(fixed_width).sum(),
        Node::Alt(ns) => {
            let w = fixed_width(ns.first()?)?;
            ns.iter().all(|n| fixed_width(n) == Some(w)).then_some(w)
        }
        Node::Repeat { node, min, max, .. } => {
            (Some(*min) == *max).then(|| fixed_width(node).map(|w| w * *min as usize))?
        }
        Node::Backref(_) => None,
    }
}

/// Whether a node can match the empty string.
fn nullable(n: &Node) -> bool {
    match n {
        Node::Empty | Node::Assert(_) | Node::Look { .. } | Node::Backref(_) => true,
        Node::Char(_) | Node::Any | Node::Class(_) => false,
        Node::Group(_, n) => nullable(n),
        Node::Concat(ns) => ns.iter().all(nullable),
        Node::Alt(ns) => ns.iter().any(nullable),
        Node::Repeat { node, min, .. } => *min == 0 || nullable(node),
    }
}

// ---------------------------------------------------------------------------------------------
// Program.

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class(usize),
    Assert(Assert),
    Save(usize),
    /// Try the first target, then the second.
    Split(usize, usize),
    Jmp(usize),
    Backref(usize),
    /// Remembers the position in a repetition register.
    Mark(usize),
    /// Leaves the repetition (to the target) when the iteration matched nothing.
    Check(usize, usize),
    /// A lookaround: the index of its program.
    Look(usize),
    Match,
}

#[derive(Debug)]
struct Program {
    insts: Vec<Inst>,
}

#[derive(Debug)]
struct LookProg {
    prog: Program,
    behind: bool,
    negate: bool,
    width: usize,
}

/// A compiled pattern (`re.Pattern`).
#[derive(Debug)]
pub(crate) struct Regex {
    pattern: Arc<str>,
    flags: i64,
    groups: usize,
    names: Vec<(Arc<str>, usize)>,
    prog: Program,
    classes: Vec<Class>,
    looks: Vec<LookProg>,
    registers: usize,
}

struct Compiler {
    classes: Vec<Class>,
    looks: Vec<LookProg>,
    registers: usize,
    flags: i64,
}

impl Compiler {
    fn emit(&self, out: &mut Vec<Inst>, i: Inst) -> Result<()> {
        if out.len() >= MAX_PROGRAM {
            return Err(unsupported("too many repetitions"));
        }
        out.push(i);
        Ok(())
    }

    fn node(&mut self, n: &Node, out: &mut Vec<Inst>) -> Result<()> {
        match n {
            Node::Empty => Ok(()),
            Node::Char(c) => self.emit(out, Inst::Char(*c)),
            Node::Any => self.emit(out, Inst::Any),
            Node::Class(c) => {
                self.classes.push(c.clone());
                self.emit(out, Inst::Class(self.classes.len() - 1))
            }
            Node::Assert(a) => self.emit(out, Inst::Assert(*a)),
            Node::Group(None, n) => self.node(n, out),
            Node::Group(Some(g), n) => {
                self.emit(out, Inst::Save(2 * g))?;
                self.node(n, out)?;
                self.emit(out, Inst::Save(2 * g + 1))
            }
            Node::Concat(ns) => ns.iter().try_for_each(|n| self.node(n, out)),
            Node::Alt(ns) => {
                // split L1, next; L1: a; jmp end; next: split L2, next2; ...
                let mut jumps = Vec::new();
                for (i, n) in ns.iter().enumerate() {
                    if i + 1 < ns.len() {
                        let split = out.len();
                        self.emit(out, Inst::Split(split + 1, 0))?;
                        self.node(n, out)?;
                        jumps.push(out.len());
                        self.emit(out, Inst::Jmp(0))?;
                        let next = out.len();
                        if let Some(Inst::Split(_, b)) = out.get_mut(split) {
                            *b = next;
                        }
                    } else {
                        self.node(n, out)?;
                    }
                }
                let end = out.len();
                for j in jumps {
                    if let Some(Inst::Jmp(t)) = out.get_mut(j) {
                        *t = end;
                    }
                }
                Ok(())
            }
            Node::Repeat {
                node,
                min,
                max,
                greedy,
            } => self.repeat(node, *min, *max, *greedy, out),
            Node::Backref(g) => self.emit(out, Inst::Backref(*g)),
            Node::Look {
                behind,
                negate,
                node,
            } => {
                let width = if *behind {
                    fixed_width(node)
                        .ok_or_else(|| bad_pattern("look-behind requires fixed-width pattern"))?
                } else {
                    0
                };
                let mut sub = Vec::new();
                self.node(node, &mut sub)?;
                self.emit(&mut sub, Inst::Match)?;
                self.looks.push(LookProg {
                    prog: Program { insts: sub },
                    behind: *behind,
                    negate: *negate,
                    width,
                });
                self.emit(out, Inst::Look(self.looks.len() - 1))
            }
        }
    }

    /// One optional iteration: `split body, end` (or the lazy order), with sre's check
    /// that an iteration matching nothing ends the repetition.
    fn optional(&mut self, n: &Node, out: &mut Vec<Inst>, exits: &mut Vec<usize>) -> Result<()> {
        let split = out.len();
        self.emit(out, Inst::Split(0, 0))?;
        let body = out.len();
        let reg = if nullable(n) {
            self.registers += 1;
            let r = self.registers - 1;
            self.emit(out, Inst::Mark(r))?;
            Some(r)
        } else {
            None
        };
        self.node(n, out)?;
        if let Some(r) = reg {
            exits.push(out.len());
            self.emit(out, Inst::Check(r, 0))?;
        }
        exits.push(split);
        if let Some(Inst::Split(a, _)) = out.get_mut(split) {
            *a = body;
        }
        Ok(())
    }

    fn repeat(
        &mut self,
        n: &Node,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        out: &mut Vec<Inst>,
    ) -> Result<()> {
        for _ in 0..min {
            self.node(n, out)?;
        }
        match max {
            None => {
                // L: split body, end; body: [mark] n [check -> end]; jmp L; end:
                let top = out.len();
                self.emit(out, Inst::Split(0, 0))?;
                let body = out.len();
                let reg = if nullable(n) {
                    self.registers += 1;
                    let r = self.registers - 1;
                    self.emit(out, Inst::Mark(r))?;
                    Some(r)
                } else {
                    None
                };
                self.node(n, out)?;
                let check = out.len();
                if let Some(r) = reg {
                    self.emit(out, Inst::Check(r, 0))?;
                }
                self.emit(out, Inst::Jmp(top))?;
                let end = out.len();
                if let Some(Inst::Split(a, b)) = out.get_mut(top) {
                    (*a, *b) = if greedy { (body, end) } else { (end, body) };
                }
                if reg.is_some()
                    && let Some(Inst::Check(_, t)) = out.get_mut(check)
                {
                    *t = end;
                }
                Ok(())
            }
            Some(max) => {
                let mut exits = Vec::new();
                for _ in min..max {
                    self.optional(n, out, &mut exits)?;
                }
                let end = out.len();
                for e in exits {
                    match out.get_mut(e) {
                        Some(Inst::Split(a, b)) => {
                            let body = *a;
                            (*a, *b) = if greedy { (body, end) } else { (end, body) };
                        }
                        Some(Inst::Check(_, t)) => *t = end,
                        _ => {}
                    }
                }
                Ok(())
            }
        }
    }
}

/// Compiles a pattern with flags, as `re.compile` does.
pub(crate) fn compile(pattern: &str, flags: i64) -> Result<Regex> {
    if flags & !(I | L | M | S | U | X | A) != 0 {
        return Err(bad_pattern("unknown flags"));
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut p = Parser {
        s: &chars,
        pos: 0,
        flags,
        groups: 0,
        names: Vec::new(),
        closed: Vec::new(),
        depth: 0,
    };
    p.global_flags()?;
    let ast = p.alternation()?;
    if p.pos < chars.len() {
        return Err(bad_pattern("unbalanced parenthesis"));
    }
    let mut c = Compiler {
        classes: Vec::new(),
        looks: Vec::new(),
        registers: 0,
        flags: p.flags,
    };
    let mut insts = Vec::new();
    c.node(&ast, &mut insts)?;
    c.emit(&mut insts, Inst::Match)?;
    let mut flags = c.flags;
    if flags & A == 0 {
        flags |= U;
    }
    Ok(Regex {
        pattern: Arc::from(pattern),
        flags,
        groups: p.groups,
        names: p.names,
        prog: Program { insts },
        classes: c.classes,
        looks: c.looks,
        registers: c.registers,
    })
}

// ---------------------------------------------------------------------------------------------
// Matching.

struct Vm<'a> {
    re: &'a Regex,
    text: &'a [char],
    /// The end of the text the pattern sees (`endpos`).
    end: usize,
    steps: u64,
}

/// What makes a match acceptable at the end of the program.
#[derive(Clone, Copy)]
struct Accept {
    /// The match must end at `end` (`fullmatch`).
    full: bool,
    /// The match must not be empty at the search start (`must_advance`).
    advance_from: Option<usize>,
}

fn ascii_only(c: char) -> Result<()> {
    if c.is_ascii() {
        Ok(())
    } else {
        Err(EvalError::needs(
            "a regular expression class or case-insensitive test on a non-ASCII character",
        ))
    }
}

impl Vm<'_> {
    fn ignore_case(&self) -> bool {
        self.re.flags & I != 0
    }

    fn builtin(&self, b: Builtin, c: char) -> Result<bool> {
        if self.re.flags & A == 0 {
            ascii_only(c)?;
        }
        Ok(match b {
            Builtin::Digit => c.is_ascii_digit(),
            Builtin::Word => c.is_ascii_alphanumeric() || c == '_',
            Builtin::Space => {
                matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
                    || (self.re.flags & A == 0 && matches!(c, '\x1c'..='\x1f'))
            }
        })
    }

    fn char_eq(&self, p: char, c: char) -> Result<bool> {
        if p == c {
            return Ok(true);
        }
        if !self.ignore_case() {
            return Ok(false);
        }
        ascii_only(c)?;
        ascii_only(p)?;
        Ok(p.eq_ignore_ascii_case(&c))
    }

    fn class(&self, cl: &Class, c: char) -> Result<bool> {
        let mut hit = false;
        for item in &cl.items {
            let h = match item {
                ClassItem::Range(lo, hi) => {
                    if (*lo..=*hi).contains(&c) {
                        true
                    } else if self.ignore_case() {
                        ascii_only(c)?;
                        let (l, u) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
                        if !lo.is_ascii() || !hi.is_ascii() {
                            ascii_only(*lo)?;
                            ascii_only(*hi)?;
                        }
                        (*lo..=*hi).contains(&l) || (*lo..=*hi).contains(&u)
                    } else {
                        false
                    }
                }
                ClassItem::Set(b, neg) => self.builtin(*b, c)? != *neg,
            };
            if h {
                hit = true;
                break;
            }
        }
        Ok(hit != cl.negated)
    }

    fn is_word(&self, pos: usize) -> Result<bool> {
        match self.text.get(pos) {
            Some(c) if pos < self.end => self.builtin(Builtin::Word, *c),
            _ => Ok(false),
        }
    }

    fn assert(&self, a: Assert, pos: usize) -> Result<bool> {
        let multiline = self.re.flags & M != 0;
        Ok(match a {
            Assert::Start => pos == 0,
            Assert::End => pos == self.end,
            Assert::Bol => pos == 0 || (multiline && self.text.get(pos - 1) == Some(&'\n')),
            Assert::Eol => {
                pos == self.end
                    || (self.text.get(pos) == Some(&'\n') && (multiline || pos + 1 == self.end))
            }
            Assert::Word | Assert::NotWord => {
                let before = pos > 0 && self.is_word(pos - 1)?;
                let after = self.is_word(pos)?;
                (before != after) == (a == Assert::Word)
            }
        })
    }

    /// Runs a program from `pos`; on success returns the end and leaves the captures in
    /// `caps`.
    fn run(
        &mut self,
        prog: &Program,
        start: usize,
        caps: &mut [Option<usize>],
        accept: Accept,
    ) -> Result<Option<usize>> {
        let mut regs: Vec<Option<usize>> = vec![None; self.re.registers];
        // Backtrack points (pc, pos, undo length) and the undo log (slot, old value); slots
        // at or above `caps.len()` are registers.
        let mut stack: Vec<(usize, usize, usize)> = Vec::new();
        let mut undo: Vec<(usize, Option<usize>)> = Vec::new();
        let ncaps = caps.len();
        let (mut pc, mut pos) = (0usize, start);
        loop {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(EvalError::needs(
                    "a regular expression search longer than the step budget",
                ));
            }
            let ok = match prog.insts.get(pc) {
                None => false,
                Some(Inst::Match) => {
                    let rejected = (accept.full && pos != self.end)
                        || accept.advance_from == Some(pos) && pos == start;
                    if !rejected {
                        return Ok(Some(pos));
                    }
                    false
                }
                Some(Inst::Char(p)) => match self.text.get(pos) {
                    Some(c) if pos < self.end && self.char_eq(*p, *c)? => {
                        pos += 1;
                        pc += 1;
                        true
                    }
                    _ => false,
                },
                Some(Inst::Any) => match self.text.get(pos) {
                    Some(c) if pos < self.end && (*c != '\n' || self.re.flags & S != 0) => {
                        pos += 1;
                        pc += 1;
                        true
                    }
                    _ => false,
                },
                Some(Inst::Class(i)) => match (self.text.get(pos), self.re.classes.get(*i)) {
                    (Some(c), Some(cl)) if pos < self.end && self.class(cl, *c)? => {
                        pos += 1;
                        pc += 1;
                        true
                    }
                    _ => false,
                },
                Some(Inst::Assert(a)) => {
                    let ok = self.assert(*a, pos)?;
                    pc += 1;
                    ok
                }
                Some(Inst::Save(s)) => {
                    if let Some(slot) = caps.get_mut(*s) {
                        undo.push((*s, *slot));
                        *slot = Some(pos);
                    }
                    pc += 1;
                    true
                }
                Some(Inst::Mark(r)) => {
                    if let Some(slot) = regs.get_mut(*r) {
                        undo.push((ncaps + *r, *slot));
                        *slot = Some(pos);
                    }
                    pc += 1;
                    true
                }
                Some(Inst::Check(r, exit)) => {
                    pc = if regs.get(*r).copied().flatten() == Some(pos) {
                        *exit
                    } else {
                        pc + 1
                    };
                    true
                }
                Some(Inst::Split(a, b)) => {
                    stack.push((*b, pos, undo.len()));
                    pc = *a;
                    true
                }
                Some(Inst::Jmp(a)) => {
                    pc = *a;
                    true
                }
                Some(Inst::Backref(g)) => {
                    match (
                        caps.get(2 * g).copied().flatten(),
                        caps.get(2 * g + 1).copied().flatten(),
                    ) {
                        (Some(s), Some(e)) if s <= e => {
                            let mut ok = true;
                            let len = e - s;
                            if pos + len > self.end {
                                ok = false;
                            } else {
                                for k in 0..len {
                                    let (p, c) = (self.text[s + k], self.text[pos + k]);
                                    if !self.char_eq(p, c)? {
                                        ok = false;
                                        break;
                                    }
                                }
                            }
                            if ok {
                                pos += len;
                                pc += 1;
                            }
                            ok
                        }
                        _ => false,
                    }
                }
                Some(Inst::Look(i)) => {
                    let Some(look) = self.re.looks.get(*i) else {
                        return Ok(None);
                    };
                    let from = if look.behind {
                        pos.checked_sub(look.width)
                    } else {
                        Some(pos)
                    };
                    let mut sub_caps = caps.to_vec();
                    let found = match from {
                        Some(from) => {
                            let accept = Accept {
                                full: false,
                                advance_from: None,
                            };
                            self.run(&look.prog, from, &mut sub_caps, accept)?.is_some()
                        }
                        None => false,
                    };
                    if found && !look.negate {
                        // A positive lookaround keeps its captures.
                        for (s, v) in sub_caps.into_iter().enumerate() {
                            if caps.get(s) != Some(&v) {
                                undo.push((s, caps.get(s).copied().flatten()));
                                if let Some(slot) = caps.get_mut(s) {
                                    *slot = v;
                                }
                            }
                        }
                    }
                    pc += 1;
                    found != look.negate
                }
            };
            if ok {
                continue;
            }
            // Backtrack.
            let Some((bpc, bpos, ulen)) = stack.pop() else {
                return Ok(None);
            };
            while undo.len() > ulen {
                if let Some((slot, old)) = undo.pop() {
                    if slot < ncaps {
                        if let Some(s) = caps.get_mut(slot) {
                            *s = old;
                        }
                    } else if let Some(s) = regs.get_mut(slot - ncaps) {
                        *s = old;
                    }
                }
            }
            pc = bpc;
            pos = bpos;
        }
    }
}

/// A match (`re.Match`).
#[derive(Debug)]
pub(crate) struct MatchData {
    re: Rc<Regex>,
    text: Rc<[char]>,
    string: Arc<str>,
    /// Two slots per group, group 0 included.
    caps: Vec<Option<usize>>,
    pos: usize,
    endpos: usize,
}

impl MatchData {
    fn span(&self, g: usize) -> Option<(usize, usize)> {
        match (self.caps.get(2 * g), self.caps.get(2 * g + 1)) {
            (Some(Some(s)), Some(Some(e))) => Some((*s, *e)),
            _ => None,
        }
    }

    fn text_of(&self, g: usize) -> Option<String> {
        self.span(g)
            .map(|(s, e)| self.text.get(s..e).unwrap_or(&[]).iter().collect())
    }

    fn group_value(&self, g: usize, default: &Value) -> Value {
        self.text_of(g).map_or_else(|| default.clone(), Value::str)
    }

    /// A group by number or name.
    fn group_index(&self, v: &Value) -> Result<usize> {
        let bad = || EvalError::exc("IndexError", "no such group");
        match v {
            Value::Str(name) => self
                .re
                .names
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, g)| *g)
                .ok_or_else(bad),
            v => {
                let i = crate::value::as_index(v).ok_or_else(bad)?;
                usize::try_from(i)
                    .ok()
                    .filter(|i| *i <= self.re.groups)
                    .ok_or_else(bad)
            }
        }
    }
}

/// Searches `text[pos..endpos]` from `pos`: the captures of the first match.
fn search_at(
    re: &Regex,
    text: &[char],
    pos: usize,
    endpos: usize,
    anchored: bool,
    accept: Accept,
) -> Result<Option<Vec<Option<usize>>>> {
    let mut vm = Vm {
        re,
        text,
        end: endpos,
        steps: 0,
    };
    let mut start = pos;
    loop {
        let mut caps = vec![None; 2 * (re.groups + 1)];
        if let Some(end) = vm.run(&re.prog, start, &mut caps, accept)? {
            caps[0] = Some(start);
            caps[1] = Some(end);
            return Ok(Some(caps));
        }
        if anchored || start >= endpos {
            return Ok(None);
        }
        start += 1;
    }
}

fn need_text(v: &Value) -> Result<&Arc<str>> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(EvalError::type_err(format!(
            "expected string or bytes-like object, got '{}'",
            other.type_name()
        ))),
    }
}

fn chars_of(s: &str) -> Rc<[char]> {
    s.chars().collect::<Vec<char>>().into()
}

/// The matches of an iteration (`findall`, `finditer`, `sub`, `split`), with sre's rule that
/// a match may not be empty where the previous one ended when that one was empty.
fn iterate(
    re: &Rc<Regex>,
    string: &Arc<str>,
    text: &Rc<[char]>,
    pos: usize,
    endpos: usize,
    limit: usize,
    mut each: impl FnMut(MatchData) -> Result<()>,
) -> Result<()> {
    let mut at = pos;
    let mut must_advance = false;
    let mut n = 0;
    while limit == 0 || n < limit {
        if at > endpos {
            break;
        }
        let accept = Accept {
            full: false,
            advance_from: must_advance.then_some(at),
        };
        let Some(caps) = search_at(re, text, at, endpos, false, accept)? else {
            break;
        };
        let (s, e) = (caps[0].unwrap_or(at), caps[1].unwrap_or(at));
        each(MatchData {
            re: re.clone(),
            text: text.clone(),
            string: string.clone(),
            caps,
            pos,
            endpos,
        })?;
        n += 1;
        must_advance = s == e;
        at = e;
    }
    Ok(())
}

/// A value's flags argument.
fn flags_arg(v: Option<&Value>) -> Result<i64> {
    match v {
        None => Ok(0),
        Some(v) => index_arg(v),
    }
}

/// The compiled pattern of a module function's first argument.
fn pattern_arg(p: &Value, flags: i64) -> Result<Rc<Regex>> {
    match p {
        Value::Pattern(re) => {
            if flags != 0 {
                return Err(EvalError::value_err(
                    "cannot process flags argument with a compiled pattern",
                ));
            }
            Ok(re.clone())
        }
        Value::Str(s) => Ok(Rc::new(compile(s, flags)?)),
        _ => Err(EvalError::type_err(
            "first argument must be string or compiled pattern",
        )),
    }
}

/// Binds `name(params...)` arguments with defaults for the trailing ones.
fn bind(name: &str, args: Args, params: &[&str], required: usize) -> Result<Vec<Option<Value>>> {
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    if args.pos.len() > params.len() {
        return Err(EvalError::type_err(format!(
            "{name}() takes at most {} argument{} ({} given)",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            args.pos.len()
        )));
    }
    for (i, v) in args.pos.into_iter().enumerate() {
        slots[i] = Some(v);
    }
    for (k, v) in args.kw {
        let Some(i) = params.iter().position(|p| **p == *k) else {
            return Err(EvalError::type_err(format!(
                "{name}() got an unexpected keyword argument '{k}'"
            )));
        };
        if slots[i].is_some() {
            return Err(EvalError::type_err(format!(
                "argument for {name}() given by name ('{k}') and position ({})",
                i + 1
            )));
        }
        slots[i] = Some(v);
    }
    if let Some(i) = slots.iter().take(required).position(Option::is_none) {
        return Err(EvalError::type_err(format!(
            "{name}() missing required argument '{}' (pos {})",
            params[i],
            i + 1
        )));
    }
    Ok(slots)
}

/// `pos`/`endpos` arguments clamped as CPython does.
fn bounds(len: usize, pos: Option<&Value>, endpos: Option<&Value>) -> Result<(usize, usize)> {
    let clamp = |v: Option<&Value>, default: usize| -> Result<usize> {
        match v {
            None => Ok(default),
            Some(v) => {
                let i = index_arg(v)?;
                Ok(usize::try_from(i.max(0)).unwrap_or(0).min(len))
            }
        }
    };
    let pos = clamp(pos, 0)?;
    let endpos = clamp(endpos, len)?;
    Ok((pos, endpos.max(pos)))
}

fn match_value(
    re: &Rc<Regex>,
    string: &Arc<str>,
    text: Rc<[char]>,
    caps: Option<Vec<Option<usize>>>,
    pos: usize,
    endpos: usize,
) -> Value {
    match caps {
        Some(caps) => Value::Match(Rc::new(MatchData {
            re: re.clone(),
            text,
            string: string.clone(),
            caps,
            pos,
            endpos,
        })),
        None => Value::None,
    }
}

/// `match`, `search` and `fullmatch` of a compiled pattern.
fn find(
    re: &Rc<Regex>,
    how: &str,
    string: &Value,
    pos: Option<&Value>,
    endpos: Option<&Value>,
) -> Result<Value> {
    let s = need_text(string)?;
    let text = chars_of(s);
    let (pos, endpos) = bounds(text.len(), pos, endpos)?;
    let accept = Accept {
        full: how == "fullmatch",
        advance_from: None,
    };
    let caps = search_at(re, &text, pos, endpos, how != "search", accept)?;
    Ok(match_value(re, s, text, caps, pos, endpos))
}

/// One replacement template item.
enum Piece {
    Lit(String),
    Group(usize),
}

/// Parses a `sub` template as `sre_parse.parse_template` does.
fn template(re: &Regex, repl: &str) -> Result<Vec<Piece>> {
    let chars: Vec<char> = repl.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let bad = |what: &str| bad_pattern(what);
    let group = |n: usize| -> Result<usize> {
        if n > re.groups {
            return Err(bad("invalid group reference"));
        }
        Ok(n)
    };
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c != '\\' {
            lit.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            return Err(bad("bad escape (end of pattern)"));
        };
        i += 1;
        let push_group = |g: usize, lit: &mut String, out: &mut Vec<Piece>| {
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(lit)));
            }
            out.push(Piece::Group(g));
        };
        match e {
            'g' => {
                if chars.get(i) != Some(&'<') {
                    return Err(bad("missing <"));
                }
                let start = i + 1;
                let Some(len) = chars
                    .get(start..)
                    .and_then(|r| r.iter().position(|c| *c == '>'))
                else {
                    return Err(bad("missing >, unterminated name"));
                };
                let name: String = chars[start..start + len].iter().collect();
                i = start + len + 1;
                let g = if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) {
                    group(name.parse::<usize>().unwrap_or(usize::MAX))?
                } else {
                    match re.names.iter().find(|(n, _)| **n == *name) {
                        Some((_, g)) => *g,
                        None => return Err(bad("unknown group name")),
                    }
                };
                push_group(g, &mut lit, &mut out);
            }
            '0' => {
                // An octal escape of up to three digits.
                let mut v = 0u32;
                let mut n = 0;
                while n < 2
                    && let Some(d) = chars.get(i).and_then(|c| c.to_digit(8))
                {
                    v = v * 8 + d;
                    i += 1;
                    n += 1;
                }
                lit.push(char::from_u32(v).unwrap_or('\0'));
            }
            '1'..='9' => {
                let mut n = e.to_digit(10).unwrap_or(0) as usize;
                let octal = |c: Option<&char>| c.is_some_and(|c| ('0'..='7').contains(c));
                if octal(Some(&e)) && octal(chars.get(i)) && octal(chars.get(i + 1)) {
                    let v = (e.to_digit(8).unwrap_or(0) * 8 + chars[i].to_digit(8).unwrap_or(0))
                        * 8
                        + chars[i + 1].to_digit(8).unwrap_or(0);
                    if v > 0o377 {
                        return Err(bad("octal escape value outside of range"));
                    }
                    i += 2;
                    lit.push(char::from_u32(v).unwrap_or('\0'));
                    continue;
                }
                if let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    n = n * 10 + d as usize;
                    i += 1;
                }
                push_group(group(n)?, &mut lit, &mut out);
            }
            'a' => lit.push('\x07'),
            'b' => lit.push('\x08'),
            'f' => lit.push('\x0c'),
            'n' => lit.push('\n'),
            'r' => lit.push('\r'),
            't' => lit.push('\t'),
            'v' => lit.push('\x0b'),
            '\\' => lit.push('\\'),
            e if e.is_ascii_alphabetic() => return Err(bad("bad escape")),
            e => {
                lit.push('\\');
                lit.push(e);
            }
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// `sub` and `subn`.
fn sub(
    it: &Interp<'_>,
    re: &Rc<Regex>,
    repl: &Value,
    string: &Value,
    count: Option<&Value>,
    with_count: bool,
) -> Result<Value> {
    let s = need_text(string)?;
    let text = chars_of(s);
    let limit = match count {
        None => 0,
        Some(v) => {
            let n = index_arg(v)?;
            if n < 0 {
                return Ok(if with_count {
                    Value::tuple(vec![Value::Str(s.clone()), Value::Int(0)])
                } else {
                    Value::Str(s.clone())
                });
            }
            usize::try_from(n).unwrap_or(usize::MAX)
        }
    };
    let pieces = match repl {
        Value::Str(r) => Some(template(re, r)?),
        v if crate::builtins::is_callable(v) => None,
        other => {
            return Err(EvalError::type_err(format!(
                "decoding to str: need a bytes-like object, {} found",
                other.type_name()
            )));
        }
    };
    // As CPython's `pattern_subx`: the segments and replacements are collected in a list
    // (a `None` replacement is left out), then joined.
    let mut items: Vec<Value> = Vec::new();
    let mut size = 0usize;
    let mut last = 0usize;
    let mut n = 0i64;
    let segment = |a: usize, b: usize| -> Value {
        Value::str(text.get(a..b).unwrap_or(&[]).iter().collect::<String>())
    };
    iterate(re, s, &text, 0, text.len(), limit, |m| {
        let (b, e) = m.span(0).unwrap_or((last, last));
        if last < b {
            items.push(segment(last, b));
        }
        let item = match &pieces {
            Some(pieces) => {
                let mut out = String::new();
                for p in pieces {
                    match p {
                        Piece::Lit(l) => out.push_str(l),
                        Piece::Group(g) => out.push_str(&m.text_of(*g).unwrap_or_default()),
                    }
                }
                Value::str(out)
            }
            None => it.call(repl, Args::positional(vec![Value::Match(Rc::new(m))]))?,
        };
        if let Value::Str(t) = &item {
            size += t.len();
        }
        if !matches!(item, Value::None) {
            items.push(item);
        }
        last = e;
        n += 1;
        if size > crate::eval::MAX_ITEMS * 4 {
            return Err(crate::eval::too_many_items());
        }
        Ok(())
    })?;
    if last < text.len() {
        items.push(segment(last, text.len()));
    }
    let mut out = String::new();
    for (k, item) in items.iter().enumerate() {
        match item {
            Value::Str(t) => out.push_str(t),
            other => {
                return Err(EvalError::type_err(format!(
                    "sequence item {k}: expected str instance, {} found",
                    other.type_name()
                )));
            }
        }
    }
    Ok(if with_count {
        Value::tuple(vec![Value::str(out), Value::Int(n)])
    } else {
        Value::str(out)
    })
}

fn split(re: &Rc<Regex>, string: &Value, maxsplit: Option<&Value>) -> Result<Value> {
    let s = need_text(string)?;
    let text = chars_of(s);
    let limit = match maxsplit {
        None => 0,
        Some(v) => {
            let n = index_arg(v)?;
            if n < 0 {
                return Ok(Value::list(vec![Value::Str(s.clone())]));
            }
            usize::try_from(n).unwrap_or(usize::MAX)
        }
    };
    let mut out = Vec::new();
    let mut last = 0usize;
    let piece = |a: usize, b: usize| -> Value {
        Value::str(text.get(a..b).unwrap_or(&[]).iter().collect::<String>())
    };
    iterate(re, s, &text, 0, text.len(), limit, |m| {
        let (b, e) = m.span(0).unwrap_or((last, last));
        out.push(piece(last, b));
        for g in 1..=re.groups {
            out.push(m.group_value(g, &Value::None));
        }
        last = e;
        Ok(())
    })?;
    out.push(piece(last, text.len()));
    Ok(Value::list(out))
}

fn findall(
    re: &Rc<Regex>,
    string: &Value,
    pos: Option<&Value>,
    endpos: Option<&Value>,
    iter: bool,
) -> Result<Value> {
    let s = need_text(string)?;
    let text = chars_of(s);
    let (pos, endpos) = bounds(text.len(), pos, endpos)?;
    let mut out = Vec::new();
    let empty = Value::str("");
    iterate(re, s, &text, pos, endpos, 0, |m| {
        out.push(if iter {
            Value::Match(Rc::new(m))
        } else {
            match re.groups {
                0 => m.group_value(0, &empty),
                1 => m.group_value(1, &empty),
                n => Value::tuple((1..=n).map(|g| m.group_value(g, &empty)).collect()),
            }
        });
        if out.len() > crate::eval::MAX_ITEMS {
            return Err(crate::eval::too_many_items());
        }
        Ok(())
    })?;
    Ok(if iter {
        Value::Iter(Rc::new(std::cell::RefCell::new(crate::value::Iter::Seq(
            Rc::new(crate::value::Items(out)),
            0,
        ))))
    } else {
        Value::list(out)
    })
}

/// `re.escape(pattern)`.
fn escape(v: &Value) -> Result<Value> {
    let s = need_text(v)?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // CPython escapes these characters (`_special_chars_map`).
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::str(out))
}

/// The functions of the `re` module.
pub(crate) const FUNCTIONS: &[&str] = &[
    "compile",
    "escape",
    "findall",
    "finditer",
    "fullmatch",
    "match",
    "search",
    "split",
    "sub",
    "subn",
];

/// Calls a function of the `re` module.
pub(crate) fn call_module(it: &Interp<'_>, name: &str, args: Args) -> Result<Value> {
    let fname = name;
    match name {
        "compile" => {
            let a = bind(fname, args, &["pattern", "flags"], 1)?;
            let flags = flags_arg(a[1].as_ref())?;
            let p = a[0].as_ref().unwrap_or(&Value::None);
            Ok(Value::Pattern(pattern_arg(p, flags)?))
        }
        "escape" => {
            let a = bind(fname, args, &["pattern"], 1)?;
            escape(a[0].as_ref().unwrap_or(&Value::None))
        }
        "match" | "search" | "fullmatch" | "findall" | "finditer" => {
            let a = bind(fname, args, &["pattern", "string", "flags"], 2)?;
            let re = pattern_arg(
                a[0].as_ref().unwrap_or(&Value::None),
                flags_arg(a[2].as_ref())?,
            )?;
            let string = a[1].as_ref().unwrap_or(&Value::None);
            match name {
                "findall" => findall(&re, string, None, None, false),
                "finditer" => findall(&re, string, None, None, true),
                how => find(&re, how, string, None, None),
            }
        }
        "sub" | "subn" => {
            let a = bind(
                fname,
                args,
                &["pattern", "repl", "string", "count", "flags"],
                3,
            )?;
            let re = pattern_arg(
                a[0].as_ref().unwrap_or(&Value::None),
                flags_arg(a[4].as_ref())?,
            )?;
            sub(
                it,
                &re,
                a[1].as_ref().unwrap_or(&Value::None),
                a[2].as_ref().unwrap_or(&Value::None),
                a[3].as_ref(),
                name == "subn",
            )
        }
        "split" => {
            let a = bind(fname, args, &["pattern", "string", "maxsplit", "flags"], 2)?;
            let re = pattern_arg(
                a[0].as_ref().unwrap_or(&Value::None),
                flags_arg(a[3].as_ref())?,
            )?;
            split(&re, a[1].as_ref().unwrap_or(&Value::None), a[2].as_ref())
        }
        _ => Err(EvalError::needs(format!("call to `re.{name}`"))),
    }
}

/// The methods of a compiled pattern.
pub(crate) const PATTERN_METHODS: &[&str] = &[
    "findall",
    "finditer",
    "fullmatch",
    "match",
    "search",
    "split",
    "sub",
    "subn",
];

/// An attribute of a compiled pattern that is not a method.
pub(crate) fn pattern_attr(re: &Regex, name: &str) -> Option<Value> {
    Some(match name {
        "pattern" => Value::Str(re.pattern.clone()),
        "flags" => Value::Int(re.flags),
        "groups" => Value::Int(i64::try_from(re.groups).unwrap_or(i64::MAX)),
        _ => return None,
    })
}

/// Calls a method of a compiled pattern.
pub(crate) fn call_pattern(
    it: &Interp<'_>,
    re: &Rc<Regex>,
    name: &str,
    args: Args,
) -> Result<Value> {
    match name {
        "match" | "search" | "fullmatch" | "findall" | "finditer" => {
            let a = bind(name, args, &["string", "pos", "endpos"], 1)?;
            let string = a[0].as_ref().unwrap_or(&Value::None);
            match name {
                "findall" => findall(re, string, a[1].as_ref(), a[2].as_ref(), false),
                "finditer" => findall(re, string, a[1].as_ref(), a[2].as_ref(), true),
                how => find(re, how, string, a[1].as_ref(), a[2].as_ref()),
            }
        }
        "sub" | "subn" => {
            let a = bind(name, args, &["repl", "string", "count"], 2)?;
            sub(
                it,
                re,
                a[0].as_ref().unwrap_or(&Value::None),
                a[1].as_ref().unwrap_or(&Value::None),
                a[2].as_ref(),
                name == "subn",
            )
        }
        "split" => {
            let a = bind(name, args, &["string", "maxsplit"], 1)?;
            split(re, a[0].as_ref().unwrap_or(&Value::None), a[1].as_ref())
        }
        _ => Err(EvalError::needs(format!("call to `re.Pattern.{name}`"))),
    }
}

/// The methods of a match.
pub(crate) const MATCH_METHODS: &[&str] = &["end", "group", "groupdict", "groups", "span", "start"];

/// An attribute of a match that is not a method.
pub(crate) fn match_attr(m: &MatchData, name: &str) -> Option<Value> {
    Some(match name {
        "string" => Value::Str(m.string.clone()),
        "re" => Value::Pattern(m.re.clone()),
        "pos" => Value::Int(i64::try_from(m.pos).unwrap_or(i64::MAX)),
        "endpos" => Value::Int(i64::try_from(m.endpos).unwrap_or(i64::MAX)),
        _ => return None,
    })
}

/// `m[g]`.
pub(crate) fn match_item(m: &MatchData, index: &Value) -> Result<Value> {
    let g = m.group_index(index)?;
    Ok(m.group_value(g, &Value::None))
}

/// Calls a method of a match.
pub(crate) fn call_match(m: &MatchData, name: &str, args: Args) -> Result<Value> {
    if !args.kw.is_empty() && !matches!(name, "groups" | "groupdict") {
        return Err(EvalError::type_err(format!(
            "{name}() takes no keyword arguments"
        )));
    }
    match name {
        "group" => {
            let idx: Vec<usize> = if args.pos.is_empty() {
                vec![0]
            } else {
                args.pos
                    .iter()
                    .map(|v| m.group_index(v))
                    .collect::<Result<_>>()?
            };
            Ok(if idx.len() == 1 {
                m.group_value(idx[0], &Value::None)
            } else {
                Value::tuple(
                    idx.iter()
                        .map(|g| m.group_value(*g, &Value::None))
                        .collect(),
                )
            })
        }
        "groups" | "groupdict" => {
            let a = bind(name, args, &["default"], 0)?;
            let default = a[0].clone().unwrap_or(Value::None);
            if name == "groups" {
                return Ok(Value::tuple(
                    (1..=m.re.groups)
                        .map(|g| m.group_value(g, &default))
                        .collect(),
                ));
            }
            let mut d = Dict::default();
            for (n, g) in &m.re.names {
                d.entries
                    .push((Value::Str(n.clone()), m.group_value(*g, &default)));
            }
            Ok(Value::dict(d))
        }
        "start" | "end" | "span" => {
            if args.pos.len() > 1 {
                return Err(EvalError::type_err(format!(
                    "{name} expected at most 1 argument, got {}",
                    args.pos.len()
                )));
            }
            let g = match args.pos.first() {
                Some(v) => m.group_index(v)?,
                None => 0,
            };
            let (s, e) = m.span(g).map_or((-1, -1), |(s, e)| {
                (
                    i64::try_from(s).unwrap_or(-1),
                    i64::try_from(e).unwrap_or(-1),
                )
            });
            Ok(match name {
                "start" => Value::Int(s),
                "end" => Value::Int(e),
                _ => Value::tuple(vec![Value::Int(s), Value::Int(e)]),
            })
        }
        _ => Err(EvalError::needs(format!("call to `re.Match.{name}`"))),
    }
}

/// `repr()` of a pattern.
pub(crate) fn pattern_repr(re: &Regex, out: &mut String) -> Result<()> {
    out.push_str("re.compile(");
    str_repr(&re.pattern, out)?;
    let names: Vec<&str> = [
        (I, "re.IGNORECASE"),
        (L, "re.LOCALE"),
        (M, "re.MULTILINE"),
        (S, "re.DOTALL"),
        (X, "re.VERBOSE"),
        (A, "re.ASCII"),
    ]
    .iter()
    .filter(|(f, _)| re.flags & f != 0)
    .map(|(_, n)| *n)
    .collect();
    if !names.is_empty() {
        out.push_str(", ");
        out.push_str(&names.join("|"));
    }
    out.push(')');
    Ok(())
}

/// `repr()` of a match.
pub(crate) fn match_repr(m: &MatchData, out: &mut String) -> Result<()> {
    let (s, e) = m.span(0).unwrap_or((0, 0));
    out.push_str(&format!("<re.Match object; span=({s}, {e}), match="));
    str_repr(&m.text_of(0).unwrap_or_default(), out)?;
    out.push('>');
    Ok(())
}

#[cfg(test)]
mod tests;

/// A Python regular expression for Rust callers (the cooker's BBMASK and
/// BBFILE_PATTERN), with `re.match` and `re.search` semantics.
#[derive(Debug)]
pub struct PyRegex(Regex);

impl PyRegex {
    /// Compiles `pattern` as `re.compile(pattern)`; the error text is Python's.
    pub fn new(pattern: &str) -> std::result::Result<PyRegex, String> {
        compile(pattern, 0).map(PyRegex).map_err(|e| e.to_string())
    }

    fn find(&self, text: &str, anchored: bool) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let accept = Accept {
            full: false,
            advance_from: None,
        };
        matches!(
            search_at(&self.0, &chars, 0, chars.len(), anchored, accept),
            Ok(Some(_))
        )
    }

    /// `re.match`: whether the pattern matches at the start of `text`.
    pub fn is_match_at_start(&self, text: &str) -> bool {
        self.find(text, true)
    }

    /// `re.search`: whether the pattern matches anywhere in `text`.
    pub fn search(&self, text: &str) -> bool {
        self.find(text, false)
    }
}
