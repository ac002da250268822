//! Explanations: why a record got its decision, rule by rule and clause by
//! clause. A clause is a part of a condition that is not `and`, `or` or `not`
//! (`score > 50`); the compiler records where each one's instructions are, and
//! a traced run reads each clause's value as control leaves it. A clause whose
//! instructions never ran (cut short by `and` or `or`) was not evaluated. Needs
//! the program's debug info, for the clause texts.

use serde::Serialize;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{Clause, HitPolicy};
use crate::bytecode::schema::Type;
use crate::bytecode::value::Value;
use crate::vm::{Decided, Decision, RecordError, Vm};

/// Why one record got its decision.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// The rules in evaluation order, as far as they were evaluated.
    pub rules: Vec<RuleTrace>,
    /// Rules that were not evaluated because an earlier one decided (`first match`).
    pub not_evaluated: Vec<String>,
}

/// One rule's evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct RuleTrace {
    /// The rule's name.
    pub rule: String,
    /// Whether its condition held.
    pub held: bool,
    /// The record error its condition ran into, if any (evaluation stops there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its clauses in source order.
    pub clauses: Vec<ClauseTrace>,
}

/// One clause's evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct ClauseTrace {
    /// The clause as written.
    pub clause: String,
    /// Its value, or `None` when it was not evaluated.
    pub value: Option<String>,
    /// The record fields (and lets) it read, with their values.
    pub reads: Vec<Read>,
}

/// A field or let a clause read.
#[derive(Clone, Debug, Serialize)]
pub struct Read {
    /// The dotted field path or let name.
    pub name: String,
    /// Its value as a policy author writes it.
    pub value: String,
}

/// One deciding rule and the clauses of it that held.
#[derive(Clone, Debug, Serialize)]
pub struct Why {
    /// The rule (`otherwise`, or none when nothing decided).
    pub rule: Option<String>,
    /// Its clauses that were true, as written.
    pub held: Vec<String>,
}

/// The `why` of a decision line, shaped like its `rule` or `rules`.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum WhyOf {
    /// `first match` and `unique match`.
    Rule(Why),
    /// `all match`.
    Rules {
        /// Every rule that held.
        rules: Vec<Why>,
    },
}

/// Why a record cannot be explained.
#[derive(Clone, Debug, PartialEq)]
pub enum ExplainError {
    /// The record is not valid for the subject type.
    Record(RecordError),
    /// The program was stripped of its debug info.
    NoDebugInfo,
}

