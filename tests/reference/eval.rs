//! The reference semantics: the model evaluated directly on a record, written
//! from docs/language.md and nothing of roe's compiler or VM. Values carry
//! their runtime kind; ints are checked 64-bit integers (overflow, unary minus
//! included, is R0301), numbers are floats that must stay finite, `/` is
//! always a float division and refuses a zero divisor (R0302), instants are
//! nanoseconds that must stay in range (R0303), `hours_since` and
//! `days_since` round down. `and`/`or` stop early; operands are evaluated left
//! to right; a let is evaluated when first read, at most once per record.
//! The hit policies follow §7; the decision is predicted as the rule(s), the
//! action objects of §6, or an error code.

use serde_json::json;

use crate::model::{
    Action, CONSTS, Cmp, Elem, Expr, Func, Hit, OPTIONAL_LET, Op, Policy, Src, TEAMS, Target,
    TextOp, Ty, path_type,
};
use crate::record::{self, Bound, Json};
use crate::time::{self, DAY, HOUR, SECOND};

/// A value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// An int.
    Int(i64),
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// A bool.
    Bool(bool),
    /// An instant, in nanoseconds since 1970.
    Time(i128),
    /// A day, since 1970-01-01.
    Date(i64),
    /// A duration in nanoseconds.
    Dur(i128),
    /// An enum variant.
    Enum(&'static str),
    /// A list.
    List(Vec<Val>),
    /// A nested record that is present.
    Record,
}

/// A runtime failure (§4.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    /// R0301.
    Overflow,
    /// R0302.
    DivisionByZero,
    /// R0303.
    TimeRange,
}

impl Fail {
    /// The error code.
    pub fn code(self) -> &'static str {
        match self {
            Fail::Overflow => "R0301",
            Fail::DivisionByZero => "R0302",
            Fail::TimeRange => "R0303",
        }
    }
}

/// What roe must answer for a record.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    /// A decision.
    Decided {
        /// `rule` (first and unique match) or `rules` (all match).
        decided: Decided,
        /// The action objects, in order.
        actions: Vec<Out>,
    },
    /// An error line.
    Refused {
        /// The `R` code.
        code: &'static str,
        /// The field at fault (R02xx).
        field: Option<String>,
        /// The rule the message starts with (R0301 to R0303).
        rule: Option<String>,
    },
}

/// The rule or rules of a decision.
#[derive(Clone, Debug, PartialEq)]
pub enum Decided {
    /// `"rule"`: a rule, `otherwise`, or `null`.
    Rule(Option<String>),
    /// `"rules"`.
    Rules(Vec<String>),
}

/// One expected action object.
#[derive(Clone, Debug, PartialEq)]
pub struct Out {
    /// The object.
    pub json: serde_json::Value,
    /// Whether its `value` is an instant, compared as an instant: §4.1 says
    /// RFC 3339 in UTC, not how many digits a fraction gets.
    pub instant: bool,
}

/// Who owns a record after an ownership action (§7.2).
#[derive(Clone, Debug, PartialEq)]
enum Owner {
    /// A team.
    Team(usize),
    /// A person or channel.
    Person(String),
    /// Nobody: dropped.
    Nobody,
}

/// The reference evaluator of one policy on one record.
pub struct Eval<'a> {
    policy: &'a Policy,
    record: &'a Bound,
    now: i128,
    lets: Vec<Option<Result<Option<Val>, Fail>>>,
}

