//! The policy model: a small policy over the `use crm` lead as data (consts,
//! lets, a policy enum, teams, rules, `otherwise`), and its rendering as
//! `.roe` text. The model is what both sides read: roe compiles the text, the
//! reference evaluator (`eval.rs`) interprets the model itself.

use std::fmt::Write as _;

/// A type of the language, as far as the model uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// `int`.
    Int,
    /// `number`.
    Num,
    /// `string`.
    Str,
    /// `bool`.
    Bool,
    /// `time`.
    Time,
    /// `duration`.
    Dur,
    /// `date`.
    Date,
    /// An enum.
    Enum(Enum),
    /// A nested record (`account`).
    Record,
    /// A list of the given element type (consts only).
    List(Elem),
}

/// The element type of a list const.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Elem {
    /// Strings.
    Str,
    /// Ints.
    Int,
    /// Numbers: a list literal with a number among its ints (§4.9).
    Num,
    /// Variants of an enum.
    Enum(Enum),
}

/// The enums in scope: those of `use crm`, and `grade`, which every model
/// policy declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enum {
    /// `segment`.
    Segment,
    /// `lead_status`.
    LeadStatus,
    /// `lead_source`.
    LeadSource,
    /// `account_type`.
    AccountType,
    /// `opportunity_type` (in scope, never read: it only makes names shared).
    OpportunityType,
    /// `grade`, declared by the policy. Two of its variants are names of lead
    /// fields (`owner`, `email`) and two are shared with crm enums (`smb`,
    /// `web`), so only context tells how a bare name is read (§4.5).
    Grade,
}

impl Enum {
    /// Every enum in scope.
    pub const ALL: [Enum; 6] = [
        Enum::Segment,
        Enum::LeadStatus,
        Enum::LeadSource,
        Enum::AccountType,
        Enum::OpportunityType,
        Enum::Grade,
    ];

    /// The enum's variants, in declaration order.
    pub fn variants(self) -> &'static [&'static str] {
        match self {
            Enum::Segment => &["smb", "mid_market", "large", "strategic"],
            Enum::LeadStatus => &[
                "raw",
                "inquiry",
                "mql",
                "accepted",
                "qualifying",
                "qualified",
                "disqualified",
                "recycle",
            ],
            Enum::LeadSource => &[
                "web", "webinar", "event", "partner", "outbound", "referral", "paid", "content",
                "other",
            ],
            Enum::AccountType => &[
                "prospect",
                "customer",
                "former_customer",
                "partner",
                "competitor",
            ],
            Enum::OpportunityType => &["new_business", "expansion", "renewal"],
            Enum::Grade => &["gold", "owner", "email", "smb", "web"],
        }
    }

    /// Whether a bare `name` means this variant with no context (§4.2, 4.):
    /// no const, let or lead field has the name, and no other enum the variant.
    pub fn unique(self, name: &str) -> bool {
        let field = LEAD.iter().any(|f| f.name == name);
        let value = CONSTS.iter().any(|c| c.0 == name) || LETS.iter().any(|l| l.0 == name);
        let holders = Enum::ALL
            .iter()
            .filter(|e| e.variants().contains(&name))
            .count();
        !field && !value && holders == 1 && self.variants().contains(&name)
    }
}

/// A field of a record type of `use crm`.
pub struct FieldDef {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether it may be missing (`T?`).
    pub optional: bool,
}

/// A field of a record type.
const fn field(name: &'static str, ty: Ty, optional: bool) -> FieldDef {
    FieldDef { name, ty, optional }
}

