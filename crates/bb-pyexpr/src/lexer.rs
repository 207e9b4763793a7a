//! Splits the text of one Python expression, or of a block of statements, into tokens, like
//! CPython's tokenizer. In statement mode it also emits the `NEWLINE`, `INDENT` and `DEDENT`
//! tokens, with CPython's indentation rules (tabs to multiples of 8, and `TabError` when the
//! meaning would depend on the tab size).
//!
//! It owns literal decoding (string escapes, number syntax), bracket matching and the
//! tokenizer's own error messages ("unterminated string literal", "'(' was never closed").
//! It must not know the grammar: which token sequences form an expression is the parser's job.
//! The whole input is tokenized before parsing starts, so a tokenizer error anywhere wins over
//! a grammar error, as it does in CPython.

use std::sync::Arc;

use crate::error::{EvalError, Result};

/// Deepest bracket nesting CPython's tokenizer accepts (`MAXLEVEL`).
const MAX_BRACKET_DEPTH: usize = 200;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword.
    Name(Arc<str>),
    /// An integer literal that fits in 64 bits.
    Int(i64),
    /// An integer literal too large for 64 bits.
    BigInt,
    /// A float literal.
    Float(f64),
    /// An imaginary literal such as `1j`.
    Imag,
    /// One string literal (adjacent literals are joined by the parser).
    Str(StrLit),
    /// An operator or delimiter.
    Op(&'static str),
    /// A logical line end outside brackets.
    Newline,
    /// A deeper indentation (statement mode only).
    Indent,
    /// The end of an indented block (statement mode only).
    Dedent,
    /// The end of the input.
    End,
}

/// The kind of a string literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrKind {
    /// A plain (or `u`/`r`) string: `value` is the decoded text.
    Plain,
    /// A bytes literal: `value` is the decoded text (its exact bytes do not matter).
    Bytes,
    /// An f-string: `value` is the undecoded body; `raw` tells whether escapes apply.
    Format {
        /// Whether the literal had an `r` prefix.
        raw: bool,
    },
}

/// A decoded string literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrLit {
    pub(crate) kind: StrKind,
    pub(crate) value: String,
    /// Set when the literal is valid Python we cannot represent (e.g. `\N{...}`).
    pub(crate) unsupported: Option<&'static str>,
}

/// Python keywords: never names.
pub(crate) const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Operators, longest first so that the first match is the longest.
const OPERATORS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/", "%", "@", "&", "|",
    "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "=",
];

/// Tokenizes `src` (already stripped). The last token is always [`Tok::End`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Tok>> {
    tokenize_mode(src, false).map(|(toks, _)| toks)
}

/// Tokenizes a block of statements: every logical line ends with [`Tok::Newline`], and
/// indentation changes are [`Tok::Indent`] and [`Tok::Dedent`]. The last token is always
/// [`Tok::End`]. With each token, the (1-based) line it starts on.
pub(crate) fn tokenize_statements(src: &str) -> Result<(Vec<Tok>, Vec<u32>)> {
    tokenize_mode(src, true)
}

fn tokenize_mode(src: &str, statements: bool) -> Result<(Vec<Tok>, Vec<u32>)> {
    if src.contains('\0') {
        return Err(EvalError::value_err(
            "source code string cannot contain null bytes",
        ));
    }
    // CPython translates every newline convention to `\n` before tokenizing.
    let text: Vec<char> = if src.contains('\r') {
        src.replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .collect()
    } else {
        src.chars().collect()
    };
    Lexer {
        s: &text,
        pos: 0,
        line: 1,
        brackets: Vec::new(),
        toks: Vec::new(),
        lines: Vec::new(),
        indents: statements.then(|| vec![(0, 0)]),
        line_start: true,
    }
    .run()
}

struct Lexer<'s> {
    s: &'s [char],
    pos: usize,
    line: usize,
    brackets: Vec<(char, usize)>,
    toks: Vec<Tok>,
    /// The line each token of `toks` starts on.
    lines: Vec<u32>,
    /// Statement mode: the stack of indentation columns (with tab size 8 and with tab size 1).
    indents: Option<Vec<(usize, usize)>>,
    /// Statement mode: at the start of a physical line that begins a logical line.
    line_start: bool,
}

fn indentation_error(message: &str) -> EvalError {
    EvalError::syntax(message)
}

fn tab_error() -> EvalError {
    EvalError::syntax("inconsistent use of tabs and spaces in indentation")
}

