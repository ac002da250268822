//! The verifier: runs on every Program before anything executes, whether it
//! came from the compiler or from a `.roec` file.
//!
//! It checks that every index (constant, slot, let, pattern, team, enum,
//! record, span file) is in bounds; that each slot path names real fields of
//! the subject; that lets do not depend on themselves; and, by abstract
//! interpretation of each block, that every jump goes forward within its block
//! and that the stack never underflows and holds exactly one value at the end
//! of every path. Instructions are decoded whole, so every jump target is an
//! instruction boundary by construction.

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{
    ActionTemplate, Block, InvalidProgram, Pick, ProgramParts, Slo, SloLength, Target, Team,
};
use crate::bytecode::schema::{Field, Schema, Type};

/// The deepest stack any block may need.
pub const MAX_STACK: u32 = 4096;

fn invalid<T>(what: impl Into<String>) -> Result<T, InvalidProgram> {
    Err(InvalidProgram(what.into()))
}

/// Checks a program's parts; see the module comment for what is checked.
pub fn verify(p: &ProgramParts) -> Result<(), InvalidProgram> {
    schema(&p.schema)?;
    let Some(subject) = p.schema.record(p.subject) else {
        return invalid(format!(
            "the subject record #{} is not in the schema",
            p.subject
        ));
    };
    for (n, path) in p.slots.iter().enumerate() {
        slot_path(&p.schema, subject, path)
            .map_err(|e| InvalidProgram(format!("slot {n}: {e}")))?;
    }
    for (pc, instruction) in p.code.iter().enumerate() {
        operands(p, pc, *instruction)?;
    }
    for l in &p.lets {
        stack(p, l.block).map_err(|e| InvalidProgram(format!("let `{}`: {e}", l.name)))?;
    }
    lets_are_acyclic(p)?;
    for team in &p.teams {
        team_ok(p, team).map_err(|e| InvalidProgram(format!("team `{}`: {e}", team.name)))?;
    }
    for rule in &p.rules {
        stack(p, rule.condition)
            .map_err(|e| InvalidProgram(format!("rule `{}`: {e}", rule.name)))?;
        for action in &rule.actions {
            action_ok(p, action)
                .map_err(|e| InvalidProgram(format!("rule `{}`: {e}", rule.name)))?;
        }
    }
    for action in p.otherwise.iter().flatten() {
        action_ok(p, action).map_err(|e| InvalidProgram(format!("otherwise: {e}")))?;
    }
    if let Some(debug) = &p.debug {
        let files = debug.files.len();
        for (pc, span) in &debug.spans {
            let file = debug.files.get(span.file.0 as usize);
            let in_text =
                file.is_some_and(|f| span.start <= span.end && (span.end as usize) <= f.text.len());
            if (*pc as usize) > p.code.len() || !in_text {
                return invalid(format!(
                    "a span of instruction {pc} points outside its {files} source files"
                ));
            }
        }
        if !debug.spans.windows(2).all(|w| w[0].0 < w[1].0) {
            return invalid("the span table is not in code order");
        }
        for clause in &debug.clauses {
            let in_rule = p.rules.get(clause.rule as usize).is_some_and(|r| {
                r.condition.start <= clause.start
                    && clause.start <= clause.end
                    && clause.end < r.condition.end
            });
            let in_text = debug
                .files
                .get(clause.span.file.0 as usize)
                .is_some_and(|f| {
                    clause.span.start <= clause.span.end
                        && (clause.span.end as usize) <= f.text.len()
                });
            if !in_rule || !in_text {
                return invalid(format!(
                    "a clause of rule #{} points outside its condition or source",
                    clause.rule
                ));
            }
        }
    }
    Ok(())
}

fn schema(s: &Schema) -> Result<(), InvalidProgram> {
    for e in &s.enums {
        if let Some(label) = e
            .labels
            .iter()
            .find(|l| e.variants.get(l.variant as usize).is_none())
        {
            return invalid(format!(
                "enum `{}`: label \"{}\" names variant #{}, which does not exist",
                e.name, label.text, label.variant
            ));
        }
    }
    for record in &s.records {
        if let Some(key) = record
            .key
            .filter(|k| record.fields.get(*k as usize).is_none())
        {
            return invalid(format!(
                "record `{}`: its key is field #{key}, which does not exist",
                record.name
            ));
        }
        for field in &record.fields {
            let at =
                |e: String| InvalidProgram(format!("field `{}.{}`: {e}", record.name, field.name));
            type_ok(s, &field.ty).map_err(at)?;
            read_as_ok(field).map_err(at)?;
        }
    }
    Ok(())
}