/// `record lead` of stdlib/crm.roe, in declaration order.
pub const LEAD: &[FieldDef] = &[
    field("id", Ty::Str, false),
    field("email", Ty::Str, false),
    field("company", Ty::Str, true),
    field("title", Ty::Str, true),
    field("country", Ty::Str, false),
    field("state", Ty::Str, true),
    field("industry", Ty::Str, true),
    field("employees", Ty::Int, true),
    field("annual_revenue", Ty::Num, true),
    field("segment", Ty::Enum(Enum::Segment), false),
    field("source", Ty::Enum(Enum::LeadSource), false),
    field("status", Ty::Enum(Enum::LeadStatus), false),
    field("score", Ty::Int, false),
    field("created_at", Ty::Time, false),
    field("last_activity_at", Ty::Time, true),
    field("owner", Ty::Str, true),
    field("do_not_route", Ty::Bool, false),
    field("account", Ty::Record, true),
];

/// `record account` of stdlib/crm.roe, in declaration order.
pub const ACCOUNT: &[FieldDef] = &[
    field("id", Ty::Str, false),
    field("name", Ty::Str, false),
    field("domain", Ty::Str, true),
    field("owner", Ty::Str, false),
    field("csm", Ty::Str, true),
    field("type", Ty::Enum(Enum::AccountType), false),
    field("segment", Ty::Enum(Enum::Segment), false),
    field("employees", Ty::Int, true),
    field("annual_revenue", Ty::Num, true),
    field("industry", Ty::Str, true),
    field("country", Ty::Str, true),
    field("region", Ty::Str, true),
    field("is_named", Ty::Bool, false),
    field("open_opportunities", Ty::Int, false),
    field("renewal_date", Ty::Date, true),
];

/// The definition of a dotted path of the lead (`score`, `account.csm`), and
/// of every segment before it.
fn segments(path: &str) -> Vec<&'static FieldDef> {
    let mut fields = LEAD;
    let mut out = Vec::new();
    for name in path.split('.') {
        let Some(def) = fields.iter().find(|f| f.name == name) else {
            panic!("`{path}` is not a lead path");
        };
        out.push(def);
        fields = ACCOUNT;
    }
    out
}

/// The type of a lead path.
pub fn path_type(path: &str) -> Ty {
    segments(path).last().map_or(Ty::Record, |f| f.ty)
}

/// The path a guard must prove for `path` to be present: its longest
/// optional prefix (`account` for `account.owner`, `account.csm` for itself),
/// or `None` when it is never missing (§5, 3.).
pub fn guard_of(path: &'static str) -> Option<&'static str> {
    let defs = segments(path);
    let last = defs.iter().rposition(|f| f.optional)?;
    let end = path
        .match_indices('.')
        .nth(last)
        .map_or(path.len(), |(i, _)| i);
    Some(&path[..end])
}

/// Where an optional value is read from: a path of the lead, or a `let`
/// whose value may be missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Src {
    /// A dotted path of the lead.
    Path(&'static str),
    /// The let of that index in [`LETS`].
    Let(usize),
}

/// How the fix-up of `narrow.rs` makes a read of a value that may be
/// missing well-typed where nothing proves it present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// `SRC is set and (CLAUSE)` around the clause that reads it.
    SetAnd,
    /// `SRC is not set or (CLAUSE)` around the clause that reads it.
    NotSetOr,
    /// `default(SRC, FALLBACK)` in its place.
    Default,
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// A string test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextOp {
    /// `contains`.
    Contains,
    /// `starts with`.
    StartsWith,
    /// `ends with`.
    EndsWith,
}

/// A built-in function of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `lower(s)`.
    Lower,
    /// `upper(s)`.
    Upper,
    /// `len(s)`.
    Len,
    /// `domain(s)`.
    Domain,
    /// `weekday(t)`, of a time or a date.
    Weekday,
    /// `hours_since(t)`.
    HoursSince,
    /// `days_since(t)`, of a time or a date.
    DaysSince,
}