/// A character that may start a name: Python's tokenizer collects ASCII letters, digits, `_`
/// and every non-ASCII character into a name, and checks it afterwards (`verify_name`).
fn is_id_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic() || !c.is_ascii()
}

fn is_id_continue(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric() || !c.is_ascii()
}

/// Checks a name collected by the tokenizer as CPython does: `XID_Start` then `XID_Continue`
/// characters, else "invalid character". A valid name with non-ASCII characters needs Python:
/// CPython normalises names to NFKC, which we do not model. (Unicode's identifier stability
/// makes a character that is not `XID_*` in the current tables not `XID_*` in Python 3.11's
/// either; one that is may be unassigned there, which only makes it need Python here.)
fn verify_name(word: &[char]) -> Result<()> {
    for (i, &c) in word.iter().enumerate() {
        let ok = if i == 0 {
            c == '_' || unicode_ident::is_xid_start(c)
        } else {
            unicode_ident::is_xid_continue(c)
        };
        if !ok {
            let u = u32::from(c);
            return Err(EvalError::syntax(
                if c.is_control()
                    || c.is_whitespace()
                    || matches!(u, 0xad | 0x200b..=0x200f | 0x2060..=0x2064 | 0xfeff)
                {
                    format!("invalid non-printable character U+{u:04X}")
                } else {
                    format!("invalid character '{c}' (U+{u:04X})")
                },
            ));
        }
    }
    if !word.iter().all(char::is_ascii) {
        return Err(EvalError::needs("a name with non-ASCII characters"));
    }
    Ok(())
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.s.get(self.pos + ahead).copied()
    }

    /// Whether the last token ends a logical line (or there is none yet).
    fn after_line_end(&self) -> bool {
        matches!(
            self.toks.last(),
            Some(Tok::Newline | Tok::Indent | Tok::Dedent) | None
        )
    }

    /// Statement mode: measures the indentation of a new line and emits INDENT/DEDENT tokens,
    /// unless the line is blank or only a comment.
    fn indentation(&mut self) -> Result<()> {
        let (mut col, mut alt) = (0usize, 0usize);
        let mut i = self.pos;
        while let Some(&c) = self.s.get(i) {
            match c {
                ' ' => {
                    col += 1;
                    alt += 1;
                }
                '\t' => {
                    col = (col / 8 + 1) * 8;
                    alt += 1;
                }
                '\x0c' => {
                    col = 0;
                    alt = 0;
                }
                _ => break,
            }
            i += 1;
        }
        self.pos = i;
        if matches!(self.s.get(i), None | Some('\n' | '#')) {
            return Ok(());
        }
        if self.s.get(i) == Some(&'\\') && self.s.get(i + 1) == Some(&'\n') {
            return Ok(());
        }
        let Some(stack) = self.indents.as_mut() else {
            return Ok(());
        };
        let &(top, top_alt) = stack.last().unwrap_or(&(0, 0));
        if col == top {
            if alt != top_alt {
                return Err(tab_error());
            }
        } else if col > top {
            if alt <= top_alt {
                return Err(tab_error());
            }
            stack.push((col, alt));
            self.toks.push(Tok::Indent);
        } else {
            while stack.last().is_some_and(|&(c, _)| col < c) {
                stack.pop();
                self.toks.push(Tok::Dedent);
            }
            let &(top, top_alt) = stack.last().unwrap_or(&(0, 0));
            if col != top {
                return Err(indentation_error(
                    "unindent does not match any outer indentation level",
                ));
            }
            if alt != top_alt {
                return Err(tab_error());
            }
        }
        Ok(())
    }

    /// Expression mode: CPython's tokenizer still measures each new logical line, so one that
    /// is indented (after a comment line, a blank line or a complete expression) is an
    /// "unexpected indent"; blank and comment-only lines do not count.
    fn expression_line_start(&self) -> Result<()> {
        let mut col = 0usize;
        let mut i = self.pos;
        while let Some(&c) = self.s.get(i) {
            match c {
                ' ' | '\t' => col += 1,
                '\x0c' => col = 0,
                _ => break,
            }
            i += 1;
        }
        let blank = match self.s.get(i) {
            None | Some('\n' | '#') => true,
            Some('\\') => self.s.get(i + 1) == Some(&'\n'),
            Some(_) => false,
        };
        if col > 0 && !blank {
            return Err(indentation_error("unexpected indent"));
        }
        Ok(())
    }

    /// Gives the tokens pushed since the last call line `line`.
    fn note_lines(&mut self, line: usize) {
        self.lines
            .resize(self.toks.len(), u32::try_from(line).unwrap_or(u32::MAX));
    }

    fn run(mut self) -> Result<(Vec<Tok>, Vec<u32>)> {
        loop {
            let line = self.line;
            if self.line_start {
                self.line_start = false;
                if self.indents.is_some() {
                    self.indentation()?;
                } else {
                    self.expression_line_start()?;
                }
            }
            let Some(c) = self.peek(0) else { break };
            match c {
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                '\n' => {
                    self.pos += 1;
                    self.line += 1;
                    if self.brackets.is_empty() {
                        if !self.after_line_end() {
                            self.toks.push(Tok::Newline);
                        }
                        self.line_start = true;
                    }
                }
                '\\' => {
                    if self.peek(1) == Some('\n') {
                        self.pos += 2;
                        self.line += 1;
                        if self.peek(0).is_none() {
                            return Err(EvalError::syntax("unexpected EOF while parsing"));
                        }
                    } else {
                        return Err(EvalError::syntax(
                            "unexpected character after line continuation character",
                        ));
                    }
                }
                c if c.is_ascii_digit()
                    || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit())) =>
                {
                    let tok = self.number()?;
                    self.toks.push(tok);
                }
                c if is_id_start(c) => self.name_or_string()?,
                '\'' | '"' => {
                    let lit = self.string(StrPrefix::default())?;
                    self.toks.push(Tok::Str(lit));
                }
                _ => self.operator(c)?,
            }
            self.note_lines(line);
        }
        if let Some(&(open, _)) = self.brackets.last() {
            return Err(EvalError::syntax(format!("'{open}' was never closed")));
        }
        if let Some(stack) = self.indents.take() {
            if !self.after_line_end() {
                self.toks.push(Tok::Newline);
            }
            for _ in 1..stack.len() {
                self.toks.push(Tok::Dedent);
            }
        } else if matches!(self.toks.last(), Some(Tok::Newline)) {
            self.toks.pop();
        }
        self.toks.push(Tok::End);
        self.note_lines(self.line);
        Ok((self.toks, self.lines))
    }

    fn operator(&mut self, c: char) -> Result<()> {
        let Some(op) = OPERATORS
            .iter()
            .copied()
            .filter(|op| op.starts_with(c))
            .find(|op| {
                op.chars()
                    .enumerate()
                    .all(|(i, oc)| self.peek(i) == Some(oc))
            })
        else {
            return Err(
                if c == '!' || c == '$' || c == '?' || c == '`' || c.is_ascii() {
                    EvalError::syntax("invalid syntax")
                } else {
                    EvalError::syntax(format!("invalid character '{c}' (U+{:04X})", u32::from(c)))
                },
            );
        };
        self.pos += op.chars().count();
        match op {
            "(" | "[" | "{" => {
                if self.brackets.len() >= MAX_BRACKET_DEPTH {
                    return Err(EvalError::syntax("too many nested parentheses"));
                }
                self.brackets.push((c, self.line));
            }
            ")" | "]" | "}" => match self.brackets.pop() {
                None => return Err(EvalError::syntax(format!("unmatched '{c}'"))),
                Some((open, _)) => {
                    let expected = match open {
                        '(' => ')',
                        '[' => ']',
                        _ => '}',
                    };
                    if expected != c {
                        return Err(EvalError::syntax(format!(
                            "closing parenthesis '{c}' does not match opening parenthesis '{open}'"
                        )));
                    }
                }
            },
            _ => {}
        }
        self.toks.push(Tok::Op(op));
        Ok(())
    }

    fn name_or_string(&mut self) -> Result<()> {
        let start = self.pos;
        while self.peek(0).is_some_and(is_id_continue) {
            self.pos += 1;
        }
        let word: String = self.s[start..self.pos].iter().collect();
        if matches!(self.peek(0), Some('\'' | '"'))
            && let Some(prefix) = StrPrefix::parse(&word)
        {
            let lit = self.string(prefix)?;
            self.toks.push(Tok::Str(lit));
            return Ok(());
        }
        verify_name(&self.s[start..self.pos])?;
        self.toks.push(Tok::Name(Arc::from(word)));
        Ok(())
    }

    fn digits(&mut self, radix: u32, out: &mut String, what: &str) -> Result<()> {
        // A run of digits with single underscores between digits.
        loop {
            match self.peek(0) {
                Some(c) if c.is_digit(radix) => {
                    out.push(c);
                    self.pos += 1;
                }
                Some('_') if self.peek(1).is_some_and(|d| d.is_digit(radix)) && !out.is_empty() => {
                    self.pos += 1;
                }
                Some('_') => return Err(EvalError::syntax(format!("invalid {what} literal"))),
                _ => return Ok(()),
            }
        }
    }

    fn number(&mut self) -> Result<Tok> {
        let first = self.peek(0);
        let second = self.peek(1).map(|c| c.to_ascii_lowercase());
        if first == Some('0') && matches!(second, Some('x' | 'o' | 'b')) {
            let (radix, what) = match second {
                Some('x') => (16, "hexadecimal"),
                Some('o') => (8, "octal"),
                _ => (2, "binary"),
            };
            self.pos += 2;
            if self.peek(0) == Some('_') {
                self.pos += 1;
            }
            let mut digits = String::new();
            self.digits(radix, &mut digits, what)?;
            if digits.is_empty() || self.peek(0).is_some_and(|c| c.is_ascii_alphanumeric()) {
                return Err(EvalError::syntax(format!("invalid {what} literal")));
            }
            return Ok(i64::from_str_radix(&digits, radix).map_or(Tok::BigInt, Tok::Int));
        }
        let mut text = String::new();
        self.digits(10, &mut text, "decimal")?;
        let int_part = text.clone();
        let mut is_float = false;
        if self.peek(0) == Some('.') {
            is_float = true;
            self.pos += 1;
            text.push('.');
            if self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                self.digits(10, &mut text, "decimal")?;
            }
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign = matches!(self.peek(1), Some('+' | '-'));
            let digit_at = if sign { 2 } else { 1 };
            if self.peek(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                text.push('e');
                if sign {
                    text.push(self.peek(1).unwrap_or('+'));
                }
                self.pos += digit_at;
                self.digits(10, &mut text, "decimal")?;
            } else if !self.keyword_follows() {
                return Err(EvalError::syntax("invalid decimal literal"));
            }
        }
        if matches!(self.peek(0), Some('j' | 'J')) {
            self.pos += 1;
            self.check_number_end()?;
            return Ok(Tok::Imag);
        }
        self.check_number_end()?;
        if is_float {
            return Ok(text.parse::<f64>().map_or(Tok::BigInt, Tok::Float));
        }
        if int_part.len() > 1 && int_part.starts_with('0') && int_part.chars().any(|c| c != '0') {
            return Err(EvalError::syntax(
                "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
            ));
        }
        Ok(int_part.parse::<i64>().map_or(Tok::BigInt, Tok::Int))
    }

    /// CPython accepts a keyword right after a number (`1if x else 2`), but no other name.
    fn keyword_follows(&self) -> bool {
        ["and", "else", "for", "if", "in", "is", "not", "or"]
            .iter()
            .any(|kw| kw.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c)))
    }

    fn check_number_end(&self) -> Result<()> {
        match self.peek(0) {
            Some(c) if is_id_continue(c) && !self.keyword_follows() => {
                Err(EvalError::syntax("invalid decimal literal"))
            }
            _ => Ok(()),
        }
    }

    fn string(&mut self, prefix: StrPrefix) -> Result<StrLit> {
        let Some(quote) = self.peek(0) else {
            return Err(EvalError::syntax("invalid syntax"));
        };
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        let body_start = self.pos;
        let body_end;
        loop {
            match self.peek(0) {
                None => {
                    return Err(if triple {
                        EvalError::syntax(format!(
                            "unterminated triple-quoted string literal (detected at line {})",
                            self.line
                        ))
                    } else {
                        EvalError::Syntax {
                            message: format!(
                                "unterminated string literal (detected at line {})",
                                self.line
                            ),
                            unterminated_string: true,
                        }
                    });
                }
                Some('\\') => {
                    if self.peek(1) == Some('\n') {
                        self.line += 1;
                    }
                    self.pos += if self.peek(1).is_some() { 2 } else { 1 };
                }
                Some('\n') if !triple => {
                    return Err(EvalError::Syntax {
                        message: format!(
                            "unterminated string literal (detected at line {})",
                            self.line
                        ),
                        unterminated_string: true,
                    });
                }
                Some('\n') => {
                    self.line += 1;
                    self.pos += 1;
                }
                Some(c) if c == quote => {
                    if !triple {
                        body_end = self.pos;
                        self.pos += 1;
                        break;
                    }
                    if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                        body_end = self.pos;
                        self.pos += 3;
                        break;
                    }
                    self.pos += 1;
                }
                Some(_) => self.pos += 1,
            }
        }
        let body = &self.s[body_start..body_end];
        if prefix.format {
            return Ok(StrLit {
                kind: StrKind::Format { raw: prefix.raw },
                value: body.iter().collect(),
                unsupported: None,
            });
        }
        if prefix.bytes && body.iter().any(|c| !c.is_ascii()) {
            return Err(EvalError::syntax(
                "bytes can only contain ASCII literal characters",
            ));
        }
        let kind = if prefix.bytes {
            StrKind::Bytes
        } else {
            StrKind::Plain
        };
        if prefix.raw {
            return Ok(StrLit {
                kind,
                value: body.iter().collect(),
                unsupported: None,
            });
        }
        let (value, unsupported) = decode_escapes(body, prefix.bytes)?;
        Ok(StrLit {
            kind,
            value,
            unsupported,
        })
    }
}