impl<'a> Eval<'a> {
    /// An evaluator of `policy` on a bound record at `now`.
    pub fn new(policy: &'a Policy, record: &'a Bound, now: i128) -> Eval<'a> {
        Eval {
            policy,
            record,
            now,
            lets: vec![None; policy.lets.len()],
        }
    }

    /// What `src` holds, if present.
    fn read(&mut self, src: Src) -> Result<Option<Val>, Fail> {
        match src {
            Src::Path(p) => Ok(self.record.get(p).cloned()),
            Src::Let(i) => self.let_value(i),
        }
    }

    /// A let's value, evaluated once.
    fn let_value(&mut self, i: usize) -> Result<Option<Val>, Fail> {
        if let Some(done) = &self.lets[i] {
            return done.clone();
        }
        let policy = self.policy;
        let value = match &policy.lets[i] {
            Expr::Read(r) if i == OPTIONAL_LET => self.read(r.src),
            e => self.eval(e).map(Some),
        };
        self.lets[i] = Some(value.clone());
        value
    }

    /// A value the model proved present.
    fn present(&mut self, src: Src) -> Result<Val, Fail> {
        let value = self.read(src)?;
        Ok(value.unwrap_or_else(|| panic!("the model reads {src:?} where it may be missing")))
    }

    /// A bool.
    fn truth(&mut self, e: &Expr) -> Result<bool, Fail> {
        match self.eval(e)? {
            Val::Bool(b) => Ok(b),
            other => panic!("not a bool: {other:?}"),
        }
    }

    /// A string.
    fn text(&mut self, e: &Expr) -> Result<String, Fail> {
        match self.eval(e)? {
            Val::Str(s) => Ok(s),
            other => panic!("not a string: {other:?}"),
        }
    }

    /// The value of `e`.
    pub fn eval(&mut self, e: &Expr) -> Result<Val, Fail> {
        let policy = self.policy;
        Ok(match e {
            Expr::Int(n) => Val::Int(*n),
            Expr::Num(_, x) => Val::Num(*x),
            Expr::Str(_, s) => Val::Str((*s).to_owned()),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Dur(_, s) => Val::Dur(i128::from(*s) * SECOND),
            Expr::Time(t) => {
                Val::Time(time::instant(t, true).unwrap_or_else(|e| panic!("{t}: {e:?}")))
            }
            Expr::Date(d) => Val::Date(time::date(d).unwrap_or_else(|| panic!("{d}"))),
            Expr::Variant(_, v) => Val::Enum(v),
            Expr::Read(r) => self.present(r.src)?,
            Expr::Const(i) => self.eval(&policy.consts[*i])?,
            Expr::Let(i) => self.present(Src::Let(*i))?,
            Expr::Now => Val::Time(self.now),
            Expr::Neg(x) => match self.eval(x)? {
                Val::Int(n) => Val::Int(n.checked_neg().ok_or(Fail::Overflow)?),
                Val::Num(x) => Val::Num(-x),
                Val::Dur(d) => Val::Dur(-d),
                other => panic!("`-` of {other:?}"),
            },
            Expr::Bin(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                arith(*op, a, b)?
            }
            Expr::Cmp(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                Val::Bool(compare(*op, &a, &b))
            }
            Expr::And(a, b) => Val::Bool(self.truth(a)? && self.truth(b)?),
            Expr::Or(a, b) => Val::Bool(self.truth(a)? || self.truth(b)?),
            Expr::Not(x) => Val::Bool(!self.truth(x)?),
            Expr::In(x, list, negated) => {
                let x = self.eval(x)?;
                let Val::List(items) = self.eval(list)? else {
                    panic!("`in` needs a list")
                };
                Val::Bool(items.iter().any(|i| equal(&x, i)) != *negated)
            }
            Expr::List(items) => {
                let items: Vec<Val> = items
                    .iter()
                    .map(|i| self.eval(i))
                    .collect::<Result<_, _>>()?;
                // The ints of a list of numbers are numbers (§4.9).
                let numbers = policy.ty(e) == Ty::List(Elem::Num);
                Val::List(
                    items
                        .into_iter()
                        .map(|v| if numbers { widened(v) } else { v })
                        .collect(),
                )
            }
            Expr::Text(op, a, b) => {
                let a = self.text(a)?;
                let b = self.text(b)?;
                Val::Bool(match op {
                    TextOp::Contains => a.contains(&b),
                    TextOp::StartsWith => a.starts_with(&b),
                    TextOp::EndsWith => a.ends_with(&b),
                })
            }
            Expr::ListContains(list, x) => {
                let Val::List(items) = self.eval(list)? else {
                    panic!("`contains` needs a list")
                };
                let x = self.eval(x)?;
                Val::Bool(items.iter().any(|i| equal(&x, i)))
            }
            Expr::IsSet(src, negated) => Val::Bool(self.read(*src)?.is_some() != *negated),
            Expr::Default(src, fallback) => {
                let value = match self.read(*src)? {
                    Some(v) => v,
                    None => self.eval(fallback)?,
                };
                // `default(int?, number)` is a number (§4.10).
                if policy.ty(e) == Ty::Num {
                    widened(value)
                } else {
                    value
                }
            }
            Expr::Call(f, x) => {
                let x = self.eval(x)?;
                self.call(*f, x)
            }
        })
    }

    /// A built-in function (§4.10, §9.3).
    fn call(&self, f: Func, x: Val) -> Val {
        let whole = |span: i128, unit: i128| {
            Val::Int(i64::try_from(span.div_euclid(unit)).unwrap_or_else(|_| panic!("{span}")))
        };
        match (f, x) {
            (Func::Lower, Val::Str(s)) => Val::Str(s.to_lowercase()),
            (Func::Upper, Val::Str(s)) => Val::Str(s.to_uppercase()),
            (Func::Len, Val::Str(s)) => Val::Int(s.chars().count() as i64),
            (Func::Domain, Val::Str(s)) => {
                let after = s.rsplit('@').next().unwrap_or_default();
                Val::Str(after.trim().to_lowercase())
            }
            (Func::Weekday, Val::Time(t)) => Val::Str(time::weekday(day_of(t)).to_owned()),
            (Func::Weekday, Val::Date(d)) => Val::Str(time::weekday(d).to_owned()),
            (Func::HoursSince, Val::Time(t)) => whole(self.now - t, HOUR),
            (Func::DaysSince, Val::Time(t)) => whole(self.now - t, DAY),
            (Func::DaysSince, Val::Date(d)) => Val::Int(day_of(self.now) - d),
            (f, x) => panic!("{f:?} of {x:?}"),
        }
    }
}

