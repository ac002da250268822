//! Typed IR to bytecode. Each let, rule condition and action operand becomes
//! a block of the one code vector. Constant subexpressions (consts included)
//! are folded into the constant pool with the same operator semantics the VM
//! uses; `and`, `or` and `default` become forward jumps patched once their
//! target is known; every instruction's span goes into a run-length table.

pub(crate) mod fold;
mod pool;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{
    ActionTemplate, Block, Clause, DebugFile, DebugInfo, Let, Program, ProgramParts, Rule, Target,
};
use crate::bytecode::value::{OpError, Value};
use crate::check::tir::{Checked, LocalPart, TAction, TExpr, TKind, TTarget};
use crate::diagnostics::{Diagnostic, codes};
use crate::source::{SourceMap, Span};
use fold::{ConstError, ConstValues};
use pool::ConstantPool;

/// Compiles a checked policy into a Program.
pub fn compile(checked: &Checked, sources: &SourceMap) -> Result<Program, Vec<Diagnostic>> {
    let (consts, errors) = ConstValues::fold(checked);
    let mut emitter = Emitter {
        consts,
        ..Emitter::default()
    };
    for ConstError { error, span } in errors {
        emitter.fold_error(error, span);
    }
    let lets = checked
        .lets
        .iter()
        .map(|l| Let {
            name: l.name.clone(),
            block: emitter.block(&l.value),
        })
        .collect();
    let rules = checked
        .rules
        .iter()
        .map(|r| Rule {
            name: r.name.clone(),
            condition: emitter.condition(&r.condition),
            actions: r.actions.iter().map(|a| emitter.action(a)).collect(),
        })
        .collect();
    let otherwise = checked
        .otherwise
        .as_ref()
        .map(|actions| actions.iter().map(|a| emitter.action(a)).collect());
    if !emitter.diagnostics.is_empty() {
        return Err(emitter.diagnostics);
    }
    let parts = ProgramParts {
        name: checked.name.clone(),
        hit_policy: checked.hit_policy,
        schema: checked.schema.clone(),
        subject: checked.subject,
        slots: checked.slots.clone(),
        constants: emitter.constants.into_values(),
        patterns: emitter.patterns,
        code: emitter.code,
        lets,
        rules,
        otherwise,
        teams: checked.teams.iter().map(|t| t.team.clone()).collect(),
        calendars: checked.calendars.clone(),
        debug: Some(DebugInfo {
            files: sources
                .iter()
                .map(|(_, f)| DebugFile {
                    name: f.name.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            spans: emitter.spans,
            clauses: emitter.clauses,
        }),
    };
    Program::new(parts).map_err(|e| {
        vec![
            Diagnostic::error(
                codes::INTERNAL,
                format!("the compiled program is invalid: {e}"),
                Span::default(),
            )
            .help("this is a bug in roe; please report it with the policy"),
        ]
    })
}

#[derive(Default)]
struct Emitter {
    code: Vec<Instruction>,
    constants: ConstantPool,
    patterns: Vec<String>,
    spans: Vec<(u32, Span)>,
    consts: ConstValues,
    diagnostics: Vec<Diagnostic>,
    /// While emitting a rule condition: the rule's index, for clause records.
    clause_rule: Option<u32>,
    rule_count: usize,
    clauses: Vec<Clause>,
}

fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Emitter {
    fn fold_error(&mut self, error: OpError, span: Span) {
        let (what, help) = match error {
            OpError::Overflow => (
                "the arithmetic overflows",
                "ints are 64-bit: keep results within ±9223372036854775807".to_owned(),
            ),
            OpError::DivisionByZero => (
                "it divides by zero",
                "divide by a value other than zero".to_owned(),
            ),
            OpError::TimeRange => (
                "the time arithmetic leaves the supported range",
                format!("keep instants from {}", crate::time::rfc3339::range_text()),
            ),
            // Only a const that already failed (and was reported) gives a type error here.
            OpError::Type => return,
        };
        self.diagnostics.push(
            Diagnostic::error(
                codes::NOT_CONSTANT,
                "this constant expression cannot be evaluated",
                span,
            )
            .label(span, what)
            .help(help),
        );
    }

    fn push(&mut self, instruction: Instruction, span: Span) -> usize {
        let pc = self.code.len();
        if self.spans.last().is_none_or(|(_, s)| *s != span) {
            self.spans.push((index(pc), span));
        }
        self.code.push(instruction);
        pc
    }

    /// A rule's condition, recording its clauses for explanations.
    fn condition(&mut self, e: &TExpr) -> Block {
        self.clause_rule = Some(index(self.rule_count));
        let block = self.block(e);
        self.clause_rule = None;
        self.rule_count += 1;
        block
    }

    fn block(&mut self, e: &TExpr) -> Block {
        let start = index(self.code.len());
        self.emit(e);
        Block {
            start,
            end: index(self.code.len()),
        }
    }

    fn patch(&mut self, at: usize) {
        let target = index(self.code.len());
        if let Some(
            Instruction::JumpIfFalseOrPop(t)
            | Instruction::JumpIfTrueOrPop(t)
            | Instruction::JumpIfPresentOrPop(t),
        ) = self.code.get_mut(at)
        {
            *t = target;
        }
    }

    fn emit(&mut self, e: &TExpr) {
        // `x is not set` is one clause (a `not` with the same span as its operand).
        let logical = match &e.kind {
            TKind::And(..) | TKind::Or(..) => true,
            TKind::Not(inner) => inner.span != e.span,
            _ => false,
        };
        match self.clause_rule {
            // The first node below the `and`/`or`/`not` skeleton of a condition is a clause.
            Some(rule) if !logical => {
                let start = index(self.code.len());
                self.clause_rule = None;
                self.emit_node(e);
                self.clause_rule = Some(rule);
                let end = index(self.code.len()).saturating_sub(1);
                self.clauses.push(Clause {
                    rule,
                    start,
                    end,
                    span: e.span,
                });
            }
            _ => self.emit_node(e),
        }
    }

    fn emit_node(&mut self, e: &TExpr) {
        let span = e.span;
        if !matches!(e.kind, TKind::Literal(_))
            && let Some(folded) = self.consts.constant(e)
        {
            match folded {
                Ok(value) => {
                    let i = self.constants.index_of(value);
                    self.push(Instruction::Const(i), span);
                }
                Err(error) => self.fold_error(error, span),
            }
            return;
        }
        match &e.kind {
            TKind::Literal(v) => {
                let i = self.constants.index_of(v.clone());
                self.push(Instruction::Const(i), span);
            }
            TKind::Const(c) => {
                let value = self.consts.get(*c).cloned().unwrap_or(Value::Missing);
                let i = self.constants.index_of(value);
                self.push(Instruction::Const(i), span);
            }
            TKind::Let(i) => {
                self.push(Instruction::Let(index(*i)), span);
            }
            TKind::Slot(s) => {
                self.push(Instruction::Slot(*s), span);
            }
            TKind::Now => {
                self.push(Instruction::Now, span);
            }
            TKind::List(items) => {
                items.iter().for_each(|item| self.emit(item));
                self.push(Instruction::MakeList(index(items.len())), span);
            }
            TKind::Not(inner) => {
                self.emit(inner);
                self.push(Instruction::Not, span);
            }
            TKind::Neg(inner) => {
                self.emit(inner);
                self.push(Instruction::Neg, span);
            }
            TKind::ToNumber(inner) => {
                self.emit(inner);
                self.push(Instruction::ToNumber, span);
            }
            TKind::And(a, b) | TKind::Or(a, b) => {
                self.emit(a);
                let jump = if matches!(e.kind, TKind::And(..)) {
                    Instruction::JumpIfFalseOrPop(0)
                } else {
                    Instruction::JumpIfTrueOrPop(0)
                };
                let at = self.push(jump, span);
                self.emit(b);
                self.patch(at);
            }
            TKind::Default(x, y) => {
                self.emit(x);
                let at = self.push(Instruction::JumpIfPresentOrPop(0), span);
                self.emit(y);
                self.patch(at);
            }
            TKind::Binary(op, a, b) => {
                self.emit(a);
                self.emit(b);
                self.push(Instruction::Binary(*op), span);
            }
            TKind::Matches(inner, pattern) => {
                self.emit(inner);
                let i = match self.patterns.iter().position(|p| p == pattern) {
                    Some(i) => index(i),
                    None => {
                        self.patterns.push(pattern.clone());
                        index(self.patterns.len() - 1)
                    }
                };
                self.push(Instruction::Matches(i), span);
            }
            TKind::IsSet(inner) => {
                self.emit(inner);
                self.push(Instruction::IsSet, span);
            }
            TKind::IsOpen(calendar) => {
                self.push(Instruction::IsOpen(*calendar), span);
            }
            TKind::OpenHoursBetween(a, b, calendar) => {
                self.emit(a);
                self.emit(b);
                self.push(Instruction::OpenHoursBetween(*calendar), span);
            }
            TKind::LocalPart(t, calendar, part) => {
                self.emit(t);
                let instruction = match part {
                    LocalPart::Weekday => Instruction::LocalWeekday(*calendar),
                    LocalPart::Hour => Instruction::LocalHour(*calendar),
                };
                self.push(instruction, span);
            }
            TKind::Call(builtin, arg) => {
                self.emit(arg);
                self.push(Instruction::Call(*builtin), span);
            }
        }
    }

    fn target(&mut self, t: &TTarget) -> Target {
        match t {
            TTarget::Team(n) => Target::Team(*n),
            TTarget::Person(e) => Target::Person(self.block(e)),
        }
    }

    fn action(&mut self, a: &TAction) -> ActionTemplate {
        match a {
            TAction::HandOff { team, within } => ActionTemplate::HandOff {
                team: *team,
                within: within.clone(),
            },
            TAction::Assign {
                to,
                within,
                fallback,
            } => ActionTemplate::Assign {
                to: self.block(to),
                within: within.clone(),
                fallback: *fallback,
            },
            TAction::Escalate { target, after } => ActionTemplate::Escalate {
                target: self.target(target),
                after: after.clone(),
            },
            TAction::Reassign { team, after } => ActionTemplate::Reassign {
                team: *team,
                after: after.clone(),
            },
            TAction::Notify(target) => ActionTemplate::Notify {
                target: self.target(target),
            },
            TAction::Tag(tag) => ActionTemplate::Tag {
                tag: self.block(tag),
            },
            TAction::Set { field, value, ty } => ActionTemplate::Set {
                field: field.clone(),
                value: self.block(value),
                ty: ty.clone(),
            },
            TAction::Drop(reason) => ActionTemplate::Drop {
                reason: self.block(reason),
            },
        }
    }
}

#[cfg(test)]
mod tests;
