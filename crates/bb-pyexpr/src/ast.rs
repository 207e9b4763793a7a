//! The syntax tree of one Python expression or of a block of statements (a `def` function),
//! as the parsers build it and the evaluator and executor walk it.
//!
//! It owns the node types only: no parsing and no evaluation here. Nodes are immutable and
//! shared through `Arc`, so a compiled expression is cheap to clone and may cross threads.
//! Valid Python that the evaluator does not support still gets a node ([`Node::Unsupported`]),
//! so that the distinction between "not Python" and "needs real Python" is kept.

use std::sync::Arc;

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `None`, `True`, `False`, a number or a string literal.
    Const(Const),
    /// An f-string: its parts are concatenated.
    FString(Vec<FPart>),
    /// A bare name.
    Name(Arc<str>),
    /// `value.attr`.
    Attr(Box<Node>, Arc<str>),
    /// `value[index]`; the index may be a [`Node::Slice`] or a tuple of them.
    Subscript(Box<Node>, Box<Node>),
    /// `lower:upper:step` inside a subscript.
    Slice(Option<Box<Node>>, Option<Box<Node>>, Option<Box<Node>>),
    /// `func(args)`.
    Call(Box<Node>, Vec<Arg>),
    /// A unary operator.
    Unary(UnaryOp, Box<Node>),
    /// A binary arithmetic or bitwise operator.
    Binary(BinOp, Box<Node>, Box<Node>),
    /// `a and b` (`true`) or `a or b` (`false`), returning an operand.
    BoolOp(bool, Box<Node>, Box<Node>),
    /// `not a`.
    Not(Box<Node>),
    /// A chain of comparisons: `a < b <= c`.
    Compare(Box<Node>, Vec<(CmpOp, Node)>),
    /// `body if cond else orelse`.
    IfExp {
        cond: Box<Node>,
        body: Box<Node>,
        orelse: Box<Node>,
    },
    /// `lambda params: body`.
    Lambda(Arc<LambdaDef>),
    /// `[a, *b]`.
    List(Vec<Elt>),
    /// `(a, *b)` or a bare `a, b`.
    Tuple(Vec<Elt>),
    /// `{a, *b}`.
    Set(Vec<Elt>),
    /// `{k: v, **m}`.
    Dict(Vec<DictItem>),
    /// A comprehension or generator expression.
    Comp(Arc<CompDef>),
    /// Valid Python the evaluator does not support; evaluating it yields `NeedsPython`.
    Unsupported(&'static str),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
}

/// One part of an f-string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FPart {
    /// Literal text.
    Lit(Arc<str>),
    /// `{expr!conv:spec}`; the spec is itself a list of parts.
    Field {
        expr: Node,
        conv: Option<char>,
        spec: Vec<FPart>,
    },
}

/// One element of a list, tuple or set display.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Elt {
    One(Node),
    /// `*iterable`.
    Star(Node),
}

/// One entry of a dict display.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DictItem {
    Pair(Node, Node),
    /// `**mapping`.
    Spread(Node),
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Pos(Node),
    /// `*iterable`.
    Star(Node),
    /// `name=value`.
    Kw(Arc<str>, Node),
    /// `**mapping`.
    StarStar(Node),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Neg,
    Pos,
    Invert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    MatMul,
    BitAnd,
    BitOr,
    BitXor,
    LShift,
    RShift,
}

impl BinOp {
    /// The operator as Python spells it, for error messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::FloorDiv => "//",
            Self::Mod => "%",
            Self::Pow => "** or pow()",
            Self::MatMul => "@",
            Self::BitAnd => "&",
            Self::BitOr => "|",
            Self::BitXor => "^",
            Self::LShift => "<<",
            Self::RShift => ">>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Is,
    IsNot,
}

impl CmpOp {
    /// The operator as Python spells it, for error messages.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Is => "is",
            Self::IsNot => "is not",
        }
    }
}

/// A lambda's parameters and body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LambdaDef {
    pub(crate) params: Params,
    pub(crate) body: Node,
}