/// The UTC day of an instant.
fn day_of(t: i128) -> i64 {
    i64::try_from(t.div_euclid(DAY)).unwrap_or_default()
}

/// A number, widened from an int if need be.
fn float(v: &Val) -> Option<f64> {
    match v {
        Val::Int(n) => Some(*n as f64),
        Val::Num(x) => Some(*x),
        _ => None,
    }
}

/// An int widened to a number; any other value as it is.
fn widened(v: Val) -> Val {
    match v {
        Val::Int(n) => Val::Num(n as f64),
        v => v,
    }
}

/// A number result, refused when not finite (§4.6).
fn finite(x: f64) -> Result<Val, Fail> {
    if x.is_finite() {
        Ok(Val::Num(x))
    } else {
        Err(Fail::Overflow)
    }
}

/// An instant result, refused out of range (§4.7).
fn instant(t: i128) -> Result<Val, Fail> {
    if (time::min_instant()..=time::max_instant()).contains(&t) {
        Ok(Val::Time(t))
    } else {
        Err(Fail::TimeRange)
    }
}

/// `+ - * /` (§4.4, §4.6, §4.7).
fn arith(op: Op, a: Val, b: Val) -> Result<Val, Fail> {
    use Val::{Date, Dur, Int, Str, Time};
    if op == Op::Div {
        let (x, y) = (float(&a).expect("a number"), float(&b).expect("a number"));
        return if y == 0.0 {
            Err(Fail::DivisionByZero)
        } else {
            finite(x / y)
        };
    }
    match (op, a, b) {
        (Op::Add, Int(x), Int(y)) => x.checked_add(y).map(Int).ok_or(Fail::Overflow),
        (Op::Sub, Int(x), Int(y)) => x.checked_sub(y).map(Int).ok_or(Fail::Overflow),
        (Op::Mul, Int(x), Int(y)) => x.checked_mul(y).map(Int).ok_or(Fail::Overflow),
        (Op::Add, Str(x), Str(y)) => Ok(Str(x + &y)),
        (Op::Add, Time(t), Dur(d)) | (Op::Add, Dur(d), Time(t)) => instant(t + d),
        (Op::Sub, Time(t), Dur(d)) => instant(t - d),
        (Op::Sub, Time(t), Time(u)) => Ok(Dur(t - u)),
        (Op::Sub, Date(t), Date(u)) => Ok(Dur(i128::from(t - u) * DAY)),
        (Op::Add, Dur(x), Dur(y)) => Ok(Dur(x + y)),
        (Op::Sub, Dur(x), Dur(y)) => Ok(Dur(x - y)),
        (op, a, b) => {
            let (x, y) = (float(&a).expect("a number"), float(&b).expect("a number"));
            finite(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                _ => x * y,
            })
        }
    }
}

/// `=` with an int widened to meet a number.
fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Int(_) | Val::Num(_), Val::Int(_) | Val::Num(_)) => float(a) == float(b),
        _ => a == b,
    }
}

/// A comparison (§4.4).
fn compare(op: Cmp, a: &Val, b: &Val) -> bool {
    use std::cmp::Ordering;
    if matches!(op, Cmp::Eq | Cmp::Ne) {
        return equal(a, b) == (op == Cmp::Eq);
    }
    let order = match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Time(y)) | (Val::Dur(x), Val::Dur(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        _ => float(a).zip(float(b)).and_then(|(x, y)| x.partial_cmp(&y)),
    };
    let order = order.unwrap_or_else(|| panic!("{a:?} and {b:?} are not ordered"));
    match op {
        Cmp::Lt => order == Ordering::Less,
        Cmp::Le => order != Ordering::Greater,
        Cmp::Gt => order == Ordering::Greater,
        _ => order != Ordering::Less,
    }
}

