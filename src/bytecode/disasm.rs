//! A readable listing of a Program: its header, pools and slots, then each
//! let, rule condition and action operand as instructions. When the program
//! keeps its debug info, each run of instructions is preceded by the source
//! line it came from.

use std::collections::HashMap;
use std::fmt::Write;

use crate::bytecode::format::Header;
use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{
    ActionTemplate, Block, CapWindow, HitPolicy, Pick, Program, ProgramParts, Slo, SloLength,
    Target, Team,
};
use crate::bytecode::schema::Type;
use crate::bytecode::value::Value;

/// The listing of `program`, with the file `header` when it came from a `.roec`.
pub fn disassemble(program: &Program, header: Option<&Header>) -> String {
    let mut out = Listing {
        program,
        text: String::new(),
        last_line: None,
        enums: HashMap::new(),
    };
    out.name_enum_constants();
    out.header(header);
    out.pools();
    let parts = program.parts();
    for l in &parts.lets {
        out.line(&format!("let {}", l.name));
        out.block(l.block, "  ");
    }
    for rule in &parts.rules {
        out.line(&format!("rule {}", rule.name));
        out.line("  when");
        out.block(rule.condition, "    ");
        out.line("  then");
        out.actions(&rule.actions);
    }
    if let Some(actions) = &parts.otherwise {
        out.line("otherwise");
        out.actions(actions);
    }
    out.text
}

struct Listing<'p> {
    program: &'p Program,
    text: String,
    /// The (file, line) of the source line printed last.
    last_line: Option<(u32, usize)>,
    /// The enum type of each `const` instruction (by position) whose constant
    /// is compared with an enum slot or set into an enum field, to print its
    /// variants by name. One constant may serve several enums (`Enum(2)` is
    /// `enterprise` in one and `partner` in another), so each use is named
    /// by its own site.
    enums: HashMap<u32, u32>,
}

