//! Parses a block of Python statements (a metadata `def` function, an anonymous function or a
//! `python` task as BitBake compiles them) into [`Stmt`]s.
//!
//! It extends the expression parser of `parser.rs` with CPython's statement grammar and works
//! out each function's local variables, as CPython's compiler does. It must not evaluate
//! anything: valid statements the executor cannot run become [`Stmt::Unsupported`] (or a
//! [`FuncDef::unsupported`] reason), never errors.

use std::sync::Arc;

use crate::ast::{BinOp, FuncDef, Handler, Node, Stmt, Target};
use crate::error::{EvalError, Result};
use crate::lexer::{self, Tok};
use crate::parser::{Parser, invalid, to_target};

/// Parses a whole module (a block of statements at indentation zero).
pub(crate) fn parse_module(src: &str) -> Result<Vec<Stmt>> {
    parse_statements(src, 0)
}

/// Parses the body of a BitBake Python function as a module, as `ast.parse` reads it
/// (BitBake's code parser does): `return` and `yield` are accepted at the top level,
/// since only compiling, not parsing, rejects them there.
pub(crate) fn parse_function_body(src: &str) -> Result<Vec<Stmt>> {
    parse_statements(src, 1)
}

fn parse_statements(src: &str, defs: usize) -> Result<Vec<Stmt>> {
    let (toks, lines) = lexer::tokenize_statements(src)?;
    let mut p = Parser {
        toks,
        lines,
        pos: 0,
        depth: 0,
        lambdas: 0,
        defs,
        saw_yield: false,
        bare_tuple_star: false,
    };
    let mut s = StmtParser {
        p: &mut p,
        loops: 0,
        saw_global: false,
    };
    let mut out = Vec::new();
    while !s.p.at_end() {
        s.statement(&mut out)?;
    }
    Ok(out)
}

/// The augmented assignment operators.
fn aug_op(tok: &Tok) -> Option<BinOp> {
    let Tok::Op(o) = tok else { return None };
    Some(match *o {
        "+=" => BinOp::Add,
        "-=" => BinOp::Sub,
        "*=" => BinOp::Mul,
        "/=" => BinOp::Div,
        "//=" => BinOp::FloorDiv,
        "%=" => BinOp::Mod,
        "**=" => BinOp::Pow,
        "@=" => BinOp::MatMul,
        "&=" => BinOp::BitAnd,
        "|=" => BinOp::BitOr,
        "^=" => BinOp::BitXor,
        "<<=" => BinOp::LShift,
        ">>=" => BinOp::RShift,
        _ => return None,
    })
}

fn syntax(message: &str) -> EvalError {
    EvalError::syntax(message)
}

struct StmtParser<'p> {
    p: &'p mut Parser,
    /// How many loops enclose the current position in the current function.
    loops: usize,
    /// Set when a `global` or `nonlocal` statement is parsed in the current function.
    saw_global: bool,
}

