//! Builds the syntax tree of one Python expression (CPython's `eval` mode grammar) from tokens.
//!
//! It owns the grammar, operator precedence, f-string splitting and the grammar's error
//! messages. It must not evaluate anything: valid constructs the evaluator cannot handle become
//! [`Node::Unsupported`] rather than errors. Recursion is bounded by [`MAX_DEPTH`].

use std::sync::Arc;

use crate::ast::{
    Arg, BinOp, CmpOp, CompDef, CompFor, CompKind, Const, DictItem, Elt, FPart, LambdaDef, Node,
    Param, Params, Target, UnaryOp,
};
use crate::error::{EvalError, Result};
use crate::lexer::{self, KEYWORDS, StrKind, Tok};

/// Deepest nesting of sub-expressions the parser builds before giving up. Chains of
/// left-associative operators and trailers count one level per link, because the tree they
/// build is that deep.
const MAX_DEPTH: usize = 250;

/// Parses the text of one expression (already stripped of surrounding whitespace).
pub(crate) fn parse(src: &str) -> Result<Node> {
    parse_at_depth(src, 0)
}

fn parse_at_depth(src: &str, depth: usize) -> Result<Node> {
    let toks = lexer::tokenize(src)?;
    let mut p = Parser {
        toks,
        lines: Vec::new(),
        pos: 0,
        depth,
        lambdas: 0,
        defs: 0,
        saw_yield: false,
        bare_tuple_star: false,
    };
    if p.at_end() {
        return Err(EvalError::syntax("invalid syntax"));
    }
    // `eval` mode's grammar is `expressions`: a bare tuple may not hold a starred item
    // (`1, *x` is valid as a statement, not as an expression).
    let node = p.star_expressions()?;
    if !p.at_end() {
        return Err(p.unexpected());
    }
    if p.bare_tuple_star {
        return Err(invalid());
    }
    Ok(node)
}

/// The parser state, shared with the statement parser of `stmt.rs`.
pub(crate) struct Parser {
    pub(crate) toks: Vec<Tok>,
    /// The line of each token (statements only; empty for an expression).
    pub(crate) lines: Vec<u32>,
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// How many lambda bodies enclose the current position (`yield` is valid inside one).
    pub(crate) lambdas: usize,
    /// How many `def` bodies enclose the current position.
    pub(crate) defs: usize,
    /// Set when a `yield` is parsed directly in the current `def` body (not in a lambda).
    pub(crate) saw_yield: bool,
    /// Whether the last `star_expressions` that returned built a tuple without parentheses
    /// holding a starred item.
    pub(crate) bare_tuple_star: bool,
}

pub(crate) fn invalid() -> EvalError {
    EvalError::syntax("invalid syntax")
}

impl Parser {
    /// The line of the next token (0 when unknown).
    pub(crate) fn line(&self) -> u32 {
        self.lines.get(self.pos).copied().unwrap_or(0)
    }

    pub(crate) fn peek(&self) -> &Tok {
        self.toks.get(self.pos).unwrap_or(&Tok::End)
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks.get(self.pos + ahead).unwrap_or(&Tok::End)
    }

    pub(crate) fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub(crate) fn at_end(&self) -> bool {
        matches!(self.peek(), Tok::End)
    }