/// The parameters of a lambda or `def` function.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Params {
    /// Positional-or-keyword parameters (positional-only ones included), in order.
    pub(crate) params: Vec<Param>,
    /// How many leading parameters are positional-only (before `/`).
    pub(crate) posonly: usize,
    /// `*args`.
    pub(crate) varargs: Option<Arc<str>>,
    /// Keyword-only parameters (after `*` or `*args`).
    pub(crate) kwonly: Vec<Param>,
    /// `**kwargs`.
    pub(crate) varkw: Option<Arc<str>>,
}

impl Params {
    /// Every parameter name, in order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Arc<str>> {
        self.params
            .iter()
            .map(|p| &p.name)
            .chain(self.varargs.iter())
            .chain(self.kwonly.iter().map(|p| &p.name))
            .chain(self.varkw.iter())
    }
}

/// A lambda parameter with its optional default expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) name: Arc<str>,
    pub(crate) default: Option<Node>,
}

/// What a comprehension builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompKind {
    List,
    Set,
    Dict,
    Gen,
}

/// A comprehension: `elt` (for a dict, `key` too) under one or more `for` clauses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompDef {
    pub(crate) kind: CompKind,
    /// For a dict comprehension, the key expression.
    pub(crate) key: Option<Node>,
    pub(crate) elt: Node,
    pub(crate) clauses: Vec<CompFor>,
}

/// `for target in iter if cond...`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompFor {
    pub(crate) target: Target,
    pub(crate) iter: Node,
    pub(crate) ifs: Vec<Node>,
}

/// An assignment target (of `=`, `for`, a comprehension's `for`, `del`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Name(Arc<str>),
    /// `a, b` or `(a, b)` or `[a, b]`; at most one element may be starred.
    Seq(Vec<Target>),
    /// `*rest` inside a sequence target.
    Star(Box<Target>),
    /// `obj[index]`; the index may be a [`Node::Slice`].
    Subscript(Box<Node>, Box<Node>),
    /// `obj.attr`: valid Python, not supported.
    Attr(Box<Node>, Arc<str>),
}

/// A statement of a function body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    /// The line (in the parsed source) of the statement that follows: where its writes to
    /// the datastore are recorded.
    Line(u32),
    /// An expression evaluated for its effect.
    Expr(Node),
    /// `a = b = value`: the targets, left to right, and the value.
    Assign(Vec<Target>, Node),
    /// `target op= value`.
    AugAssign(Target, BinOp, Node),
    /// `if`/`elif` branches and the `else` block.
    If(Vec<(Node, Vec<Stmt>)>, Vec<Stmt>),
    For {
        target: Target,
        iter: Node,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    While {
        cond: Node,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    Break,
    Continue,
    Pass,
    Return(Option<Node>),
    /// `raise [exc [from cause]]`.
    Raise(Option<Node>, Option<Node>),
    Try {
        body: Vec<Stmt>,
        handlers: Vec<Handler>,
        orelse: Vec<Stmt>,
        finally: Vec<Stmt>,
    },
    Del(Vec<Target>),
    /// `import a.b [as c], ...`: the dotted module path and the optional alias.
    Import(Vec<(Arc<str>, Option<Arc<str>>)>),
    /// `from module import name [as alias], ...`.
    ImportFrom(Arc<str>, Vec<(Arc<str>, Option<Arc<str>>)>),
    /// A nested `def`.
    Def(Arc<FuncDef>),
    /// `assert test[, message]`.
    Assert(Node, Option<Node>),
    /// Valid Python the executor does not run; executing it yields `NeedsPython`.
    Unsupported(&'static str),
}

/// An `except` clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Handler {
    /// The exception class (or tuple of classes); `None` for a bare `except:`.
    pub(crate) kind: Option<Node>,
    /// The `as` name.
    pub(crate) name: Option<Arc<str>>,
    pub(crate) body: Vec<Stmt>,
}

/// A `def` function.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FuncDef {
    pub(crate) name: Arc<str>,
    pub(crate) params: Params,
    pub(crate) body: Vec<Stmt>,
    /// The names bound in the body (parameters included): its local variables.
    pub(crate) locals: Arc<[Arc<str>]>,
    /// Set when the function cannot run here at all (a generator, a decorator, `global`).
    pub(crate) unsupported: Option<&'static str>,
}
