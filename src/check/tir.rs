//! The typed IR the checker produces: every name resolved (to a slot, a const,
//! a let or a built-in), every node typed and spanned. The compiler turns it
//! into bytecode without looking anything up.

use crate::bytecode::program::{HitPolicy, Slo};
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::{Builtin, Op, Value};
use crate::source::Span;

/// A typed expression.
#[derive(Clone, Debug)]
pub struct TExpr {
    /// What it computes.
    pub kind: TKind,
    /// Its type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

impl TExpr {
    /// The expressions this one is made of, in order.
    pub fn children(&self) -> Vec<&TExpr> {
        match &self.kind {
            TKind::Literal(_)
            | TKind::Const(_)
            | TKind::Let(_)
            | TKind::Slot(_)
            | TKind::Now
            | TKind::IsOpen(_) => Vec::new(),
            TKind::List(items) => items.iter().collect(),
            TKind::Not(x)
            | TKind::Neg(x)
            | TKind::ToNumber(x)
            | TKind::Matches(x, _)
            | TKind::IsSet(x)
            | TKind::Call(_, x)
            | TKind::LocalPart(x, ..) => vec![x],
            TKind::And(a, b)
            | TKind::Or(a, b)
            | TKind::Binary(_, a, b)
            | TKind::Default(a, b)
            | TKind::OpenHoursBetween(a, b, _) => vec![a, b],
        }
    }
}

/// The typed expression forms.
#[derive(Clone, Debug)]
pub enum TKind {
    /// A literal.
    Literal(Value),
    /// A `const`, by index into [`Checked::consts`].
    Const(usize),
    /// A `let`, by index into [`Checked::lets`].
    Let(usize),
    /// A record field, by slot.
    Slot(u32),
    /// The evaluation instant.
    Now,
    /// A list literal.
    List(Vec<TExpr>),
    /// `not`
    Not(Box<TExpr>),
    /// unary `-`
    Neg(Box<TExpr>),
    /// An int widened to a number.
    ToNumber(Box<TExpr>),
    /// `and`, short-circuiting.
    And(Box<TExpr>, Box<TExpr>),
    /// `or`, short-circuiting.
    Or(Box<TExpr>, Box<TExpr>),
    /// Arithmetic and comparisons.
    Binary(Op, Box<TExpr>, Box<TExpr>),
    /// `matches`, by the regex source.
    Matches(Box<TExpr>, String),
    /// `is set`
    IsSet(Box<TExpr>),
    /// A built-in with one argument.
    Call(Builtin, Box<TExpr>),
    /// `default(x, y)`: `x` if present, else `y`.
    Default(Box<TExpr>, Box<TExpr>),
    /// `is_open(CALENDAR)`: whether the calendar is open at `now`.
    IsOpen(u32),
    /// `business_hours_between(a, b, CALENDAR)`: open hours between two times.
    OpenHoursBetween(Box<TExpr>, Box<TExpr>, u32),
    /// `local_time(t, CALENDAR).weekday` or `.hour`.
    LocalPart(Box<TExpr>, u32, LocalPart),
}

/// A part of a local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalPart {
    /// `mon` … `sun`.
    Weekday,
    /// 0–23.
    Hour,
}

/// A `const` or `let` with its checked value.
#[derive(Clone, Debug)]
pub struct TBinding {
    /// Its name.
    pub name: String,
    /// Where it is named.
    pub name_span: Span,
    /// Its value.
    pub value: TExpr,
}

/// Who an escalation or notification goes to.
#[derive(Clone, Debug)]
pub enum TTarget {
    /// A team, by index into [`Checked::teams`].
    Team(u32),
    /// A string expression (an e-mail or a channel).
    Person(TExpr),
}

/// A checked action.
#[derive(Clone, Debug)]
pub enum TAction {
    /// `hand off to TEAM [within D]`
    HandOff {
        /// The team's index.
        team: u32,
        /// The SLO.
        within: Option<Slo>,
    },
    /// `assign to EXPR [or hand off to TEAM] [within D]`
    Assign {
        /// The assignee (`string`, or `string?` when there is a fallback).
        to: TExpr,
        /// The SLO.
        within: Option<Slo>,
        /// The team's index that takes the record when the person is
        /// missing (or, with assignment on, away).
        fallback: Option<u32>,
    },
    /// `escalate to TARGET after D`
    Escalate {
        /// Who is told.
        target: TTarget,
        /// When.
        after: Slo,
    },
    /// `reassign to TEAM after D`
    Reassign {
        /// The team's index.
        team: u32,
        /// When.
        after: Slo,
    },
    /// `notify TARGET`
    Notify(TTarget),
    /// `tag EXPR`
    Tag(TExpr),
    /// `set FIELD to EXPR`
    Set {
        /// The dotted path of the field.
        field: String,
        /// The new value.
        value: TExpr,
        /// The field's type.
        ty: Type,
    },
    /// `drop REASON`
    Drop(TExpr),
}