    pub(crate) fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Name(n) if &**n == kw)
    }

    pub(crate) fn eat_op(&mut self, op: &str) -> bool {
        let yes = self.is_op(op);
        if yes {
            self.pos += 1;
        }
        yes
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw(kw);
        if yes {
            self.pos += 1;
        }
        yes
    }

    pub(crate) fn expect_op(&mut self, op: &str) -> Result<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    pub(crate) fn unexpected(&self) -> EvalError {
        invalid()
    }

    pub(crate) fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(EvalError::needs("expression nested too deeply"));
        }
        if crate::stack::exhausted() {
            // Our stack budget is not CPython's (which compiles this), so hand over.
            return Err(EvalError::needs("expression nested too deeply"));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Whether the next token can start an expression.
    pub(crate) fn starts_expression(&self) -> bool {
        match self.peek() {
            Tok::Name(n) => {
                !KEYWORDS.contains(&&**n)
                    || matches!(&**n, "True" | "False" | "None" | "not" | "lambda" | "await")
            }
            Tok::Op(o) => matches!(*o, "(" | "[" | "{" | "-" | "+" | "~" | "..." | "*"),
            Tok::Newline | Tok::End => false,
            _ => true,
        }
    }

    /// `star_expressions`: an expression, or a tuple without parentheses.
    pub(crate) fn star_expressions(&mut self) -> Result<Node> {
        let first = self.star_expression()?;
        self.bare_tuple_star = false;
        if !self.is_op(",") {
            return match first {
                Elt::One(n) => Ok(n),
                Elt::Star(_) => Err(invalid()),
            };
        }
        let mut elts = vec![first];
        while self.eat_op(",") {
            if !self.starts_expression() {
                break;
            }
            elts.push(self.star_expression()?);
        }
        self.bare_tuple_star = elts.iter().any(|e| matches!(e, Elt::Star(_)));
        Ok(Node::Tuple(elts))
    }

    fn star_expression(&mut self) -> Result<Elt> {
        if self.eat_op("*") {
            return Ok(Elt::Star(self.bitor()?));
        }
        Ok(Elt::One(self.expression()?))
    }

    fn star_named_expression(&mut self) -> Result<Elt> {
        if self.eat_op("*") {
            return Ok(Elt::Star(self.bitor()?));
        }
        Ok(Elt::One(self.named_expression()?))
    }

    /// `name := value` or an expression.
    pub(crate) fn named_expression(&mut self) -> Result<Node> {
        if matches!(self.peek(), Tok::Name(_)) && matches!(self.peek_at(1), Tok::Op(":=")) {
            if let Tok::Name(n) = self.peek()
                && KEYWORDS.contains(&&**n)
            {
                return Err(invalid());
            }
            self.pos += 2;
            self.expression()?;
            return Ok(Node::Unsupported("assignment expression `:=`"));
        }
        self.expression()
    }

    pub(crate) fn expression(&mut self) -> Result<Node> {
        self.enter()?;
        let r = self.expression_inner();
        self.leave();
        r
    }

    fn expression_inner(&mut self) -> Result<Node> {
        if self.eat_kw("lambda") {
            return self.lambda();
        }
        let body = self.disjunction()?;
        if !self.eat_kw("if") {
            return Ok(body);
        }
        let cond = self.disjunction()?;
        if !self.eat_kw("else") {
            return Err(EvalError::syntax("expected 'else' after 'if' expression"));
        }
        let orelse = self.expression()?;
        Ok(Node::IfExp {
            cond: Box::new(cond),
            body: Box::new(body),
            orelse: Box::new(orelse),
        })
    }

    fn lambda(&mut self) -> Result<Node> {
        let params = self.parameters(":")?;
        self.expect_op(":")?;
        self.lambdas += 1;
        let body = self.expression();
        self.lambdas -= 1;
        let body = body?;
        Ok(Node::Lambda(Arc::new(LambdaDef { params, body })))
    }

    /// The parameter list of a lambda (up to `:`) or a `def` (up to `)`); the closing token
    /// is not consumed. Annotations (`def` only) are parsed and ignored.
    pub(crate) fn parameters(&mut self, close: &str) -> Result<Params> {
        let annotations = close == ")";
        let mut params: Vec<Param> = Vec::new();
        let mut posonly = 0;
        let mut varargs = None;
        let mut kwonly: Vec<Param> = Vec::new();
        let mut varkw = None;
        let mut star_seen = false;
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut add_name = |n: &Arc<str>| -> Result<()> {
            if names.contains(n) {
                return Err(EvalError::syntax(format!(
                    "duplicate argument '{n}' in function definition"
                )));
            }
            names.push(n.clone());
            Ok(())
        };
        while !self.is_op(close) {
            if varkw.is_some() {
                return Err(invalid());
            }
            if self.eat_op("/") {
                if star_seen || posonly > 0 || params.is_empty() {
                    return Err(invalid());
                }
                posonly = params.len();
            } else if self.eat_op("**") {
                let n = self.param_name()?;
                add_name(&n)?;
                if annotations && self.eat_op(":") {
                    self.expression()?;
                }
                varkw = Some(n);
            } else if self.eat_op("*") {
                if star_seen {
                    return Err(EvalError::syntax("* argument may appear only once"));
                }
                star_seen = true;
                if let Tok::Name(_) = self.peek() {
                    let n = self.param_name()?;
                    add_name(&n)?;
                    if annotations && self.eat_op(":") {
                        self.expression()?;
                    }
                    varargs = Some(n);
                } else if !self.is_op(",") {
                    return Err(EvalError::syntax("named arguments must follow bare *"));
                }
            } else {
                let name = self.param_name()?;
                add_name(&name)?;
                if annotations && self.eat_op(":") {
                    self.expression()?;
                }
                let default = if self.eat_op("=") {
                    Some(self.expression()?)
                } else {
                    None
                };
                if star_seen {
                    kwonly.push(Param { name, default });
                } else {
                    if default.is_none() && params.last().is_some_and(|p| p.default.is_some()) {
                        return Err(EvalError::syntax(
                            "non-default argument follows default argument",
                        ));
                    }
                    params.push(Param { name, default });
                }
            }
            if !self.eat_op(",") {
                break;
            }
        }
        if star_seen && varargs.is_none() && kwonly.is_empty() {
            return Err(EvalError::syntax("named arguments must follow bare *"));
        }
        Ok(Params {
            params,
            posonly,
            varargs,
            kwonly,
            varkw,
        })
    }

    pub(crate) fn param_name(&mut self) -> Result<Arc<str>> {
        match self.bump() {
            Tok::Name(n) if !KEYWORDS.contains(&&*n) => Ok(n),
            _ => Err(invalid()),
        }
    }

    pub(crate) fn disjunction(&mut self) -> Result<Node> {
        let mut left = self.conjunction()?;
        let depth = self.depth;
        while self.eat_kw("or") {
            self.enter()?;
            let right = self.conjunction()?;
            left = Node::BoolOp(false, Box::new(left), Box::new(right));
        }
        self.depth = depth;
        Ok(left)
    }

    fn conjunction(&mut self) -> Result<Node> {
        let mut left = self.inversion()?;
        let depth = self.depth;
        while self.eat_kw("and") {
            self.enter()?;
            let right = self.inversion()?;
            left = Node::BoolOp(true, Box::new(left), Box::new(right));
        }
        self.depth = depth;
        Ok(left)
    }

    fn inversion(&mut self) -> Result<Node> {
        if self.eat_kw("not") {
            self.enter()?;
            let inner = self.inversion();
            self.leave();
            return Ok(Node::Not(Box::new(inner?)));
        }
        self.comparison()
    }

    fn comp_op(&mut self) -> Option<CmpOp> {
        let op = match self.peek() {
            Tok::Op("==") => CmpOp::Eq,
            Tok::Op("!=") => CmpOp::Ne,
            Tok::Op("<") => CmpOp::Lt,
            Tok::Op("<=") => CmpOp::Le,
            Tok::Op(">") => CmpOp::Gt,
            Tok::Op(">=") => CmpOp::Ge,
            Tok::Name(n) if &**n == "in" => CmpOp::In,
            Tok::Name(n) if &**n == "is" => {
                if matches!(self.peek_at(1), Tok::Name(m) if &**m == "not") {
                    self.pos += 2;
                    return Some(CmpOp::IsNot);
                }
                CmpOp::Is
            }
            Tok::Name(n) if &**n == "not" => {
                if matches!(self.peek_at(1), Tok::Name(m) if &**m == "in") {
                    self.pos += 2;
                    return Some(CmpOp::NotIn);
                }
                return None;
            }
            _ => return None,
        };
        self.pos += 1;
        Some(op)
    }

    fn comparison(&mut self) -> Result<Node> {
        let left = self.bitor()?;
        let mut rest = Vec::new();
        while let Some(op) = self.comp_op() {
            rest.push((op, self.bitor()?));
        }
        if rest.is_empty() {
            Ok(left)
        } else {
            Ok(Node::Compare(Box::new(left), rest))
        }
    }

    fn bitor(&mut self) -> Result<Node> {
        self.binary(1)
    }

    fn binop(&self) -> Option<(BinOp, u8)> {
        let Tok::Op(o) = self.peek() else { return None };
        Some(match *o {
            "|" => (BinOp::BitOr, 1),
            "^" => (BinOp::BitXor, 2),
            "&" => (BinOp::BitAnd, 3),
            "<<" => (BinOp::LShift, 4),
            ">>" => (BinOp::RShift, 4),
            "+" => (BinOp::Add, 5),
            "-" => (BinOp::Sub, 5),
            "*" => (BinOp::Mul, 6),
            "/" => (BinOp::Div, 6),
            "//" => (BinOp::FloorDiv, 6),
            "%" => (BinOp::Mod, 6),
            "@" => (BinOp::MatMul, 6),
            _ => return None,
        })
    }

    /// Left-associative binary operators by precedence climbing.
    fn binary(&mut self, min_prec: u8) -> Result<Node> {
        let mut left = self.unary()?;
        let depth = self.depth;
        while let Some((op, prec)) = self.binop() {
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            self.enter()?;
            let right = self.binary(prec + 1)?;
            left = Node::Binary(op, Box::new(left), Box::new(right));
        }
        self.depth = depth;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node> {
        let op = match self.peek() {
            Tok::Op("-") => UnaryOp::Neg,
            Tok::Op("+") => UnaryOp::Pos,
            Tok::Op("~") => UnaryOp::Invert,
            _ => return self.power(),
        };
        self.pos += 1;
        self.enter()?;
        let operand = self.unary();
        self.leave();
        Ok(Node::Unary(op, Box::new(operand?)))
    }

    fn power(&mut self) -> Result<Node> {
        if self.is_kw("await") {
            return Err(EvalError::syntax("'await' outside function"));
        }
        let base = self.primary()?;
        if self.eat_op("**") {
            self.enter()?;
            let exp = self.unary();
            self.leave();
            return Ok(Node::Binary(BinOp::Pow, Box::new(base), Box::new(exp?)));
        }
        Ok(base)
    }

    pub(crate) fn primary(&mut self) -> Result<Node> {
        let mut node = self.atom()?;
        let depth = self.depth;
        let r = self.trailers(&mut node);
        self.depth = depth;
        r.map(|()| node)
    }

    fn trailers(&mut self, node: &mut Node) -> Result<()> {
        loop {
            if self.is_op(".") || self.is_op("(") || self.is_op("[") {
                self.enter()?;
            }
            if self.eat_op(".") {
                match self.bump() {
                    Tok::Name(n) if !KEYWORDS.contains(&&*n) => {
                        *node = Node::Attr(
                            Box::new(std::mem::replace(node, Node::Const(Const::None))),
                            n,
                        );
                    }
                    _ => return Err(invalid()),
                }
            } else if self.eat_op("(") {
                let args = self.call_args()?;
                *node = Node::Call(
                    Box::new(std::mem::replace(node, Node::Const(Const::None))),
                    args,
                );
            } else if self.eat_op("[") {
                let index = self.subscript()?;
                *node = Node::Subscript(
                    Box::new(std::mem::replace(node, Node::Const(Const::None))),
                    Box::new(index),
                );
            } else {
                return Ok(());
            }
        }
    }

    pub(crate) fn call_args(&mut self) -> Result<Vec<Arg>> {
        let mut args: Vec<Arg> = Vec::new();
        let mut saw_kw = false;
        let mut saw_starstar = false;
        while !self.eat_op(")") {
            let arg = if self.eat_op("**") {
                saw_starstar = true;
                Arg::StarStar(self.expression()?)
            } else if self.eat_op("*") {
                if saw_starstar {
                    return Err(EvalError::syntax(
                        "iterable argument unpacking follows keyword argument unpacking",
                    ));
                }
                Arg::Star(self.expression()?)
            } else if matches!(self.peek(), Tok::Name(_)) && matches!(self.peek_at(1), Tok::Op("="))
            {
                let Tok::Name(name) = self.bump() else {
                    return Err(invalid());
                };
                if KEYWORDS.contains(&&*name) {
                    return Err(invalid());
                }
                self.pos += 1;
                if args
                    .iter()
                    .any(|a| matches!(a, Arg::Kw(n, _) if *n == name))
                {
                    return Err(EvalError::syntax(format!(
                        "keyword argument repeated: {name}"
                    )));
                }
                saw_kw = true;
                Arg::Kw(name, self.expression()?)
            } else {
                let value = self.named_expression()?;
                if self.is_kw("for") || self.is_kw("async") {
                    let comp = self.comprehension(CompKind::Gen, None, value)?;
                    let alone = args.is_empty()
                        && (self.is_op(")")
                            || (self.is_op(",") && matches!(self.peek_at(1), Tok::Op(")"))));
                    if !alone {
                        return Err(EvalError::syntax(
                            "Generator expression must be parenthesized",
                        ));
                    }
                    Arg::Pos(comp)
                } else {
                    if saw_starstar {
                        return Err(EvalError::syntax(
                            "positional argument follows keyword argument unpacking",
                        ));
                    }
                    if saw_kw {
                        return Err(EvalError::syntax(
                            "positional argument follows keyword argument",
                        ));
                    }
                    Arg::Pos(value)
                }
            };
            args.push(arg);
            if !self.eat_op(",") {
                self.expect_op(")")?;
                break;
            }
        }
        Ok(args)
    }

    fn subscript(&mut self) -> Result<Node> {
        let first = self.slice()?;
        if self.eat_op("]") {
            return Ok(first);
        }
        let mut items = vec![Elt::One(first)];
        while self.eat_op(",") {
            if self.is_op("]") {
                break;
            }
            items.push(Elt::One(self.slice()?));
        }
        self.expect_op("]")?;
        Ok(Node::Tuple(items))
    }

    fn slice_part(&mut self) -> Result<Option<Box<Node>>> {
        if self.is_op(":") || self.is_op("]") || self.is_op(",") {
            Ok(None)
        } else {
            Ok(Some(Box::new(self.expression()?)))
        }
    }

    fn slice(&mut self) -> Result<Node> {
        if self.is_op("*") {
            return Ok(Node::Unsupported("starred subscript"));
        }
        let lower = if self.is_op(":") {
            None
        } else {
            Some(Box::new(self.named_expression()?))
        };
        if !self.eat_op(":") {
            return lower.map(|b| *b).ok_or_else(invalid);
        }
        let upper = self.slice_part()?;
        let step = if self.eat_op(":") {
            self.slice_part()?
        } else {
            None
        };
        Ok(Node::Slice(lower, upper, step))
    }

    fn atom(&mut self) -> Result<Node> {
        match self.bump() {
            Tok::Name(n) => match &*n {
                "True" => Ok(Node::Const(Const::Bool(true))),
                "False" => Ok(Node::Const(Const::Bool(false))),
                "None" => Ok(Node::Const(Const::None)),
                "yield" => Err(EvalError::syntax("'yield' outside function")),
                kw if KEYWORDS.contains(&kw) => Err(invalid()),
                _ => Ok(Node::Name(n)),
            },
            Tok::Int(i) => Ok(Node::Const(Const::Int(i))),
            Tok::Float(f) => Ok(Node::Const(Const::Float(f))),
            Tok::BigInt => Ok(Node::Unsupported("integer literal beyond 64 bits")),
            Tok::Imag => Ok(Node::Unsupported("complex number literal")),
            Tok::Str(first) => self.strings(first),
            Tok::Op("(") => self.paren(),
            Tok::Op("[") => self.list(),
            Tok::Op("{") => self.brace(),
            Tok::Op("...") => Ok(Node::Unsupported("`Ellipsis`")),
            Tok::Op("*") => Err(EvalError::syntax("can't use starred expression here")),
            _ => Err(invalid()),
        }
    }

    fn strings(&mut self, first: lexer::StrLit) -> Result<Node> {
        let mut lits = vec![first];
        while let Tok::Str(_) = self.peek() {
            if let Tok::Str(s) = self.bump() {
                lits.push(s);
            }
        }
        let bytes = lits.iter().filter(|l| l.kind == StrKind::Bytes).count();
        if bytes != 0 && bytes != lits.len() {
            return Err(EvalError::syntax("cannot mix bytes and nonbytes literals"));
        }
        if bytes != 0 {
            return Ok(Node::Unsupported("bytes literal"));
        }
        let mut parts: Vec<FPart> = Vec::new();
        let mut unsupported = None;
        let mut any_format = false;
        for lit in lits {
            if let Some(why) = lit.unsupported {
                unsupported = Some(why);
            }
            match lit.kind {
                StrKind::Format { raw } => {
                    any_format = true;
                    let chars: Vec<char> = lit.value.chars().collect();
                    let mut i = 0;
                    let sub = self.fstring(&chars, &mut i, raw, false)?;
                    parts.extend(sub);
                }
                _ => parts.push(FPart::Lit(Arc::from(lit.value))),
            }
        }
        if let Some(why) = unsupported {
            return Ok(Node::Unsupported(why));
        }
        let parts = merge_literals(parts);
        if !any_format {
            let text = match parts.first() {
                Some(FPart::Lit(s)) => s.clone(),
                _ => Arc::from(""),
            };
            return Ok(Node::Const(Const::Str(text)));
        }
        Ok(Node::FString(parts))
    }

    /// Splits an f-string body (or a format spec inside one, when `in_spec`) into parts,
    /// starting at `*i`. In a spec, stops at the closing `}` of the enclosing field.
    fn fstring(
        &mut self,
        s: &[char],
        i: &mut usize,
        raw: bool,
        in_spec: bool,
    ) -> Result<Vec<FPart>> {
        let mut parts = Vec::new();
        let mut lit: Vec<char> = Vec::new();
        let flush = |lit: &mut Vec<char>, parts: &mut Vec<FPart>| -> Result<()> {
            if lit.is_empty() {
                return Ok(());
            }
            let text = if raw {
                lit.iter().collect()
            } else {
                let (t, unsupported) = lexer::decode_escapes(lit, false)?;
                if unsupported.is_some() {
                    return Err(EvalError::needs("escape sequence in an f-string"));
                }
                t
            };
            parts.push(FPart::Lit(Arc::from(text)));
            lit.clear();
            Ok(())
        };
        while let Some(&c) = s.get(*i) {
            match c {
                '{' if !in_spec && s.get(*i + 1) == Some(&'{') => {
                    lit.push('{');
                    *i += 2;
                }
                '}' if !in_spec && s.get(*i + 1) == Some(&'}') => {
                    lit.push('}');
                    *i += 2;
                }
                '}' if in_spec => break,
                '}' => return Err(EvalError::syntax("f-string: single '}' is not allowed")),
                '{' => {
                    flush(&mut lit, &mut parts)?;
                    *i += 1;
                    parts.push(self.fstring_field(s, i, raw, in_spec)?);
                }
                '\\' if !raw => {
                    // A backslash does not escape a brace (`f'\{x}'` formats `x`), except
                    // in a named escape `\N{...}`, whose braces are the escape's own.
                    lit.push(c);
                    *i += 1;
                    match s.get(*i) {
                        Some('{' | '}') | None => {}
                        Some('N') if s.get(*i + 1) == Some(&'{') => {
                            while let Some(&n) = s.get(*i) {
                                lit.push(n);
                                *i += 1;
                                if n == '}' {
                                    break;
                                }
                            }
                        }
                        Some(&n) => {
                            lit.push(n);
                            *i += 1;
                        }
                    }
                }
                _ => {
                    lit.push(c);
                    *i += 1;
                }
            }
        }
        flush(&mut lit, &mut parts)?;
        Ok(parts)
    }

    fn fstring_field(
        &mut self,
        s: &[char],
        i: &mut usize,
        raw: bool,
        in_spec: bool,
    ) -> Result<FPart> {
        let start = *i;
        let mut nest: Vec<char> = Vec::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = s.get(*i) {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                *i += 1;
                continue;
            }
            match c {
                '\\' => {
                    return Err(EvalError::syntax(
                        "f-string expression part cannot include a backslash",
                    ));
                }
                '\'' | '"' => quote = Some(c),
                '(' | '[' | '{' => nest.push(c),
                ')' | ']' => {
                    nest.pop();
                }
                '}' if !nest.is_empty() => {
                    nest.pop();
                }
                '}' | ':' if nest.is_empty() => break,
                '!' if nest.is_empty() && s.get(*i + 1) != Some(&'=') => break,
                '=' if nest.is_empty()
                    && s.get(*i + 1) != Some(&'=')
                    && !matches!(s.get(i.wrapping_sub(1)), Some('=' | '!' | '<' | '>')) =>
                {
                    return Ok(FPart::Lit(Arc::from(""))).and(Err(EvalError::needs(
                        "self-documenting f-string field `{x=}`",
                    )));
                }
                _ => {}
            }
            *i += 1;
        }
        let text: String = s[start..(*i).min(s.len())].iter().collect();
        if quote.is_some() || s.get(*i).is_none() {
            return Err(EvalError::syntax("f-string: expecting '}'"));
        }
        if text.trim().is_empty() {
            return Err(EvalError::syntax("f-string: empty expression not allowed"));
        }
        self.enter()?;
        let expr = parse_at_depth(&format!("({})", text.trim()), self.depth);
        self.leave();
        let expr = expr?;
        let mut conv = None;
        if s.get(*i) == Some(&'!') {
            let c = s.get(*i + 1).copied();
            if !matches!(c, Some('s' | 'r' | 'a')) {
                return Err(EvalError::syntax(
                    "f-string: invalid conversion character: expected 's', 'r', or 'a'",
                ));
            }
            conv = c;
            *i += 2;
        }
        let mut spec = Vec::new();
        if s.get(*i) == Some(&':') {
            if in_spec {
                return Err(EvalError::needs(
                    "nested replacement field in an f-string spec",
                ));
            }
            *i += 1;
            spec = self.fstring(s, i, raw, true)?;
        }
        if s.get(*i) != Some(&'}') {
            return Err(EvalError::syntax("f-string: expecting '}'"));
        }
        *i += 1;
        Ok(FPart::Field { expr, conv, spec })
    }

    fn paren(&mut self) -> Result<Node> {
        if self.eat_op(")") {
            return Ok(Node::Tuple(Vec::new()));
        }
        if self.eat_kw("yield") {
            if self.lambdas == 0 && self.defs == 0 {
                return Err(EvalError::syntax("'yield' outside function"));
            }
            if self.lambdas == 0 {
                self.saw_yield = true;
            }
            self.eat_kw("from");
            if !self.is_op(")") {
                self.star_expressions()?;
            }
            self.expect_op(")")?;
            return Ok(Node::Unsupported("`yield`"));
        }
        let first = self.star_named_expression()?;
        if self.is_kw("for") || self.is_kw("async") {
            let Elt::One(elt) = first else {
                return Err(EvalError::syntax(
                    "iterable unpacking cannot be used in comprehension",
                ));
            };
            let comp = self.comprehension(CompKind::Gen, None, elt)?;
            self.expect_op(")")?;
            return Ok(comp);
        }
        if self.eat_op(")") {
            return match first {
                Elt::One(n) => Ok(n),
                Elt::Star(_) => Err(EvalError::syntax("cannot use starred expression here")),
            };
        }
        let mut elts = vec![first];
        while self.eat_op(",") {
            if self.is_op(")") {
                break;
            }
            elts.push(self.star_named_expression()?);
        }
        self.expect_op(")")?;
        Ok(Node::Tuple(elts))
    }

    fn list(&mut self) -> Result<Node> {
        if self.eat_op("]") {
            return Ok(Node::List(Vec::new()));
        }
        let first = self.star_named_expression()?;
        if self.is_kw("for") || self.is_kw("async") {
            let Elt::One(elt) = first else {
                return Err(EvalError::syntax(
                    "iterable unpacking cannot be used in comprehension",
                ));
            };
            let comp = self.comprehension(CompKind::List, None, elt)?;
            self.expect_op("]")?;
            return Ok(comp);
        }
        let mut elts = vec![first];
        while self.eat_op(",") {
            if self.is_op("]") {
                break;
            }
            elts.push(self.star_named_expression()?);
        }
        self.expect_op("]")?;
        Ok(Node::List(elts))
    }

    fn brace(&mut self) -> Result<Node> {
        if self.eat_op("}") {
            return Ok(Node::Dict(Vec::new()));
        }
        let first_dict = if self.eat_op("**") {
            Some(DictItem::Spread(self.bitor()?))
        } else if self.is_op("*") {
            None
        } else {
            let key = self.expression()?;
            if self.eat_op(":") {
                let value = self.expression()?;
                if self.is_kw("for") || self.is_kw("async") {
                    let comp = self.comprehension(CompKind::Dict, Some(key), value)?;
                    self.expect_op("}")?;
                    return Ok(comp);
                }
                Some(DictItem::Pair(key, value))
            } else {
                // A set: re-read the first element as a set element.
                if self.is_kw("for") || self.is_kw("async") {
                    let comp = self.comprehension(CompKind::Set, None, key)?;
                    self.expect_op("}")?;
                    return Ok(comp);
                }
                let mut elts = vec![Elt::One(key)];
                while self.eat_op(",") {
                    if self.is_op("}") {
                        break;
                    }
                    elts.push(self.star_named_expression()?);
                }
                self.expect_op("}")?;
                return Ok(Node::Set(elts));
            }
        };
        let Some(first) = first_dict else {
            // A set starting with a starred element.
            let mut elts = vec![self.star_named_expression()?];
            while self.eat_op(",") {
                if self.is_op("}") {
                    break;
                }
                elts.push(self.star_named_expression()?);
            }
            self.expect_op("}")?;
            return Ok(Node::Set(elts));
        };
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_op("}") {
                break;
            }
            if self.eat_op("**") {
                items.push(DictItem::Spread(self.bitor()?));
            } else {
                let key = self.expression()?;
                self.expect_op(":")?;
                items.push(DictItem::Pair(key, self.expression()?));
            }
        }
        self.expect_op("}")?;
        Ok(Node::Dict(items))
    }

    fn comprehension(&mut self, kind: CompKind, key: Option<Node>, elt: Node) -> Result<Node> {
        let mut clauses = Vec::new();
        loop {
            if self.is_kw("async") {
                return Err(EvalError::syntax(
                    "asynchronous comprehension outside of an asynchronous function",
                ));
            }
            if !self.eat_kw("for") {
                break;
            }
            let target = self.targets()?;
            if !self.eat_kw("in") {
                return Err(invalid());
            }
            let iter = self.disjunction()?;
            let mut ifs = Vec::new();
            while self.eat_kw("if") {
                ifs.push(self.disjunction()?);
            }
            clauses.push(CompFor { target, iter, ifs });
        }
        Ok(Node::Comp(Arc::new(CompDef {
            kind,
            key,
            elt,
            clauses,
        })))
    }

    /// `star_targets` of a `for` clause.
    pub(crate) fn targets(&mut self) -> Result<Target> {
        let first = self.target()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_kw("in") {
                break;
            }
            items.push(self.target()?);
        }
        Ok(Target::Seq(items))
    }

    pub(crate) fn target(&mut self) -> Result<Target> {
        self.enter()?;
        let r = self.target_inner();
        self.leave();
        r
    }

    fn target_inner(&mut self) -> Result<Target> {
        if self.eat_op("*") {
            return Ok(Target::Star(Box::new(self.target()?)));
        }
        let close = if self.is_op("(") {
            ")"
        } else if self.is_op("[") {
            "]"
        } else {
            ""
        };
        if !close.is_empty() {
            // A parenthesized or bracketed target list, unless it is followed by a trailer
            // (then it is an attribute or subscript target).
            let save = self.pos;
            self.pos += 1;
            let mut items = Vec::new();
            let mut comma = false;
            let ok = loop {
                if self.eat_op(close) {
                    break true;
                }
                match self.target() {
                    Ok(t) => items.push(t),
                    Err(_) => break false,
                }
                if self.eat_op(",") {
                    comma = true;
                } else if self.eat_op(close) {
                    break true;
                } else {
                    break false;
                }
            };
            if ok && !self.is_op(".") && !self.is_op("[") && !self.is_op("(") {
                if close == ")"
                    && !comma
                    && items.len() == 1
                    && let Some(t) = items.pop()
                {
                    return Ok(t);
                }
                return Ok(Target::Seq(items));
            }
            self.pos = save;
        }
        to_target(self.primary()?)
    }
}