/// Whether `e` reads nothing that changes from record to record: literals,
/// consts and what is made of them only (§4.6).
fn constant(e: &Expr) -> bool {
    match e {
        Expr::Read(_) | Expr::Let(_) | Expr::Now | Expr::IsSet(..) | Expr::Default(..) => false,
        Expr::Call(Func::HoursSince | Func::DaysSince, _) => false,
        Expr::Neg(x) | Expr::Not(x) | Expr::Call(_, x) => constant(x),
        Expr::Bin(_, a, b)
        | Expr::Cmp(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::In(a, b, _)
        | Expr::Text(_, a, b)
        | Expr::ListContains(a, b) => constant(a) && constant(b),
        Expr::List(items) => items.iter().all(constant),
        _ => true,
    }
}

/// Whether every constant part of `e` (its largest ones) evaluates.
fn folds(ev: &mut Eval, e: &Expr) -> bool {
    if constant(e) {
        return ev.eval(e).is_ok();
    }
    match e {
        Expr::Neg(x) | Expr::Not(x) | Expr::Call(_, x) => folds(ev, x),
        Expr::Bin(_, a, b)
        | Expr::Cmp(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::In(a, b, _)
        | Expr::Text(_, a, b)
        | Expr::ListContains(a, b) => folds(ev, a) && folds(ev, b),
        Expr::List(items) => items.iter().all(|i| folds(ev, i)),
        Expr::Default(_, fallback) => folds(ev, fallback),
        _ => true,
    }
}

/// The expressions of an action.
fn action_exprs(a: &Action) -> Option<&Expr> {
    match a {
        Action::HandOff(..)
        | Action::Reassign(..)
        | Action::Notify(Target::Team(_))
        | Action::Escalate(Target::Team(_), _) => None,
        Action::Assign(e, _)
        | Action::Drop(e)
        | Action::Tag(e)
        | Action::Notify(Target::To(e))
        | Action::Escalate(Target::To(e), _)
        | Action::Set { value: e, .. } => Some(e),
    }
}

/// Whether roe must refuse the policy with E2015: a const, or an expression
/// made only of literals and consts anywhere in a let, condition or action,
/// cannot be evaluated (§3.4, §4.6).
pub fn fails_to_fold(policy: &Policy) -> bool {
    let nothing = Bound::new();
    let mut ev = Eval::new(policy, &nothing, 0);
    let consts = (0..CONSTS.len()).all(|i| ev.eval(&Expr::Const(i)).is_ok());
    let lets = policy.lets.iter().all(|e| folds(&mut ev, e));
    let actions = policy
        .rules
        .iter()
        .flat_map(|r| &r.then)
        .chain(policy.otherwise.iter().flatten())
        .filter_map(action_exprs);
    let rules = policy
        .rules
        .iter()
        .map(|r| &r.when)
        .chain(actions)
        .all(|e| folds(&mut ev, e));
    !(consts && lets && rules)
}

/// What roe must decide for `record` at `now` (§7).
pub fn decide(policy: &Policy, record: &Json, now: i128) -> Expected {
    let bound = match record::bind(record) {
        Ok(bound) => bound,
        Err(refusal) => {
            return Expected::Refused {
                code: refusal.code,
                field: Some(refusal.field),
                rule: None,
            };
        }
    };
    let mut ev = Eval::new(policy, &bound, now);
    let failed = |fail: Fail, rule: String| Expected::Refused {
        code: fail.code(),
        field: None,
        rule: Some(rule),
    };
    let mut held = Vec::new();
    for (i, rule) in policy.rules.iter().enumerate() {
        match ev.truth(&rule.when) {
            Err(fail) => return failed(fail, Policy::rule_name(i)),
            Ok(false) => {}
            Ok(true) => {
                held.push(i);
                if policy.hit == Hit::First {
                    break;
                }
            }
        }
    }
    if held.is_empty() {
        let actions = match &policy.otherwise {
            None => Vec::new(),
            Some(actions) => match ev.actions(actions, &mut Vec::new()) {
                Ok(out) => out,
                Err(fail) => return failed(fail, "otherwise".to_owned()),
            },
        };
        let name = policy.otherwise.as_ref().map(|_| "otherwise".to_owned());
        let decided = match policy.hit {
            Hit::All => Decided::Rules(name.into_iter().collect()),
            _ => Decided::Rule(name),
        };
        return Expected::Decided { decided, actions };
    }
    if policy.hit == Hit::Unique && held.len() > 1 {
        return Expected::Refused {
            code: "R0305",
            field: None,
            rule: None,
        };
    }
    let mut actions = Vec::new();
    let mut owners = Vec::new();
    for &i in &held {
        match ev.actions(&policy.rules[i].then, &mut owners) {
            Ok(out) => actions.extend(out),
            Err(fail) => return failed(fail, Policy::rule_name(i)),
        }
    }
    if owners.windows(2).any(|w| w[0] != w[1]) {
        return Expected::Refused {
            code: "R0304",
            field: None,
            rule: None,
        };
    }
    let names = held.iter().map(|&i| Policy::rule_name(i));
    let decided = match policy.hit {
        Hit::All => Decided::Rules(names.collect()),
        _ => Decided::Rule(names.take(1).next()),
    };
    Expected::Decided { decided, actions }
}

impl Eval<'_> {
    /// The objects of a list of actions (§6.1), noting each owner.
    fn actions(&mut self, actions: &[Action], owners: &mut Vec<Owner>) -> Result<Vec<Out>, Fail> {
        let now = self.now;
        let slo = |object: &mut serde_json::Value, slo: &Option<(&str, i64)>| {
            if let Some((written, seconds)) = slo {
                object["within"] = json!(written);
                object["due"] = json!(time::format_instant(now + i128::from(*seconds) * SECOND));
            }
        };
        let mut out = Vec::new();
        for action in actions {
            let (json, instant) = match action {
                Action::HandOff(team, within) => {
                    owners.push(Owner::Team(*team));
                    let mut object = json!({"action": "hand_off", "team": TEAMS[*team]});
                    slo(&mut object, within);
                    (object, false)
                }
                Action::Assign(to, within) => {
                    let to = self.text(to)?;
                    owners.push(Owner::Person(to.clone()));
                    let mut object = json!({"action": "assign", "to": to});
                    slo(&mut object, within);
                    (object, false)
                }
                Action::Drop(reason) => {
                    owners.push(Owner::Nobody);
                    (
                        json!({"action": "drop", "reason": self.text(reason)?}),
                        false,
                    )
                }
                Action::Tag(tag) => (json!({"action": "tag", "tag": self.text(tag)?}), false),
                Action::Notify(target) => {
                    let mut object = json!({"action": "notify"});
                    self.target(&mut object, target)?;
                    (object, false)
                }
                Action::Escalate(target, (after, seconds)) => {
                    let mut object = json!({"action": "escalate"});
                    self.target(&mut object, target)?;
                    object["after"] = json!(after);
                    object["at"] = json!(time::format_instant(now + i128::from(*seconds) * SECOND));
                    (object, false)
                }
                Action::Reassign(team, (after, seconds)) => {
                    let at = time::format_instant(now + i128::from(*seconds) * SECOND);
                    let object = json!({"action": "reassign", "team": TEAMS[*team], "after": after, "at": at});
                    (object, false)
                }
                Action::Set { path, value, .. } => {
                    let value = self.eval(value)?;
                    let ty = path_type(path);
                    (
                        json!({"action": "set", "field": path, "value": written(ty, value)}),
                        ty == Ty::Time,
                    )
                }
            };
            out.push(Out { json, instant });
        }
        Ok(out)
    }
}

impl Eval<'_> {
    /// The `team` or `to` of a notification or escalation (§6.1).
    fn target(&mut self, object: &mut serde_json::Value, target: &Target) -> Result<(), Fail> {
        match target {
            Target::Team(team) => object["team"] = json!(TEAMS[*team]),
            Target::To(e) => object["to"] = json!(self.text(e)?),
        }
        Ok(())
    }
}

/// A `set` value as §4.1 prints it for a field of type `ty`.
fn written(ty: Ty, value: Val) -> serde_json::Value {
    match (ty, value) {
        (Ty::Num, v) => json!(float(&v).expect("a number")),
        (_, Val::Int(n)) => json!(n),
        (_, Val::Str(s)) => json!(s),
        (_, Val::Bool(b)) => json!(b),
        (_, Val::Enum(v)) => json!(v),
        (_, Val::Time(t)) => json!(time::format_instant(t)),
        (_, Val::Date(d)) => json!(time::format_date(d)),
        (ty, v) => panic!("cannot set {v:?} as {ty:?}"),
    }
}
