//! The commands a shell function runs, as BitBake's `bb.codeparser.ShellParser` reports
//! them (`execs`): the first word of every simple command, wherever it sits (pipelines,
//! `&&`/`||` lists, `if`/`while`/`until`/`for`/`case` bodies, `{ }` groups, subshells,
//! function bodies, `$( )` and backticks), minus the functions the text defines.
//!
//! A small POSIX shell tokenizer (quotes, escapes, line continuations, comments, here-docs,
//! `${...}`, `$((...))`) feeds a recursive-descent parser; nothing is expanded or run.
//! It follows BitBake's rules on top of pysh's tree:
//! - words are kept as written (quotes included), so `"cmd" x` records `"cmd"`;
//! - a command word starting with `$` is not recorded; `eval` parses its arguments, joined
//!   by spaces, as shell text;
//! - `$( )` and backticks count at the top level of a word or directly inside its
//!   double quotes (not inside `${...}`), in command words, arguments and assignment
//!   values, for `for` lists and `case` patterns; a command word holding one is dropped;
//! - a command word containing `=` (not a valid assignment) makes the next word the command;
//! - redirection targets, here-doc bodies and the `case` subject are not looked at.
//!
//! Known differences from pysh: we never fail (pysh rejects some invalid text, and BitBake
//! then stops); bash-only syntax (`function f {`, `[[ ]]` with `&&` inside, `|&`, `&>`) is
//! read as POSIX tokens.

use std::collections::BTreeSet;

/// Deepest nesting of `$( )`, backticks and `eval` that is parsed.
const MAX_NESTING: usize = 64;

/// The commands `src` runs (BitBake's `ShellParser.execs`): every recorded command word
/// that is not a function defined in `src`.
///
/// ```
/// let execs = bb_siggen::shell_execs("f() { helper; }\nf | sort -u > out\nX=$(date)\n");
/// assert_eq!(execs.into_iter().collect::<Vec<_>>(), ["date", "helper", "sort"]);
/// ```
pub fn shell_execs(src: &str) -> BTreeSet<String> {
    let mut st = State::default();
    st.parse(src, 0);
    st.allexecs
        .into_iter()
        .filter(|c| !st.funcdefs.contains(c))
        .collect()
}

#[derive(Default)]
struct State {
    funcdefs: BTreeSet<String>,
    allexecs: BTreeSet<String>,
}

impl State {
    fn parse(&mut self, src: &str, depth: usize) {
        if depth > MAX_NESTING {
            return;
        }
        let toks = Lexer::new(src).run();
        let mut p = Parser {
            toks,
            pos: 0,
            st: self,
            depth,
        };
        p.compound_list(&[]);
    }
}

// ------------------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// Digits written right before a redirection (`2>&1`).
    IoNumber,
    Op(&'static str),
    Newline,
}

const OPS: &[&str] = &[
    "&&", "||", ";;", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">",
];

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    toks: Vec<Tok>,
    /// Here-docs whose bodies start after the next newline: (delimiter, strip tabs).
    heredocs: Vec<(String, bool)>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            s: src.as_bytes(),
            i: 0,
            toks: Vec::new(),
            heredocs: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<Tok> {
        while self.i < self.s.len() {
            let c = self.s[self.i];
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.s.get(self.i + 1) == Some(&b'\n') => self.i += 2,
                b'\n' => {
                    self.i += 1;
                    self.toks.push(Tok::Newline);
                    self.read_heredocs();
                }
                b'#' => {
                    while self.i < self.s.len() && self.s[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                _ => {
                    if let Some(op) = OPS
                        .iter()
                        .find(|o| self.s[self.i..].starts_with(o.as_bytes()))
                    {
                        self.i += op.len();
                        self.toks.push(Tok::Op(op));
                        if matches!(*op, "<<" | "<<-") {
                            self.heredoc_delimiter(*op == "<<-");
                        }
                    } else {
                        let w = self.word();
                        let next = self.s.get(self.i);
                        if matches!(next, Some(b'<' | b'>'))
                            && w.bytes().all(|b| b.is_ascii_digit())
                        {
                            self.toks.push(Tok::IoNumber);
                        } else {
                            self.toks.push(Tok::Word(w));
                        }
                    }
                }
            }
        }
        self.toks
    }

    /// The word after `<<`: kept as a token, and remembered (unquoted) as the delimiter.
    fn heredoc_delimiter(&mut self, strip_tabs: bool) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        if self.i >= self.s.len() || is_delim(self.s[self.i]) {
            return;
        }
        let w = self.word();
        let delim: String = w
            .chars()
            .filter(|c| !matches!(c, '\'' | '"' | '\\'))
            .collect();
        self.toks.push(Tok::Word(w));
        self.heredocs.push((delim, strip_tabs));
    }

    fn read_heredocs(&mut self) {
        for (delim, strip) in std::mem::take(&mut self.heredocs) {
            while self.i < self.s.len() {
                let end = self.s[self.i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(self.s.len(), |p| self.i + p);
                let mut line = &self.s[self.i..end];
                self.i = (end + 1).min(self.s.len());
                if strip {
                    while let [b'\t', rest @ ..] = line {
                        line = rest;
                    }
                }
                if line == delim.as_bytes() {
                    break;
                }
            }
        }
    }

    /// One word, as written.
    fn word(&mut self) -> String {
        let start = self.i;
        let s = self.s;
        while self.i < s.len() && !is_delim(s[self.i]) {
            self.i = skip_unit(s, self.i);
        }
        String::from_utf8_lossy(&s[start..self.i]).into_owned()
    }
}