impl StmtParser<'_> {
    fn kw(&self) -> Option<&str> {
        match self.p.peek() {
            Tok::Name(n) => Some(n),
            _ => None,
        }
    }

    /// One statement (a compound one, or a line of simple ones), appended to `out`.
    fn statement(&mut self, out: &mut Vec<Stmt>) -> Result<()> {
        self.p.enter()?;
        let r = self.statement_inner(out);
        self.p.leave();
        r
    }

    fn statement_inner(&mut self, out: &mut Vec<Stmt>) -> Result<()> {
        match self.p.peek() {
            Tok::Indent => return Err(syntax("unexpected indent")),
            Tok::Dedent | Tok::End => return Err(invalid()),
            Tok::Newline => {
                self.p.bump();
                return Ok(());
            }
            Tok::Op("@") => {
                out.push(self.decorated()?);
                return Ok(());
            }
            _ => {}
        }
        let line = self.p.line();
        let stmt = match self.kw() {
            Some("if") => self.if_stmt()?,
            Some("while") => self.while_stmt()?,
            Some("for") => self.for_stmt()?,
            Some("try") => self.try_stmt()?,
            Some("def") => Stmt::Def(self.def_stmt()?),
            Some("class") => self.class_stmt()?,
            Some("with") => self.with_stmt()?,
            Some("async") => {
                self.p.bump();
                let mut inner = Vec::new();
                match self.kw() {
                    Some("def" | "for" | "with") => self.statement(&mut inner)?,
                    _ => return Err(invalid()),
                }
                Stmt::Unsupported("`async` statement")
            }
            _ => {
                out.push(Stmt::Line(self.p.line()));
                return self.simple_stmts(out);
            }
        };
        out.push(Stmt::Line(line));
        out.push(stmt);
        Ok(())
    }

    /// `: NEWLINE INDENT statements DEDENT`, or `: simple statements NEWLINE`.
    fn block(&mut self) -> Result<Vec<Stmt>> {
        self.p.expect_op(":")?;
        let mut body = Vec::new();
        if matches!(self.p.peek(), Tok::Newline) {
            self.p.bump();
            if !matches!(self.p.bump(), Tok::Indent) {
                return Err(syntax("expected an indented block"));
            }
            loop {
                match self.p.peek() {
                    Tok::Dedent => {
                        self.p.bump();
                        break;
                    }
                    Tok::End => break,
                    _ => self.statement(&mut body)?,
                }
            }
        } else {
            self.simple_stmts(&mut body)?;
        }
        Ok(body)
    }

    fn if_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        let mut branches = Vec::new();
        let cond = self.p.named_expression()?;
        branches.push((cond, self.block()?));
        let mut orelse = Vec::new();
        loop {
            if self.p.eat_kw("elif") {
                let cond = self.p.named_expression()?;
                branches.push((cond, self.block()?));
            } else {
                if self.p.eat_kw("else") {
                    orelse = self.block()?;
                }
                break;
            }
        }
        Ok(Stmt::If(branches, orelse))
    }

    fn loop_body(&mut self) -> Result<Vec<Stmt>> {
        self.loops += 1;
        let body = self.block();
        self.loops -= 1;
        body
    }

    fn while_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        let cond = self.p.named_expression()?;
        let body = self.loop_body()?;
        let orelse = if self.p.eat_kw("else") {
            self.block()?
        } else {
            Vec::new()
        };
        Ok(Stmt::While { cond, body, orelse })
    }

    fn for_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        let target = self.p.targets()?;
        if !self.p.eat_kw("in") {
            return Err(invalid());
        }
        let iter = self.p.star_expressions()?;
        let body = self.loop_body()?;
        let orelse = if self.p.eat_kw("else") {
            self.block()?
        } else {
            Vec::new()
        };
        Ok(Stmt::For {
            target,
            iter,
            body,
            orelse,
        })
    }

    fn try_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        let body = self.block()?;
        let mut handlers = Vec::new();
        let mut star = false;
        while self.p.eat_kw("except") {
            if self.p.eat_op("*") {
                star = true;
            }
            let mut kind = None;
            let mut name = None;
            if !self.p.is_op(":") {
                let k = self.p.expression()?;
                if self.p.is_op(",") {
                    // `except A, B:` is Python 2 syntax.
                    return Err(syntax("multiple exception types must be parenthesized"));
                }
                kind = Some(k);
                if self.p.eat_kw("as") {
                    name = Some(self.p.param_name()?);
                }
            }
            let body = self.block()?;
            if handlers.iter().any(|h: &Handler| h.kind.is_none()) {
                return Err(syntax("default 'except:' must be last"));
            }
            handlers.push(Handler { kind, name, body });
        }
        let orelse = if !handlers.is_empty() && self.p.eat_kw("else") {
            self.block()?
        } else {
            Vec::new()
        };
        let finally = if self.p.eat_kw("finally") {
            self.block()?
        } else {
            Vec::new()
        };
        if handlers.is_empty() && finally.is_empty() {
            return Err(syntax("expected 'except' or 'finally' block"));
        }
        if star {
            return Ok(Stmt::Unsupported("`except*`"));
        }
        Ok(Stmt::Try {
            body,
            handlers,
            orelse,
            finally,
        })
    }

    fn def_stmt(&mut self) -> Result<Arc<FuncDef>> {
        self.p.bump();
        let name = self.p.param_name()?;
        self.p.expect_op("(")?;
        let params = self.p.parameters(")")?;
        self.p.expect_op(")")?;
        if self.p.eat_op("->") {
            self.p.expression()?;
        }
        let saved = (self.loops, self.saw_global, self.p.saw_yield);
        self.loops = 0;
        self.saw_global = false;
        self.p.saw_yield = false;
        self.p.defs += 1;
        let body = self.block();
        self.p.defs -= 1;
        let (saw_global, saw_yield) = (self.saw_global, self.p.saw_yield);
        (self.loops, self.saw_global, self.p.saw_yield) = saved;
        let body = body?;
        let mut locals: Vec<Arc<str>> = params.names().cloned().collect();
        for s in &body {
            stmt_locals(s, &mut locals);
        }
        let unsupported = if saw_yield {
            Some("generator function (`yield`)")
        } else if saw_global {
            Some("`global` or `nonlocal` statement")
        } else {
            None
        };
        Ok(Arc::new(FuncDef {
            name,
            params,
            body,
            locals: locals.into(),
            unsupported,
        }))
    }

    fn decorated(&mut self) -> Result<Stmt> {
        while self.p.eat_op("@") {
            self.p.named_expression()?;
            if !matches!(self.p.bump(), Tok::Newline) {
                return Err(invalid());
            }
        }
        match self.kw() {
            Some("def") => {
                let def = self.def_stmt()?;
                let mut def = FuncDef::clone(&def);
                def.unsupported = Some("decorated function");
                Ok(Stmt::Def(Arc::new(def)))
            }
            Some("class") => self.class_stmt(),
            Some("async") => {
                let mut inner = Vec::new();
                self.statement(&mut inner)?;
                Ok(Stmt::Unsupported("`async` statement"))
            }
            _ => Err(invalid()),
        }
    }

    fn class_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        self.p.param_name()?;
        if self.p.eat_op("(") {
            // The bases are parsed as call arguments.
            self.p.call_args()?;
        }
        let saved = (self.loops, self.saw_global);
        self.loops = 0;
        let body = self.block();
        (self.loops, self.saw_global) = saved;
        body?;
        Ok(Stmt::Unsupported("`class` statement"))
    }

    fn with_stmt(&mut self) -> Result<Stmt> {
        self.p.bump();
        loop {
            self.p.expression()?;
            if self.p.eat_kw("as") {
                self.p.target()?;
            }
            if !self.p.eat_op(",") {
                break;
            }
        }
        self.block()?;
        Ok(Stmt::Unsupported("`with` statement"))
    }

    /// Simple statements separated by `;`, up to the end of the logical line.
    fn simple_stmts(&mut self, out: &mut Vec<Stmt>) -> Result<()> {
        loop {
            out.push(self.simple_stmt()?);
            if self.p.eat_op(";") {
                if matches!(self.p.peek(), Tok::Newline) {
                    break;
                }
                continue;
            }
            break;
        }
        match self.p.bump() {
            Tok::Newline => Ok(()),
            _ => Err(invalid()),
        }
    }

    fn simple_stmt(&mut self) -> Result<Stmt> {
        match self.kw() {
            Some("pass") => {
                self.p.bump();
                Ok(Stmt::Pass)
            }
            Some("break") => {
                self.p.bump();
                if self.loops == 0 {
                    return Err(syntax("'break' outside loop"));
                }
                Ok(Stmt::Break)
            }
            Some("continue") => {
                self.p.bump();
                if self.loops == 0 {
                    return Err(syntax("'continue' not properly in loop"));
                }
                Ok(Stmt::Continue)
            }
            Some("return") => {
                self.p.bump();
                if self.p.defs == 0 {
                    return Err(syntax("'return' outside function"));
                }
                if self.p.starts_expression() {
                    Ok(Stmt::Return(Some(self.p.star_expressions()?)))
                } else {
                    Ok(Stmt::Return(None))
                }
            }
            Some("raise") => {
                self.p.bump();
                if !self.p.starts_expression() {
                    return Ok(Stmt::Raise(None, None));
                }
                let exc = self.p.expression()?;
                let cause = if self.p.eat_kw("from") {
                    Some(self.p.expression()?)
                } else {
                    None
                };
                Ok(Stmt::Raise(Some(exc), cause))
            }
            Some("global" | "nonlocal") => {
                self.p.bump();
                loop {
                    self.p.param_name()?;
                    if !self.p.eat_op(",") {
                        break;
                    }
                }
                self.saw_global = true;
                Ok(Stmt::Unsupported("`global` or `nonlocal` statement"))
            }
            Some("del") => {
                self.p.bump();
                let mut targets = Vec::new();
                loop {
                    targets.push(self.p.target()?);
                    if !self.p.eat_op(",") || !self.p.starts_expression() {
                        break;
                    }
                }
                Ok(Stmt::Del(targets))
            }
            Some("assert") => {
                self.p.bump();
                let test = self.p.expression()?;
                let msg = if self.p.eat_op(",") {
                    Some(self.p.expression()?)
                } else {
                    None
                };
                Ok(Stmt::Assert(test, msg))
            }
            Some("import") => {
                self.p.bump();
                let mut names = Vec::new();
                loop {
                    let path = self.dotted_name()?;
                    let alias = if self.p.eat_kw("as") {
                        Some(self.p.param_name()?)
                    } else {
                        None
                    };
                    names.push((path, alias));
                    if !self.p.eat_op(",") {
                        break;
                    }
                }
                Ok(Stmt::Import(names))
            }
            Some("from") => self.import_from(),
            Some("yield") => {
                self.yield_expr()?;
                Ok(Stmt::Expr(Node::Unsupported("`yield`")))
            }
            _ => self.expression_stmt(),
        }
    }

    fn dotted_name(&mut self) -> Result<Arc<str>> {
        let mut path = self.p.param_name()?.to_string();
        while self.p.eat_op(".") {
            path.push('.');
            path.push_str(&self.p.param_name()?);
        }
        Ok(Arc::from(path))
    }

    fn import_from(&mut self) -> Result<Stmt> {
        self.p.bump();
        let mut dots = 0;
        loop {
            if self.p.eat_op(".") {
                dots += 1;
            } else if self.p.eat_op("...") {
                dots += 3;
            } else {
                break;
            }
        }
        let module = if self.p.is_kw("import") {
            if dots == 0 {
                return Err(invalid());
            }
            Arc::from("")
        } else {
            self.dotted_name()?
        };
        if !self.p.eat_kw("import") {
            return Err(invalid());
        }
        if self.p.eat_op("*") {
            if self.p.defs > 0 {
                return Err(syntax("import * only allowed at module level"));
            }
            return Ok(Stmt::Unsupported("`from ... import *`"));
        }
        let paren = self.p.eat_op("(");
        let mut names = Vec::new();
        loop {
            let name = self.p.param_name()?;
            let alias = if self.p.eat_kw("as") {
                Some(self.p.param_name()?)
            } else {
                None
            };
            names.push((name, alias));
            if !self.p.eat_op(",") {
                break;
            }
            if paren && self.p.is_op(")") {
                break;
            }
        }
        if paren {
            self.p.expect_op(")")?;
        }
        if dots > 0 {
            return Ok(Stmt::Unsupported("relative import"));
        }
        Ok(Stmt::ImportFrom(module, names))
    }

    /// `yield [expressions]` or `yield from expression`, after which the function is a
    /// generator.
    fn yield_expr(&mut self) -> Result<Node> {
        self.p.bump();
        if self.p.defs == 0 {
            return Err(syntax("'yield' outside function"));
        }
        self.p.saw_yield = true;
        if self.p.eat_kw("from") {
            self.p.expression()?;
        } else if self.p.starts_expression() {
            self.p.star_expressions()?;
        }
        Ok(Node::Unsupported("`yield`"))
    }

    /// The right-hand side of an assignment: expressions or a `yield`.
    fn rhs(&mut self) -> Result<Node> {
        if self.p.is_kw("yield") {
            return self.yield_expr();
        }
        self.p.star_expressions()
    }

    fn expression_stmt(&mut self) -> Result<Stmt> {
        let first = self.p.star_expressions()?;
        if let Some(op) = aug_op(self.p.peek()) {
            self.p.bump();
            let target = match to_target(first)? {
                t @ (Target::Name(_) | Target::Attr(..) | Target::Subscript(..)) => t,
                _ => {
                    return Err(syntax("illegal expression for augmented assignment"));
                }
            };
            let value = self.rhs()?;
            return Ok(Stmt::AugAssign(target, op, value));
        }
        if self.p.eat_op(":") {
            // An annotated assignment: the annotation is not evaluated inside a function.
            let target = to_target(first)?;
            if matches!(target, Target::Seq(_)) {
                return Err(syntax("only single target (not tuple) can be annotated"));
            }
            self.p.expression()?;
            if self.p.eat_op("=") {
                let value = self.rhs()?;
                return Ok(Stmt::Assign(vec![target], value));
            }
            return Ok(match target {
                Target::Name(_) => Stmt::Pass,
                _ => Stmt::Unsupported("annotation of an attribute or subscript"),
            });
        }
        if !self.p.is_op("=") {
            return Ok(Stmt::Expr(first));
        }
        let mut targets = Vec::new();
        let mut value = first;
        while self.p.eat_op("=") {
            targets.push(to_target(value)?);
            value = self.rhs()?;
        }
        Ok(Stmt::Assign(targets, value))
    }
}

