//! The untyped syntax tree the parser builds. Every node carries its [`Span`].

use crate::source::{Span, Spanned};
pub use crate::syntax::lexer::{DurationLit, DurationUnit};

/// A name as written, with its place.
pub type Name = Spanned<String>;

/// Deepest expression or type the parser builds; deeper input is an error.
pub const MAX_DEPTH: u32 = 200;

/// One top-level declaration of a file.
#[derive(Clone, Debug)]
pub enum Item {
    /// `policy NAME for RECORD [hit policy]`
    Policy(PolicyHeader),
    /// `tests for "FILE.roe"`: the header of a test file.
    TestsFor(Spanned<String>),
    /// `use crm` or `use "file.roe"`
    Use(Use),
    /// `const NAME = EXPR`
    Const(ValueDecl),
    /// `let NAME = EXPR`
    Let(ValueDecl),
    /// `enum NAME VARIANT, ...`
    Enum(EnumDecl),
    /// `record NAME FIELD: TYPE ...`
    Record(RecordDecl),
    /// `team NAME CLAUSE ...`
    Team(TeamDecl),
    /// `calendar NAME CLAUSE ...`
    Calendar(CalendarDecl),
    /// `rule NAME when EXPR then ACTION ...`
    Rule(RuleDecl),
    /// `otherwise ACTION ...`
    Otherwise(OtherwiseDecl),
    /// `fixture NAME = { ... }`
    Fixture(ValueDecl),
    /// `test "NAME" given ... expect ...`
    Test(TestDecl),
    /// A declaration that did not parse; its syntax error is already reported.
    Error(Span),
}

impl Item {
    /// The text the declaration covers; `None` for one that did not parse.
    pub fn span(&self) -> Option<Span> {
        Some(match self {
            Item::Policy(h) => h.span,
            Item::TestsFor(s) => s.span,
            Item::Use(Use::Library(n)) => n.span,
            Item::Use(Use::File(p)) => p.span,
            Item::Const(d) | Item::Let(d) | Item::Fixture(d) => d.span,
            Item::Enum(d) => d.span,
            Item::Record(d) => d.span,
            Item::Team(d) => d.span,
            Item::Calendar(d) => d.span,
            Item::Rule(d) => d.span,
            Item::Otherwise(d) => d.span,
            Item::Test(d) => d.span,
            Item::Error(_) => return None,
        })
    }
}

/// How rules combine into a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// The first rule that holds decides.
    First,
    /// Every rule that holds contributes its actions.
    All,
    /// At most one rule may hold.
    Unique,
}

/// `policy NAME for RECORD [first match | all match | unique match]`
#[derive(Clone, Debug)]
pub struct PolicyHeader {
    /// The policy's name.
    pub name: Name,
    /// The subject record type (`None` when it is missing, already reported).
    pub subject: Option<Name>,
    /// The hit policy, if written.
    pub hit_policy: Option<Spanned<HitPolicy>>,
    /// `working hours CALENDAR`: the calendar of business-time SLOs that name none.
    pub calendar: Option<Name>,
    /// The whole header.
    pub span: Span,
}

/// What a `use` brings in.
#[derive(Clone, Debug)]
pub enum Use {
    /// A shipped library by name (`use crm`).
    Library(Name),
    /// A file relative to the using file (`use "shared.roe"`).
    File(Spanned<String>),
}