impl Listing<'_> {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    /// Finds constants compared with a slot of an enum type (`slot; const; binary =`)
    /// and constants set into an enum field, so the listing can name their variants.
    fn name_enum_constants(&mut self) {
        let parts = self.program.parts();
        for (at, window) in (1u32..).zip(parts.code.windows(3)) {
            if let [
                Instruction::Slot(s),
                Instruction::Const(_),
                Instruction::Binary(_),
            ] = window
                && let Some(path) = parts.slots.get(*s as usize)
                && let Some(Type::Enum(e)) = self.slot_type(path).as_ref().map(Type::required)
            {
                self.enums.insert(at, *e);
            }
        }
        let actions = parts
            .rules
            .iter()
            .flat_map(|r| r.actions.iter())
            .chain(parts.otherwise.iter().flatten());
        for action in actions {
            if let ActionTemplate::Set {
                value,
                ty: Type::Enum(e),
                ..
            } = action
                && let Some(Instruction::Const(_)) = parts.code.get(value.start as usize)
            {
                self.enums.insert(value.start, *e);
            }
        }
    }

    /// Constant `n` as the pool lists it: by the variant names of every enum
    /// it is used as, or as a value.
    fn pooled(&self, n: u32) -> String {
        let parts = self.program.parts();
        let mut enums: Vec<u32> = self
            .enums
            .iter()
            .filter(|(at, _)| parts.code.get(**at as usize) == Some(&Instruction::Const(n)))
            .map(|(_, e)| *e)
            .collect();
        enums.sort_unstable();
        enums.dedup();
        match enums.as_slice() {
            [] => self.constant(n, None),
            [one] => self.constant(n, Some(*one)),
            several => several
                .iter()
                .map(|e| {
                    let name = self
                        .program
                        .schema()
                        .enum_type(*e)
                        .map_or("?", |t| t.name.as_str());
                    format!("{} ({name})", self.constant(n, Some(*e)))
                })
                .collect::<Vec<_>>()
                .join(" / "),
        }
    }

    /// Constant `n` as the listing shows it, by the variant names of enum
    /// `as_enum` when it is one.
    fn constant(&self, n: u32, as_enum: Option<u32>) -> String {
        let Some(v) = self.program.parts().constants.get(n as usize) else {
            return String::new();
        };
        let Some(variants) = as_enum.and_then(|e| self.program.schema().enum_type(e)) else {
            return value(v);
        };
        let name = |v: &Value| match v {
            Value::Enum(i) => variants
                .variants
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(|| value(v)),
            other => value(other),
        };
        match v {
            Value::List(items) => format!(
                "[{}]",
                items.iter().map(name).collect::<Vec<_>>().join(", ")
            ),
            other => name(other),
        }
    }

    fn header(&mut self, header: Option<&Header>) {
        let parts = self.program.parts();
        let subject = self.program.subject().map_or("?", |r| r.name.as_str());
        let hit = match parts.hit_policy {
            HitPolicy::First => "first match",
            HitPolicy::All => "all match",
            HitPolicy::Unique => "unique match",
        };
        self.line(&format!("policy {} for {subject} ({hit})", parts.name));
        if let Some(h) = header {
            self.line(&format!(
                "format {}, written by {}",
                h.format_version, h.compiler
            ));
        }
        self.line(&format!(
            "schema fingerprint {:016x}",
            self.program.schema_fingerprint()
        ));
        self.line(&format!(
            "debug info: {}",
            if parts.debug.is_some() {
                "sources and spans"
            } else {
                "stripped"
            }
        ));
        self.line(&format!(
            "{} instructions, {} constants, {} slots, {} lets, {} rules",
            parts.code.len(),
            parts.constants.len(),
            parts.slots.len(),
            parts.lets.len(),
            parts.rules.len()
        ));
        self.line("");
    }

    fn pools(&mut self) {
        let parts = self.program.parts();
        if !parts.constants.is_empty() {
            self.line("constants");
            for i in 0..parts.constants.len() {
                let shown = self.pooled(u32::try_from(i).unwrap_or(u32::MAX));
                self.line(&format!("  c{i:<4} {shown}"));
            }
        }
        if !parts.slots.is_empty() {
            self.line("slots");
            for (i, path) in parts.slots.iter().enumerate() {
                let ty = self
                    .slot_type(path)
                    .map_or_else(|| "?".to_owned(), |t| parts.schema.display(&t));
                self.line(&format!("  s{i:<4} {}: {ty}", path.join(".")));
            }
        }
        if !parts.patterns.is_empty() {
            self.line("patterns");
            for (i, p) in parts.patterns.iter().enumerate() {
                self.line(&format!("  p{i:<4} {}", quoted(p)));
            }
        }
        if !parts.calendars.is_empty() {
            self.line("calendars");
            for (i, c) in parts.calendars.iter().enumerate() {
                let days: Vec<String> = c
                    .week
                    .iter()
                    .zip(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
                    .filter(|(w, _)| !w.is_empty())
                    .map(|(w, day)| {
                        let windows: Vec<String> = w
                            .iter()
                            .map(|(s, e)| format!("{}-{}", clock(*s), clock(*e)))
                            .collect();
                        format!("{day} {}", windows.join(","))
                    })
                    .collect();
                self.line(&format!(
                    "  k{i:<4} {} ({}): {}; {} closed {}",
                    c.name,
                    c.zone,
                    days.join("; "),
                    c.closed.len(),
                    if c.closed.len() == 1 {
                        "range"
                    } else {
                        "ranges"
                    }
                ));
            }
        }
        if !parts.teams.is_empty() {
            self.line("teams");
            for (i, t) in parts.teams.iter().enumerate() {
                self.line(&format!("  t{i:<4} {}", describe_team(t, parts)));
            }
        }
        self.line("");
    }

    /// The declared type of a slot path (optional if any step is).
    fn slot_type(&self, path: &[String]) -> Option<Type> {
        let parts = self.program.parts();
        parts.schema.path_type(parts.subject, path)
    }

    fn block(&mut self, block: Block, indent: &str) {
        let parts = self.program.parts();
        for pc in block.start..block.end {
            self.source_line(pc, indent);
            let Some(instruction) = parts.code.get(pc as usize) else {
                continue;
            };
            let listed = self.instruction(pc, *instruction);
            self.line(&format!("{indent}{pc:04}  {listed}"));
        }
    }

    /// Prints the source line of instruction `pc` when it differs from the last one printed.
    fn source_line(&mut self, pc: u32, indent: &str) {
        let Some(debug) = &self.program.parts().debug else {
            return;
        };
        let Some(span) = debug.span_at(pc) else {
            return;
        };
        let Some(file) = debug.files.get(span.file.0 as usize) else {
            return;
        };
        let start = (span.start as usize).min(file.text.len());
        let line = file
            .text
            .get(..start)
            .map_or(0, |before| before.matches('\n').count())
            + 1;
        if self.last_line == Some((span.file.0, line)) {
            return;
        }
        self.last_line = Some((span.file.0, line));
        let text = file.text.lines().nth(line - 1).unwrap_or("").trim();
        let _ = writeln!(self.text, "{indent}      ; {}:{line}  {text}", file.name);
    }

    /// The instruction at `pc` as the listing shows it.
    fn instruction(&self, pc: u32, instruction: Instruction) -> String {
        let parts = self.program.parts();
        match instruction {
            Instruction::Const(n) => {
                let shown = self.constant(n, self.enums.get(&pc).copied());
                format!("const     c{n:<5} ; {shown}")
            }
            Instruction::Slot(n) => {
                let shown = parts
                    .slots
                    .get(n as usize)
                    .map(|p| p.join("."))
                    .unwrap_or_default();
                format!("slot      s{n:<5} ; {shown}")
            }
            Instruction::Let(n) => {
                let shown = parts
                    .lets
                    .get(n as usize)
                    .map(|l| l.name.as_str())
                    .unwrap_or_default();
                format!("let       {n:<6} ; {shown}")
            }
            Instruction::Now => "now".into(),
            Instruction::Not => "not".into(),
            Instruction::Neg => "neg".into(),
            Instruction::ToNumber => "to_number".into(),
            Instruction::Binary(op) => format!("binary    {}", op.symbol()),
            Instruction::Matches(n) => {
                let shown = parts
                    .patterns
                    .get(n as usize)
                    .map(|p| quoted(p))
                    .unwrap_or_default();
                format!("matches   p{n:<5} ; {shown}")
            }
            Instruction::IsSet => "is_set".into(),
            Instruction::Call(b) => format!("call      {}", b.name()),
            Instruction::MakeList(n) => format!("list      {n}"),
            Instruction::JumpIfFalseOrPop(t) => format!("jump_if_false_or_pop {t:04}"),
            Instruction::JumpIfTrueOrPop(t) => format!("jump_if_true_or_pop  {t:04}"),
            Instruction::JumpIfPresentOrPop(t) => format!("jump_if_present_or_pop {t:04}"),
            Instruction::IsOpen(n) => format!("is_open   {}", self.calendar_name(n)),
            Instruction::OpenHoursBetween(n) => {
                format!("open_hours_between {}", self.calendar_name(n))
            }
            Instruction::LocalWeekday(n) => format!("local_weekday {}", self.calendar_name(n)),
            Instruction::LocalHour(n) => format!("local_hour {}", self.calendar_name(n)),
        }
    }

    fn calendar_name(&self, n: u32) -> String {
        self.program
            .parts()
            .calendars
            .get(n as usize)
            .map_or_else(|| format!("calendar #{n}"), |c| c.name.clone())
    }

    fn actions(&mut self, actions: &[ActionTemplate]) {
        let program = self.program;
        let parts = program.parts();
        let calendar = |n: u32| {
            parts
                .calendars
                .get(n as usize)
                .map_or_else(|| format!("calendar #{n}"), |c| c.name.clone())
        };
        let team = |n: u32| {
            parts
                .teams
                .get(n as usize)
                .map_or_else(|| format!("t{n}"), |t| t.name.clone())
        };
        let slo = |s: &Slo| {
            let length = match &s.length {
                SloLength::Wall(_) => s.text.clone(),
                SloLength::Business { calendar: n, .. } => {
                    format!("{} on {}", s.text, calendar(*n))
                }
            };
            match &s.anchor {
                Some(a) => format!("{length} of {} (slot {})", a.path, a.slot),
                None => length,
            }
        };
        for action in actions {
            match action {
                ActionTemplate::HandOff { team: t, within } => self.line(&format!(
                    "    hand off to {}{}",
                    team(*t),
                    within
                        .as_ref()
                        .map(|s| format!(" within {}", slo(s)))
                        .unwrap_or_default()
                )),
                ActionTemplate::Assign {
                    to,
                    within,
                    fallback,
                } => {
                    let within = within
                        .as_ref()
                        .map(|s| format!(" within {}", slo(s)))
                        .unwrap_or_default();
                    let fallback = fallback
                        .map(|t| format!(" or hand off to {}", team(t)))
                        .unwrap_or_default();
                    self.line(&format!("    assign to (block){fallback}{within}"));
                    self.block(*to, "      ");
                }
                ActionTemplate::Escalate { target, after } => {
                    self.target("escalate to", target, &format!(" after {}", slo(after)));
                }
                ActionTemplate::Reassign { team: t, after } => {
                    self.line(&format!(
                        "    reassign to {} after {}",
                        team(*t),
                        slo(after)
                    ));
                }
                ActionTemplate::Notify { target } => self.target("notify", target, ""),
                ActionTemplate::Tag { tag } => {
                    self.line("    tag (block)");
                    self.block(*tag, "      ");
                }
                ActionTemplate::Set {
                    field,
                    value: v,
                    ty,
                } => {
                    self.line(&format!(
                        "    set {field}: {} to (block)",
                        parts.schema.display(ty)
                    ));
                    self.block(*v, "      ");
                }
                ActionTemplate::Drop { reason } => {
                    self.line("    drop (block)");
                    self.block(*reason, "      ");
                }
            }
        }
    }

    fn target(&mut self, verb: &str, target: &Target, suffix: &str) {
        match target {
            Target::Team(n) => {
                let name = self
                    .program
                    .parts()
                    .teams
                    .get(*n as usize)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                self.line(&format!("    {verb} team {name}{suffix}"));
            }
            Target::Person(block) => {
                self.line(&format!("    {verb} (block){suffix}"));
                self.block(*block, "      ");
            }
        }
    }
}

