//! Typing of expressions. Each node is checked against an optional expected
//! type, which is how a bare name becomes an enum variant (`segment =
//! strategic`, `source in [web, event]`, `set status to mql`) and how an int
//! widens to a number. A `T?` value is refused wherever a `T` is needed, with
//! a help that shows the guard. Every failure is reported once and yields
//! `None`; enclosing nodes then stay quiet.

use super::narrow::{Facts, Path, let_fact};
use super::tir::{LocalPart, TExpr, TKind};
use super::{BindingType, Checker, ValueName};
use crate::bytecode::schema::Type;
use crate::bytecode::value::{Builtin, Op, Value};
use crate::diagnostics::suggest::{did_you_mean, help_did_you_mean};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::Span;
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, UnaryOp};

/// Where an expression is checked.
#[derive(Clone, Debug, Default)]
pub(super) struct Ctx {
    /// Paths proven present here.
    pub(super) facts: Facts,
    /// Inside a `const`: no fields, lets or `now`.
    pub(super) constant: bool,
    /// An action's person, channel, tag or reason: a missing value has no
    /// stand-in there (`assign to default(owner, "")` assigns to nobody), so
    /// the help offers only the guard.
    pub(super) no_stand_in: bool,
    /// The person of an `assign to` with no team to fall back on: the help
    /// also offers `or hand off to TEAM`.
    pub(super) assignee: bool,
}

impl Ctx {
    /// The same context with more proven paths.
    pub(super) fn with(&self, more: Vec<Path>) -> Ctx {
        Ctx {
            facts: self.facts.with(more),
            ..self.clone()
        }
    }
}

fn texpr(kind: TKind, ty: Type, span: Span) -> TExpr {
    TExpr { kind, ty, span }
}

fn widen(e: TExpr) -> TExpr {
    if e.ty == Type::Int {
        let span = e.span;
        texpr(TKind::ToNumber(Box::new(e)), Type::Number, span)
    } else {
        e
    }
}

/// A typed node for a source operator that compiles to a bytecode operator
/// (`and` and `or` compile to jumps instead, and give `None`).
fn binary(op: BinaryOp, a: TExpr, b: TExpr, ty: Type, span: Span) -> Option<TExpr> {
    let op = match op {
        BinaryOp::Eq => Op::Eq,
        BinaryOp::Ne => Op::Ne,
        BinaryOp::Lt => Op::Lt,
        BinaryOp::Le => Op::Le,
        BinaryOp::Gt => Op::Gt,
        BinaryOp::Ge => Op::Ge,
        BinaryOp::In => Op::In,
        BinaryOp::NotIn => Op::NotIn,
        BinaryOp::Contains => Op::Contains,
        BinaryOp::StartsWith => Op::StartsWith,
        BinaryOp::EndsWith => Op::EndsWith,
        BinaryOp::Add => Op::Add,
        BinaryOp::Sub => Op::Sub,
        BinaryOp::Mul => Op::Mul,
        BinaryOp::Div => Op::Div,
        BinaryOp::And | BinaryOp::Or => return None,
    };
    Some(texpr(TKind::Binary(op, Box::new(a), Box::new(b)), ty, span))
}

/// Widens ints to numbers so both sides have one type, when they are int and number.
fn unify_numeric(a: TExpr, b: TExpr) -> (TExpr, TExpr) {
    if a.ty.is_numeric() && b.ty.is_numeric() && a.ty != b.ty {
        (widen(a), widen(b))
    } else {
        (a, b)
    }
}