/// A declared team, as far as the compiler and the analysis need it.
#[derive(Clone, Debug)]
pub struct TTeam {
    /// Its name.
    pub name: String,
    /// Where it is named.
    pub name_span: Span,
    /// Whether anyone can be handed a record: it lists members or weights.
    pub staffed: bool,
    /// Whether it is a `queue`, unstaffed by design.
    pub queue: bool,
    /// The team as the program carries it: members, strategy, cap, overflow.
    pub team: crate::bytecode::program::Team,
}

/// A checked rule.
#[derive(Clone, Debug)]
pub struct TRule {
    /// Its name.
    pub name: String,
    /// Where it is named.
    pub name_span: Span,
    /// Its condition, a `bool`.
    pub condition: TExpr,
    /// Its actions.
    pub actions: Vec<TAction>,
}

/// A field value of a test record.
#[derive(Clone, Debug)]
pub enum TField {
    /// A constant value and the field's type.
    Value(TExpr, Type),
    /// A nested record.
    Record(TRecord),
}

/// A record written in a test or fixture.
#[derive(Clone, Debug, Default)]
pub struct TRecord {
    /// Its fields as written.
    pub fields: Vec<(String, TField)>,
}

/// What a test decides.
#[derive(Clone, Debug)]
pub enum TGiven {
    /// A typed record.
    Record(TRecord),
    /// Raw JSON, not type-checked.
    Json(String),
}

/// One `expect` line.
#[derive(Clone, Debug)]
pub enum TExpect {
    /// `expect rule NAME`
    Rule {
        /// The rule.
        name: String,
        /// Where the expectation is.
        span: Span,
    },
    /// `expect error CODE`
    Error {
        /// The record error code.
        code: String,
        /// Where the expectation is.
        span: Span,
    },
    /// `expect ACTION ...`
    Actions {
        /// The expected actions.
        actions: Vec<TAction>,
        /// For each expected action, the instant its `due` (a hand-off or
        /// assignment) or `at` (an escalation or reassignment) must be, if written.
        deadlines: Vec<Option<jiff::Timestamp>>,
        /// Where the expectation is.
        span: Span,
    },
}

/// A checked `test` block.
#[derive(Clone, Debug)]
pub struct TTest {
    /// The test's description.
    pub name: String,
    /// The whole block.
    pub span: Span,
    /// The record it decides.
    pub given: TGiven,
    /// The `now` it runs at.
    pub at: Option<jiff::Timestamp>,
    /// What the decision must contain.
    pub expects: Vec<TExpect>,
}

/// A policy that checked without errors, ready to compile.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The policy's name.
    pub name: String,
    /// Where the policy is named.
    pub name_span: Span,
    /// How rules combine.
    pub hit_policy: HitPolicy,
    /// Every enum and record type in scope.
    pub schema: Schema,
    /// The subject record's index in the schema.
    pub subject: u32,
    /// The field paths the policy reads, by slot.
    pub slots: Vec<Vec<String>>,
    /// Consts in declaration order.
    pub consts: Vec<TBinding>,
    /// Const indices ordered so each comes after the consts it uses.
    pub const_order: Vec<usize>,
    /// Lets in declaration order.
    pub lets: Vec<TBinding>,
    /// Teams in declaration order.
    pub teams: Vec<TTeam>,
    /// Every calendar, in the order of their indices.
    pub calendars: Vec<crate::time::CalendarSpec>,
    /// Rules in file order.
    pub rules: Vec<TRule>,
    /// The `otherwise` actions.
    pub otherwise: Option<Vec<TAction>>,
    /// Where `otherwise` is written.
    pub otherwise_span: Option<Span>,
    /// The `test` blocks.
    pub tests: Vec<TTest>,
}
