//! Conditions as unions of cubes. Inside the exact fragment (fields compared
//! with constants, enum and bool equality, `in` lists, `is set`, string
//! equality and `starts with`, `default(field, constant)` compared with a
//! constant, `and`/`or`/`not`, lets over those) the union is exactly the set
//! of records the condition holds for. Anything else becomes an atom: a
//! dimension free to be true or false, so results about it say "may".

use std::collections::HashMap;

use super::domain::{Choices, Domain, Text};
use super::space::{Cube, PRESENT, Scalar, Space};
use crate::bytecode::schema::Type;
use crate::bytecode::value::{self, Op, Value};
use crate::check::tir::{Checked, TExpr, TKind};
use crate::compile::fold::ConstValues;

/// A union of cubes larger than this is replaced by an atom.
const MAX_CUBES: usize = 512;
/// The cube operations one policy's translation may spend; past them, what is
/// left becomes atoms (so results say "may" rather than take unbounded time).
const MAX_WORK: usize = 50_000_000;

/// Turns the conditions of one policy into cubes of its [`Space`].
pub struct Translator<'a> {
    checked: &'a Checked,
    /// The space, which grows an atom per condition outside the fragment.
    pub space: Space,
    consts: ConstValues,
    lets: HashMap<usize, Vec<Cube>>,
    /// Cube operations spent so far.
    work: usize,
}

/// A field read, possibly widened from int to number.
struct FieldRead {
    slot: u32,
    widened: bool,
}