impl Checker<'_> {
    /// Checks `expr`, wanting `expected` when given (used for variants and widening).
    pub(super) fn check_expr(
        &mut self,
        expr: &Expr,
        expected: Option<&Type>,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        let checked = self.check_inner(expr, expected, ctx)?;
        Some(match expected.map(Type::required) {
            Some(Type::Number) if checked.ty == Type::Int => widen(checked),
            _ => checked,
        })
    }

    /// Checks `expr` and requires a present value (not `T?`).
    pub(super) fn check_present(
        &mut self,
        expr: &Expr,
        expected: Option<&Type>,
        ctx: &Ctx,
        context: Span,
    ) -> Option<TExpr> {
        let checked = self.check_expr(expr, expected, ctx)?;
        self.require_present(checked, context, ctx)
    }

    /// Checks a condition: a present `bool`.
    pub(super) fn check_bool(&mut self, expr: &Expr, ctx: &Ctx) -> Option<TExpr> {
        let checked = self.check_present(expr, Some(&Type::Bool), ctx, expr.span)?;
        self.require_type(checked, &Type::Bool, "a condition")
    }

    /// Reports a type other than `want`.
    pub(super) fn require_type(&mut self, e: TExpr, want: &Type, role: &str) -> Option<TExpr> {
        if &e.ty == want {
            return Some(e);
        }
        let found = self.display(&e.ty);
        let wanted = self.display(want);
        let mut d = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!("{role} must be `{wanted}`, found `{found}`"),
            e.span,
        )
        .label(e.span, format!("this is `{found}`"));
        if *want == Type::Bool && e.ty.is_numeric() {
            d = d.help("compare it with something, for example `score > 50`");
        } else if let (Type::Bool, Type::Enum(id), TKind::Literal(_)) = (want, &e.ty, &e.kind) {
            let field = self
                .field_of_type(*id)
                .unwrap_or_else(|| "FIELD".to_owned());
            d = d.help(format!(
                "compare a field with the variant: `{field} = {}`",
                self.snippet(e.span)
            ));
        } else if *want == Type::String && matches!(e.ty, Type::Enum(_)) {
            d = d.help("an enum value is not text; write the text you mean in quotes, such as `\"strategic\"`");
        } else if let (Type::Enum(id), TKind::Literal(Value::Str(s))) = (want, &e.kind)
            && self
                .schema
                .enum_type(*id)
                .is_some_and(|t| t.variants.iter().any(|v| **v == **s))
        {
            d = d.help(format!("enum variants are written without quotes: `{s}`"));
        }
        self.report(d);
        None
    }

    /// Refuses a `T?` value with the guard that would make it present.
    pub(super) fn require_present(&mut self, e: TExpr, context: Span, ctx: &Ctx) -> Option<TExpr> {
        if !e.ty.is_optional() {
            return Some(e);
        }
        let operand = self.snippet(e.span).to_owned();
        let whole = if context.start <= e.span.start && e.span.end <= context.end {
            self.snippet(context).to_owned()
        } else {
            operand.clone()
        };
        let guard_path = match &e.kind {
            TKind::Slot(slot) => self
                .first_unproven(*slot, ctx)
                .unwrap_or_else(|| operand.clone()),
            _ => operand.clone(),
        };
        let ty = self.display(&e.ty);
        let subject = self.subject_name.clone();
        let stand_in = zero_of(e.ty.required()).filter(|_| !ctx.no_stand_in);
        let mut help = if whole == operand {
            let fallback = match stand_in {
                Some(zero) if guard_path == operand => {
                    format!(", or give a value: `default({operand}, {zero})`")
                }
                _ => String::new(),
            };
            format!("guard it first: `{guard_path} is set and ...` in the condition{fallback}")
        } else {
            format!("guard it: `{guard_path} is set and {whole}`")
        };
        if whole != operand
            && let (Some(zero), true) = (stand_in, guard_path == operand)
        {
            let start = (e.span.start - context.start.min(e.span.start)) as usize;
            let end = start + operand.len();
            if whole.is_char_boundary(start) && whole.is_char_boundary(end) && end <= whole.len() {
                let replaced = format!(
                    "{}default({operand}, {zero}){}",
                    &whole[..start],
                    &whole[end..]
                );
                help.push_str(&format!(", or give a value: `{replaced}`"));
            }
        }
        if ctx.assignee {
            help.push_str(&format!(
                ", or let a team take the record when it is missing: `assign to {operand} or hand off to TEAM`"
            ));
        }
        let who = if subject.is_empty() {
            "a record".to_owned()
        } else {
            format!("a {subject}")
        };
        let note = self.let_that_guards(&e);
        self.report(
            Diagnostic::error(
                codes::MAYBE_MISSING,
                format!("`{operand}` may be missing here"),
                e.span,
            )
            .label(
                e.span,
                if guard_path == operand {
                    format!("`{operand}` is `{ty}`: {who} may not have it")
                } else {
                    format!("{who} may have no `{guard_path}`, and then no `{operand}`")
                },
            )
            .help(help)
            .maybe_note(note),
        );
        None
    }

    /// A field of the subject whose type is the enum `id`, for examples in help.
    fn field_of_type(&self, id: u32) -> Option<String> {
        let record = self.schema.record(self.subject?)?;
        record
            .fields
            .iter()
            .find(|f| *f.ty.required() == Type::Enum(id))
            .map(|f| f.name.clone())
    }

    /// A note when some `let` tests the missing field: narrowing does not look inside lets.
    fn let_that_guards(&self, e: &TExpr) -> Option<String> {
        let TKind::Slot(slot) = &e.kind else {
            return None;
        };
        let path = self.slots.get(*slot as usize)?;
        // Only a let the rule's condition mentions can be the guard the author meant.
        let condition = self.snippet(self.condition?);
        let mentioned = |name: &str| {
            condition
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| word == name)
        };
        let decl = self.lets.iter().find(|l| {
            mentioned(&l.name.node)
                && self
                    .facts_when(&l.value, true)
                    .iter()
                    .any(|p| path.starts_with(p))
        })?;
        Some(format!(
            "`{}` tests this, but narrowing looks only at `is set` written in the condition itself, not inside a `let`",
            decl.name.node
        ))
    }

    /// The shortest prefix of a slot's path that is optional and not proven present.
    fn first_unproven(&self, slot: u32, ctx: &Ctx) -> Option<String> {
        let path = self.slots.get(slot as usize)?;
        let mut record = self.schema.record(self.subject?)?;
        for (i, name) in path.iter().enumerate() {
            let (_, field) = record.field(name)?;
            if field.ty.is_optional() && !ctx.facts.proves(&path[..=i]) {
                let shown = path[..=i].join(".");
                // A keyword field only parses after a dot: qualify it with the record.
                return Some(if crate::syntax::keywords::is_keyword(&path[0]) {
                    format!("{}.{shown}", self.subject_name)
                } else {
                    shown
                });
            }
            if let Type::Record(r) = field.ty.required() {
                record = self.schema.record(*r)?;
            }
        }
        None
    }

    fn check_inner(&mut self, expr: &Expr, expected: Option<&Type>, ctx: &Ctx) -> Option<TExpr> {
        let span = expr.span;
        let literal = |v: Value, ty: Type| Some(texpr(TKind::Literal(v), ty, span));
        match &expr.kind {
            ExprKind::Error => None,
            ExprKind::Int(n) => literal(Value::Int(*n), Type::Int),
            ExprKind::Decimal(x) => literal(Value::Number(*x), Type::Number),
            ExprKind::Str(s) => literal(Value::str(s), Type::String),
            ExprKind::Bool(b) => literal(Value::Bool(*b), Type::Bool),
            ExprKind::Duration(d) => {
                let seconds = d.seconds()?;
                literal(
                    Value::Duration(jiff::SignedDuration::from_secs(seconds)),
                    Type::Duration,
                )
            }
            ExprKind::Date(d) => literal(Value::Date(*d), Type::Date),
            ExprKind::DateTime(t) => literal(Value::Time(*t), Type::Time),
            ExprKind::TimeOfDay(_) => {
                self.report(
                    Diagnostic::error(codes::TYPE_MISMATCH, "a time of day is not a value", span)
                        .label(span, "times of day belong in a calendar's `open` windows")
                        .help("to test the hour of an instant, compare instants: `created_at >= 2026-11-30T09:00:00Z`"),
                );
                None
            }
            ExprKind::Percent(_) => {
                self.report(
                    Diagnostic::error(codes::TYPE_MISMATCH, "a percentage is not a value", span)
                        .label(span, "percentages are the weights of a `weighted` team")
                        .help("write the number: `60` on a 0–100 scale, or `0.6` for a fraction"),
                );
                None
            }
            ExprKind::Now => {
                if ctx.constant {
                    self.not_constant(span, "`now` changes from run to run");
                    return None;
                }
                Some(texpr(TKind::Now, Type::Time, span))
            }
            ExprKind::Name(name) => self.check_name(name, span, expected, ctx),
            ExprKind::Field(base, part) if matches!(&base.kind, ExprKind::Call(f, _) if f.node == "local_time") => {
                self.check_local_time(base, part, ctx)
            }
            ExprKind::Field(..) => self.check_field(expr, ctx).map(|(e, _)| e),
            ExprKind::Call(f, args) => self.check_call(f, args, span, expected, ctx),
            ExprKind::List(items) => self.check_list(items, span, expected, ctx),
            ExprKind::Record(_) => {
                self.report(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "a record literal is not allowed here",
                        span,
                    )
                    .label(span, "record literals describe test records")
                    .help("use it in a `fixture` or a test's `given`"),
                );
                None
            }
            ExprKind::Unary(UnaryOp::Not, inner) => {
                let e = self.check_bool(inner, ctx)?;
                Some(texpr(TKind::Not(Box::new(e)), Type::Bool, span))
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                // No expected type inside: an int is negated as an int (overflow
                // is R0301) and only then widened, by `check_expr`, where a number
                // is wanted.
                let e = self.check_present(inner, None, ctx, inner.span)?;
                if !matches!(e.ty, Type::Int | Type::Number | Type::Duration) {
                    let ty = self.display(&e.ty);
                    self.report(
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("cannot negate {}", a_type(&ty)),
                            span,
                        )
                        .label(e.span, format!("this is `{ty}`"))
                        .help("only ints, numbers and durations have a sign"),
                    );
                    return None;
                }
                let ty = e.ty.clone();
                Some(texpr(TKind::Neg(Box::new(e)), ty, span))
            }
            ExprKind::Binary(op, a, b) => self.check_binary(*op, a, b, span, ctx),
            ExprKind::Matches(operand, pattern) => {
                let e = self.check_present(operand, Some(&Type::String), ctx, span)?;
                let e = self.require_type(e, &Type::String, "the left side of `matches`")?;
                if let Err(error) = regex::Regex::new(&pattern.node) {
                    let detail = error.to_string();
                    let last = detail
                        .lines()
                        .last()
                        .unwrap_or("invalid pattern")
                        .trim()
                        .to_owned();
                    self.report(
                        Diagnostic::error(codes::INVALID_REGEX, "invalid regular expression", pattern.span)
                            .label(pattern.span, last)
                            .help("`matches` takes a regex in Rust's syntax; escape special characters with `\\\\`"),
                    );
                    return None;
                }
                Some(texpr(
                    TKind::Matches(Box::new(e), pattern.node.clone()),
                    Type::Bool,
                    span,
                ))
            }
            ExprKind::IsSet { operand, negated } => {
                let e = self.check_expr(operand, None, ctx)?;
                if !e.ty.is_optional() && !self.declared_optional(operand) {
                    let text = self.snippet(operand.span).to_owned();
                    let ty = self.display(&e.ty);
                    self.report(
                        Diagnostic::warning(
                            codes::NEVER_MISSING,
                            format!("`{text}` is never missing"),
                            operand.span,
                        )
                        .label(operand.span, format!("`{text}` is `{ty}`, not optional"))
                        .help(format!(
                            "this test is always {}; remove it",
                            if *negated { "false" } else { "true" }
                        )),
                    );
                }
                let test = texpr(TKind::IsSet(Box::new(e)), Type::Bool, span);
                Some(if *negated {
                    texpr(TKind::Not(Box::new(test)), Type::Bool, span)
                } else {
                    test
                })
            }
        }
    }

    /// Whether a path is declared optional somewhere along it (even if narrowed here).
    fn declared_optional(&self, expr: &Expr) -> bool {
        let Some(path) = self.syntactic_path(expr) else {
            return false;
        };
        let Some(mut record) = self.subject.and_then(|s| self.schema.record(s)) else {
            return false;
        };
        for name in &path {
            let Some((_, field)) = record.field(name) else {
                return false;
            };
            if field.ty.is_optional() {
                return true;
            }
            match field.ty.required() {
                Type::Record(r) => match self.schema.record(*r) {
                    Some(next) => record = next,
                    None => return false,
                },
                _ => return false,
            }
        }
        false
    }

    fn not_constant(&mut self, span: Span, why: &str) {
        self.report(
            Diagnostic::error(
                codes::NOT_CONSTANT,
                "a `const` must be known before any record is seen",
                span,
            )
            .label(span, why.to_owned())
            .help("use a `let` for values computed from the record"),
        );
    }

    fn slot(&mut self, path: Path) -> u32 {
        let index = match self.slots.iter().position(|p| *p == path) {
            Some(i) => i,
            None => {
                self.slots.push(path);
                self.slots.len() - 1
            }
        };
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    fn check_name(
        &mut self,
        name: &str,
        span: Span,
        expected: Option<&Type>,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        if let Some(Type::Enum(e)) = expected.map(Type::required)
            && let Some(i) = self
                .schema
                .enum_type(*e)
                .and_then(|t| t.variants.iter().position(|v| v == name))
        {
            let i = u32::try_from(i).ok()?;
            return Some(texpr(TKind::Literal(Value::Enum(i)), Type::Enum(*e), span));
        }
        if let Some(value) = self.values.get(name).copied() {
            return match value {
                ValueName::Const(i) => match self.const_types.get(i) {
                    Some(BindingType::Typed(ty)) => Some(texpr(TKind::Const(i), ty.clone(), span)),
                    _ => None,
                },
                ValueName::Let(i) => {
                    if ctx.constant {
                        self.not_constant(span, "a `let` is computed from each record");
                        return None;
                    }
                    match self.let_types.get(i) {
                        Some(BindingType::Typed(ty)) if ctx.facts.proves(&let_fact(name)) => {
                            Some(texpr(TKind::Let(i), ty.required().clone(), span))
                        }
                        Some(BindingType::Typed(ty)) => {
                            Some(texpr(TKind::Let(i), ty.clone(), span))
                        }
                        _ => None,
                    }
                }
            };
        }
        if name == self.subject_name && !name.is_empty() {
            self.report(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("`{name}` is the whole record"),
                    span,
                )
                .label(span, "not a value on its own")
                .help(format!("name one of its fields, for example `{name}.id`")),
            );
            return None;
        }
        let is_field = self
            .subject
            .and_then(|s| self.schema.record(s))
            .is_some_and(|r| r.field(name).is_some());
        if is_field {
            return self.resolve_path(vec![name.to_owned()], span, ctx);
        }
        // A variant of exactly one enum needs no context: `const events = [webinar, event]`.
        let mut owners = self
            .schema
            .enums
            .iter()
            .enumerate()
            .filter_map(|(e, t)| t.variants.iter().position(|v| v == name).map(|i| (e, i)));
        let wants_enum = matches!(expected.map(Type::required), Some(Type::Enum(_)));
        if let (false, Some((e, i)), None) = (wants_enum, owners.next(), owners.next()) {
            let (e, i) = (u32::try_from(e).ok()?, u32::try_from(i).ok()?);
            return Some(texpr(TKind::Literal(Value::Enum(i)), Type::Enum(e), span));
        }
        self.unknown_name(name, span, expected);
        None
    }

    fn unknown_name(&mut self, name: &str, span: Span, expected: Option<&Type>) {
        if self.may_declare(name) || self.poisoned(self.subject, name) {
            return;
        }
        if let Some(Type::Enum(e)) = expected.map(Type::required)
            && let Some(enum_type) = self.schema.enum_type(*e)
        {
            let help = help_did_you_mean(name, enum_type.variants.iter().map(String::as_str))
                .unwrap_or_else(|| {
                    format!(
                        "the variants of `{}` are {}",
                        enum_type.name,
                        enum_type.variants.join(", ")
                    )
                });
            let enum_name = enum_type.name.clone();
            self.report(
                Diagnostic::error(
                    codes::UNKNOWN_VARIANT,
                    format!("`{name}` is not a variant of `{enum_name}`"),
                    span,
                )
                .label(span, format!("not a `{enum_name}`"))
                .help(help),
            );
            return;
        }
        let fields: Vec<String> = self
            .subject
            .and_then(|s| self.schema.record(s))
            .map(|r| r.fields.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default();
        let bindings: Vec<&str> = self.values.keys().map(String::as_str).collect();
        // One guess over fields and bindings together, so the closest wins.
        let guess = did_you_mean(
            name,
            fields
                .iter()
                .map(String::as_str)
                .chain(bindings.iter().copied()),
        );
        let (field_guess, binding_guess) = match guess {
            Some(g) if bindings.contains(&g) => (None, Some(g)),
            Some(g) => (Some(g), None),
            None => (None, None),
        };
        let variant_of = self
            .schema
            .enums
            .iter()
            .find(|e| e.variants.iter().any(|v| v == name))
            .map(|e| e.name.clone());
        let subject = self.subject_name.clone();
        if matches!(name, "today" | "current_date" | "current_time") {
            self.report(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("roe has no `{name}`"), span)
                    .label(span, "`now` is the instant of evaluation")
                    .help("compare times with `now` (`created_at > now - 1d`), and dates with today through `days_since(DATE)`, which is 0 today, above 0 once the day is past and below 0 before it"),
            );
            return;
        }
        if matches!(name, "null" | "nil" | "none" | "None") {
            self.report(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("roe has no `{name}`"), span)
                    .label(span, "a missing value is not a value")
                    .help("test whether a field has a value with `FIELD is set` or `FIELD is not set`"),
            );
            return;
        }
        if self.team_names.contains_key(name) {
            self.report(
                Diagnostic::error(codes::UNKNOWN_NAME, format!("`{name}` is a team, not a value"), span)
                    .label(span, "a team can be handed work or notified")
                    .help(format!("hand the record to the team with `hand off to {name}`, or tell it with `notify {name}`")),
            );
            return;
        }
        if self.subject_unknown && binding_guess.is_none() {
            return;
        }
        let owner_field = variant_of.as_ref().and_then(|owner| {
            let id = self.schema.enums.iter().position(|e| e.name == *owner)?;
            self.field_of_type(u32::try_from(id).ok()?)
        });
        let d = if let (Some(guess), None) = (binding_guess, field_guess) {
            Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`"), span)
                .label(span, "no const, let or field has this name")
                .help(format!("did you mean `{guess}`?"))
        } else if let Some(owner) = variant_of {
            Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("`{name}` is a variant of `{owner}`, not a value here"),
                span,
            )
            .label(
                span,
                format!("a variant needs a value of type `{owner}` to compare with"),
            )
            .help(format!(
                "compare a field of type `{owner}` with it, for example `{} = {name}`",
                owner_field.unwrap_or_else(|| "FIELD".to_owned())
            ))
        } else if subject.is_empty() {
            Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`"), span)
                .label(span, "no const or let has this name")
                .maybe_help(binding_guess.map(|g| format!("did you mean `{g}`?")))
        } else {
            Diagnostic::error(
                codes::UNKNOWN_FIELD,
                format!("`{subject}` has no field `{name}`"),
                span,
            )
            .label(span, format!("not a field of `{subject}`"))
            .help(
                field_guess
                    .or(binding_guess)
                    .map(|g| format!("did you mean `{g}`?"))
                    .unwrap_or_else(|| format!("if it is a value of your own, declare it: `const {name} = ...` or `let {name} = ...`")),
            )
        };
        self.report(d);
    }

    /// A field access: its typed expression and its path.
    fn check_field(&mut self, expr: &Expr, ctx: &Ctx) -> Option<(TExpr, Path)> {
        let path = self.field_path(expr)?;
        if path.is_empty() {
            return None;
        }
        let e = self.resolve_path(path.clone(), expr.span, ctx)?;
        Some((e, path))
    }

    /// The declared path of a field chain, reporting unknown fields.
    fn field_path(&mut self, expr: &Expr) -> Option<Path> {
        match &expr.kind {
            ExprKind::Name(name)
                if *name == self.subject_name && !self.values.contains_key(name) =>
            {
                Some(Vec::new())
            }
            ExprKind::Name(name) => {
                let is_field = self
                    .subject
                    .and_then(|s| self.schema.record(s))
                    .is_some_and(|r| r.field(name).is_some());
                if is_field && !self.values.contains_key(name) {
                    Some(vec![name.clone()])
                } else if self.values.contains_key(name) {
                    let text = name.clone();
                    self.report(
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("`{text}` has no fields"),
                            expr.span,
                        )
                        .label(expr.span, "a const or let, not a record")
                        .help("only record fields such as `account` have fields"),
                    );
                    None
                } else {
                    self.unknown_name(name, expr.span, None);
                    None
                }
            }
            ExprKind::Field(base, field) => {
                let mut path = self.field_path(base)?;
                let record_id = self.record_at(&path, base.span)?;
                if self.poisoned(Some(record_id), &field.node) {
                    return None;
                }
                let record = self.schema.record(record_id)?;
                if record.field(&field.node).is_none() {
                    let help = help_did_you_mean(
                        &field.node,
                        record.fields.iter().map(|f| f.name.as_str()),
                    );
                    let name = record.name.clone();
                    self.report(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("`{name}` has no field `{}`", field.node),
                            field.span,
                        )
                        .label(field.span, format!("not a field of `{name}`"))
                        .maybe_help(help),
                    );
                    return None;
                }
                path.push(field.node.clone());
                Some(path)
            }
            _ => {
                self.report(
                    Diagnostic::error(codes::BAD_OPERANDS, "only records have fields", expr.span)
                        .label(expr.span, "this is not a record")
                        .help("write a field path such as `account.owner`"),
                );
                None
            }
        }
    }

    /// The record type at the end of `path`, reporting a path that ends in a non-record.
    fn record_at(&mut self, path: &[String], span: Span) -> Option<u32> {
        let mut record = self.subject?;
        for (i, name) in path.iter().enumerate() {
            let field = self.schema.record(record)?.field(name)?.1.clone();
            match field.ty.required() {
                Type::Record(r) => record = *r,
                other => {
                    let ty = self.display(other);
                    let shown = path[..=i].join(".");
                    self.report(
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("`{shown}` has no fields"),
                            span,
                        )
                        .label(span, format!("`{shown}` is `{ty}`, not a record"))
                        .help("only record fields such as `account` have fields of their own"),
                    );
                    return None;
                }
            }
        }
        Some(record)
    }

    /// The slot and narrowed type of a field path.
    fn resolve_path(&mut self, path: Path, span: Span, ctx: &Ctx) -> Option<TExpr> {
        if ctx.constant {
            self.not_constant(span, "a field differs from record to record");
            return None;
        }
        let mut record = self.schema.record(self.subject?)?;
        let mut maybe_missing = false;
        let mut ty = Type::Record(self.subject?);
        for (i, name) in path.iter().enumerate() {
            let (_, field) = record.field(name)?;
            if field.ty.is_optional() && !ctx.facts.proves(&path[..=i]) {
                maybe_missing = true;
            }
            ty = field.ty.required().clone();
            if let Type::Record(r) = &ty {
                record = self.schema.record(*r)?;
            }
        }
        let ty = if maybe_missing { ty.optional() } else { ty };
        let slot = self.slot(path);
        Some(texpr(TKind::Slot(slot), ty, span))
    }

    /// The help for a call of a function other languages have that roe
    /// writes as an operator or under another name: `starts_with(email, "x")`
    /// is `email starts with "x"`, `coalesce(a, b)` is `default(a, b)`.
    fn written_otherwise(&self, name: &str, args: &[Expr]) -> Option<String> {
        let arg = |i: usize| args.get(i).map(|a| self.snippet(a.span).to_owned());
        let between = |operator: &str| match (arg(0), arg(1), args.len()) {
            (Some(a), Some(b), 2) => {
                format!("`{operator}` goes between its operands: write `{a} {operator} {b}`")
            }
            _ => format!("`{operator}` goes between its operands: write `a {operator} b`"),
        };
        let folded = name.to_ascii_lowercase().replace('_', "");
        let help = match folded.as_str() {
            "startswith" | "beginswith" | "startwith" | "hasprefix" => between("starts with"),
            "endswith" | "endwith" | "hassuffix" => between("ends with"),
            "includes" | "include" | "has" | "instr" | "strpos" | "indexof" => between("contains"),
            "regex" | "regexp" | "match" | "rlike" | "like" | "regexmatch" | "regexpmatch"
            | "ismatch" | "test" => between("matches"),
            "isnull" | "isempty" | "isnone" | "isblank" | "missing" => match (arg(0), args.len()) {
                (Some(a), 1) => format!("write `{a} is not set`"),
                _ => "write `field is not set`".to_owned(),
            },
            "isset" | "exists" | "isnotnull" | "present" | "ispresent" | "hasvalue" => {
                match (arg(0), args.len()) {
                    (Some(a), 1) => format!("write `{a} is set`"),
                    _ => "write `field is set`".to_owned(),
                }
            }
            "coalesce" | "ifnull" | "nvl" | "isnullor" | "getordefault" | "orelse" => {
                match (arg(0), arg(1), args.len()) {
                    (Some(a), Some(b), 2) => format!("write `default({a}, {b})`"),
                    _ => "write `default(field, fallback)`".to_owned(),
                }
            }
            "tolower" | "lowercase" | "lcase" => "write `lower(...)`".to_owned(),
            "toupper" | "uppercase" | "ucase" => "write `upper(...)`".to_owned(),
            "length" | "size" | "count" | "strlen" => "write `len(...)`".to_owned(),
            _ => return None,
        };
        Some(help)
    }

    fn check_call(
        &mut self,
        f: &crate::syntax::ast::Name,
        args: &[Expr],
        span: Span,
        expected: Option<&Type>,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        if f.node == "default" {
            let [x, y] = args else {
                self.bad_arity(f, args.len(), 2, span);
                return None;
            };
            let wanted = expected.map(|t| t.required().clone().optional());
            let tx = self.check_expr(x, wanted.as_ref(), ctx)?;
            let ty = tx.ty.required().clone();
            let ty_y = self.check_present(y, Some(&ty), ctx, y.span)?;
            let (tx, ty_y) = if tx.ty.required().is_numeric()
                && ty_y.ty.is_numeric()
                && *tx.ty.required() != ty_y.ty
            {
                let tx = if *tx.ty.required() == Type::Int {
                    let s = tx.span;
                    texpr(TKind::ToNumber(Box::new(tx)), Type::Number.optional(), s)
                } else {
                    tx
                };
                (tx, widen(ty_y))
            } else {
                (tx, ty_y)
            };
            if *tx.ty.required() != ty_y.ty {
                let (a, b) = (self.display(tx.ty.required()), self.display(&ty_y.ty));
                self.report(
                    Diagnostic::error(
                        codes::BAD_ARGUMENTS,
                        format!("`default` needs a fallback of type `{a}`, found `{b}`"),
                        ty_y.span,
                    )
                    .label(ty_y.span, format!("this is `{b}`"))
                    .label(tx.span, format!("this is `{a}?`")),
                );
                return None;
            }
            let result = ty_y.ty.clone();
            return Some(texpr(
                TKind::Default(Box::new(tx), Box::new(ty_y)),
                result,
                span,
            ));
        }
        match f.node.as_str() {
            "is_open" => {
                let [calendar] = args else {
                    self.bad_arity(f, args.len(), 1, span);
                    return None;
                };
                if ctx.constant {
                    self.not_constant(span, "it depends on `now`");
                    return None;
                }
                let calendar = self.calendar_arg(calendar)?;
                return Some(texpr(TKind::IsOpen(calendar), Type::Bool, span));
            }
            "business_hours_between" => {
                let [a, b, calendar] = args else {
                    self.bad_arity(f, args.len(), 3, span);
                    return None;
                };
                if ctx.constant {
                    self.not_constant(span, "it needs a calendar at run time");
                    return None;
                }
                let ta = self.check_present(a, Some(&Type::Time), ctx, a.span);
                let tb = self.check_present(b, Some(&Type::Time), ctx, b.span);
                let calendar = self.calendar_arg(calendar);
                let ta = self.require_type(ta?, &Type::Time, "the start")?;
                let tb = self.require_type(tb?, &Type::Time, "the end")?;
                let kind = TKind::OpenHoursBetween(Box::new(ta), Box::new(tb), calendar?);
                return Some(texpr(kind, Type::Number, span));
            }
            "local_time" => {
                let call = self.snippet(span).to_owned();
                self.report(
                    Diagnostic::error(codes::BAD_ARGUMENTS, "`local_time` needs a part", span)
                        .label(span, "a local time is read part by part")
                        .help(format!("write `{call}.hour` or `{call}.weekday`")),
                );
                return None;
            }
            _ => {}
        }
        let Some(builtin) = Builtin::by_name(&f.node) else {
            if let Some(help) = self.written_otherwise(&f.node, args) {
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("unknown function `{}`", f.node),
                        f.span,
                    )
                    .label(f.span, "roe writes this without a call")
                    .help(help),
                );
                return None;
            }
            let names: Vec<&str> = Builtin::ALL
                .iter()
                .map(|b| b.name())
                .chain(["default", "is_open", "business_hours_between", "local_time"])
                .collect();
            let help = help_did_you_mean(&f.node, names.iter().copied())
                .unwrap_or_else(|| format!("the functions are {}", names.join(", ")));
            self.report(
                Diagnostic::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("unknown function `{}`", f.node),
                    f.span,
                )
                .label(f.span, "no built-in function has this name")
                .help(help),
            );
            return None;
        };
        let [arg] = args else {
            self.bad_arity(f, args.len(), 1, span);
            return None;
        };
        let a = self.check_present(arg, None, ctx, arg.span)?;
        let (ok, result, takes) = match builtin {
            Builtin::Lower | Builtin::Upper | Builtin::Domain => {
                (a.ty == Type::String, Type::String, "a `string`")
            }
            Builtin::Len => (
                matches!(a.ty, Type::String | Type::List(_)),
                Type::Int,
                "a `string` or a list",
            ),
            Builtin::DaysSince => (
                matches!(a.ty, Type::Time | Type::Date),
                Type::Int,
                "a `time` or a `date`",
            ),
            Builtin::HoursSince => (a.ty == Type::Time, Type::Int, "a `time`"),
            Builtin::Weekday => (
                matches!(a.ty, Type::Time | Type::Date),
                Type::String,
                "a `time` or a `date`",
            ),
        };
        if !ok {
            let found = self.display(&a.ty);
            self.report(
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    format!("`{}` takes {takes}, found `{found}`", builtin.name()),
                    a.span,
                )
                .label(a.span, format!("this is `{found}`")),
            );
            return None;
        }
        if ctx.constant && matches!(builtin, Builtin::DaysSince | Builtin::HoursSince) {
            self.not_constant(span, "it depends on `now`");
            return None;
        }
        Some(texpr(TKind::Call(builtin, Box::new(a)), result, span))
    }

    /// A calendar named as a function argument.
    fn calendar_arg(&mut self, arg: &Expr) -> Option<u32> {
        match &arg.kind {
            ExprKind::Name(name) => {
                self.calendar_index(&crate::syntax::ast::Name::new(name.clone(), arg.span))
            }
            _ => {
                self.report(
                    Diagnostic::error(
                        codes::BAD_ARGUMENTS,
                        "expected the name of a calendar",
                        arg.span,
                    )
                    .label(arg.span, "not a calendar name")
                    .help("name a declared calendar, such as `office_hours`"),
                );
                None
            }
        }
    }

    /// `local_time(t, CALENDAR).weekday` or `.hour`.
    fn check_local_time(
        &mut self,
        call: &Expr,
        part: &crate::syntax::ast::Name,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        let ExprKind::Call(f, args) = &call.kind else {
            return None;
        };
        let [t, calendar] = &args[..] else {
            self.bad_arity(f, args.len(), 2, call.span);
            return None;
        };
        if ctx.constant {
            self.not_constant(call.span, "it needs a calendar at run time");
            return None;
        }
        let tt = self.check_present(t, Some(&Type::Time), ctx, t.span);
        let calendar = self.calendar_arg(calendar);
        let span = call.span.to(part.span);
        let (part, ty) = match part.node.as_str() {
            "weekday" => (LocalPart::Weekday, Type::String),
            "hour" => (LocalPart::Hour, Type::Int),
            other => {
                let help = help_did_you_mean(other, ["weekday", "hour"])
                    .unwrap_or_else(|| "the parts are `weekday` and `hour`".into());
                self.report(
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("a local time has no part `{other}`"),
                        part.span,
                    )
                    .label(part.span, "not a part of a local time")
                    .help(help),
                );
                return None;
            }
        };
        let tt = self.require_type(tt?, &Type::Time, "the time")?;
        Some(texpr(
            TKind::LocalPart(Box::new(tt), calendar?, part),
            ty,
            span,
        ))
    }

    fn bad_arity(&mut self, f: &crate::syntax::ast::Name, found: usize, wanted: usize, span: Span) {
        let plural = if wanted == 1 { "argument" } else { "arguments" };
        self.report(
            Diagnostic::error(
                codes::BAD_ARGUMENTS,
                format!("`{}` takes {wanted} {plural}, found {found}", f.node),
                span,
            )
            .label(span, format!("{found} given"))
            .help(if f.node == "default" {
                "write `default(field, fallback)`, for example `default(employees, 0)`".to_owned()
            } else {
                format!("write `{}(value)`", f.node)
            }),
        );
    }

    /// The enum of a bare name that is no const, let or field and a variant of exactly one enum.
    fn sole_variant_enum(&self, item: &Expr) -> Option<u32> {
        let ExprKind::Name(name) = &item.kind else {
            return None;
        };
        if self.resolves_quietly(item) {
            return None;
        }
        let mut owners = self
            .schema
            .enums
            .iter()
            .enumerate()
            .filter(|(_, e)| e.variants.contains(name));
        match (owners.next(), owners.next()) {
            (Some((id, _)), None) => u32::try_from(id).ok(),
            _ => None,
        }
    }

    fn check_list(
        &mut self,
        items: &[Expr],
        span: Span,
        expected: Option<&Type>,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        let mut element = match expected.map(Type::required) {
            Some(Type::List(t)) => Some(t.required().clone()),
            // A variant of exactly one enum anywhere in the list types all of it,
            // so `[partner, referral]` reads like `[referral, partner]`.
            _ => items
                .iter()
                .find_map(|item| self.sole_variant_enum(item))
                .map(Type::Enum),
        };
        let mut checked = Vec::with_capacity(items.len());
        let mut failed = false;
        for item in items {
            match self.check_present(item, element.as_ref(), ctx, item.span) {
                Some(e) => checked.push(e),
                None => failed = true,
            }
            if element.is_none() {
                element = checked.last().map(|e| e.ty.clone());
            }
        }
        if failed {
            return None;
        }
        let Some(mut element) = element else {
            self.report(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "cannot tell what this empty list holds",
                    span,
                )
                .label(span, "an empty list with nothing to compare it with")
                .help("put at least one value in the list"),
            );
            return None;
        };
        if element == Type::Int && checked.iter().any(|e| e.ty == Type::Number) {
            element = Type::Number;
        }
        let mut out = Vec::with_capacity(checked.len());
        for e in checked {
            let e = if element == Type::Number { widen(e) } else { e };
            if e.ty != element {
                let (want, found) = (self.display(&element), self.display(&e.ty));
                self.report(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("a list of `{want}` cannot hold {}", a_type(&found)),
                        e.span,
                    )
                    .label(e.span, format!("this is `{found}`"))
                    .help("every element of a list has one type"),
                );
                return None;
            }
            out.push(e);
        }
        Some(texpr(TKind::List(out), Type::List(Box::new(element)), span))
    }

    fn resolves_quietly(&self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::Name(n) => {
                self.values.contains_key(n)
                    || self
                        .subject
                        .and_then(|s| self.schema.record(s))
                        .is_some_and(|r| r.field(n).is_some())
            }
            _ => true,
        }
    }

    /// Whether `expr` is a bare name that is a variant of some enum, and so
    /// may mean that variant where the other side of a comparison gives context.
    fn names_a_variant(&self, expr: &Expr) -> bool {
        matches!(&expr.kind, ExprKind::Name(n) if self.schema.enums.iter().any(|e| e.variants.contains(n)))
    }

    /// Checks both sides of a comparison, letting a bare variant name take its
    /// type from the other side. The two sides read names alike: the side that
    /// may be a variant is checked second, so `partner = source` reads like
    /// `source = partner` (LANGUAGE.md §4).
    fn check_pair(&mut self, a: &Expr, b: &Expr, span: Span, ctx: &Ctx) -> Option<(TExpr, TExpr)> {
        let b_first = match (self.names_a_variant(a), self.names_a_variant(b)) {
            (true, false) => true,
            (false, true) => false,
            _ => !self.resolves_quietly(a) && self.resolves_quietly(b),
        };
        let (ta, tb) = if b_first {
            let tb = self.check_expr(b, None, ctx);
            let ta = self.check_expr(a, tb.as_ref().map(|t| &t.ty), ctx);
            (ta, tb)
        } else {
            let ta = self.check_expr(a, None, ctx);
            let tb = self.check_expr(b, ta.as_ref().map(|t| &t.ty), ctx);
            (ta, tb)
        };
        // One failed side is reported already; a missing-value error on the other would be noise.
        let (ta, tb) = (ta?, tb?);
        let ta = self.require_present(ta, span, ctx);
        let tb = self.require_present(tb, span, ctx);
        Some((ta?, tb?))
    }

    fn check_binary(
        &mut self,
        op: BinaryOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let ta = self.check_bool(a, ctx);
                let narrowed = ctx.with(self.facts_when(a, op == BinaryOp::And));
                let tb = self.check_bool(b, &narrowed);
                let (ta, tb) = (Box::new(ta?), Box::new(tb?));
                let kind = if op == BinaryOp::And {
                    TKind::And(ta, tb)
                } else {
                    TKind::Or(ta, tb)
                };
                Some(texpr(kind, Type::Bool, span))
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let (ta, tb) = self.check_pair(a, b, span, ctx)?;
                let (ta, tb) = unify_numeric(ta, tb);
                if ta.ty != tb.ty {
                    self.mismatch(op, &ta, &tb, span);
                    return None;
                }
                if let Type::Record(_) = ta.ty {
                    let ty = self.display(&ta.ty);
                    self.report(
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("`{}` does not compare whole records", op.symbol()),
                            span,
                        )
                        .label(ta.span, format!("this is a whole `{ty}`"))
                        .help(format!(
                            "compare a field of it, such as `{}.id`",
                            self.snippet(ta.span)
                        )),
                    );
                    return None;
                }
                binary(op, ta, tb, Type::Bool, span)
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let (ta, tb) = self.check_pair(a, b, span, ctx)?;
                let (ta, tb) = unify_numeric(ta, tb);
                let ordered = matches!(
                    ta.ty,
                    Type::Int | Type::Number | Type::Time | Type::Date | Type::Duration
                );
                if ta.ty != tb.ty || !ordered {
                    self.mismatch(op, &ta, &tb, span);
                    return None;
                }
                binary(op, ta, tb, Type::Bool, span)
            }
            BinaryOp::In | BinaryOp::NotIn => self.check_in(op, a, b, span, ctx),
            BinaryOp::Contains => {
                let ta = self.check_present(a, None, ctx, span)?;
                let element = match &ta.ty {
                    Type::List(t) => (**t).clone(),
                    _ => Type::String,
                };
                let tb = self.check_present(b, Some(&element), ctx, span)?;
                let ok = matches!(ta.ty, Type::String | Type::List(_)) && tb.ty == element;
                if !ok {
                    self.mismatch(op, &ta, &tb, span);
                    return None;
                }
                binary(op, ta, tb, Type::Bool, span)
            }
            BinaryOp::StartsWith | BinaryOp::EndsWith => {
                let (ta, tb) = self.check_pair(a, b, span, ctx)?;
                if ta.ty != Type::String || tb.ty != Type::String {
                    self.mismatch(op, &ta, &tb, span);
                    return None;
                }
                binary(op, ta, tb, Type::Bool, span)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                // Arithmetic is no condition: the help names the guard, not a rewrite.
                let ta = self.check_present(a, None, ctx, a.span);
                let tb = self.check_present(b, None, ctx, b.span);
                let (ta, tb) = (ta?, tb?);
                self.arithmetic(op, ta, tb, span)
            }
        }
    }

    fn check_in(
        &mut self,
        op: BinaryOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        ctx: &Ctx,
    ) -> Option<TExpr> {
        // A list literal takes its type from the left (`source in [partner]`),
        // unless the left is a bare variant, which reads from the list as from
        // any list (`partner in [web, referral]`), so both sides read names alike.
        let left_first = match &b.kind {
            ExprKind::List(items) => items.is_empty() || !self.names_a_variant(a),
            _ => false,
        };
        let (ta, tb) = if left_first {
            let ta = self.check_present(a, None, ctx, span)?;
            let want = Type::List(Box::new(ta.ty.clone()));
            let tb = self.check_present(b, Some(&want), ctx, span)?;
            (ta, tb)
        } else {
            let tb = self.check_present(b, None, ctx, span)?;
            let element = match &tb.ty {
                Type::List(t) => Some((**t).clone()),
                _ => None,
            };
            let ta = self.check_present(a, element.as_ref(), ctx, span)?;
            (ta, tb)
        };
        let Type::List(element) = &tb.ty else {
            let found = self.display(&tb.ty);
            self.report(
                Diagnostic::error(
                    codes::BAD_OPERANDS,
                    format!(
                        "`{}` needs a list on its right, found `{found}`",
                        op.symbol()
                    ),
                    tb.span,
                )
                .label(tb.span, format!("this is `{found}`"))
                .help("write a list such as `[\"DE\", \"FR\"]` or a const that holds one"),
            );
            return None;
        };
        let element = (**element).clone();
        let ta = if element == Type::Number {
            widen(ta)
        } else {
            ta
        };
        if ta.ty != element {
            let (x, y) = (self.display(&ta.ty), self.display(&element));
            self.report(
                Diagnostic::error(
                    codes::BAD_OPERANDS,
                    format!("{} is never in a list of `{y}`", capitalised(&a_type(&x))),
                    span,
                )
                .label(ta.span, format!("this is `{x}`"))
                .label(tb.span, format!("this is a list of `{y}`")),
            );
            return None;
        }
        binary(op, ta, tb, Type::Bool, span)
    }

    fn arithmetic(&mut self, op: BinaryOp, ta: TExpr, tb: TExpr, span: Span) -> Option<TExpr> {
        use Type as T;
        let result = match (op, &ta.ty, &tb.ty) {
            (BinaryOp::Div, x, y) if x.is_numeric() && y.is_numeric() => Some(T::Number),
            (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul, T::Int, T::Int) => Some(T::Int),
            (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul, x, y)
                if x.is_numeric() && y.is_numeric() =>
            {
                Some(T::Number)
            }
            (BinaryOp::Add, T::String, T::String) => Some(T::String),
            (BinaryOp::Add, T::Time, T::Duration) | (BinaryOp::Add, T::Duration, T::Time) => {
                Some(T::Time)
            }
            (BinaryOp::Sub, T::Time, T::Duration) => Some(T::Time),
            (BinaryOp::Sub, T::Time, T::Time) | (BinaryOp::Sub, T::Date, T::Date) => {
                Some(T::Duration)
            }
            (BinaryOp::Add | BinaryOp::Sub, T::Duration, T::Duration) => Some(T::Duration),
            (BinaryOp::Mul, T::Duration, T::Int) | (BinaryOp::Mul, T::Int, T::Duration) => {
                Some(T::Duration)
            }
            _ => None,
        };
        let Some(result) = result else {
            self.mismatch(op, &ta, &tb, span);
            return None;
        };
        let (ta, tb) = if result == T::Number {
            (widen(ta), widen(tb))
        } else {
            (ta, tb)
        };
        binary(op, ta, tb, result, span)
    }

    fn mismatch(&mut self, op: BinaryOp, ta: &TExpr, tb: &TExpr, span: Span) {
        let (x, y) = (self.display(&ta.ty), self.display(&tb.ty));
        let symbol = op.symbol();
        let message = if x == y {
            format!("`{symbol}` does not apply to `{x}`")
        } else {
            format!("`{symbol}` cannot combine `{x}` and `{y}`")
        };
        let mut d = Diagnostic::error(codes::BAD_OPERANDS, message, span)
            .label(ta.span, format!("this is `{x}`"))
            .label(tb.span, format!("this is `{y}`"));
        let string_vs_enum = |e: &TExpr, other: &TExpr| -> Option<String> {
            let (TKind::Literal(Value::Str(s)), Type::Enum(id)) = (&e.kind, &other.ty) else {
                return None;
            };
            let variants = &self.schema.enum_type(*id)?.variants;
            variants
                .iter()
                .any(|v| **v == **s)
                .then(|| format!("enum variants are written without quotes: `{s}`"))
        };
        let quoted_number = |e: &TExpr, other: &TExpr| -> Option<String> {
            let TKind::Literal(Value::Str(s)) = &e.kind else {
                return None;
            };
            (other.ty.is_numeric() && s.trim().parse::<f64>().is_ok())
                .then(|| format!("write the number without quotes: `{}`", s.trim()))
        };
        let help = string_vs_enum(tb, ta)
            .or_else(|| string_vs_enum(ta, tb))
            .or_else(|| quoted_number(tb, ta))
            .or_else(|| quoted_number(ta, tb))
            .or_else(|| self.time_vs_date(op, ta, tb))
            .or_else(|| {
            let duration_vs_number = matches!((&ta.ty, &tb.ty), (Type::Duration, t) | (t, Type::Duration) if t.is_numeric());
            duration_vs_number.then(|| match op {
                BinaryOp::Mul | BinaryOp::Div => {
                    "a duration multiplies by a whole number (`4h * 2`); write a shorter duration instead of dividing (`2h`)".to_owned()
                }
                _ => "durations are written with a unit: `90s`, `30m`, `4h`, `2d`, `1w`".to_owned(),
            })
        });
        if let Some(help) = help {
            d = d.help(help);
        }
        self.report(d);
    }
}

