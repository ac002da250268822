//! The `.roec` binary format: a Program written out so another service can
//! load and run it without the compiler.
//!
//! Layout: the magic `ROEC`, a little-endian `u16` format version, the
//! compiler version, the sections of [`ProgramParts`] in declaration order,
//! and an FNV-1a 64 checksum of everything before it. Every count is checked
//! against the bytes that remain before anything is allocated, and the result
//! goes through [`Program::new`] like a freshly compiled program.

use jiff::{SignedDuration, Timestamp, civil::Date};

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{
    ActionTemplate, Block, DebugInfo, HitPolicy, Program, ProgramParts, Rule, Sla, Target,
};
use crate::bytecode::schema::{EnumType, Field, RecordType, Schema, Type};
use crate::bytecode::value::{Builtin, Op, Value};
use crate::source::{FileId, Span};

/// The first four bytes of every `.roec` file.
pub const MAGIC: &[u8; 4] = b"ROEC";
/// The version of the layout this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Deepest nesting of types and list constants the decoder accepts.
const MAX_NESTING: u32 = 64;

/// Why bytes are not a loadable program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Encodes a program; the same program always gives the same bytes.
pub fn encode(program: &Program) -> Vec<u8> {
    let p = program.parts();
    let mut w = Writer::default();
    w.bytes.extend_from_slice(MAGIC);
    w.u16(FORMAT_VERSION);
    w.str(env!("CARGO_PKG_VERSION"));
    w.str(&p.name);
    w.u8(match p.hit_policy {
        HitPolicy::First => 0,
        HitPolicy::All => 1,
        HitPolicy::Unique => 2,
    });
    w.schema(&p.schema);
    w.u32(p.subject);
    w.len(p.slots.len());
    for path in &p.slots {
        w.len(path.len());
        path.iter().for_each(|s| w.str(s));
    }
    w.len(p.constants.len());
    p.constants.iter().for_each(|v| w.value(v));
    w.len(p.patterns.len());
    p.patterns.iter().for_each(|s| w.str(s));
    w.len(p.code.len());
    p.code.iter().for_each(|i| w.instruction(i));
    w.len(p.lets.len());
    p.lets.iter().for_each(|b| w.block(b));
    w.len(p.rules.len());
    for rule in &p.rules {
        w.str(&rule.name);
        w.block(&rule.condition);
        w.actions(&rule.actions);
    }
    match &p.otherwise {
        None => w.u8(0),
        Some(actions) => {
            w.u8(1);
            w.actions(actions);
        }
    }
    w.len(p.teams.len());
    p.teams.iter().for_each(|s| w.str(s));
    w.len(p.debug.files.len());
    p.debug.files.iter().for_each(|s| w.str(s));
    w.len(p.debug.spans.len());
    for (pc, span) in &p.debug.spans {
        w.u32(*pc);
        w.u32(span.file.0);
        w.u32(span.start);
        w.u32(span.end);
    }
    let checksum = fnv1a(&w.bytes);
    w.u64(checksum);
    w.bytes
}