/// Characters that end an unquoted word.
fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

/// Skips one unit of a word starting at `i` (a quoted string, an escape, a `$` form, a
/// backtick string or one byte); returns the index after it.
fn skip_unit(s: &[u8], i: usize) -> usize {
    match s[i] {
        b'\\' => (i + 2).min(s.len()),
        b'\'' => s[i + 1..]
            .iter()
            .position(|&b| b == b'\'')
            .map_or(s.len(), |p| i + 1 + p + 1),
        b'"' => skip_dquote(s, i + 1),
        b'`' => skip_backtick(s, i + 1),
        b'$' => skip_dollar(s, i),
        _ => i + 1,
    }
}

/// From just inside `"`, to just after the closing `"`.
fn skip_dquote(s: &[u8], mut i: usize) -> usize {
    while i < s.len() {
        match s[i] {
            b'"' => return i + 1,
            b'\\' => i = (i + 2).min(s.len()),
            b'`' => i = skip_backtick(s, i + 1),
            b'$' => i = skip_dollar(s, i),
            _ => i += 1,
        }
    }
    s.len()
}

/// From just inside a backtick, to just after the closing one.
fn skip_backtick(s: &[u8], mut i: usize) -> usize {
    while i < s.len() {
        match s[i] {
            b'`' => return i + 1,
            b'\\' => i = (i + 2).min(s.len()),
            _ => i += 1,
        }
    }
    s.len()
}

/// At a `$`: skips `$(...)`, `$((...))`, `${...}` or just the `$`.
fn skip_dollar(s: &[u8], i: usize) -> usize {
    match s.get(i + 1) {
        Some(b'(') => skip_group(s, i + 2, b'(', b')'),
        Some(b'{') => skip_group(s, i + 2, b'{', b'}'),
        _ => i + 1,
    }
}

/// From just inside an opening bracket, to just after its matching close, skipping quoted
/// text and nested forms.
fn skip_group(s: &[u8], mut i: usize, open: u8, close: u8) -> usize {
    let mut depth = 1usize;
    while i < s.len() {
        let c = s[i];
        if c == close {
            depth -= 1;
            i += 1;
            if depth == 0 {
                return i;
            }
        } else if c == open {
            depth += 1;
            i += 1;
        } else if matches!(c, b'\\' | b'\'' | b'"' | b'`' | b'$') {
            i = skip_unit(s, i);
        } else {
            i += 1;
        }
    }
    s.len()
}