impl Vm<'_> {
    /// Decides `record` and explains the decision.
    pub fn explain(
        &mut self,
        record: &serde_json::Value,
    ) -> Result<(Explanation, Result<Decision, RecordError>), ExplainError> {
        let program = self.program;
        let parts = program.parts();
        let debug = parts.debug.as_ref().ok_or(ExplainError::NoDebugInfo)?;
        let bound = self.bind(record).map_err(ExplainError::Record)?;
        let slots = bound.slots.clone();
        self.machine.reset();
        let mut rules = Vec::new();
        let mut not_evaluated = Vec::new();
        let mut decided = false;
        for (index, rule) in parts.rules.iter().enumerate() {
            if decided && parts.hit_policy == HitPolicy::First {
                not_evaluated.push(rule.name.clone());
                continue;
            }
            let clauses: Vec<&Clause> = debug
                .clauses
                .iter()
                .filter(|c| c.rule as usize == index)
                .collect();
            let ranges: Vec<(u32, u32)> = clauses.iter().map(|c| (c.start, c.end)).collect();
            let traced =
                self.machine
                    .run_traced(program, rule.condition, &slots, self.now, &ranges);
            let (held, values) = match traced {
                Ok((Value::Bool(held), values)) => (held, values),
                // An evaluation error stops the rules here; the decision reports it too.
                _ => {
                    let error = self.decide_bound(&bound).err().map_or_else(
                        || "the condition gave no answer".to_owned(),
                        |e| format!("{}: {}", e.code, e.message),
                    );
                    rules.push(RuleTrace {
                        rule: rule.name.clone(),
                        held: false,
                        error: Some(error),
                        clauses: Vec::new(),
                    });
                    break;
                }
            };
            let clauses = clauses
                .iter()
                .enumerate()
                .map(|(i, clause)| {
                    let value = values
                        .iter()
                        .find(|(at, _)| *at == i)
                        .map(|(_, v)| self.show(v, None));
                    ClauseTrace {
                        clause: unparenthesized(
                            debug
                                .files
                                .get(clause.span.file.0 as usize)
                                .and_then(|f| f.text.get(clause.span.range()))
                                .unwrap_or("?"),
                        ),
                        // A clause that did not run read nothing.
                        reads: if value.is_some() {
                            self.reads(clause, &slots)
                        } else {
                            Vec::new()
                        },
                        value,
                    }
                })
                .collect();
            decided |= held;
            rules.push(RuleTrace {
                rule: rule.name.clone(),
                held,
                error: None,
                clauses,
            });
        }
        let decision = self.decide_bound(&bound);
        Ok((
            Explanation {
                rules,
                not_evaluated,
            },
            decision,
        ))
    }

    /// The fields and lets a clause reads, each once, with their values.
    fn reads(&self, clause: &Clause, slots: &[Value]) -> Vec<Read> {
        let parts = self.program.parts();
        let mut out: Vec<Read> = Vec::new();
        let code = parts
            .code
            .get(clause.start as usize..=clause.end as usize)
            .unwrap_or(&[]);
        for instruction in code {
            let read = match *instruction {
                Instruction::Slot(n) => parts.slots.get(n as usize).map(|path| {
                    let value = slots.get(n as usize).cloned().unwrap_or(Value::Missing);
                    let ty = self.slot_type(path);
                    Read {
                        name: path.join("."),
                        value: self.show(&value, ty.as_ref()),
                    }
                }),
                Instruction::Let(n) => parts.lets.get(n as usize).map(|l| Read {
                    name: l.name.clone(),
                    value: self
                        .machine
                        .cached_let(n)
                        .map_or_else(|| "not evaluated".to_owned(), |v| self.show(&v, None)),
                }),
                _ => None,
            };
            if let Some(read) = read.filter(|r| !out.iter().any(|o| o.name == r.name)) {
                out.push(read);
            }
        }
        out
    }

    fn slot_type(&self, path: &[String]) -> Option<Type> {
        let schema = self.program.schema();
        let mut record = self.program.subject()?;
        let mut ty = None;
        for name in path {
            let (_, field) = record.field(name)?;
            if let Type::Record(r) = field.ty.required() {
                record = schema.record(*r)?;
            }
            ty = Some(field.ty.required().clone());
        }
        ty
    }

    /// A value as a policy author writes it: `80`, `"DE"`, `strategic`, `missing`.
    fn show(&self, value: &Value, ty: Option<&Type>) -> String {
        match (value, ty) {
            (Value::Enum(i), Some(Type::Enum(e))) => self
                .program
                .schema()
                .enum_type(*e)
                .and_then(|t| t.variants.get(*i as usize))
                .cloned()
                .unwrap_or_else(|| format!("variant #{i}")),
            (Value::List(items), Some(Type::List(inner))) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|v| self.show(v, Some(inner)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            (Value::Missing, _) => "missing".to_owned(),
            (Value::Present, _) => "present".to_owned(),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Int(n), _) => n.to_string(),
            (Value::Number(x), _) => x.to_string(),
            (Value::Str(s), _) => serde_json::to_string(&**s).unwrap_or_default(),
            (Value::Time(t), _) => t.to_string(),
            (Value::Date(d), _) => d.to_string(),
            (Value::Duration(d), _) => format!("{d:#}"),
            (Value::Enum(i), _) => format!("variant #{i}"),
            (Value::List(items), _) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|v| self.show(v, None))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl Explanation {
    /// The explanation for a person, one line per rule and clause.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for rule in &self.rules {
            let verdict = match (&rule.error, rule.held) {
                (Some(error), _) => format!("stopped by error {error}"),
                (None, true) => "held".to_owned(),
                (None, false) => "did not hold".to_owned(),
            };
            out.push_str(&format!("rule {}: {verdict}\n", rule.rule));
            for clause in &rule.clauses {
                let value = clause.value.as_deref().unwrap_or("not evaluated");
                let reads: Vec<String> = clause
                    .reads
                    .iter()
                    .map(|r| format!("{} = {}", r.name, r.value))
                    .collect();
                if reads.is_empty() || clause.value.is_none() {
                    out.push_str(&format!("  {} — {value}\n", clause.clause));
                } else {
                    out.push_str(&format!(
                        "  {} — {value} ({})\n",
                        clause.clause,
                        reads.join(", ")
                    ));
                }
            }
        }
        if !self.not_evaluated.is_empty() {
            out.push_str(&format!(
                "not evaluated, an earlier rule decided: {}\n",
                self.not_evaluated.join(", ")
            ));
        }
        out
    }

    /// A compact `why` for a decision line: the deciding rule and the clauses
    /// that held in it, or under `all match` every rule that held;
    /// `otherwise` holds no clauses.
    pub fn why(&self, decided: &Decided) -> WhyOf {
        let one = |name: Option<&String>| Why {
            rule: name.cloned(),
            held: name
                .and_then(|name| self.rules.iter().find(|r| r.held && r.rule == *name))
                .map(|r| {
                    r.clauses
                        .iter()
                        .filter(|c| c.value.as_deref() == Some("true"))
                        .map(|c| c.clause.clone())
                        .collect()
                })
                .unwrap_or_default(),
        };
        match decided {
            Decided::Rule(rule) => WhyOf::Rule(one(rule.as_ref())),
            Decided::Rules(rules) => WhyOf::Rules {
                rules: rules.iter().map(|r| one(Some(r))).collect(),
            },
        }
    }
}

/// A clause's text without the parentheses around all of it: `((x = 1))` is `x = 1`.
pub fn unparenthesized(text: &str) -> String {
    let mut text = text.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        // Only a pair that encloses everything: `(a) and (b)` keeps its parentheses.
        let mut depth = 0i32;
        let encloses = inner.chars().all(|c| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !encloses {
            break;
        }
        text = inner.trim();
    }
    text.to_owned()
}
