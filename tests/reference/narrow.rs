//! The narrowing fix-up: makes a generated policy well-typed under §5 by
//! guarding every read of a value that may be missing, as each read asks
//! ([`How`]). Walking a condition, it tracks what each part proves when true
//! and when false, by §5's rules: left to right through `and`, into the right
//! of `or` what the left proves when false, `not` swaps, `or` proves what both
//! sides prove, a proven path proves its prefixes, a proven `account` its
//! required fields. A read nothing proves is either wrapped with its guard at
//! the clause that reads it (`x is set and (...)`, `x is not set or (...)`) or
//! becomes `default(x, fallback)`. Actions see what their condition proves;
//! an action that needs more strengthens the condition with `x is set and`.
//! The fix-up is the model's own narrowing: a policy it passes that roe
//! rejects (E2010) is a disagreement with §5.

use std::collections::BTreeSet;

use crate::model::{Action, Expr, How, OPTIONAL_LET, Policy, Read, Rule, Src, Target, guard_of};

/// Sources proven present.
pub type Proven = BTreeSet<Src>;

/// What a condition proves when it is true, and when it is false.
#[derive(Default)]
struct Facts {
    when_true: Proven,
    when_false: Proven,
}

/// Whether `src` is present once `proven` holds.
pub fn present(proven: &Proven, src: Src) -> bool {
    match src {
        Src::Path(p) => guard_of(p).is_none_or(|g| {
            proven.iter().any(|s| match s {
                Src::Path(q) => *q == g || q.strip_prefix(g).is_some_and(|r| r.starts_with('.')),
                Src::Let(_) => false,
            })
        }),
        Src::Let(i) => i != OPTIONAL_LET || proven.contains(&src),
    }
}

/// What `x is set` must test for a read of `src` to be present.
fn guard(src: Src) -> Src {
    match src {
        Src::Path(p) => Src::Path(guard_of(p).unwrap_or(p)),
        Src::Let(_) => src,
    }
}

/// The guard a `set` of `path` needs: the record the field sits in.
fn set_guard(path: &'static str) -> Option<Src> {
    let (parent, _) = path.rsplit_once('.')?;
    guard_of(parent).map(Src::Path)
}

/// The policy with every read made well-typed.
pub fn policy(mut policy: Policy) -> Policy {
    let none = Proven::new();
    policy.lets = policy
        .lets
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            if i == OPTIONAL_LET {
                e
            } else {
                value(e, &none)
            }
        })
        .collect();
    policy.rules = policy.rules.into_iter().map(rule).collect();
    policy.otherwise = policy
        .otherwise
        .map(|actions| actions.into_iter().map(|a| action(a, &none)).collect());
    policy
}

/// A rule with its condition guarded, strengthened for what its actions need.
fn rule(rule: Rule) -> Rule {
    let (mut when, facts) = condition(rule.when, &Proven::new());
    let mut proven = facts.when_true;
    let mut needed: Vec<Src> = Vec::new();
    for a in &rule.then {
        let (exprs, target) = parts(a);
        let asks = exprs
            .into_iter()
            .flat_map(asked)
            .chain(target.and_then(set_guard));
        for src in asks {
            if !present(&proven, src) && !needed.contains(&src) {
                needed.push(src);
            }
        }
    }
    for src in needed.into_iter().rev() {
        proven.insert(src);
        when = Expr::And(Box::new(Expr::IsSet(src, false)), Box::new(when));
    }
    let then = rule.then.into_iter().map(|a| action(a, &proven)).collect();
    Rule { when, then }
}

/// The guards the reads of `e` ask to be added to their rule's condition.
fn asked(e: &Expr) -> Vec<Src> {
    let mut out = Vec::new();
    walk(e, &mut |x| {
        if let Expr::Read(r) = x
            && r.how == How::SetAnd
        {
            out.push(guard(r.src));
        }
    });
    out
}