/// The command substitutions of a word that BitBake looks at: `$(...)` and backticks at
/// the top level of the word or directly inside one of its double-quoted parts.
fn command_substitutions(word: &str) -> Vec<String> {
    let s = word.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_dq = false;
    while i < s.len() {
        match s[i] {
            b'"' => {
                in_dq = !in_dq;
                i += 1;
            }
            b'\\' => i = (i + 2).min(s.len()),
            b'\'' if !in_dq => i = skip_unit(s, i),
            b'`' => {
                let end = skip_backtick(s, i + 1);
                let inner_end = if s.get(end - 1) == Some(&b'`') && end > i + 1 {
                    end - 1
                } else {
                    end
                };
                out.push(String::from_utf8_lossy(&s[i + 1..inner_end.max(i + 1)]).into_owned());
                i = end;
            }
            b'$' if s.get(i + 1) == Some(&b'(') && s.get(i + 2) != Some(&b'(') => {
                let end = skip_group(s, i + 2, b'(', b')');
                let inner_end = if s.get(end - 1) == Some(&b')') {
                    end - 1
                } else {
                    end
                };
                out.push(String::from_utf8_lossy(&s[i + 2..inner_end.max(i + 2)]).into_owned());
                i = end;
            }
            b'$' => i = skip_dollar(s, i),
            _ => i += 1,
        }
    }
    out
}

// ------------------------------------------------------------------------- parser

struct Parser<'s> {
    toks: Vec<Tok>,
    pos: usize,
    st: &'s mut State,
    depth: usize,
}

