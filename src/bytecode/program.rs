//! The Program: everything the VM needs to decide records, produced by the
//! compiler or loaded from a `.roec` file. The two paths meet in
//! [`Program::new`], which checks every index before anything runs.

use jiff::SignedDuration;
use regex::Regex;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::schema::{Schema, Type};
use crate::bytecode::value::Value;
use crate::source::Span;
use crate::time::{Calendar, CalendarSpec};

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
pub struct Slo {
    /// As written in the source (`4h`, `4 business hours`), printed back in decisions.
    pub text: String,
    /// How long it is.
    pub length: SloLength,
    /// `of FIELD`: the time field it counts from; `None` counts from `now`.
    pub anchor: Option<Anchor>,
}

/// The time field an SLO counts from: `within 4h of created_at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Anchor {
    /// The slot the field is bound to (a `time`, present whenever the
    /// action runs).
    pub slot: u32,
    /// The field's path as written, printed back in decisions (`created_at`).
    pub path: String,
}

/// The length of an SLO: wall-clock time, or open time on a calendar.
#[derive(Clone, Debug, PartialEq)]
pub enum SloLength {
    /// Wall-clock time: `4h`.
    Wall(SignedDuration),
    /// Business time: `4 business hours`, `2 business days`.
    Business {
        /// How many hours or days.
        amount: i64,
        /// Days rather than hours.
        days: bool,
        /// The calendar, by index into [`ProgramParts::calendars`].
        calendar: u32,
    },
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
        within: Option<Slo>,
    },
    /// `assign to EXPR [or hand off to TEAM] [within D]`
    Assign {
        /// Gives the assignee; with a fallback it may give nothing.
        to: Block,
        /// The response SLO.
        within: Option<Slo>,
        /// Index into [`Program::teams`] of the team that takes the record
        /// when the block gives no one (or, with assignment on, someone away).
        fallback: Option<u32>,
    },
    /// `escalate to TARGET after D`
    Escalate {
        /// Who is told.
        target: Target,
        /// When.
        after: Slo,
    },
    /// `reassign to TEAM after D`
    Reassign {
        /// Index into [`Program::teams`].
        team: u32,
        /// When.
        after: Slo,
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

impl ActionTemplate {
    /// The SLO the action counts, if it has one.
    pub fn slo(&self) -> Option<&Slo> {
        match self {
            ActionTemplate::HandOff { within, .. } | ActionTemplate::Assign { within, .. } => {
                within.as_ref()
            }
            ActionTemplate::Escalate { after, .. } | ActionTemplate::Reassign { after, .. } => {
                Some(after)
            }
            _ => None,
        }
    }

    /// The block the action evaluates for each record, if it has one.
    pub fn block(&self) -> Option<Block> {
        match self {
            ActionTemplate::Assign { to: b, .. }
            | ActionTemplate::Tag { tag: b }
            | ActionTemplate::Set { value: b, .. }
            | ActionTemplate::Drop { reason: b }
            | ActionTemplate::Escalate {
                target: Target::Person(b),
                ..
            }
            | ActionTemplate::Notify {
                target: Target::Person(b),
            } => Some(*b),
            ActionTemplate::HandOff { .. }
            | ActionTemplate::Reassign { .. }
            | ActionTemplate::Escalate { .. }
            | ActionTemplate::Notify { .. } => None,
        }
    }
}

/// A team: the people it hands records to, and how one of them is picked.
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    /// The team's name.
    pub name: String,
    /// Its members, each once, in the order first listed (`members`, then
    /// anyone only weighted); none for a `queue` or a team of no one.
    pub members: Vec<String>,
    /// How a member is picked.
    pub pick: Pick,
    /// At most this many records per member in each day or week.
    pub cap: Option<Cap>,
    /// The team a record goes to when no member can take it.
    pub overflow: Option<u32>,
    /// The calendar whose zone a cap's days and weeks are counted in: the
    /// team's `working hours`, else the policy's; `None` counts in UTC.
    pub calendar: Option<u32>,
}

impl Team {
    /// A team of no one with a plain name (for programs made by hand).
    pub fn named(name: impl Into<String>) -> Team {
        Team {
            name: name.into(),
            members: Vec::new(),
            pick: Pick::RoundRobin,
            cap: None,
            overflow: None,
            calendar: None,
        }
    }
}