/// Minutes after midnight as `HH:MM`.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A constant as a listing shows it.
fn value(v: &Value) -> String {
    match v {
        Value::Missing => "missing".into(),
        Value::Present => "present".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Number(x) => format!("{x:?}"),
        Value::Str(s) => quoted(s),
        Value::Time(t) => t.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => format!("{d:#}"),
        Value::Enum(i) => format!("variant #{i}"),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(value).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A team as the listing shows it: its name, then its members, how one is
/// picked, its cap and overflow.
fn describe_team(t: &Team, parts: &ProgramParts) -> String {
    let mut out = t.name.clone();
    if t.members.is_empty() {
        return out;
    }
    let members: Vec<String> = match &t.pick {
        Pick::RoundRobin => t.members.iter().map(|m| format!("\"{m}\"")).collect(),
        Pick::Weighted(weights) => t
            .members
            .iter()
            .zip(weights)
            .map(|(m, w)| format!("\"{m}\" {}.{:02}%", w / 100, w % 100))
            .collect(),
    };
    let pick = match t.pick {
        Pick::RoundRobin => "round robin",
        Pick::Weighted(_) => "weighted",
    };
    out.push_str(&format!(": {pick} over {}", members.join(", ")));
    if let Some(cap) = t.cap {
        let window = match cap.window {
            CapWindow::Day => "day",
            CapWindow::Week => "week",
        };
        let zone = t
            .calendar
            .and_then(|c| parts.calendars.get(c as usize))
            .map_or("UTC", |c| c.zone.as_str());
        out.push_str(&format!("; cap {} per {window} ({zone})", cap.limit));
    }
    if let Some(team) = t.overflow.and_then(|o| parts.teams.get(o as usize)) {
        out.push_str(&format!("; overflow to {}", team.name));
    }
    out
}

#[cfg(test)]
#[cfg(feature = "compiler")]
mod tests {
    /// `segment = strategic` and `status = accepted` share the constant
    /// `Enum(3)`; each use is named by its own enum, and the pool names both.
    #[test]
    fn a_constant_shared_by_two_enums_is_named_at_each_use() {
        let text = "policy p for lead\nuse crm\n\
                    rule a when segment = strategic then tag \"a\"\n\
                    rule b when status = accepted then tag \"b\"\n";
        let program = crate::compile_source("p.roe", text)
            .program
            .expect("compiles");
        let listing = super::disassemble(&program, None);
        assert!(
            listing.contains("  c0    strategic (segment) / accepted (lead_status)\n"),
            "{listing}"
        );
        assert!(
            listing.contains("const     c0     ; strategic\n"),
            "{listing}"
        );
        assert!(
            listing.contains("const     c0     ; accepted\n"),
            "{listing}"
        );
    }
}