/// What a word of a simple command is, in pysh's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The command name (pysh's `cmd_name`/`cmd_word`).
    Name,
    /// An argument.
    Token,
    /// The value of a prefix assignment.
    Assign,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x == w)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(x)) if *x == op)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let hit = self.is_word(w);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn eat_op(&mut self, op: &str) -> bool {
        let hit = self.is_op(op);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.pos += 1;
        }
    }

    /// Commands up to a reserved word in `stops` (at command position), `)`, `;;` or the
    /// end.
    fn compound_list(&mut self, stops: &[&str]) {
        loop {
            while matches!(self.peek(), Some(Tok::Newline | Tok::Op(";" | "&"))) {
                self.pos += 1;
            }
            match self.peek() {
                None | Some(Tok::Op(")" | ";;")) => return,
                Some(Tok::Word(w)) if stops.contains(&w.as_str()) => return,
                _ => {}
            }
            let before = self.pos;
            self.and_or(stops);
            if self.pos == before {
                // A token no command can start with: step over it.
                self.pos += 1;
            }
        }
    }

    fn and_or(&mut self, stops: &[&str]) {
        self.pipeline(stops);
        while self.eat_op("&&") || self.eat_op("||") {
            self.skip_newlines();
            self.pipeline(stops);
        }
    }

    fn pipeline(&mut self, stops: &[&str]) {
        self.eat_word("!");
        self.command(stops);
        while self.eat_op("|") {
            self.skip_newlines();
            self.command(stops);
        }
    }

    fn command(&mut self, stops: &[&str]) {
        let Some(tok) = self.peek().cloned() else {
            return;
        };
        match tok {
            Tok::Word(w) if stops.contains(&w.as_str()) => {}
            Tok::Word(w) => match w.as_str() {
                "{" => {
                    self.pos += 1;
                    self.compound_list(&["}"]);
                    self.eat_word("}");
                    self.redirections();
                }
                "if" => {
                    self.pos += 1;
                    self.if_rest();
                    self.redirections();
                }
                "while" | "until" => {
                    self.pos += 1;
                    self.compound_list(&["do"]);
                    self.do_group();
                    self.redirections();
                }
                "for" => {
                    self.pos += 1;
                    self.for_rest();
                    self.redirections();
                }
                "case" => {
                    self.pos += 1;
                    self.case_rest();
                    self.redirections();
                }
                _ => self.simple_command(),
            },
            Tok::Op("(") => {
                self.pos += 1;
                self.compound_list(&[]);
                self.eat_op(")");
                self.redirections();
            }
            _ => self.simple_command(),
        }
    }

    fn if_rest(&mut self) {
        self.compound_list(&["then"]);
        self.eat_word("then");
        self.compound_list(&["elif", "else", "fi"]);
        loop {
            if self.eat_word("elif") {
                self.compound_list(&["then"]);
                self.eat_word("then");
                self.compound_list(&["elif", "else", "fi"]);
            } else if self.eat_word("else") {
                self.compound_list(&["fi"]);
            } else {
                break;
            }
        }
        self.eat_word("fi");
    }

    fn do_group(&mut self) {
        self.eat_word("do");
        self.compound_list(&["done"]);
        self.eat_word("done");
    }

    fn for_rest(&mut self) {
        // The loop variable.
        if matches!(self.peek(), Some(Tok::Word(_))) {
            self.pos += 1;
        }
        self.skip_newlines();
        if self.eat_word("in") {
            let mut items = Vec::new();
            while let Some(Tok::Word(w)) = self.peek() {
                items.push((Kind::Token, w.clone()));
                self.pos += 1;
            }
            self.process_words(items);
        }
        while matches!(self.peek(), Some(Tok::Newline | Tok::Op(";"))) {
            self.pos += 1;
        }
        self.do_group();
    }

    fn case_rest(&mut self) {
        // The subject word (not looked at, as in BitBake).
        if matches!(self.peek(), Some(Tok::Word(_))) {
            self.pos += 1;
        }
        self.skip_newlines();
        self.eat_word("in");
        loop {
            self.skip_newlines();
            if self.peek().is_none() || self.eat_word("esac") {
                return;
            }
            self.eat_op("(");
            let mut patterns = Vec::new();
            while let Some(t) = self.peek().cloned() {
                match t {
                    Tok::Word(w) => patterns.push((Kind::Token, w)),
                    Tok::Op("|") => {}
                    Tok::Op(")") => {
                        self.pos += 1;
                        break;
                    }
                    _ => break,
                }
                self.pos += 1;
            }
            self.process_words(patterns);
            self.compound_list(&["esac"]);
            if !self.eat_op(";;") && !self.is_word("esac") {
                // Malformed: stop rather than loop.
                if self.peek().is_some() && !matches!(self.peek(), Some(Tok::Newline)) {
                    return;
                }
            }
        }
    }

    /// Redirections after a compound command: skipped with their targets.
    fn redirections(&mut self) {
        loop {
            match self.peek() {
                Some(Tok::IoNumber) => self.pos += 1,
                Some(Tok::Op(op)) if is_redirection(op) => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Word(_))) {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn simple_command(&mut self) {
        let mut words: Vec<(Kind, String)> = Vec::new();
        let mut assigns: Vec<(Kind, String)> = Vec::new();
        let mut named = false;
        while let Some(t) = self.peek().cloned() {
            match t {
                Tok::IoNumber => self.pos += 1,
                Tok::Op(op) if is_redirection(op) => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Word(_))) {
                        self.pos += 1;
                    }
                }
                Tok::Word(w) => {
                    if !named && is_assignment(&w) {
                        assigns.push((Kind::Assign, w));
                        self.pos += 1;
                        continue;
                    }
                    if !named
                        && words.is_empty()
                        && self.peek_at(1) == Some(&Tok::Op("("))
                        && self.peek_at(2) == Some(&Tok::Op(")"))
                    {
                        // A function definition: `name() body`.
                        self.pos += 3;
                        self.skip_newlines();
                        self.st.funcdefs.insert(w);
                        self.process_words(assigns);
                        self.command(&[]);
                        return;
                    }
                    words.push((if named { Kind::Token } else { Kind::Name }, w));
                    named = true;
                    self.pos += 1;
                }
                _ => break,
            }
        }
        words.extend(assigns);
        self.process_words(words);
    }

    /// BitBake's `process_words`: command substitutions first, then the command word.
    fn process_words(&mut self, mut words: Vec<(Kind, String)>) {
        for (kind, text) in words.clone() {
            let subs = command_substitutions(&text);
            for sub in &subs {
                self.st.parse(sub, self.depth + 1);
            }
            if !subs.is_empty()
                && kind == Kind::Name
                && let Some(p) = words.iter().position(|(k, t)| *k == kind && *t == text)
            {
                words.remove(p);
            }
        }
        let mut usetoken = false;
        for (kind, text) in &words {
            if *kind == Kind::Name || (usetoken && *kind == Kind::Token) {
                if text.contains('=') {
                    usetoken = true;
                    continue;
                }
                if text.starts_with('$') {
                    // Not a literal command: BitBake cannot know it either.
                } else if text == "eval" {
                    let rest: Vec<&str> = words[1..].iter().map(|(_, t)| t.as_str()).collect();
                    self.st.parse(&rest.join(" "), self.depth + 1);
                } else {
                    self.st.allexecs.insert(text.clone());
                }
                break;
            }
        }
    }
}

fn is_redirection(op: &str) -> bool {
    matches!(
        op,
        "<" | ">" | ">>" | "<<" | "<<-" | "<&" | ">&" | "<>" | ">|"
    )
}

/// `NAME=value` with a valid shell name.
fn is_assignment(w: &str) -> bool {
    let Some((name, _)) = w.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