/// How a team picks a member.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// In turn, skipping who cannot take the record.
    RoundRobin,
    /// By weight, one weight per member in hundredths of a percent (they
    /// add up to 10,000): smooth weighted round robin, so 60/40 over ten
    /// records is 6/4 in one fixed interleaving.
    Weighted(Vec<u32>),
}

/// A cap on the records one member takes in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    /// At most this many records.
    pub limit: u32,
    /// Per calendar day, or per week (Monday to Sunday).
    pub window: CapWindow,
}

/// The window a cap counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapWindow {
    /// A calendar day in the team's zone.
    Day,
    /// A week, Monday to Sunday, in the team's zone.
    Week,
}

/// A `let`: its name (for listings and explanations) and its block.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// The let's name.
    pub name: String,
    /// Gives its value.
    pub block: Block,
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

/// A source file kept in the debug info, so listings and explanations can
/// quote the policy without the original files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DebugFile {
    /// The name diagnostics gave it.
    pub name: String,
    /// Its full text.
    pub text: String,
}

/// Where instructions came from: the sources, and a run-length table from code
/// position to span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DebugInfo {
    /// The source files, indexed by the spans' file ids.
    pub files: Vec<DebugFile>,
    /// `(first instruction, span)` pairs in code order.
    pub spans: Vec<(u32, Span)>,
    /// The clauses of every rule condition, for explanations.
    pub clauses: Vec<Clause>,
}

/// A clause of a rule's condition: a part that is not `and`, `or` or `not`,
/// such as `score > 50`. Its value is on top of the stack after its last
/// instruction runs; a clause whose instructions never run was not evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clause {
    /// The rule, by index.
    pub rule: u32,
    /// Its first instruction.
    pub start: u32,
    /// Its last instruction.
    pub end: u32,
    /// Where it is written.
    pub span: Span,
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
    pub lets: Vec<Let>,
    /// The rules in file order.
    pub rules: Vec<Rule>,
    /// The actions of `otherwise`, if there is one.
    pub otherwise: Option<Vec<ActionTemplate>>,
    /// The teams, with their members and how they pick one.
    pub teams: Vec<Team>,
    /// Business calendars, for business-time SLOs and calendar functions.
    pub calendars: Vec<CalendarSpec>,
    /// Sources and spans for the code; `None` in a stripped program.
    pub debug: Option<DebugInfo>,
}

/// A program ready to run: its parts, checked, with patterns compiled.
#[derive(Clone, Debug)]
pub struct Program {
    parts: ProgramParts,
    regexes: Vec<Regex>,
    calendars: Vec<Calendar>,
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
        crate::bytecode::verify::verify(&parts)?;
        let regexes = parts
            .patterns
            .iter()
            .map(|p| Regex::new(p).map_err(|e| InvalidProgram(format!("pattern `{p}`: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let calendars = parts
            .calendars
            .iter()
            .map(|spec| Calendar::new(spec.clone()).map_err(InvalidProgram))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Program {
            parts,
            regexes,
            calendars,
        })
    }

    /// The program's parts.
    pub fn parts(&self) -> &ProgramParts {
        &self.parts
    }

    /// The types the program was checked against.
    pub fn schema(&self) -> &Schema {
        &self.parts.schema
    }

    /// The record type the program decides (its records must have this shape).
    pub fn subject(&self) -> Option<&crate::bytecode::schema::RecordType> {
        self.parts.schema.record(self.parts.subject)
    }

    /// A fingerprint of the subject record type and every type it reaches: two
    /// programs accept the same records exactly when their fingerprints match.
    pub fn schema_fingerprint(&self) -> u64 {
        crate::bytecode::fingerprint::schema_fingerprint(&self.parts.schema, self.parts.subject)
    }

    /// The same program without its debug info (sources and spans).
    pub fn stripped(&self) -> Program {
        let mut program = self.clone();
        program.parts.debug = None;
        program
    }

    /// The calendar `n`, ready for business-time arithmetic.
    pub fn calendar(&self, n: u32) -> Option<&Calendar> {
        self.calendars.get(n as usize)
    }

    /// The compiled pattern `n`.
    pub fn regex(&self, n: u32) -> Option<&Regex> {
        self.regexes.get(n as usize)
    }
}