/// The letters before a string's opening quote.
#[derive(Debug, Default, Clone, Copy)]
struct StrPrefix {
    raw: bool,
    bytes: bool,
    format: bool,
}

impl StrPrefix {
    fn parse(word: &str) -> Option<Self> {
        let lower = word.to_ascii_lowercase();
        let p = |raw, bytes, format| Some(Self { raw, bytes, format });
        match lower.as_str() {
            "r" => p(true, false, false),
            "u" => p(false, false, false),
            "b" => p(false, true, false),
            "f" => p(false, false, true),
            "rb" | "br" => p(true, true, false),
            "rf" | "fr" => p(true, false, true),
            _ => None,
        }
    }
}

/// CPython's message for a bad escape spanning chars `start..end` of a literal body
/// (reported as UTF-8 byte positions, `end` inclusive).
fn unicode_error(body: &[char], start: usize, end: usize, what: &str) -> EvalError {
    let byte = |i: usize| body.iter().take(i).map(|c| c.len_utf8()).sum::<usize>();
    let (from, to) = (byte(start), byte(end.max(start + 1)) - 1);
    EvalError::syntax(format!(
        "(unicode error) 'unicodeescape' codec can't decode bytes in position {from}-{to}: {what}"
    ))
}

/// Decodes backslash escapes of a non-raw literal body. Returns the text and, when the
/// literal is valid but not representable here, why.
pub(crate) fn decode_escapes(body: &[char], bytes: bool) -> Result<(String, Option<&'static str>)> {
    let mut out = String::with_capacity(body.len());
    let mut unsupported = None;
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = body.get(i) else {
            out.push('\\');
            break;
        };
        i += 1;
        match e {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match body.get(i).and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                push_code(&mut out, v, &mut unsupported);
            }
            'x' | 'u' | 'U' if !bytes || e == 'x' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = body.iter().skip(i).take(n).collect();
                let good = digits.chars().take_while(char::is_ascii_hexdigit).count();
                if good != n {
                    let what = match e {
                        'x' => "truncated \\xXX escape",
                        'u' => "truncated \\uXXXX escape",
                        _ => "truncated \\UXXXXXXXX escape",
                    };
                    return Err(unicode_error(body, i - 2, i + good, what));
                }
                i += n;
                let v = u32::from_str_radix(&digits, 16).unwrap_or(u32::MAX);
                if v > 0x10FFFF {
                    return Err(unicode_error(
                        body,
                        i - n - 2,
                        i,
                        "illegal Unicode character",
                    ));
                }
                push_code(&mut out, v, &mut unsupported);
            }
            'N' if !bytes => {
                // A named character: valid Python, but we carry no Unicode name table.
                if body.get(i) != Some(&'{') || !body[i..].contains(&'}') {
                    return Err(unicode_error(
                        body,
                        i - 2,
                        i,
                        "malformed \\N character escape",
                    ));
                }
                while body.get(i).is_some_and(|&c| c != '}') {
                    i += 1;
                }
                i += 1;
                unsupported = Some("`\\N{...}` escape in a string literal");
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok((out, unsupported))
}

fn push_code(out: &mut String, v: u32, unsupported: &mut Option<&'static str>) {
    match char::from_u32(v) {
        Some(c) => out.push(c),
        None => *unsupported = Some("lone surrogate in a string literal"),
    }
}

#[cfg(test)]
mod tests;
