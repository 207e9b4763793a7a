//! The syntax tree of one Python expression, as the parser builds it and the evaluator walks it.
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
    pub(crate) body: Node,
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

/// An assignment target of a `for` clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Name(Arc<str>),
    /// `a, b` or `(a, b)` or `[a, b]`; at most one element may be starred.
    Seq(Vec<Target>),
    /// `*rest` inside a sequence target.
    Star(Box<Target>),
    /// An attribute or subscript target: valid Python, not supported.
    Unsupported,
}
