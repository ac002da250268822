//! The Program: everything the VM needs to decide records, produced by the
//! compiler or loaded from a `.roec` file. The two paths meet in
//! [`Program::new`], which checks every index before anything runs.

use jiff::SignedDuration;
use regex::Regex;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;
use crate::source::Span;

/// How rules combine into a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitPolicy {
    /// The first rule that holds decides.
    First,
    /// Every rule that holds contributes.
    All,
    /// At most one rule may hold.
    Unique,
}

/// A range of the Program's code that leaves one value on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// First instruction.
    pub start: u32,
    /// One past the last instruction.
    pub end: u32,
}

/// A duration as the policy wrote it, for SLOs.
#[derive(Clone, Debug, PartialEq)]
pub struct Sla {
    /// As written in the source (`4h`), printed back in decisions.
    pub text: String,
    /// Its length.
    pub duration: SignedDuration,
}

/// Who an escalation or notification goes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A team, by index into [`Program::teams`].
    Team(u32),
    /// A person or channel: a block giving a string.
    Person(Block),
}

/// An action of a rule, with its operands as blocks to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionTemplate {
    /// `hand off to TEAM [within D]`
    HandOff {
        /// Index into [`Program::teams`].
        team: u32,
        /// The response SLO.
        within: Option<Sla>,
    },
    /// `assign to EXPR [within D]`
    Assign {
        /// Gives the assignee.
        to: Block,
        /// The response SLO.
        within: Option<Sla>,
    },
    /// `escalate to TARGET after D`
    Escalate {
        /// Who is told.
        target: Target,
        /// When.
        after: Sla,
    },
    /// `reassign to TEAM after D`
    Reassign {
        /// Index into [`Program::teams`].
        team: u32,
        /// When.
        after: Sla,
    },
    /// `notify STRING | TEAM`
    Notify {
        /// Who is told.
        target: Target,
    },
    /// `tag EXPR`
    Tag {
        /// Gives the tag.
        tag: Block,
    },
    /// `set FIELD to EXPR`
    Set {
        /// The dotted field path.
        field: String,
        /// Gives the new value.
        value: Block,
        /// The field's type, to print enum variants by name.
        ty: Type,
    },
    /// `drop REASON`
    Drop {
        /// Gives the reason.
        reason: Block,
    },
}

/// A rule: its condition and its actions.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// Gives a bool.
    pub condition: Block,
    /// Its actions in order.
    pub actions: Vec<ActionTemplate>,
}

/// Where instructions came from: a run-length table from code position to span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DebugInfo {
    /// The source files' names, indexed by the spans' file ids.
    pub files: Vec<String>,
    /// `(first instruction, span)` pairs in code order.
    pub spans: Vec<(u32, Span)>,
}

impl DebugInfo {
    /// The span of the instruction at `pc`, if recorded.
    pub fn span_at(&self, pc: u32) -> Option<Span> {
        let index = match self.spans.binary_search_by_key(&pc, |(start, _)| *start) {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        self.spans.get(index).map(|(_, span)| *span)
    }
}

/// The parts of a Program, as the compiler or the decoder assembles them.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramParts {
    /// The policy's name.
    pub name: String,
    /// How rules combine.
    pub hit_policy: HitPolicy,
    /// The types the policy was checked against.
    pub schema: Schema,
    /// The subject record, by index into the schema's records.
    pub subject: u32,
    /// Field paths from the subject record the code reads, by slot.
    pub slots: Vec<Vec<String>>,
    /// The constant pool.
    pub constants: Vec<Value>,
    /// Regex sources for `matches`.
    pub patterns: Vec<String>,
    /// All code; blocks are ranges of it.
    pub code: Vec<Instruction>,
    /// Each let's block.
    pub lets: Vec<Block>,
    /// The rules in file order.
    pub rules: Vec<Rule>,
    /// The actions of `otherwise`, if there is one.
    pub otherwise: Option<Vec<ActionTemplate>>,
    /// Team names.
    pub teams: Vec<String>,
    /// Spans for the code.
    pub debug: DebugInfo,
}

/// A program ready to run: its parts, checked, with patterns compiled.
#[derive(Clone, Debug)]
pub struct Program {
    parts: ProgramParts,
    regexes: Vec<Regex>,
}

/// Why a set of parts is not a program the VM can run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidProgram(pub String);

impl std::fmt::Display for InvalidProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Program {
    /// Checks that every index in `parts` is in bounds and compiles the patterns.
    pub fn new(parts: ProgramParts) -> Result<Program, InvalidProgram> {
        check_parts(&parts)?;
        let regexes = parts
            .patterns
            .iter()
            .map(|p| Regex::new(p).map_err(|e| InvalidProgram(format!("pattern `{p}`: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Program { parts, regexes })
    }

    /// The program's parts.
    pub fn parts(&self) -> &ProgramParts {
        &self.parts
    }

    /// The compiled pattern `n`.
    pub fn regex(&self, n: u32) -> Option<&Regex> {
        self.regexes.get(n as usize)
    }
}

fn check_parts(p: &ProgramParts) -> Result<(), InvalidProgram> {
    let bad = |what: String| Err(InvalidProgram(what));
    if p.schema.record(p.subject).is_none() {
        return bad(format!(
            "subject record #{} is not in the schema",
            p.subject
        ));
    }
    let code_len = p.code.len();
    let block_ok = |b: &Block| b.start <= b.end && (b.end as usize) <= code_len;
    for (pc, instruction) in p.code.iter().enumerate() {
        let ok = match *instruction {
            Instruction::Const(n) => (n as usize) < p.constants.len(),
            Instruction::Slot(n) => (n as usize) < p.slots.len(),
            Instruction::Let(n) => (n as usize) < p.lets.len(),
            Instruction::Matches(n) => (n as usize) < p.patterns.len(),
            Instruction::JumpIfFalseOrPop(t)
            | Instruction::JumpIfTrueOrPop(t)
            | Instruction::JumpIfPresentOrPop(t) => (t as usize) > pc && (t as usize) <= code_len,
            _ => true,
        };
        if !ok {
            return bad(format!(
                "instruction {pc} ({instruction:?}) points outside the program"
            ));
        }
    }
    let team_ok = |t: u32| (t as usize) < p.teams.len();
    let target_ok = |t: &Target| match t {
        Target::Team(n) => team_ok(*n),
        Target::Person(b) => block_ok(b),
    };
    let action_ok = |a: &ActionTemplate| match a {
        ActionTemplate::HandOff { team, .. } | ActionTemplate::Reassign { team, .. } => {
            team_ok(*team)
        }
        ActionTemplate::Assign { to: b, .. }
        | ActionTemplate::Tag { tag: b }
        | ActionTemplate::Set { value: b, .. }
        | ActionTemplate::Drop { reason: b } => block_ok(b),
        ActionTemplate::Escalate { target, .. } | ActionTemplate::Notify { target } => {
            target_ok(target)
        }
    };
    let all_blocks = p.lets.iter().chain(p.rules.iter().map(|r| &r.condition));
    if !all_blocks.into_iter().all(block_ok) {
        return bad("a block points outside the code".into());
    }
    let actions = p
        .rules
        .iter()
        .flat_map(|r| r.actions.iter())
        .chain(p.otherwise.iter().flatten());
    for action in actions {
        if !action_ok(action) {
            return bad(format!("action {action:?} points outside the program"));
        }
    }
    Ok(())
}