/// Calls `f` on `e` and every expression in it.
fn walk(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match e {
        Expr::Read(r) => walk(&r.fallback, f),
        Expr::Neg(x) | Expr::Not(x) | Expr::Call(_, x) | Expr::Default(_, x) => walk(x, f),
        Expr::Bin(_, a, b)
        | Expr::Cmp(_, a, b)
        | Expr::And(a, b)
        | Expr::Or(a, b)
        | Expr::In(a, b, _)
        | Expr::Text(_, a, b)
        | Expr::ListContains(a, b) => {
            walk(a, f);
            walk(b, f);
        }
        Expr::List(items) => items.iter().for_each(|i| walk(i, f)),
        _ => {}
    }
}

/// The expressions of an action, and the path it sets.
fn parts(a: &Action) -> (Vec<&Expr>, Option<&'static str>) {
    match a {
        Action::HandOff(..)
        | Action::Reassign(..)
        | Action::Notify(Target::Team(_))
        | Action::Escalate(Target::Team(_), _) => (Vec::new(), None),
        Action::Assign(e, _)
        | Action::Drop(e)
        | Action::Tag(e)
        | Action::Notify(Target::To(e))
        | Action::Escalate(Target::To(e), _) => (vec![e], None),
        Action::Set { path, value, .. } => (vec![value], Some(path)),
    }
}

/// An action with its values made well-typed where `proven` holds.
fn action(a: Action, proven: &Proven) -> Action {
    match a {
        Action::HandOff(..)
        | Action::Reassign(..)
        | Action::Notify(Target::Team(_))
        | Action::Escalate(Target::Team(_), _) => a,
        Action::Notify(Target::To(e)) => Action::Notify(Target::To(value(e, proven))),
        Action::Escalate(Target::To(e), after) => {
            Action::Escalate(Target::To(value(e, proven)), after)
        }
        Action::Assign(e, slo) => Action::Assign(value(e, proven), slo),
        Action::Drop(e) => Action::Drop(value(e, proven)),
        Action::Tag(e) => Action::Tag(value(e, proven)),
        Action::Set {
            path,
            qualified,
            value: e,
        } => Action::Set {
            path,
            qualified,
            value: value(e, proven),
        },
    }
}

/// Whether `e` is a condition that may carry guards of its own.
fn is_condition(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Cmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(_)
            | Expr::In(..)
            | Expr::Text(..)
            | Expr::ListContains(..)
            | Expr::IsSet(..)
    )
}

/// A value: conditions are guarded clause by clause; any other read that
/// may be missing becomes `default(...)`.
fn value(e: Expr, proven: &Proven) -> Expr {
    rewrite(e, &mut |x| match x {
        Expr::Read(r) if !present(proven, r.src) => Some(Expr::Default(r.src, r.fallback)),
        x if is_condition(&x) => Some(condition(x, proven).0),
        _ => None,
    })
}

/// A condition guarded where `proven` holds, with what it proves.
fn condition(e: Expr, proven: &Proven) -> (Expr, Facts) {
    match e {
        Expr::And(a, b) => {
            let (a, fa) = condition(*a, proven);
            let (b, fb) = condition(*b, &union(proven, &fa.when_true));
            let facts = Facts {
                when_true: union(&fa.when_true, &fb.when_true),
                when_false: fa
                    .when_false
                    .intersection(&fb.when_false)
                    .copied()
                    .collect(),
            };
            (Expr::And(Box::new(a), Box::new(b)), facts)
        }
        Expr::Or(a, b) => {
            let (a, fa) = condition(*a, proven);
            let (b, fb) = condition(*b, &union(proven, &fa.when_false));
            let facts = Facts {
                when_true: fa.when_true.intersection(&fb.when_true).copied().collect(),
                when_false: union(&fa.when_false, &fb.when_false),
            };
            (Expr::Or(Box::new(a), Box::new(b)), facts)
        }
        Expr::Not(x) => {
            let (x, facts) = condition(*x, proven);
            let swapped = Facts {
                when_true: facts.when_false,
                when_false: facts.when_true,
            };
            (Expr::Not(Box::new(x)), swapped)
        }
        Expr::IsSet(src, negated) => {
            let one = Proven::from([src]);
            let facts = if negated {
                Facts {
                    when_true: Proven::new(),
                    when_false: one,
                }
            } else {
                Facts {
                    when_true: one,
                    when_false: Proven::new(),
                }
            };
            (e, facts)
        }
        clause => (guarded(clause, proven), Facts::default()),
    }
}