/// A field's formats and zone are ones the binder can carry out.
fn read_as_ok(field: &Field) -> Result<(), String> {
    let time = match field.ty.required() {
        Type::Time => true,
        Type::Date => false,
        _ if field.read.formats.is_empty() && field.read.timezone.is_none() => return Ok(()),
        _ => return Err("only a time or a date has a format or a time zone".into()),
    };
    match &field.read.timezone {
        Some(_) if !time => return Err("only a time has a time zone".into()),
        Some(name) if jiff::tz::TimeZone::get(name).is_err() => {
            return Err(format!("unknown time zone \"{name}\""));
        }
        _ => {}
    }
    match field
        .read
        .formats
        .iter()
        .find_map(|p| crate::time::formats::read_back(p, time).err())
    {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

fn type_ok(s: &Schema, t: &Type) -> Result<(), String> {
    match t {
        Type::Enum(n) if s.enum_type(*n).is_none() => Err(format!("enum #{n} does not exist")),
        Type::Record(n) if s.record(*n).is_none() => Err(format!("record #{n} does not exist")),
        Type::List(inner) | Type::Optional(inner) => type_ok(s, inner),
        _ => Ok(()),
    }
}

fn slot_path(
    s: &Schema,
    subject: &crate::bytecode::schema::RecordType,
    path: &[String],
) -> Result<(), String> {
    let mut record = subject;
    for (i, name) in path.iter().enumerate() {
        let Some((_, field)) = record.field(name) else {
            return Err(format!("`{}` has no field `{name}`", record.name));
        };
        if i + 1 < path.len() {
            match field.ty.required() {
                Type::Record(r) => record = s.record(*r).ok_or("a record type does not exist")?,
                _ => return Err(format!("`{name}` is not a record")),
            }
        }
    }
    if path.is_empty() {
        return Err("an empty field path".into());
    }
    Ok(())
}

fn operands(p: &ProgramParts, pc: usize, instruction: Instruction) -> Result<(), InvalidProgram> {
    let ok = match instruction {
        Instruction::Const(n) => (n as usize) < p.constants.len(),
        Instruction::Slot(n) => (n as usize) < p.slots.len(),
        Instruction::Let(n) => (n as usize) < p.lets.len(),
        Instruction::Matches(n) => (n as usize) < p.patterns.len(),
        Instruction::MakeList(n) => n <= MAX_STACK,
        Instruction::IsOpen(n)
        | Instruction::OpenHoursBetween(n)
        | Instruction::LocalWeekday(n)
        | Instruction::LocalHour(n) => (n as usize) < p.calendars.len(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "instruction {pc} ({instruction:?}) points outside the program"
        ))
    }
}

/// Abstract interpretation of one block: the stack depth before each instruction.
fn stack(p: &ProgramParts, block: Block) -> Result<(), String> {
    let (start, end) = (block.start as usize, block.end as usize);
    if start > end || end > p.code.len() {
        return Err(format!(
            "block {start}..{end} lies outside the code ({} instructions)",
            p.code.len()
        ));
    }
    if start == end {
        return Err("an empty block leaves no value".into());
    }
    let mut depth: Vec<Option<u32>> = vec![None; end - start + 1];
    depth[0] = Some(0);
    let merge = |depth: &mut Vec<Option<u32>>, at: usize, d: u32| -> Result<(), String> {
        match depth[at - start] {
            None => {
                depth[at - start] = Some(d);
                Ok(())
            }
            Some(existing) if existing == d => Ok(()),
            Some(existing) => Err(format!(
                "paths reach instruction {at} with {existing} and {d} values on the stack"
            )),
        }
    };
    for pc in start..end {
        let Some(d) = depth[pc - start] else {
            return Err(format!("instruction {pc} cannot be reached"));
        };
        let need = |n: u32| {
            if d < n {
                Err(format!(
                    "instruction {pc} needs {n} values but the stack holds {d}"
                ))
            } else {
                Ok(())
            }
        };
        let instruction = p.code[pc];
        let pops = instruction.pops();
        need(pops)?;
        let after = match instruction {
            Instruction::JumpIfFalseOrPop(t)
            | Instruction::JumpIfTrueOrPop(t)
            | Instruction::JumpIfPresentOrPop(t) => {
                let t = t as usize;
                if t <= pc || t > end {
                    return Err(format!(
                        "the jump at {pc} to {t} leaves its block {start}..{end} or goes backwards"
                    ));
                }
                merge(&mut depth, t, d)?;
                d - 1
            }
            _ => d - pops + 1,
        };
        if after > MAX_STACK {
            return Err(format!("the stack grows beyond {MAX_STACK} values"));
        }
        merge(&mut depth, pc + 1, after)?;
    }
    match depth[end - start] {
        Some(1) => Ok(()),
        Some(d) => Err(format!(
            "the block ends with {d} values on the stack instead of 1"
        )),
        None => Err("the end of the block cannot be reached".into()),
    }
}

/// A let that reaches itself through `Let` instructions would never finish.
fn lets_are_acyclic(p: &ProgramParts) -> Result<(), InvalidProgram> {
    let uses = |n: usize| -> Vec<usize> {
        p.lets.get(n).map(|l| l.block).map_or_else(Vec::new, |b| {
            p.code[b.start as usize..b.end as usize]
                .iter()
                .filter_map(|i| match i {
                    Instruction::Let(m) => Some(*m as usize),
                    _ => None,
                })
                .collect()
        })
    };
    // 0 unvisited, 1 on the path, 2 done.
    let mut state = vec![0u8; p.lets.len()];
    for root in 0..p.lets.len() {
        if state[root] != 0 {
            continue;
        }
        let mut path = vec![(root, uses(root))];
        state[root] = 1;
        while let Some((node, pending)) = path.last_mut() {
            let node = *node;
            match pending.pop() {
                None => {
                    state[node] = 2;
                    path.pop();
                }
                Some(next) => match state.get(next) {
                    Some(0) => {
                        state[next] = 1;
                        path.push((next, uses(next)));
                    }
                    Some(1) => {
                        let name = p.lets.get(next).map_or("?", |l| l.name.as_str());
                        return invalid(format!("let `{name}` depends on itself"));
                    }
                    _ => {}
                },
            }
        }
    }
    Ok(())
}

/// A team's strategy fits its members, its cap counts something, and its
/// overflow leads to a team that does not lead back.
fn team_ok(p: &ProgramParts, team: &Team) -> Result<(), String> {
    if let Pick::Weighted(weights) = &team.pick {
        if weights.len() != team.members.len() {
            return Err(format!(
                "{} weights for {} members",
                weights.len(),
                team.members.len()
            ));
        }
        if weights.iter().map(|w| u64::from(*w)).sum::<u64>() != 10_000 {
            return Err("the weights do not add up to 100%".into());
        }
    }
    if team.cap.is_some_and(|c| c.limit == 0) {
        return Err("a cap of 0".into());
    }
    if team
        .calendar
        .is_some_and(|c| c as usize >= p.calendars.len())
    {
        return Err("its calendar does not exist".into());
    }
    let mut at = team.overflow;
    for _ in 0..=p.teams.len() {
        let Some(next) = at else {
            return Ok(());
        };
        at = p
            .teams
            .get(next as usize)
            .ok_or_else(|| format!("it overflows to team #{next}, which does not exist"))?
            .overflow;
    }
    Err("its overflow leads round in a circle".into())
}

fn slo_ok(p: &ProgramParts, slo: Option<&Slo>) -> Result<(), String> {
    if let Some(anchor) = slo.and_then(|s| s.anchor.as_ref()) {
        let ty = p
            .slots
            .get(anchor.slot as usize)
            .and_then(|path| p.schema.path_type(p.subject, path));
        if ty.as_ref().map(Type::required) != Some(&Type::Time) {
            return Err(format!(
                "the SLO counts from slot #{}, which is not a time field",
                anchor.slot
            ));
        }
    }
    match slo.map(|s| &s.length) {
        Some(SloLength::Business {
            calendar, amount, ..
        }) => {
            if (*calendar as usize) >= p.calendars.len() {
                return Err(format!("calendar #{calendar} does not exist"));
            }
            if *amount < 0 {
                return Err("a negative business duration".into());
            }
            if *amount > crate::time::MAX_BUSINESS_AMOUNT {
                return Err(format!(
                    "a business duration of {amount}, more than {}",
                    crate::time::MAX_BUSINESS_AMOUNT
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn action_ok(p: &ProgramParts, action: &ActionTemplate) -> Result<(), String> {
    let team = |t: u32| {
        if (t as usize) < p.teams.len() {
            Ok(())
        } else {
            Err(format!("team #{t} does not exist"))
        }
    };
    let target = |t: &Target| match t {
        Target::Team(n) => team(*n),
        Target::Person(b) => stack(p, *b),
    };
    match action {
        ActionTemplate::HandOff { team: t, within } => {
            slo_ok(p, within.as_ref())?;
            team(*t)
        }
        ActionTemplate::Reassign { team: t, after } => {
            slo_ok(p, Some(after))?;
            team(*t)
        }
        ActionTemplate::Assign {
            to: b,
            within,
            fallback,
        } => {
            slo_ok(p, within.as_ref())?;
            fallback.map_or(Ok(()), team)?;
            stack(p, *b)
        }
        ActionTemplate::Tag { tag: b } | ActionTemplate::Drop { reason: b } => stack(p, *b),
        ActionTemplate::Set { value, ty, .. } => {
            type_ok(&p.schema, ty)?;
            stack(p, *value)
        }
        ActionTemplate::Escalate { target: t, after } => {
            slo_ok(p, Some(after))?;
            target(t)
        }
        ActionTemplate::Notify { target: t } => target(t),
    }
}