/// The assignment target an expression denotes, or CPython's `SyntaxError`.
pub(crate) fn to_target(node: Node) -> Result<Target> {
    match node {
        Node::Name(n) => Ok(Target::Name(n)),
        Node::Attr(obj, attr) => Ok(Target::Attr(obj, attr)),
        Node::Subscript(obj, index) => Ok(Target::Subscript(obj, index)),
        Node::Tuple(elts) | Node::List(elts) => {
            let mut out = Vec::with_capacity(elts.len());
            let mut stars = 0;
            for e in elts {
                out.push(match e {
                    Elt::One(n) => to_target(n)?,
                    Elt::Star(n) => {
                        stars += 1;
                        Target::Star(Box::new(to_target(n)?))
                    }
                });
            }
            if stars > 1 {
                return Err(EvalError::syntax(
                    "multiple starred expressions in assignment",
                ));
            }
            Ok(Target::Seq(out))
        }
        Node::Const(_) => Err(EvalError::syntax("cannot assign to literal")),
        Node::Call(..) => Err(EvalError::syntax("cannot assign to function call")),
        _ => Err(EvalError::syntax("cannot assign to expression")),
    }
}

/// Joins adjacent literal parts.
fn merge_literals(parts: Vec<FPart>) -> Vec<FPart> {
    let mut out: Vec<FPart> = Vec::new();
    for p in parts {
        if let (FPart::Lit(new), Some(FPart::Lit(prev))) = (&p, out.last_mut()) {
            let mut s = prev.to_string();
            s.push_str(new);
            *prev = Arc::from(s);
            continue;
        }
        out.push(p);
    }
    if out.is_empty() {
        out.push(FPart::Lit(Arc::from("")));
    }
    out
}

#[cfg(test)]
mod tests;