fn push_name(name: &Arc<str>, out: &mut Vec<Arc<str>>) {
    if !out.contains(name) {
        out.push(name.clone());
    }
}

fn target_locals(t: &Target, out: &mut Vec<Arc<str>>) {
    match t {
        Target::Name(n) => push_name(n, out),
        Target::Seq(ts) => ts.iter().for_each(|t| target_locals(t, out)),
        Target::Star(t) => target_locals(t, out),
        Target::Subscript(..) | Target::Attr(..) => {}
    }
}

/// The names a statement binds in its function (not inside nested functions).
fn stmt_locals(s: &Stmt, out: &mut Vec<Arc<str>>) {
    let block = |b: &[Stmt], out: &mut Vec<Arc<str>>| b.iter().for_each(|s| stmt_locals(s, out));
    match s {
        Stmt::Assign(targets, _) => targets.iter().for_each(|t| target_locals(t, out)),
        Stmt::AugAssign(t, ..) => target_locals(t, out),
        Stmt::Del(targets) => targets.iter().for_each(|t| target_locals(t, out)),
        Stmt::If(branches, orelse) => {
            for (_, b) in branches {
                block(b, out);
            }
            block(orelse, out);
        }
        Stmt::For {
            target,
            body,
            orelse,
            ..
        } => {
            target_locals(target, out);
            block(body, out);
            block(orelse, out);
        }
        Stmt::While { body, orelse, .. } => {
            block(body, out);
            block(orelse, out);
        }
        Stmt::Try {
            body,
            handlers,
            orelse,
            finally,
        } => {
            block(body, out);
            for h in handlers {
                if let Some(n) = &h.name {
                    push_name(n, out);
                }
                block(&h.body, out);
            }
            block(orelse, out);
            block(finally, out);
        }
        Stmt::Import(names) => {
            for (path, alias) in names {
                match alias {
                    Some(a) => push_name(a, out),
                    None => {
                        let first = path.split('.').next().unwrap_or(path);
                        push_name(&Arc::from(first), out);
                    }
                }
            }
        }
        Stmt::ImportFrom(_, names) => {
            for (name, alias) in names {
                push_name(alias.as_ref().unwrap_or(name), out);
            }
        }
        Stmt::Def(f) => push_name(&f.name, out),
        Stmt::Expr(_)
        | Stmt::Break
        | Stmt::Continue
        | Stmt::Pass
        | Stmt::Line(_)
        | Stmt::Return(_)
        | Stmt::Raise(..)
        | Stmt::Assert(..)
        | Stmt::Unsupported(_) => {}
    }
}

#[cfg(test)]
mod tests;