/// `const`, `let` and `fixture`: a name bound to an expression.
#[derive(Clone, Debug)]
pub struct ValueDecl {
    /// The declared name.
    pub name: Name,
    /// The bound expression.
    pub value: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `enum NAME VARIANT, ...`
#[derive(Clone, Debug)]
pub struct EnumDecl {
    /// The enum's name.
    pub name: Name,
    /// Its variants in order.
    pub variants: Vec<VariantDecl>,
    /// Whether this is `extend enum`: variants and labels added to an enum
    /// declared elsewhere.
    pub extends: bool,
    /// The whole declaration.
    pub span: Span,
}

/// A variant of an enum, with the labels input may give it instead of its
/// name: `open_not_contacted "Open - Not Contacted"`.
#[derive(Clone, Debug)]
pub struct VariantDecl {
    /// The variant's name.
    pub name: Name,
    /// The labels a CRM writes for it.
    pub labels: Vec<Spanned<String>>,
}

/// `record NAME [key FIELD]` with its fields.
#[derive(Clone, Debug)]
pub struct RecordDecl {
    /// The record type's name.
    pub name: Name,
    /// `key FIELD`: the field whose value is the record's id.
    pub key: Option<Name>,
    /// Its fields in order.
    pub fields: Vec<FieldDecl>,
    /// Whether this is `extend record`: fields added to (or sources and
    /// formats added to fields of) a record declared elsewhere.
    pub extends: bool,
    /// The whole declaration.
    pub span: Span,
}

/// `NAME: TYPE [from "KEY", ...] [format "FORMAT", ...] [timezone "ZONE"]`
/// inside a record.
#[derive(Clone, Debug)]
pub struct FieldDecl {
    /// The field's name.
    pub name: Name,
    /// Its declared type.
    pub ty: TypeExpr,
    /// The input keys and CSV headers it is also read from.
    pub sources: Vec<Spanned<String>>,
    /// The formats (strftime patterns) its time or date values may be written in.
    pub formats: Vec<Spanned<String>>,
    /// The time zone of a time value written with no offset.
    pub timezone: Option<Spanned<String>>,
}

/// A part of a record's body as the grammar reads it: a field, or a clause
/// that belongs to the field before it.
#[derive(Clone, Debug)]
pub enum RecordPart {
    /// `key FIELD`
    Key(Name),
    /// `NAME: TYPE`
    Field(Name, TypeExpr),
    /// `from "KEY", ...`
    From(Vec<Spanned<String>>),
    /// `format "FORMAT", ...`
    Format(Vec<Spanned<String>>),
    /// `timezone "ZONE"`
    Timezone(Spanned<String>),
}

/// A type as written.
#[derive(Clone, Debug)]
pub struct TypeExpr {
    /// The shape of the type.
    pub kind: TypeExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The shapes a written type can take.
#[derive(Clone, Debug)]
pub enum TypeExprKind {
    /// A named type: `int`, `segment`, `account`.
    Named(Name),
    /// `list of T`
    List(Box<TypeExpr>),
    /// `T?`
    Optional(Box<TypeExpr>),
    /// A type nested deeper than [`MAX_DEPTH`] (already reported).
    TooDeep,
}

/// `team NAME` with its clauses.
#[derive(Clone, Debug)]
pub struct TeamDecl {
    /// The team's name.
    pub name: Name,
    /// Its clauses in order.
    pub clauses: Vec<Spanned<TeamClause>>,
    /// The whole declaration.
    pub span: Span,
}

impl TeamDecl {
    /// Whether a clause did not parse, so the team may say more than its
    /// clauses show (its `working hours`, its members).
    pub fn is_incomplete(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| matches!(c.node, TeamClause::Error))
    }
}

/// One clause of a team.
#[derive(Clone, Debug)]
pub enum TeamClause {
    /// `members "a@x", "b@x"`
    Members(Vec<Spanned<String>>),
    /// `assign round robin`
    RoundRobin,
    /// `assign weighted "a@x" 60%, "b@x" 40%`
    Weighted(Vec<(Spanned<String>, Spanned<f64>)>),
    /// `queue`: an unstaffed queue.
    Queue,
    /// `working hours CALENDAR`
    WorkingHours(Name),
    /// `cap N per day` / `cap N per week`: at most N records per member in
    /// each day (week) of the team's calendar.
    Cap {
        /// N.
        limit: Spanned<i64>,
        /// Per week rather than per day.
        week: bool,
    },
    /// `overflow to TEAM`: where a record goes when no member can take it.
    Overflow(Name),
    /// A clause that did not parse (already reported): what it said is unknown.
    Error,
}

/// `calendar NAME` with its clauses.
#[derive(Clone, Debug)]
pub struct CalendarDecl {
    /// The calendar's name.
    pub name: Name,
    /// Its clauses in order.
    pub clauses: Vec<Spanned<CalendarClause>>,
    /// The whole declaration.
    pub span: Span,
}

impl CalendarDecl {
    /// Whether a clause did not parse, so the calendar may say more than its
    /// clauses show (an `open` line, say).
    pub fn is_incomplete(&self) -> bool {
        self.clauses
            .iter()
            .any(|c| matches!(c.node, CalendarClause::Error))
    }
}

/// One clause of a calendar.
#[derive(Clone, Debug)]
pub enum CalendarClause {
    /// `timezone "Europe/Berlin"`
    Timezone(Spanned<String>),
    /// `open mon-fri 09:00-12:00, 13:00-17:30`
    Open {
        /// Day names or ranges (`mon-fri`, `sat`).
        days: Vec<(Name, Option<Name>)>,
        /// Windows as minutes after midnight.
        windows: Vec<(Spanned<u16>, Spanned<u16>)>,
    },
    /// `closed 2026-12-24, 2026-12-27 to 2026-12-31`
    Closed(
        Vec<(
            Spanned<jiff::civil::Date>,
            Option<Spanned<jiff::civil::Date>>,
        )>,
    ),
    /// A clause that did not parse (already reported): what it said is unknown.
    Error,
}

/// `rule NAME when CONDITION then ACTION ...`
#[derive(Clone, Debug)]
pub struct RuleDecl {
    /// The rule's name.
    pub name: Name,
    /// Its condition.
    pub condition: Expr,
    /// Its actions in order.
    pub actions: Vec<Action>,
    /// The whole declaration.
    pub span: Span,
}

/// `otherwise ACTION ...`
#[derive(Clone, Debug)]
pub struct OtherwiseDecl {
    /// Its actions in order.
    pub actions: Vec<Action>,
    /// The whole declaration.
    pub span: Span,
}

impl OtherwiseDecl {
    /// The keyword `otherwise` alone, for labels.
    pub fn keyword_span(&self) -> Span {
        Span {
            end: self.span.start.saturating_add(9).min(self.span.end),
            ..self.span
        }
    }
}

/// A `test` block.
#[derive(Clone, Debug)]
pub struct TestDecl {
    /// The test's description.
    pub name: Spanned<String>,
    /// The record it decides.
    pub given: Given,
    /// The `now` it runs at.
    pub at: Option<Spanned<jiff::Timestamp>>,
    /// What the decision must contain.
    pub expects: Vec<Expect>,
    /// The whole block.
    pub span: Span,
}

/// The record of a test.
#[derive(Clone, Debug)]
pub enum Given {
    /// A record literal.
    Record(Expr),
    /// A fixture, with optional overrides.
    Fixture(Name, Option<Expr>),
    /// Raw JSON that is not type-checked.
    Json(Spanned<String>),
}

/// One `expect` line of a test.
#[derive(Clone, Debug)]
pub enum Expect {
    /// `expect rule NAME`
    Rule(Name),
    /// `expect error CODE`
    Error(Name),
    /// `expect ACTION ...`
    Actions(Vec<Action>),
}

/// One action of a rule or of `otherwise`.
#[derive(Clone, Debug)]
pub struct Action {
    /// What the action does.
    pub kind: ActionKind,
    /// `due INSTANT` or `at INSTANT` after it, which only a test's `expect` may write.
    pub deadline: Option<Deadline>,
    /// The whole action.
    pub span: Span,
}

/// The instant an expected action's SLO or escalation must fall on:
/// `within 4h due 2026-11-30T14:00:00Z`, `after 8h at 2026-11-30T18:00:00Z`.
#[derive(Clone, Debug)]
pub struct Deadline {
    /// The word before the instant, `due` or `at` (another word is reported).
    pub word: Spanned<String>,
    /// The instant.
    pub instant: Spanned<jiff::Timestamp>,
}

/// The actions of §5 of the language reference.
#[derive(Clone, Debug)]
pub enum ActionKind {
    /// `hand off to TEAM`
    HandOff(Name),
    /// `assign to EXPR [or hand off to TEAM]`: the team takes the record
    /// when the person is missing or away.
    Assign(Expr, Option<Name>),
    /// `within DURATION`, the SLO of the hand-off or assignment before it.
    Within(DurationSpec),
    /// `escalate to TARGET after DURATION`
    Escalate(Expr, DurationSpec),
    /// `reassign to TEAM after DURATION`
    Reassign(Name, DurationSpec),
    /// `notify EXPR`: a string or a team.
    Notify(Expr),
    /// `tag EXPR`
    Tag(Expr),
    /// `set FIELD to EXPR`
    Set(Vec<Name>, Expr),
    /// `drop EXPR`: the reason.
    Drop(Expr),
}

/// A duration after `within` or `after`.
#[derive(Clone, Debug)]
pub struct DurationSpec {
    /// Plain or business time.
    pub kind: DurationSpecKind,
    /// `of FIELD`: the time field the SLO counts from, instead of `now`.
    pub anchor: Option<Expr>,
    /// Where it was written (the anchor left out).
    pub span: Span,
}

/// The two kinds of duration an action can carry.
#[derive(Clone, Debug)]
pub enum DurationSpecKind {
    /// Wall-clock time: `4h`.
    Plain(DurationLit),
    /// Business time on a calendar: `4 business hours in emea_hours`.
    Business {
        /// How many units.
        amount: i64,
        /// `true` for days, `false` for hours.
        days: bool,
        /// The unit as written (`hour`, `hours`, `day`, `days`), for printing it back.
        word: String,
        /// The calendar named with `in`, if any.
        calendar: Option<Name>,
    },
}

/// An expression with its span and nesting depth.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it was written (parentheses included).
    pub span: Span,
    /// How deep the tree below this node is (1 for a leaf).
    pub depth: u32,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

/// Binary operators, comparisons included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `contains`
    Contains,
    /// `starts with`
    StartsWith,
    /// `ends with`
    EndsWith,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl BinaryOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::EndsWith => "ends with",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// The shapes of an expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `42`
    Int(i64),
    /// `3.5`
    Decimal(f64),
    /// `"text"`
    Str(String),
    /// `true` or `false`
    Bool(bool),
    /// `4h`
    Duration(DurationLit),
    /// `2026-12-25`
    Date(jiff::civil::Date),
    /// `2026-11-30T09:15:00Z`
    DateTime(jiff::Timestamp),
    /// `09:00`, as minutes after midnight.
    TimeOfDay(u16),
    /// `60%`
    Percent(f64),
    /// `now`
    Now,
    /// A bare name.
    Name(String),
    /// `EXPR.field`
    Field(Box<Expr>, Name),
    /// `f(args)`
    Call(Name, Vec<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{ key: value, ... }`
    Record(Vec<(Name, Expr)>),
    /// A unary operator.
    Unary(UnaryOp, Box<Expr>),
    /// A binary operator or comparison.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `EXPR matches "regex"`
    Matches(Box<Expr>, Spanned<String>),
    /// `EXPR is set` (`negated`: `is not set`)
    IsSet {
        /// The tested expression.
        operand: Box<Expr>,
        /// `true` for `is not set`.
        negated: bool,
    },
    /// An expression that could not be built (already reported).
    Error,
}

impl Expr {
    /// Builds a node, computing its depth from its children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let children = match &kind {
            ExprKind::Field(e, _)
            | ExprKind::Unary(_, e)
            | ExprKind::Matches(e, _)
            | ExprKind::IsSet { operand: e, .. } => e.depth,
            ExprKind::Binary(_, a, b) => a.depth.max(b.depth),
            ExprKind::Call(_, args) | ExprKind::List(args) => {
                args.iter().map(|a| a.depth).max().unwrap_or(0)
            }
            ExprKind::Record(fields) => fields.iter().map(|(_, e)| e.depth).max().unwrap_or(0),
            _ => 0,
        };
        Expr {
            kind,
            span,
            depth: children.saturating_add(1),
        }
    }

    /// Whether this node stands for input nested deeper than [`MAX_DEPTH`].
    pub fn is_too_deep(&self) -> bool {
        self.depth > MAX_DEPTH
    }
}