/// Decodes and checks a program.
pub fn decode(bytes: &[u8]) -> Result<Program, DecodeError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError(
            "not a compiled roe policy (the file does not start with `ROEC`)".into(),
        ));
    }
    let Some(body_len) = bytes.len().checked_sub(8) else {
        return Err(DecodeError("the file is truncated".into()));
    };
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
        end: body_len,
    };
    let version = r.u16()?;
    if version != FORMAT_VERSION {
        return Err(DecodeError(format!(
            "the file has format version {version}; this roe reads version {FORMAT_VERSION}"
        )));
    }
    let compiler = r.str()?;
    let mut expected = [0u8; 8];
    expected.copy_from_slice(&bytes[body_len..]);
    if fnv1a(&bytes[..body_len]) != u64::from_le_bytes(expected) {
        return Err(DecodeError(format!(
            "the checksum does not match: the file is damaged (written by roe {compiler})"
        )));
    }
    let parts = r.parts()?;
    if r.pos != r.end {
        return Err(DecodeError(format!(
            "{} unexpected bytes after the program",
            r.end - r.pos
        )));
    }
    Program::new(parts).map_err(|e| DecodeError(format!("invalid program: {e}")))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }
    fn duration(&mut self, d: SignedDuration) {
        self.i64(d.as_secs());
        self.u32(d.subsec_nanos().unsigned_abs());
        self.u8(u8::from(d.is_negative()));
    }
    fn schema(&mut self, s: &Schema) {
        self.len(s.enums.len());
        for e in &s.enums {
            self.str(&e.name);
            self.len(e.variants.len());
            e.variants.iter().for_each(|v| self.str(v));
        }
        self.len(s.records.len());
        for r in &s.records {
            self.str(&r.name);
            self.len(r.fields.len());
            for f in &r.fields {
                self.str(&f.name);
                self.ty(&f.ty);
            }
        }
    }
    fn ty(&mut self, t: &Type) {
        match t {
            Type::Int => self.u8(0),
            Type::Number => self.u8(1),
            Type::String => self.u8(2),
            Type::Bool => self.u8(3),
            Type::Time => self.u8(4),
            Type::Date => self.u8(5),
            Type::Duration => self.u8(6),
            Type::Enum(n) => {
                self.u8(7);
                self.u32(*n);
            }
            Type::Record(n) => {
                self.u8(8);
                self.u32(*n);
            }
            Type::List(inner) => {
                self.u8(9);
                self.ty(inner);
            }
            Type::Optional(inner) => {
                self.u8(10);
                self.ty(inner);
            }
        }
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::Missing => self.u8(0),
            Value::Present => self.u8(1),
            Value::Bool(b) => {
                self.u8(2);
                self.u8(u8::from(*b));
            }
            Value::Int(n) => {
                self.u8(3);
                self.i64(*n);
            }
            Value::Number(x) => {
                self.u8(4);
                self.u64(x.to_bits());
            }
            Value::Str(s) => {
                self.u8(5);
                self.str(s);
            }
            Value::Time(t) => {
                self.u8(6);
                self.duration(t.as_duration());
            }
            Value::Date(d) => {
                self.u8(7);
                self.u16(d.year().cast_unsigned());
                self.u8(d.month().cast_unsigned());
                self.u8(d.day().cast_unsigned());
            }
            Value::Duration(d) => {
                self.u8(8);
                self.duration(*d);
            }
            Value::Enum(n) => {
                self.u8(9);
                self.u32(*n);
            }
            Value::List(items) => {
                self.u8(10);
                self.len(items.len());
                items.iter().for_each(|v| self.value(v));
            }
        }
    }
    fn instruction(&mut self, i: &Instruction) {
        let (tag, operand) = match *i {
            Instruction::Const(n) => (0, n),
            Instruction::Slot(n) => (1, n),
            Instruction::Let(n) => (2, n),
            Instruction::Now => (3, 0),
            Instruction::Not => (4, 0),
            Instruction::Neg => (5, 0),
            Instruction::ToNumber => (6, 0),
            Instruction::Binary(op) => {
                (7, Op::ALL.iter().position(|o| *o == op).unwrap_or(0) as u32)
            }
            Instruction::Matches(n) => (8, n),
            Instruction::IsSet => (9, 0),
            Instruction::Call(b) => (
                10,
                Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0) as u32,
            ),
            Instruction::MakeList(n) => (11, n),
            Instruction::JumpIfFalseOrPop(n) => (12, n),
            Instruction::JumpIfTrueOrPop(n) => (13, n),
            Instruction::JumpIfPresentOrPop(n) => (14, n),
        };
        self.u8(tag);
        self.u32(operand);
    }
    fn block(&mut self, b: &Block) {
        self.u32(b.start);
        self.u32(b.end);
    }
    fn sla(&mut self, s: &Sla) {
        self.str(&s.text);
        self.duration(s.duration);
    }
    fn target(&mut self, t: &Target) {
        match t {
            Target::Team(n) => {
                self.u8(0);
                self.u32(*n);
            }
            Target::Person(b) => {
                self.u8(1);
                self.block(b);
            }
        }
    }
    fn optional_sla(&mut self, s: &Option<Sla>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.sla(s);
            }
        }
    }
    fn actions(&mut self, actions: &[ActionTemplate]) {
        self.len(actions.len());
        for a in actions {
            match a {
                ActionTemplate::HandOff { team, within } => {
                    self.u8(0);
                    self.u32(*team);
                    self.optional_sla(within);
                }
                ActionTemplate::Assign { to, within } => {
                    self.u8(1);
                    self.block(to);
                    self.optional_sla(within);
                }
                ActionTemplate::Escalate { target, after } => {
                    self.u8(2);
                    self.target(target);
                    self.sla(after);
                }
                ActionTemplate::Reassign { team, after } => {
                    self.u8(3);
                    self.u32(*team);
                    self.sla(after);
                }
                ActionTemplate::Notify { target } => {
                    self.u8(4);
                    self.target(target);
                }
                ActionTemplate::Tag { tag } => {
                    self.u8(5);
                    self.block(tag);
                }
                ActionTemplate::Set { field, value, ty } => {
                    self.u8(6);
                    self.str(field);
                    self.block(value);
                    self.ty(ty);
                }
                ActionTemplate::Drop { reason } => {
                    self.u8(7);
                    self.block(reason);
                }
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
}

fn err<T>(message: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(message.into()))
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.end);
        match end.and_then(|e| self.bytes.get(self.pos..e).map(|s| (e, s))) {
            Some((e, slice)) => {
                self.pos = e;
                Ok(slice)
            }
            None => err(format!("the file is truncated at byte {}", self.pos)),
        }
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// A count of items each at least `min_size` bytes long, checked against what remains.
    fn count(&mut self, min_size: usize) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size.max(1)) > self.end - self.pos {
            return err(format!(
                "a count of {n} at byte {} runs past the end of the file",
                self.pos - 4
            ));
        }
        Ok(n)
    }
    fn str(&mut self) -> Result<String, DecodeError> {
        let n = self.count(1)?;
        let at = self.pos;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| DecodeError(format!("the string at byte {at} is not UTF-8")))
    }
    fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => err(format!("{other} is not a flag (byte {})", self.pos - 1)),
        }
    }
    fn duration(&mut self) -> Result<SignedDuration, DecodeError> {
        let secs = self.i64()?;
        let nanos = self.u32()?;
        let negative = self.bool()?;
        let nanos = i32::try_from(nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000)
            .ok_or_else(|| {
                DecodeError("a duration has more than a second of nanoseconds".into())
            })?;
        if negative && secs > 0 {
            return err("a duration has mixed signs");
        }
        Ok(SignedDuration::new(
            secs,
            if negative { -nanos } else { nanos },
        ))
    }
    fn parts(&mut self) -> Result<ProgramParts, DecodeError> {
        let name = self.str()?;
        let hit_policy = match self.u8()? {
            0 => HitPolicy::First,
            1 => HitPolicy::All,
            2 => HitPolicy::Unique,
            other => return err(format!("{other} is not a hit policy")),
        };
        let schema = self.schema()?;
        let subject = self.u32()?;
        let slots = self.list(4, |r| {
            let n = r.count(4)?;
            (0..n).map(|_| r.str()).collect()
        })?;
        let constants = self.list(1, |r| r.value(0))?;
        let patterns = self.list(4, Reader::str)?;
        let code = self.list(5, Reader::instruction)?;
        let lets = self.list(8, Reader::block)?;
        let rules = self.list(12, |r| {
            Ok(Rule {
                name: r.str()?,
                condition: r.block()?,
                actions: r.actions()?,
            })
        })?;
        let otherwise = if self.bool()? {
            Some(self.actions()?)
        } else {
            None
        };
        let teams = self.list(4, Reader::str)?;
        let files = self.list(4, Reader::str)?;
        let spans = self.list(16, |r| {
            let pc = r.u32()?;
            let file = FileId(r.u32()?);
            let start = r.u32()?;
            let end = r.u32()?;
            Ok((pc, Span { file, start, end }))
        })?;
        Ok(ProgramParts {
            name,
            hit_policy,
            schema,
            subject,
            slots,
            constants,
            patterns,
            code,
            lets,
            rules,
            otherwise,
            teams,
            debug: DebugInfo { files, spans },
        })
    }
    fn list<T>(
        &mut self,
        min_size: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.count(min_size)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(item(self)?);
        }
        Ok(out)
    }
    fn schema(&mut self) -> Result<Schema, DecodeError> {
        let enums = self.list(8, |r| {
            Ok(EnumType {
                name: r.str()?,
                variants: r.list(4, Reader::str)?,
            })
        })?;
        let records = self.list(8, |r| {
            Ok(RecordType {
                name: r.str()?,
                fields: r.list(5, |r| {
                    Ok(Field {
                        name: r.str()?,
                        ty: r.ty(0)?,
                    })
                })?,
            })
        })?;
        Ok(Schema { enums, records })
    }
    fn ty(&mut self, depth: u32) -> Result<Type, DecodeError> {
        if depth > MAX_NESTING {
            return err("a type nests too deep");
        }
        Ok(match self.u8()? {
            0 => Type::Int,
            1 => Type::Number,
            2 => Type::String,
            3 => Type::Bool,
            4 => Type::Time,
            5 => Type::Date,
            6 => Type::Duration,
            7 => Type::Enum(self.u32()?),
            8 => Type::Record(self.u32()?),
            9 => Type::List(Box::new(self.ty(depth + 1)?)),
            10 => Type::Optional(Box::new(self.ty(depth + 1)?)),
            other => return err(format!("{other} is not a type")),
        })
    }
    fn value(&mut self, depth: u32) -> Result<Value, DecodeError> {
        if depth > MAX_NESTING {
            return err("a constant nests too deep");
        }
        Ok(match self.u8()? {
            0 => Value::Missing,
            1 => Value::Present,
            2 => Value::Bool(self.bool()?),
            3 => Value::Int(self.i64()?),
            4 => Value::Number(f64::from_bits(self.u64()?)),
            5 => Value::Str(self.str()?.into()),
            6 => Value::Time(
                Timestamp::from_duration(self.duration()?)
                    .map_err(|_| DecodeError("an instant is out of range".into()))?,
            ),
            7 => {
                let year = self.u16()?.cast_signed();
                let month = self.u8()?.cast_signed();
                let day = self.u8()?.cast_signed();
                Value::Date(
                    Date::new(year, month, day)
                        .map_err(|_| DecodeError("a date does not exist".into()))?,
                )
            }
            8 => Value::Duration(self.duration()?),
            9 => Value::Enum(self.u32()?),
            10 => {
                let items = self.list(1, |r| r.value(depth + 1))?;
                Value::List(items.into())
            }
            other => return err(format!("{other} is not a value")),
        })
    }
    fn instruction(&mut self) -> Result<Instruction, DecodeError> {
        let tag = self.u8()?;
        let n = self.u32()?;
        let op = || {
            Op::ALL
                .get(n as usize)
                .copied()
                .ok_or_else(|| DecodeError(format!("{n} is not an operator")))
        };
        let builtin = || {
            Builtin::ALL
                .get(n as usize)
                .copied()
                .ok_or_else(|| DecodeError(format!("{n} is not a built-in function")))
        };
        Ok(match tag {
            0 => Instruction::Const(n),
            1 => Instruction::Slot(n),
            2 => Instruction::Let(n),
            3 => Instruction::Now,
            4 => Instruction::Not,
            5 => Instruction::Neg,
            6 => Instruction::ToNumber,
            7 => Instruction::Binary(op()?),
            8 => Instruction::Matches(n),
            9 => Instruction::IsSet,
            10 => Instruction::Call(builtin()?),
            11 => Instruction::MakeList(n),
            12 => Instruction::JumpIfFalseOrPop(n),
            13 => Instruction::JumpIfTrueOrPop(n),
            14 => Instruction::JumpIfPresentOrPop(n),
            other => return err(format!("{other} is not an instruction")),
        })
    }
    fn block(&mut self) -> Result<Block, DecodeError> {
        Ok(Block {
            start: self.u32()?,
            end: self.u32()?,
        })
    }
    fn sla(&mut self) -> Result<Sla, DecodeError> {
        Ok(Sla {
            text: self.str()?,
            duration: self.duration()?,
        })
    }
    fn optional_sla(&mut self) -> Result<Option<Sla>, DecodeError> {
        Ok(if self.bool()? {
            Some(self.sla()?)
        } else {
            None
        })
    }
    fn target(&mut self) -> Result<Target, DecodeError> {
        Ok(match self.u8()? {
            0 => Target::Team(self.u32()?),
            1 => Target::Person(self.block()?),
            other => return err(format!("{other} is not a target")),
        })
    }
    fn actions(&mut self) -> Result<Vec<ActionTemplate>, DecodeError> {
        self.list(5, |r| {
            Ok(match r.u8()? {
                0 => ActionTemplate::HandOff {
                    team: r.u32()?,
                    within: r.optional_sla()?,
                },
                1 => ActionTemplate::Assign {
                    to: r.block()?,
                    within: r.optional_sla()?,
                },
                2 => ActionTemplate::Escalate {
                    target: r.target()?,
                    after: r.sla()?,
                },
                3 => ActionTemplate::Reassign {
                    team: r.u32()?,
                    after: r.sla()?,
                },
                4 => ActionTemplate::Notify {
                    target: r.target()?,
                },
                5 => ActionTemplate::Tag { tag: r.block()? },
                6 => ActionTemplate::Set {
                    field: r.str()?,
                    value: r.block()?,
                    ty: r.ty(0)?,
                },
                7 => ActionTemplate::Drop { reason: r.block()? },
                other => return err(format!("{other} is not an action")),
            })
        })
    }
}