impl Checker<'_> {
    /// What to write when a `time` (an instant) meets a `date` (a day): the
    /// date literal as an instant, or `now` through `days_since`.
    fn time_vs_date(&self, op: BinaryOp, ta: &TExpr, tb: &TExpr) -> Option<String> {
        let (time, date) = match (&ta.ty, &tb.ty) {
            (Type::Time, Type::Date) => (ta, tb),
            (Type::Date, Type::Time) => (tb, ta),
            _ => return None,
        };
        if let TKind::Literal(Value::Date(day)) = &date.kind {
            return Some(format!(
                "a `time` is an instant: write the day as one, such as `{day}T00:00:00Z` (the start of that day in UTC)"
            ));
        }
        let day = self.snippet(date.span);
        if matches!(time.kind, TKind::Now) {
            // `DAY op now` as a count of days: `days_since(DAY)` is above 0
            // once the day is past, so `DAY < now` is `days_since(DAY) > 0`.
            let date_first = std::ptr::eq(date, ta);
            let compared = match (op, date_first) {
                (BinaryOp::Lt, true) | (BinaryOp::Gt, false) => Some(">"),
                (BinaryOp::Le, true) | (BinaryOp::Ge, false) => Some(">="),
                (BinaryOp::Gt, true) | (BinaryOp::Lt, false) => Some("<"),
                (BinaryOp::Ge, true) | (BinaryOp::Le, false) => Some("<="),
                (BinaryOp::Eq, _) => Some("="),
                (BinaryOp::Ne, _) => Some("!="),
                _ => None,
            };
            return Some(match compared {
                Some(o) => format!(
                    "`now` is an instant and `{day}` a day: compare days, `days_since({day}) {o} 0` (`days_since` is 0 today and above 0 once the day is past)"
                ),
                None => format!(
                    "`now` is an instant and `{day}` a day: the days from today until it are `-days_since({day})`, an int, such as `-days_since({day}) <= 30`"
                ),
            });
        }
        let instant = self.snippet(time.span);
        Some(format!(
            "a `time` is an instant and a `date` a day: compare whole days, such as `days_since({instant}) > days_since({day})`"
        ))
    }
}

/// `an `int``, `a `string``: a type name with its article.
fn a_type(ty: &str) -> String {
    let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} `{ty}`")
}

/// The text with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The natural fallback of a scalar type, for the help of a missing value.
fn zero_of(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Int => Some("0"),
        Type::Number => Some("0.0"),
        Type::String => Some("\"\""),
        Type::Bool => Some("false"),
        _ => None,
    }
}