/// An expression of the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// An int literal, never negative (`-5` is [`Expr::Neg`] of `5`).
    Int(i64),
    /// A number literal: its text and value.
    Num(&'static str, f64),
    /// A string literal: its text between the quotes, and its value.
    Str(&'static str, &'static str),
    /// `true` or `false`.
    Bool(bool),
    /// A duration literal: its text and seconds.
    Dur(&'static str, i64),
    /// A date-time literal, as written.
    Time(&'static str),
    /// A date literal, as written.
    Date(&'static str),
    /// A bare enum variant; the model places it only where §4.5 reads it as
    /// this variant.
    Variant(Enum, &'static str),
    /// A read of a path or an optional let. Until the fix-up of `narrow.rs`
    /// it may be missing; after, it is proven present where it stands.
    Read(Read),
    /// A const of [`CONSTS`].
    Const(usize),
    /// A let of [`LETS`] whose value is never missing.
    Let(usize),
    /// `now`.
    Now,
    /// Unary `-`.
    Neg(Box<Expr>),
    /// `+ - * /`.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// A comparison.
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// `and`.
    And(Box<Expr>, Box<Expr>),
    /// `or`.
    Or(Box<Expr>, Box<Expr>),
    /// `not`.
    Not(Box<Expr>),
    /// `x in L` (`false`) or `x not in L` (`true`).
    In(Box<Expr>, Box<Expr>, bool),
    /// A list literal.
    List(Vec<Expr>),
    /// `contains`, `starts with`, `ends with` on strings.
    Text(TextOp, Box<Expr>, Box<Expr>),
    /// `L contains x` on a list.
    ListContains(Box<Expr>, Box<Expr>),
    /// `SRC is set` (`false`) or `SRC is not set` (`true`).
    IsSet(Src, bool),
    /// `default(SRC, FALLBACK)`.
    Default(Src, Box<Expr>),
    /// A built-in function.
    Call(Func, Box<Expr>),
}

/// A read of a path or an optional let.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    /// What is read.
    pub src: Src,
    /// Whether the path is written with the subject's name (`lead.score`).
    pub qualified: bool,
    /// How to make it well-typed where it may be missing.
    pub how: How,
    /// The fallback of [`How::Default`]: a literal of the value's type.
    pub fallback: Box<Expr>,
}

/// The hit policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// `first match`.
    First,
    /// `all match`.
    All,
    /// `unique match`.
    Unique,
}

/// An action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `hand off to TEAM [within D]`, a team of [`TEAMS`].
    HandOff(usize, Option<(&'static str, i64)>),
    /// `assign to EXPR [within D]`.
    Assign(Expr, Option<(&'static str, i64)>),
    /// `drop EXPR`.
    Drop(Expr),
    /// `tag EXPR`.
    Tag(Expr),
    /// `notify TARGET`.
    Notify(Target),
    /// `escalate to TARGET after D`.
    Escalate(Target, (&'static str, i64)),
    /// `reassign to TEAM after D`.
    Reassign(usize, (&'static str, i64)),
    /// `set PATH to EXPR`; `qualified` writes `lead.PATH`.
    Set {
        /// The lead path set.
        path: &'static str,
        /// Whether it is written `lead.PATH`.
        qualified: bool,
        /// The value.
        value: Expr,
    },
}

/// Who `notify` and `escalate to` tell.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A team of [`TEAMS`], by its bare name: after `notify` and `escalate
    /// to` that means the team even where a field has the name (`owner`, §3.1).
    Team(usize),
    /// A person or channel: a string expression.
    To(Expr),
}

/// A rule: its condition and actions; its name is `r` and its index.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The condition.
    pub when: Expr,
    /// The actions, at most one of them deciding ownership.
    pub then: Vec<Action>,
}

/// A whole policy over `lead`.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The hit policy.
    pub hit: Hit,
    /// Whether `first match` is written (it is the default).
    pub hit_written: bool,
    /// The value of each const of [`CONSTS`].
    pub consts: Vec<Expr>,
    /// The value of each let of [`LETS`].
    pub lets: Vec<Expr>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// The `otherwise` actions, if there is an `otherwise`.
    pub otherwise: Option<Vec<Action>>,
    /// How many rules are written before `otherwise`.
    pub otherwise_at: usize,
    /// Whether the declarations come after the rules (names may be used
    /// before they are declared).
    pub declarations_last: bool,
}

/// The consts every policy declares: name and type. A const may use the
/// consts before it.
pub const CONSTS: &[(&str, Ty)] = &[
    ("c_a", Ty::Int),
    ("c_b", Ty::Int),
    ("c_num", Ty::Num),
    ("c_text", Ty::Str),
    ("c_countries", Ty::List(Elem::Str)),
    ("c_scores", Ty::List(Elem::Num)),
    ("c_sources", Ty::List(Elem::Enum(Enum::LeadSource))),
    ("c_grade", Ty::Enum(Enum::Grade)),
    ("c_grades", Ty::List(Elem::Enum(Enum::Grade))),
    ("c_wait", Ty::Dur),
];

/// The lets every policy declares: name and type. `l_opt` reads an optional
/// field, so its value may be missing; a let may use the lets before it.
pub const LETS: &[(&str, Ty)] = &[
    ("l_opt", Ty::Str),
    ("l_big", Ty::Int),
    ("l_name", Ty::Str),
    ("l_hot", Ty::Bool),
    ("l_warm", Ty::Bool),
];

/// The let whose value may be missing.
pub const OPTIONAL_LET: usize = 0;

/// The teams every policy declares. A team may be named like a field
/// (`owner`) or a keyword (`match`).
pub const TEAMS: &[&str] = &["sales", "match", "owner"];

impl Policy {
    /// The static type of an expression (ints widen where numbers meet them).
    pub fn ty(&self, e: &Expr) -> Ty {
        match e {
            Expr::Int(_) => Ty::Int,
            Expr::Num(..) => Ty::Num,
            Expr::Str(..) => Ty::Str,
            Expr::Bool(_)
            | Expr::Cmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(_)
            | Expr::In(..)
            | Expr::Text(..)
            | Expr::ListContains(..)
            | Expr::IsSet(..) => Ty::Bool,
            Expr::Dur(..) => Ty::Dur,
            Expr::Time(_) | Expr::Now => Ty::Time,
            Expr::Date(_) => Ty::Date,
            Expr::Variant(e, _) => Ty::Enum(*e),
            Expr::Read(r) => self.src_type(r.src),
            Expr::Const(i) => self.ty(&self.consts[*i]),
            Expr::Let(i) => self.ty(&self.lets[*i]),
            Expr::Neg(x) => self.ty(x),
            Expr::Bin(op, a, b) => match (op, self.ty(a), self.ty(b)) {
                (Op::Div, _, _) => Ty::Num,
                (_, Ty::Int, Ty::Int) => Ty::Int,
                (_, Ty::Int | Ty::Num, Ty::Int | Ty::Num) => Ty::Num,
                (_, Ty::Str, _) => Ty::Str,
                (Op::Sub, Ty::Time | Ty::Date, Ty::Time | Ty::Date) => Ty::Dur,
                (_, Ty::Time, _) | (_, _, Ty::Time) => Ty::Time,
                _ => Ty::Dur,
            },
            Expr::List(items) => Ty::List(self.elem(items)),
            Expr::Default(src, fallback) => match (self.src_type(*src), self.ty(fallback)) {
                (Ty::Int, Ty::Num) => Ty::Num,
                (ty, _) => ty,
            },
            Expr::Call(f, _) => match f {
                Func::Lower | Func::Upper | Func::Domain | Func::Weekday => Ty::Str,
                Func::Len | Func::HoursSince | Func::DaysSince => Ty::Int,
            },
        }
    }

    /// The element type of a list literal's items.
    fn elem(&self, items: &[Expr]) -> Elem {
        let types: Vec<Ty> = items.iter().map(|i| self.ty(i)).collect();
        match types.first() {
            Some(Ty::Str) => Elem::Str,
            Some(Ty::Enum(e)) => Elem::Enum(*e),
            _ if types.contains(&Ty::Num) => Elem::Num,
            _ => Elem::Int,
        }
    }

    /// The type of the value a source holds when present.
    pub fn src_type(&self, src: Src) -> Ty {
        match src {
            Src::Path(p) => path_type(p),
            Src::Let(i) => self.ty(&self.lets[i]),
        }
    }

    /// The name of rule `i`.
    pub fn rule_name(i: usize) -> String {
        format!("r{i}")
    }

    /// The policy as `.roe` source text.
    pub fn render(&self) -> String {
        let hit = match self.hit {
            Hit::First if !self.hit_written => "",
            Hit::First => "  first match\n",
            Hit::All => "  all match\n",
            Hit::Unique => "  unique match\n",
        };
        let mut declarations = String::from("enum grade gold, owner, email, smb, web\n");
        for team in TEAMS {
            let _ = writeln!(
                declarations,
                "team {team}\n  members \"{team}@acme.example\""
            );
        }
        for (i, value) in self.consts.iter().enumerate() {
            let _ = writeln!(declarations, "const {} = {}", CONSTS[i].0, self.expr(value));
        }
        for (i, value) in self.lets.iter().enumerate() {
            let _ = writeln!(declarations, "let {} = {}", LETS[i].0, self.expr(value));
        }
        let mut rules = String::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if i == self.otherwise_at {
                rules.push_str(&self.otherwise_text());
            }
            let _ = write!(
                rules,
                "rule {}\n  when {}\n  then",
                Policy::rule_name(i),
                self.expr(&rule.when)
            );
            for action in &rule.then {
                let _ = write!(rules, " {}\n      ", self.action(action));
            }
            rules.push('\n');
        }
        if self.otherwise_at >= self.rules.len() {
            rules.push_str(&self.otherwise_text());
        }
        let (first, second) = if self.declarations_last {
            (rules, declarations)
        } else {
            (declarations, rules)
        };
        format!("policy reference for lead\n{hit}\nuse crm\n\n{first}\n{second}")
    }

    /// The `otherwise` block, or nothing.
    fn otherwise_text(&self) -> String {
        let Some(actions) = &self.otherwise else {
            return String::new();
        };
        let mut text = String::from("otherwise\n");
        for action in actions {
            let _ = writeln!(text, "  {}", self.action(action));
        }
        text
    }

    /// One action as written.
    fn action(&self, action: &Action) -> String {
        let within =
            |slo: &Option<(&str, i64)>| slo.map_or(String::new(), |(d, _)| format!(" within {d}"));
        match action {
            Action::HandOff(team, slo) => format!("hand off to {}{}", TEAMS[*team], within(slo)),
            Action::Assign(to, slo) => format!("assign to {}{}", self.expr(to), within(slo)),
            Action::Drop(reason) => format!("drop {}", self.expr(reason)),
            Action::Tag(tag) => format!("tag {}", self.expr(tag)),
            Action::Notify(target) => format!("notify {}", self.target(target)),
            Action::Escalate(target, (after, _)) => {
                format!("escalate to {} after {after}", self.target(target))
            }
            Action::Reassign(team, (after, _)) => {
                format!("reassign to {} after {after}", TEAMS[*team])
            }
            Action::Set {
                path,
                qualified,
                value,
            } => {
                let lead = if *qualified { "lead." } else { "" };
                format!("set {lead}{path} to {}", self.expr(value))
            }
        }
    }

    /// The target of `notify` or `escalate to`: a field read there that is
    /// named like a team is written `lead.FIELD`, or it would mean the team.
    fn target(&self, target: &Target) -> String {
        match target {
            Target::Team(team) => TEAMS[*team].to_owned(),
            Target::To(e) => {
                let text = self.expr(e);
                if TEAMS.contains(&text.as_str()) {
                    format!("lead.{text}")
                } else {
                    text
                }
            }
        }
    }

    /// An expression as written, with the parentheses precedence needs.
    pub fn expr(&self, e: &Expr) -> String {
        self.written(e).0
    }

    /// A source as written.
    fn src(src: Src, qualified: bool) -> String {
        match src {
            Src::Path(p) if qualified => format!("lead.{p}"),
            Src::Path(p) => p.to_owned(),
            Src::Let(i) => LETS[i].0.to_owned(),
        }
    }

    /// `e` as text, with its precedence level (§4.3: 1 `or` ... 8 atoms).
    fn written(&self, e: &Expr) -> (String, u8) {
        let at = |x: &Expr, level: u8| {
            let (text, own) = self.written(x);
            if own < level {
                format!("({text})")
            } else {
                text
            }
        };
        match e {
            Expr::Int(n) => (int_text(*n), 8),
            Expr::Num(text, _) | Expr::Dur(text, _) | Expr::Time(text) | Expr::Date(text) => {
                ((*text).to_owned(), 8)
            }
            Expr::Str(text, _) => (format!("\"{text}\""), 8),
            Expr::Bool(b) => (b.to_string(), 8),
            Expr::Variant(_, name) => ((*name).to_owned(), 8),
            Expr::Read(r) => (Policy::src(r.src, r.qualified), 8),
            Expr::Const(i) => (CONSTS[*i].0.to_owned(), 8),
            Expr::Let(i) => (LETS[*i].0.to_owned(), 8),
            Expr::Now => ("now".to_owned(), 8),
            Expr::Neg(x) => (format!("-{}", at(x, 8)), 7),
            Expr::Bin(op, a, b) => {
                let (sign, level) = match op {
                    Op::Add => ("+", 5),
                    Op::Sub => ("-", 5),
                    Op::Mul => ("*", 6),
                    Op::Div => ("/", 6),
                };
                (
                    format!("{} {sign} {}", at(a, level), at(b, level + 1)),
                    level,
                )
            }
            Expr::Cmp(op, a, b) => {
                let sign = match op {
                    Cmp::Eq => "=",
                    Cmp::Ne => "!=",
                    Cmp::Lt => "<",
                    Cmp::Le => "<=",
                    Cmp::Gt => ">",
                    Cmp::Ge => ">=",
                };
                (format!("{} {sign} {}", at(a, 5), at(b, 5)), 4)
            }
            Expr::And(a, b) => (format!("{} and {}", at(a, 2), at(b, 3)), 2),
            Expr::Or(a, b) => (format!("{} or {}", at(a, 1), at(b, 2)), 1),
            Expr::Not(x) => (format!("not {}", at(x, 4)), 3),
            Expr::In(x, list, negated) => {
                let not = if *negated { "not " } else { "" };
                (format!("{} {not}in {}", at(x, 5), at(list, 5)), 4)
            }
            Expr::List(items) => {
                let items: Vec<String> = items.iter().map(|i| self.expr(i)).collect();
                (format!("[{}]", items.join(", ")), 8)
            }
            Expr::Text(op, a, b) => {
                let word = match op {
                    TextOp::Contains => "contains",
                    TextOp::StartsWith => "starts with",
                    TextOp::EndsWith => "ends with",
                };
                (format!("{} {word} {}", at(a, 5), at(b, 5)), 4)
            }
            Expr::ListContains(list, x) => (format!("{} contains {}", at(list, 5), at(x, 5)), 4),
            Expr::IsSet(src, negated) => {
                let not = if *negated { "not " } else { "" };
                (format!("{} is {not}set", Policy::src(*src, false)), 4)
            }
            Expr::Default(src, fallback) => (
                format!(
                    "default({}, {})",
                    Policy::src(*src, false),
                    self.expr(fallback)
                ),
                8,
            ),
            Expr::Call(f, x) => {
                let name = match f {
                    Func::Lower => "lower",
                    Func::Upper => "upper",
                    Func::Len => "len",
                    Func::Domain => "domain",
                    Func::Weekday => "weekday",
                    Func::HoursSince => "hours_since",
                    Func::DaysSince => "days_since",
                };
                (format!("{name}({})", self.expr(x)), 8)
            }
        }
    }
}

/// An int literal as written: digits, grouped by `_` for some large values.
fn int_text(n: i64) -> String {
    let digits = n.to_string();
    if n < 10_000 || n % 3 != 0 {
        return digits;
    }
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(d);
    }
    out
}