/// A clause (a condition that is not `and`, `or`, `not` or `is set`) with
/// the guards its reads ask for around it.
fn guarded(clause: Expr, proven: &Proven) -> Expr {
    let mut needed: Vec<(Src, How)> = Vec::new();
    let mut f = |x: Expr| match x {
        Expr::Read(r) if !present(proven, r.src) => match r.how {
            How::Default => Some(Expr::Default(r.src, r.fallback)),
            how => {
                let src = guard(r.src);
                if !needed.iter().any(|(s, _)| *s == src) {
                    needed.push((src, how));
                }
                Some(Expr::Read(r))
            }
        },
        x if is_condition(&x) => Some(condition(x, proven).0),
        _ => None,
    };
    // The clause itself is offered to `f` unless it is a condition, which
    // would only come back here.
    let clause = if is_condition(&clause) {
        map(clause, &mut f)
    } else {
        rewrite(clause, &mut f)
    };
    needed
        .into_iter()
        .rev()
        .fold(clause, |inner, (src, how)| match how {
            How::NotSetOr => Expr::Or(Box::new(Expr::IsSet(src, true)), Box::new(inner)),
            _ => Expr::And(Box::new(Expr::IsSet(src, false)), Box::new(inner)),
        })
}

/// The union of two sets of sources.
fn union(a: &Proven, b: &Proven) -> Proven {
    a.union(b).copied().collect()
}

/// `e` rewritten by `f` where it gives a replacement, else walked into.
fn rewrite(e: Expr, f: &mut impl FnMut(Expr) -> Option<Expr>) -> Expr {
    match f(e.clone()) {
        Some(y) => y,
        None => map(e, f),
    }
}

/// `e`'s children rewritten by `f` where it gives a replacement, and
/// walked into where it does not. `e` itself is not offered to `f`.
fn map(e: Expr, f: &mut impl FnMut(Expr) -> Option<Expr>) -> Expr {
    let mut child = |x: Box<Expr>| Box::new(rewrite(*x, f));
    match e {
        Expr::Neg(x) => Expr::Neg(child(x)),
        Expr::Not(x) => Expr::Not(child(x)),
        Expr::Call(g, x) => Expr::Call(g, child(x)),
        Expr::Bin(op, a, b) => Expr::Bin(op, child(a), child(b)),
        Expr::Cmp(op, a, b) => Expr::Cmp(op, child(a), child(b)),
        Expr::And(a, b) => Expr::And(child(a), child(b)),
        Expr::Or(a, b) => Expr::Or(child(a), child(b)),
        Expr::In(a, b, n) => Expr::In(child(a), child(b), n),
        Expr::Text(op, a, b) => Expr::Text(op, child(a), child(b)),
        Expr::ListContains(a, b) => Expr::ListContains(child(a), child(b)),
        Expr::List(items) => Expr::List(items.into_iter().map(|i| *child(Box::new(i))).collect()),
        other => other,
    }
}

/// A read of `src` (for generators): how it is made well-typed, and the
/// fallback of `default`.
pub fn read(src: Src, qualified: bool, how: How, fallback: Expr) -> Expr {
    Expr::Read(Read {
        src,
        qualified,
        how,
        fallback: Box::new(fallback),
    })
}