impl<'a> Translator<'a> {
    /// A translator for `checked`.
    pub fn new(checked: &'a Checked) -> Translator<'a> {
        // A const that cannot be folded is the compiler's error to report.
        let (consts, _) = ConstValues::fold(checked);
        Translator {
            checked,
            space: Space::new(&checked.schema, checked.subject, &checked.slots),
            consts,
            lets: HashMap::new(),
            work: 0,
        }
    }

    /// Translates every `let` before any rule, each after the lets it reads, so
    /// that a long chain of lets never deepens the recursion.
    pub fn lets_first(&mut self) {
        let lets = &self.checked.lets;
        let mut done = vec![false; lets.len()];
        for root in 0..lets.len() {
            // An explicit stack: (let, whether the lets it reads are done).
            let mut stack = vec![(root, false)];
            while let Some((i, ready)) = stack.pop() {
                if done.get(i).copied().unwrap_or(true) {
                    continue;
                }
                if ready {
                    if let Some(binding) = lets.get(i) {
                        let cubes = self.condition(&binding.value);
                        self.lets.insert(i, cubes);
                    }
                    if let Some(d) = done.get_mut(i) {
                        *d = true;
                    }
                } else {
                    stack.push((i, true));
                    let mut reads = Vec::new();
                    if let Some(binding) = lets.get(i) {
                        lets_read(&binding.value, &mut reads);
                    }
                    // The checker rejects cycles; a let already on the stack is skipped.
                    let pending: Vec<(usize, bool)> = reads
                        .into_iter()
                        .filter(|r| !done.get(*r).copied().unwrap_or(true))
                        .filter(|r| !stack.iter().any(|(s, _)| s == r))
                        .map(|r| (r, false))
                        .collect();
                    stack.extend(pending);
                }
            }
        }
    }

    /// The records a condition holds for, as cubes.
    pub fn condition(&mut self, e: &TExpr) -> Vec<Cube> {
        // Comparisons of constants (`X > 3` with `const X = 5`) are decided here.
        if let Some(Value::Bool(b)) = self.constant(e) {
            return all_or_nothing(b);
        }
        match &e.kind {
            TKind::Literal(Value::Bool(b)) => all_or_nothing(*b),
            TKind::Const(_) => match self.constant(e) {
                Some(Value::Bool(b)) => all_or_nothing(b),
                _ => self.atom(e),
            },
            TKind::Let(i) => {
                if let Some(cached) = self.lets.get(i) {
                    return cached.clone();
                }
                let cubes = match self.checked.lets.get(*i) {
                    Some(binding) => self.condition(&binding.value),
                    None => self.atom(e),
                };
                self.lets.insert(*i, cubes.clone());
                cubes
            }
            TKind::Not(x) => {
                let inner = self.condition(x);
                self.negate(&inner).unwrap_or_else(|| self.atom(e))
            }
            TKind::And(a, b) => {
                let (a, b) = (self.condition(a), self.condition(b));
                self.and(&a, &b).unwrap_or_else(|| self.atom(e))
            }
            TKind::Or(a, b) => {
                let mut cubes = self.condition(a);
                cubes.extend(self.condition(b));
                if cubes.len() > MAX_CUBES {
                    self.atom(e)
                } else {
                    self.simplify(cubes)
                }
            }
            TKind::Slot(s) if self.slot_type(*s) == Some(Type::Bool) => {
                self.field_in(*s, Domain::Choices(Choices::of(2, [1])))
            }
            TKind::IsSet(x) => match &x.kind {
                TKind::Slot(s) => self.present(*s),
                _ => self.atom(e),
            },
            TKind::Binary(op, a, b) => self.comparison(*op, a, b).unwrap_or_else(|| self.atom(e)),
            _ => self.atom(e),
        }
    }

    /// The records of a condition outside the fragment: its atom is true.
    /// Atoms are the same question when their typed trees are the same.
    fn atom(&mut self, e: &TExpr) -> Vec<Cube> {
        let mut key = String::new();
        shape(e, &mut key);
        let dim = self.space.atom(key, e.span);
        vec![Cube::with(dim, Domain::Choices(Choices::of(2, [1])))]
    }

    /// The value of `e` if it is constant and can be folded.
    fn constant(&self, e: &TExpr) -> Option<Value> {
        self.consts.constant(e)?.ok()
    }

    fn slot_type(&self, slot: u32) -> Option<Type> {
        self.space.slots.get(slot as usize).map(|s| s.ty.clone())
    }

    /// Records where `slot` is present (every optional record around it too).
    fn present(&self, slot: u32) -> Vec<Cube> {
        let Some(dims) = self.space.slots.get(slot as usize) else {
            return Vec::new();
        };
        let cube = dims.presence.iter().fold(Cube::everything(), |c, &d| {
            c.set(d, Domain::Choices(Choices::of(2, [PRESENT])))
        });
        vec![cube]
    }

    /// Records where `slot` is present with a value in `domain`.
    fn field_in(&self, slot: u32, domain: Domain) -> Vec<Cube> {
        let Some(dims) = self.space.slots.get(slot as usize) else {
            return Vec::new();
        };
        let value = dims.value;
        self.present(slot)
            .into_iter()
            .map(|c| c.set(value, domain.clone()))
            .filter(|c| !self.space.is_empty(c))
            .collect()
    }

    /// `a OP b` with a field on one side and a constant on the other.
    fn comparison(&mut self, op: Op, a: &TExpr, b: &TExpr) -> Option<Vec<Cube>> {
        if let Some(constant) = self.constant(b) {
            if let Some(field) = field_read(a) {
                return self.compare(field, op, &constant);
            }
            if let TKind::Default(x, fallback) = &a.kind
                && let Some(field) = field_read(x)
                && let Some(fallback) = self.constant(fallback)
            {
                return self.compare_default(field, op, &constant, &fallback);
            }
        }
        let flipped = match op {
            Op::Eq | Op::Ne => op,
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            // `LIST contains field` is `field in LIST`.
            Op::Contains => Op::In,
            _ => return None,
        };
        let constant = self.constant(a)?;
        if matches!(constant, Value::List(_)) != (flipped == Op::In) {
            return None;
        }
        self.compare(field_read(b)?, flipped, &constant)
    }

    /// `default(field, fallback) OP constant`: the fallback decides when the field is missing.
    fn compare_default(
        &mut self,
        field: FieldRead,
        op: Op,
        constant: &Value,
        fallback: &Value,
    ) -> Option<Vec<Cube>> {
        let slot = field.slot;
        let mut cubes = self.compare(field, op, constant)?;
        if let Ok(Value::Bool(true)) = value::binary(op, fallback, constant) {
            let present = self.present(slot);
            cubes.extend(self.negate(&present)?);
        }
        Some(self.simplify(cubes))
    }

    /// `field OP constant` as the records it holds for.
    fn compare(&mut self, field: FieldRead, op: Op, constant: &Value) -> Option<Vec<Cube>> {
        let ty = self.slot_type(field.slot)?;
        let domain = match (&ty, op, constant) {
            (Type::Bool, Op::Eq | Op::Ne, Value::Bool(b)) => {
                Domain::Choices(Choices::of(2, [u32::from(*b == (op == Op::Eq))]))
            }
            (Type::Enum(_), _, _) => {
                let full = self
                    .space
                    .full(self.space.slots.get(field.slot as usize)?.value);
                let Domain::Choices(all) = &full else {
                    return None;
                };
                let variants = all.count();
                let chosen = Domain::Choices(Choices::of(variants, enum_items(constant)?));
                match op {
                    Op::Eq | Op::In => chosen,
                    Op::Ne | Op::NotIn => full
                        .minus(&chosen, &full)
                        .pop()
                        .unwrap_or(Domain::Choices(Choices::none(variants))),
                    _ => return None,
                }
            }
            (Type::String, _, _) => {
                let set = match op {
                    Op::Eq | Op::Ne | Op::In | Op::NotIn => Text::Only(text_items(constant)?),
                    Op::StartsWith => match constant {
                        Value::Str(p) => Text::starting_with(p),
                        _ => return None,
                    },
                    _ => return None,
                };
                let domain = Domain::Text(set);
                if matches!(op, Op::Ne | Op::NotIn) {
                    let full = Domain::Text(Text::all());
                    full.minus(&domain, &full).pop()?
                } else {
                    domain
                }
            }
            (other, _, _) => {
                let scalar = Scalar::of(other)?;
                scalar_domain(scalar, field.widened, op, constant)?
            }
        };
        Some(self.field_in(field.slot, domain))
    }

    /// Both conditions, or `None` when the result grows too large or the
    /// policy's translation has used up its work.
    pub fn and(&mut self, a: &[Cube], b: &[Cube]) -> Option<Vec<Cube>> {
        let products = a.len().saturating_mul(b.len());
        if products > MAX_CUBES * 8 {
            return None;
        }
        // The products, and the containment checks of `simplify` on them.
        self.work = self
            .work
            .saturating_add(products.saturating_mul(products.min(MAX_CUBES)));
        if self.work > MAX_WORK {
            return None;
        }
        let out = self.simplify(self.space.both(a, b));
        (out.len() <= MAX_CUBES).then_some(out)
    }

    /// Every record the cubes leave out, or `None` when it grows too large.
    pub fn negate(&mut self, cubes: &[Cube]) -> Option<Vec<Cube>> {
        let mut out = vec![Cube::everything()];
        for c in cubes {
            let outside = self.space.minus(&Cube::everything(), c);
            out = self.and(&out, &outside)?;
        }
        Some(out)
    }

    /// Drops cubes that another cube contains.
    fn simplify(&self, cubes: Vec<Cube>) -> Vec<Cube> {
        let mut kept: Vec<Cube> = Vec::with_capacity(cubes.len());
        for c in cubes {
            if self.space.is_empty(&c) || kept.iter().any(|k| k.contains(&c)) {
                continue;
            }
            kept.retain(|k| !c.contains(k));
            kept.push(c);
        }
        kept
    }
}

/// A typed expression's tree without its spans: equal for two conditions that
/// compute the same thing, however they are spaced.
fn shape(e: &TExpr, out: &mut String) {
    use std::fmt::Write;
    let node = |name: &str, parts: &[&TExpr], out: &mut String| {
        out.push_str(name);
        out.push('(');
        for p in parts {
            shape(p, out);
            out.push(',');
        }
        out.push(')');
    };
    match &e.kind {
        TKind::Literal(v) => {
            let _ = write!(out, "{v:?}");
        }
        TKind::Const(i) => {
            let _ = write!(out, "const{i}");
        }
        TKind::Let(i) => {
            let _ = write!(out, "let{i}");
        }
        TKind::Slot(i) => {
            let _ = write!(out, "slot{i}");
        }
        TKind::Now => out.push_str("now"),
        TKind::List(items) => node("list", &items.iter().collect::<Vec<_>>(), out),
        TKind::Not(x) => node("not", &[x], out),
        TKind::Neg(x) => node("neg", &[x], out),
        TKind::ToNumber(x) => node("number", &[x], out),
        TKind::And(a, b) => node("and", &[a, b], out),
        TKind::Or(a, b) => node("or", &[a, b], out),
        TKind::Binary(op, a, b) => node(&format!("{op:?}"), &[a, b], out),
        TKind::Matches(x, pattern) => node(&format!("matches{pattern:?}"), &[x], out),
        TKind::IsSet(x) => node("set", &[x], out),
        TKind::Call(b, x) => node(&format!("{b:?}"), &[x], out),
        TKind::Default(a, b) => node("default", &[a, b], out),
        TKind::IsOpen(c) => {
            let _ = write!(out, "open{c}");
        }
        TKind::OpenHoursBetween(a, b, c) => node(&format!("hours{c}"), &[a, b], out),
        TKind::LocalPart(x, c, part) => node(&format!("local{c}{part:?}"), &[x], out),
    }
}

/// The lets an expression reads directly.
fn lets_read(e: &TExpr, out: &mut Vec<usize>) {
    if let TKind::Let(i) = e.kind {
        out.push(i);
    }
    for child in e.children() {
        lets_read(child, out);
    }
}

fn all_or_nothing(b: bool) -> Vec<Cube> {
    if b {
        vec![Cube::everything()]
    } else {
        Vec::new()
    }
}

/// A field read directly, or widened from int to number.
fn field_read(e: &TExpr) -> Option<FieldRead> {
    match &e.kind {
        TKind::Slot(slot) => Some(FieldRead {
            slot: *slot,
            widened: false,
        }),
        TKind::ToNumber(x) => match x.kind {
            TKind::Slot(slot) => Some(FieldRead {
                slot,
                widened: true,
            }),
            _ => None,
        },
        _ => None,
    }
}

fn enum_items(v: &Value) -> Option<Vec<u32>> {
    match v {
        Value::Enum(i) => Some(vec![*i]),
        Value::List(items) => items
            .iter()
            .map(|i| match i {
                Value::Enum(i) => Some(*i),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn text_items(v: &Value) -> Option<std::collections::BTreeSet<String>> {
    match v {
        Value::Str(s) => Some([s.to_string()].into()),
        Value::List(items) => items
            .iter()
            .map(|i| match i {
                Value::Str(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The keys of an ordered field for which `field OP constant` holds, found
/// with the VM's own comparison (so int-to-number widening rounds as it does).
fn scalar_domain(scalar: Scalar, widened: bool, op: Op, constant: &Value) -> Option<Domain> {
    let (lo, hi) = scalar.bounds();
    let read = |key: i128| -> Option<Value> {
        let v = scalar.value(key)?;
        if widened {
            value::to_number(&v).ok()
        } else {
            Some(v)
        }
    };
    let holds = |key: i128, op: Op| -> Option<bool> {
        match value::binary(op, &read(key)?, constant) {
            Ok(Value::Bool(b)) => Some(b),
            _ => None,
        }
    };
    // The first key from which `field OP constant` holds, for a monotone OP.
    let first = |op: Op| -> Option<i128> {
        if !holds(hi, op)? {
            return Some(hi + 1);
        }
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let mid = a + (b - a) / 2;
            if holds(mid, op)? {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        Some(a)
    };
    let ranges =
        |lo: i128, hi: i128| Domain::Ranges(if lo <= hi { vec![(lo, hi)] } else { vec![] });
    Some(match op {
        Op::Ge => ranges(first(Op::Ge)?, hi),
        Op::Gt => ranges(first(Op::Gt)?, hi),
        Op::Lt => ranges(lo, first(Op::Ge)? - 1),
        Op::Le => ranges(lo, first(Op::Gt)? - 1),
        Op::Eq | Op::Ne | Op::In | Op::NotIn => {
            let items = match constant {
                Value::List(items) => items.to_vec(),
                single => vec![single.clone()],
            };
            let mut points: Vec<(i128, i128)> = Vec::new();
            for item in &items {
                let (a, b) = (
                    scalar_domain(scalar, widened, Op::Ge, item)?,
                    scalar_domain(scalar, widened, Op::Le, item)?,
                );
                if let Domain::Ranges(r) = a.intersect(&b) {
                    points.extend(r);
                }
            }
            points.sort();
            points.dedup();
            let mut merged: Vec<(i128, i128)> = Vec::new();
            for (a, b) in points {
                match merged.last_mut() {
                    Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let chosen = Domain::Ranges(merged);
            if matches!(op, Op::Eq | Op::In) {
                chosen
            } else {
                let full = Domain::Ranges(vec![(lo, hi)]);
                full.minus(&chosen, &full)
                    .pop()
                    .unwrap_or(Domain::Ranges(vec![]))
            }
        }
        _ => return None,
    })
}
