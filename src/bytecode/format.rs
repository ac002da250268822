//! The `.roec` binary format: a Program written out so another service can
//! load and run it without the compiler. docs/roec-format.md describes it.
//!
//! Layout: the magic `ROEC`, the format version, flags, the compiler's version,
//! the schema fingerprint, then tagged sections in a fixed order, each with its
//! length, then an FNV-1a 64 checksum of everything before it. Encoding is
//! deterministic. Decoding checks the version first (so a newer file is named
//! as such), then the checksum, then reads each section within its length,
//! checking every count against the bytes that remain before allocating; the
//! result goes through [`Program::new`] and its verifier like a freshly
//! compiled program, and its recomputed fingerprint must match the stored one.

use jiff::{SignedDuration, Timestamp, civil::Date};

mod tags;

use crate::bytecode::fingerprint::fnv1a;
use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{
    ActionTemplate, Anchor, Block, Cap, CapWindow, Clause, DebugFile, DebugInfo, HitPolicy, Let,
    Pick, Program, ProgramParts, Rule, Slo, SloLength, Target, Team,
};
use crate::bytecode::schema::{EnumType, Field, Label, ReadAs, RecordType, Schema, Type};
use crate::bytecode::value::Value;
use crate::source::{FileId, Span};
use crate::time::CalendarSpec;
use tags::{ActionKind, Opcode, SloKind, Tagged, TargetKind, TypeKind, ValueKind};

/// The first four bytes of every `.roec` file.
pub const MAGIC: &[u8; 4] = b"ROEC";
/// The version of the layout this build writes and reads.
pub const FORMAT_VERSION: u16 = 3;
/// Flag: the file carries debug info (sources and spans).
const FLAG_DEBUG: u16 = 1;
/// Deepest nesting of types and list constants the decoder accepts.
const MAX_NESTING: u32 = 64;

/// The sections of a `.roec` file, in the order they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Policy = 1,
    Schema = 2,
    Slots = 3,
    Constants = 4,
    Patterns = 5,
    Code = 6,
    Lets = 7,
    Rules = 8,
    Otherwise = 9,
    Teams = 10,
    Calendars = 11,
    Debug = 12,
}

/// What the fixed header of a `.roec` file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The layout version.
    pub format_version: u16,
    /// The roe version that wrote the file.
    pub compiler: String,
    /// The schema fingerprint (see [`Program::schema_fingerprint`]).
    pub schema_fingerprint: u64,
    /// Whether the file keeps sources and spans.
    pub has_debug_info: bool,
}

/// Why bytes are not a loadable program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes do not start with `ROEC`.
    NotRoec,
    /// A newer (or unknown) format version.
    Version {
        /// The version in the file.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The checksum does not match: the file is damaged.
    Checksum,
    /// The file is cut short or its contents are malformed.
    Malformed(String),
    /// The program fails verification.
    Invalid(String),
    /// The program was compiled against another record schema than expected.
    Fingerprint {
        /// The fingerprint in the file.
        found: u64,
        /// The fingerprint the caller expects.
        expected: u64,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::NotRoec => {
                f.write_str("not a compiled roe policy (the file does not start with `ROEC`)")
            }
            DecodeError::Version { found, supported } => write!(
                f,
                "the file has format version {found}, but this roe reads version {supported}; recompile the policy with this roe, or upgrade roe"
            ),
            DecodeError::Checksum => {
                f.write_str("the checksum does not match: the file is damaged")
            }
            DecodeError::Malformed(what) => write!(f, "the file is malformed: {what}"),
            DecodeError::Invalid(what) => write!(f, "the program is invalid: {what}"),
            DecodeError::Fingerprint { found, expected } => write!(
                f,
                "the policy was compiled against record schema {found:016x}, but {expected:016x} is expected; recompile it against the current schema"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes a program; the same program always gives the same bytes.
pub fn encode(program: &Program) -> Vec<u8> {
    let p = program.parts();
    let mut w = Writer::default();
    w.bytes.extend_from_slice(MAGIC);
    w.u16(FORMAT_VERSION);
    w.u16(if p.debug.is_some() { FLAG_DEBUG } else { 0 });
    w.str(concat!("roe ", env!("CARGO_PKG_VERSION")));
    w.u64(program.schema_fingerprint());
    w.section(Section::Policy, |w| {
        w.str(&p.name);
        w.tag(p.hit_policy);
        w.u32(p.subject);
    });
    w.section(Section::Schema, |w| w.schema(&p.schema));
    w.section(Section::Slots, |w| {
        w.len(p.slots.len());
        for path in &p.slots {
            w.len(path.len());
            path.iter().for_each(|s| w.str(s));
        }
    });
    w.section(Section::Constants, |w| {
        w.len(p.constants.len());
        p.constants.iter().for_each(|v| w.value(v));
    });
    w.section(Section::Patterns, |w| {
        w.len(p.patterns.len());
        p.patterns.iter().for_each(|s| w.str(s));
    });
    w.section(Section::Code, |w| {
        w.len(p.code.len());
        p.code.iter().for_each(|i| w.instruction(i));
    });
    w.section(Section::Lets, |w| {
        w.len(p.lets.len());
        for l in &p.lets {
            w.str(&l.name);
            w.block(&l.block);
        }
    });
    w.section(Section::Rules, |w| {
        w.len(p.rules.len());
        for rule in &p.rules {
            w.str(&rule.name);
            w.block(&rule.condition);
            w.actions(&rule.actions);
        }
    });
    w.section(Section::Otherwise, |w| match &p.otherwise {
        None => w.u8(0),
        Some(actions) => {
            w.u8(1);
            w.actions(actions);
        }
    });
    w.section(Section::Teams, |w| {
        w.len(p.teams.len());
        p.teams.iter().for_each(|t| w.team(t));
    });
    w.section(Section::Calendars, |w| {
        w.len(p.calendars.len());
        p.calendars.iter().for_each(|c| w.calendar(c));
    });
    if let Some(debug) = &p.debug {
        w.section(Section::Debug, |w| {
            w.len(debug.files.len());
            for file in &debug.files {
                w.str(&file.name);
                w.str(&file.text);
            }
            w.len(debug.spans.len());
            for (pc, span) in &debug.spans {
                w.u32(*pc);
                w.span(*span);
            }
            w.len(debug.clauses.len());
            for clause in &debug.clauses {
                w.u32(clause.rule);
                w.u32(clause.start);
                w.u32(clause.end);
                w.span(clause.span);
            }
        });
    }
    let checksum = fnv1a(&w.bytes);
    w.u64(checksum);
    w.bytes
}

/// Reads the fixed header of a `.roec` file without decoding the program.
pub fn header(bytes: &[u8]) -> Result<Header, DecodeError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::NotRoec);
    }
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
        end: bytes.len(),
    };
    let format_version = r.u16()?;
    if format_version != FORMAT_VERSION {
        return Err(DecodeError::Version {
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    let flags = r.u16()?;
    if flags & !FLAG_DEBUG != 0 {
        return Err(DecodeError::Malformed(format!(
            "unknown flags {flags:#06x}"
        )));
    }
    Ok(Header {
        format_version,
        compiler: r.str()?,
        schema_fingerprint: r.u64()?,
        has_debug_info: flags & FLAG_DEBUG != 0,
    })
}

/// Decodes and verifies a program.
pub fn decode(bytes: &[u8]) -> Result<Program, DecodeError> {
    let header = header(bytes)?;
    let Some(body_len) = bytes.len().checked_sub(8) else {
        return Err(DecodeError::Malformed("the file is truncated".into()));
    };
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&bytes[body_len..]);
    if fnv1a(&bytes[..body_len]) != u64::from_le_bytes(stored) {
        return Err(DecodeError::Checksum);
    }
    let mut r = Reader {
        bytes,
        pos: MAGIC.len(),
        end: body_len,
    };
    // Skip the header already read.
    r.u16()?;
    r.u16()?;
    r.str()?;
    r.u64()?;
    let parts = r.parts(header.has_debug_info)?;
    if r.pos != r.end {
        return Err(DecodeError::Malformed(format!(
            "{} unexpected bytes after the last section",
            r.end - r.pos
        )));
    }
    let program = Program::new(parts).map_err(|e| DecodeError::Invalid(e.0))?;
    if program.schema_fingerprint() != header.schema_fingerprint {
        return Err(DecodeError::Malformed(
            "the schema does not match the fingerprint in the header".into(),
        ));
    }
    Ok(program)
}

/// Decodes a program and refuses it unless it was compiled against the record
/// schema with `fingerprint` (see [`Program::schema_fingerprint`]).
pub fn decode_expecting(bytes: &[u8], fingerprint: u64) -> Result<Program, DecodeError> {
    let program = decode(bytes)?;
    let found = program.schema_fingerprint();
    if found != fingerprint {
        return Err(DecodeError::Fingerprint {
            found,
            expected: fingerprint,
        });
    }
    Ok(program)
}

#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn section(&mut self, tag: Section, body: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        body(&mut inner);
        self.u8(tag as u8);
        self.len(inner.bytes.len());
        self.bytes.extend_from_slice(&inner.bytes);
    }

    fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    fn tag(&mut self, v: impl Tagged) {
        self.u8(v.tag());
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
            self.len(e.labels.len());
            for label in &e.labels {
                self.str(&label.text);
                self.u32(label.variant);
            }
        }
        self.len(s.records.len());
        for r in &s.records {
            self.str(&r.name);
            self.len(r.fields.len());
            for f in &r.fields {
                self.str(&f.name);
                self.ty(&f.ty);
                self.len(f.read.sources.len());
                f.read.sources.iter().for_each(|v| self.str(v));
                self.len(f.read.formats.len());
                f.read.formats.iter().for_each(|v| self.str(v));
                match &f.read.timezone {
                    None => self.u8(0),
                    Some(zone) => {
                        self.u8(1);
                        self.str(zone);
                    }
                }
            }
            match r.key {
                None => self.u8(0),
                Some(key) => {
                    self.u8(1);
                    self.u32(key);
                }
            }
        }
    }
    fn ty(&mut self, t: &Type) {
        match t {
            Type::Int => self.tag(TypeKind::Int),
            Type::Number => self.tag(TypeKind::Number),
            Type::String => self.tag(TypeKind::String),
            Type::Bool => self.tag(TypeKind::Bool),
            Type::Time => self.tag(TypeKind::Time),
            Type::Date => self.tag(TypeKind::Date),
            Type::Duration => self.tag(TypeKind::Duration),
            Type::Enum(n) => {
                self.tag(TypeKind::Enum);
                self.u32(*n);
            }
            Type::Record(n) => {
                self.tag(TypeKind::Record);
                self.u32(*n);
            }
            Type::List(inner) => {
                self.tag(TypeKind::List);
                self.ty(inner);
            }
            Type::Optional(inner) => {
                self.tag(TypeKind::Optional);
                self.ty(inner);
            }
        }
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::Missing => self.tag(ValueKind::Missing),
            Value::Present => self.tag(ValueKind::Present),
            Value::Bool(b) => {
                self.tag(ValueKind::Bool);
                self.u8(u8::from(*b));
            }
            Value::Int(n) => {
                self.tag(ValueKind::Int);
                self.i64(*n);
            }
            Value::Number(x) => {
                self.tag(ValueKind::Number);
                self.u64(x.to_bits());
            }
            Value::Str(s) => {
                self.tag(ValueKind::Str);
                self.str(s);
            }
            Value::Time(t) => {
                self.tag(ValueKind::Time);
                self.duration(t.as_duration());
            }
            Value::Date(d) => {
                self.tag(ValueKind::Date);
                self.date(*d);
            }
            Value::Duration(d) => {
                self.tag(ValueKind::Duration);
                self.duration(*d);
            }
            Value::Enum(n) => {
                self.tag(ValueKind::Enum);
                self.u32(*n);
            }
            Value::List(items) => {
                self.tag(ValueKind::List);
                self.len(items.len());
                items.iter().for_each(|v| self.value(v));
            }
        }
    }
    fn instruction(&mut self, i: &Instruction) {
        let (opcode, operand) = match *i {
            Instruction::Const(n) => (Opcode::Const, n),
            Instruction::Slot(n) => (Opcode::Slot, n),
            Instruction::Let(n) => (Opcode::Let, n),
            Instruction::Now => (Opcode::Now, 0),
            Instruction::Not => (Opcode::Not, 0),
            Instruction::Neg => (Opcode::Neg, 0),
            Instruction::ToNumber => (Opcode::ToNumber, 0),
            Instruction::Binary(op) => (Opcode::Binary, u32::from(op.tag())),
            Instruction::Matches(n) => (Opcode::Matches, n),
            Instruction::IsSet => (Opcode::IsSet, 0),
            Instruction::Call(b) => (Opcode::Call, u32::from(b.tag())),
            Instruction::MakeList(n) => (Opcode::MakeList, n),
            Instruction::JumpIfFalseOrPop(n) => (Opcode::JumpIfFalseOrPop, n),
            Instruction::JumpIfTrueOrPop(n) => (Opcode::JumpIfTrueOrPop, n),
            Instruction::JumpIfPresentOrPop(n) => (Opcode::JumpIfPresentOrPop, n),
            Instruction::IsOpen(n) => (Opcode::IsOpen, n),
            Instruction::OpenHoursBetween(n) => (Opcode::OpenHoursBetween, n),
            Instruction::LocalWeekday(n) => (Opcode::LocalWeekday, n),
            Instruction::LocalHour(n) => (Opcode::LocalHour, n),
        };
        self.tag(opcode);
        self.u32(operand);
    }
    fn block(&mut self, b: &Block) {
        self.u32(b.start);
        self.u32(b.end);
    }
    fn slo(&mut self, s: &Slo) {
        self.str(&s.text);
        match &s.length {
            SloLength::Wall(d) => {
                self.tag(SloKind::Wall);
                self.duration(*d);
            }
            SloLength::Business {
                amount,
                days,
                calendar,
            } => {
                self.tag(SloKind::Business);
                self.i64(*amount);
                self.u8(u8::from(*days));
                self.u32(*calendar);
            }
        }
        match &s.anchor {
            None => self.u8(0),
            Some(anchor) => {
                self.u8(1);
                self.u32(anchor.slot);
                self.str(&anchor.path);
            }
        }
    }
    fn span(&mut self, span: Span) {
        self.u32(span.file.0);
        self.u32(span.start);
        self.u32(span.end);
    }
    fn date(&mut self, d: Date) {
        self.u16(d.year().cast_unsigned());
        self.u8(d.month().cast_unsigned());
        self.u8(d.day().cast_unsigned());
    }
    fn team(&mut self, t: &Team) {
        self.str(&t.name);
        self.len(t.members.len());
        t.members.iter().for_each(|m| self.str(m));
        match &t.pick {
            Pick::RoundRobin => self.u8(0),
            Pick::Weighted(weights) => {
                self.u8(1);
                self.len(weights.len());
                weights.iter().for_each(|w| self.u32(*w));
            }
        }
        match t.cap {
            None => self.u8(0),
            Some(cap) => {
                self.u8(match cap.window {
                    CapWindow::Day => 1,
                    CapWindow::Week => 2,
                });
                self.u32(cap.limit);
            }
        }
        self.optional_u32(t.overflow);
        self.optional_u32(t.calendar);
    }
    fn optional_u32(&mut self, n: Option<u32>) {
        match n {
            None => self.u8(0),
            Some(n) => {
                self.u8(1);
                self.u32(n);
            }
        }
    }
    fn calendar(&mut self, c: &CalendarSpec) {
        self.str(&c.name);
        self.str(&c.zone);
        for windows in &c.week {
            self.len(windows.len());
            for (start, end) in windows {
                self.u16(*start);
                self.u16(*end);
            }
        }
        self.len(c.closed.len());
        for (from, to) in &c.closed {
            self.date(*from);
            self.date(*to);
        }
    }
    fn target(&mut self, t: &Target) {
        match t {
            Target::Team(n) => {
                self.tag(TargetKind::Team);
                self.u32(*n);
            }
            Target::Person(b) => {
                self.tag(TargetKind::Person);
                self.block(b);
            }
        }
    }
    fn optional_slo(&mut self, s: &Option<Slo>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.slo(s);
            }
        }
    }
    fn actions(&mut self, actions: &[ActionTemplate]) {
        self.len(actions.len());
        for a in actions {
            match a {
                ActionTemplate::HandOff { team, within } => {
                    self.tag(ActionKind::HandOff);
                    self.u32(*team);
                    self.optional_slo(within);
                }
                ActionTemplate::Assign {
                    to,
                    within,
                    fallback,
                } => {
                    self.tag(ActionKind::Assign);
                    self.block(to);
                    self.optional_slo(within);
                    match fallback {
                        None => self.u8(0),
                        Some(team) => {
                            self.u8(1);
                            self.u32(*team);
                        }
                    }
                }
                ActionTemplate::Escalate { target, after } => {
                    self.tag(ActionKind::Escalate);
                    self.target(target);
                    self.slo(after);
                }
                ActionTemplate::Reassign { team, after } => {
                    self.tag(ActionKind::Reassign);
                    self.u32(*team);
                    self.slo(after);
                }
                ActionTemplate::Notify { target } => {
                    self.tag(ActionKind::Notify);
                    self.target(target);
                }
                ActionTemplate::Tag { tag } => {
                    self.tag(ActionKind::Tag);
                    self.block(tag);
                }
                ActionTemplate::Set { field, value, ty } => {
                    self.tag(ActionKind::Set);
                    self.str(field);
                    self.block(value);
                    self.ty(ty);
                }
                ActionTemplate::Drop { reason } => {
                    self.tag(ActionKind::Drop);
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
    Err(DecodeError::Malformed(message.into()))
}

/// The variant of `T` whose tag is `tag`, or the error that names the tag.
fn known<T: Tagged>(tag: u32) -> Result<T, DecodeError> {
    match u8::try_from(tag).ok().and_then(T::from_tag) {
        Some(variant) => Ok(variant),
        None => err(format!("{tag} is not {}", T::WHAT)),
    }
}

impl<'a> Reader<'a> {
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
    fn tag<T: Tagged>(&mut self) -> Result<T, DecodeError> {
        known(self.u8()?.into())
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
            .map_err(|_| DecodeError::Malformed(format!("the string at byte {at} is not UTF-8")))
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
                DecodeError::Malformed("a duration has more than a second of nanoseconds".into())
            })?;
        if negative && secs > 0 {
            return err("a duration has mixed signs");
        }
        Ok(SignedDuration::new(
            secs,
            if negative { -nanos } else { nanos },
        ))
    }
    /// The next section, which must be `tag`: a reader over exactly its bytes.
    fn section(&mut self, tag: Section) -> Result<Reader<'a>, DecodeError> {
        let at = self.pos;
        let found = self.u8()?;
        if found != tag as u8 {
            return err(format!(
                "expected section {} at byte {at}, found {found}",
                tag as u8
            ));
        }
        let len = self.count(1)?;
        let start = self.pos;
        self.take(len)?;
        Ok(Reader {
            bytes: self.bytes,
            pos: start,
            end: start + len,
        })
    }

    /// Reads a whole section with `read`, which must consume it exactly.
    fn read_section<T>(
        &mut self,
        tag: Section,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut inner = self.section(tag)?;
        let value = read(&mut inner)?;
        if inner.pos != inner.end {
            return err(format!(
                "section {} has {} unread bytes",
                tag as u8,
                inner.end - inner.pos
            ));
        }
        Ok(value)
    }

    fn parts(&mut self, has_debug_info: bool) -> Result<ProgramParts, DecodeError> {
        let (name, hit_policy, subject) = self.read_section(Section::Policy, |r| {
            let name = r.str()?;
            let hit_policy = r.tag::<HitPolicy>()?;
            Ok((name, hit_policy, r.u32()?))
        })?;
        let schema = self.read_section(Section::Schema, Reader::schema)?;
        let slots = self.read_section(Section::Slots, |r| {
            r.list(4, |r| {
                let n = r.count(4)?;
                (0..n).map(|_| r.str()).collect()
            })
        })?;
        let constants = self.read_section(Section::Constants, |r| r.list(1, |r| r.value(0)))?;
        let patterns = self.read_section(Section::Patterns, |r| r.list(4, Reader::str))?;
        let code = self.read_section(Section::Code, |r| r.list(5, Reader::instruction))?;
        let lets = self.read_section(Section::Lets, |r| {
            r.list(12, |r| {
                Ok(Let {
                    name: r.str()?,
                    block: r.block()?,
                })
            })
        })?;
        let rules = self.read_section(Section::Rules, |r| {
            r.list(12, |r| {
                Ok(Rule {
                    name: r.str()?,
                    condition: r.block()?,
                    actions: r.actions()?,
                })
            })
        })?;
        let otherwise = self.read_section(Section::Otherwise, |r| {
            Ok(if r.bool()? { Some(r.actions()?) } else { None })
        })?;
        let teams = self.read_section(Section::Teams, |r| r.list(12, Reader::team))?;
        let calendars = self.read_section(Section::Calendars, |r| r.list(12, Reader::calendar))?;
        let debug = if has_debug_info {
            Some(self.read_section(Section::Debug, |r| {
                let files = r.list(8, |r| {
                    Ok(DebugFile {
                        name: r.str()?,
                        text: r.str()?,
                    })
                })?;
                let spans = r.list(16, |r| Ok((r.u32()?, r.span()?)))?;
                let clauses = r.list(24, |r| {
                    Ok(Clause {
                        rule: r.u32()?,
                        start: r.u32()?,
                        end: r.u32()?,
                        span: r.span()?,
                    })
                })?;
                Ok(DebugInfo {
                    files,
                    spans,
                    clauses,
                })
            })?)
        } else {
            None
        };
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
            calendars,
            debug,
        })
    }

    fn list<T>(
        &mut self,
        min_size: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.count(min_size)?;
        // Grown as items are read, never sized from the declared count alone.
        let mut out = Vec::new();
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
                labels: r.list(8, |r| {
                    Ok(Label {
                        text: r.str()?,
                        variant: r.u32()?,
                    })
                })?,
            })
        })?;
        let records = self.list(9, |r| {
            Ok(RecordType {
                name: r.str()?,
                fields: r.list(14, |r| {
                    Ok(Field {
                        name: r.str()?,
                        ty: r.ty(0)?,
                        read: ReadAs {
                            sources: r.list(4, Reader::str)?,
                            formats: r.list(4, Reader::str)?,
                            timezone: if r.bool()? { Some(r.str()?) } else { None },
                        },
                    })
                })?,
                key: if r.bool()? { Some(r.u32()?) } else { None },
            })
        })?;
        Ok(Schema { enums, records })
    }
    fn ty(&mut self, depth: u32) -> Result<Type, DecodeError> {
        if depth > MAX_NESTING {
            return err("a type nests too deep");
        }
        Ok(match self.tag()? {
            TypeKind::Int => Type::Int,
            TypeKind::Number => Type::Number,
            TypeKind::String => Type::String,
            TypeKind::Bool => Type::Bool,
            TypeKind::Time => Type::Time,
            TypeKind::Date => Type::Date,
            TypeKind::Duration => Type::Duration,
            TypeKind::Enum => Type::Enum(self.u32()?),
            TypeKind::Record => Type::Record(self.u32()?),
            TypeKind::List => Type::List(Box::new(self.ty(depth + 1)?)),
            TypeKind::Optional => Type::Optional(Box::new(self.ty(depth + 1)?)),
        })
    }
    fn value(&mut self, depth: u32) -> Result<Value, DecodeError> {
        if depth > MAX_NESTING {
            return err("a constant nests too deep");
        }
        Ok(match self.tag()? {
            ValueKind::Missing => Value::Missing,
            ValueKind::Present => Value::Present,
            ValueKind::Bool => Value::Bool(self.bool()?),
            ValueKind::Int => Value::Int(self.i64()?),
            ValueKind::Number => Value::Number(f64::from_bits(self.u64()?)),
            ValueKind::Str => Value::Str(self.str()?.into()),
            ValueKind::Time => Value::Time(
                Timestamp::from_duration(self.duration()?)
                    .ok()
                    .and_then(crate::time::rfc3339::in_range)
                    .ok_or_else(|| DecodeError::Malformed("an instant is out of range".into()))?,
            ),
            ValueKind::Date => Value::Date(self.date()?),
            ValueKind::Duration => Value::Duration(self.duration()?),
            ValueKind::Enum => Value::Enum(self.u32()?),
            ValueKind::List => {
                let items = self.list(1, |r| r.value(depth + 1))?;
                Value::List(items.into())
            }
        })
    }
    fn instruction(&mut self) -> Result<Instruction, DecodeError> {
        // The operand is read before the opcode is checked, as the format
        // makes every instruction five bytes.
        let opcode = self.u8()?;
        let n = self.u32()?;
        Ok(match known(opcode.into())? {
            Opcode::Const => Instruction::Const(n),
            Opcode::Slot => Instruction::Slot(n),
            Opcode::Let => Instruction::Let(n),
            Opcode::Now => Instruction::Now,
            Opcode::Not => Instruction::Not,
            Opcode::Neg => Instruction::Neg,
            Opcode::ToNumber => Instruction::ToNumber,
            Opcode::Binary => Instruction::Binary(known(n)?),
            Opcode::Matches => Instruction::Matches(n),
            Opcode::IsSet => Instruction::IsSet,
            Opcode::Call => Instruction::Call(known(n)?),
            Opcode::MakeList => Instruction::MakeList(n),
            Opcode::JumpIfFalseOrPop => Instruction::JumpIfFalseOrPop(n),
            Opcode::JumpIfTrueOrPop => Instruction::JumpIfTrueOrPop(n),
            Opcode::JumpIfPresentOrPop => Instruction::JumpIfPresentOrPop(n),
            Opcode::IsOpen => Instruction::IsOpen(n),
            Opcode::OpenHoursBetween => Instruction::OpenHoursBetween(n),
            Opcode::LocalWeekday => Instruction::LocalWeekday(n),
            Opcode::LocalHour => Instruction::LocalHour(n),
        })
    }
    fn block(&mut self) -> Result<Block, DecodeError> {
        Ok(Block {
            start: self.u32()?,
            end: self.u32()?,
        })
    }
    fn slo(&mut self) -> Result<Slo, DecodeError> {
        let text = self.str()?;
        let length = match self.tag()? {
            SloKind::Wall => SloLength::Wall(self.duration()?),
            SloKind::Business => SloLength::Business {
                amount: self.i64()?,
                days: self.bool()?,
                calendar: self.u32()?,
            },
        };
        let anchor = if self.bool()? {
            Some(Anchor {
                slot: self.u32()?,
                path: self.str()?,
            })
        } else {
            None
        };
        Ok(Slo {
            text,
            length,
            anchor,
        })
    }
    fn span(&mut self) -> Result<Span, DecodeError> {
        Ok(Span {
            file: FileId(self.u32()?),
            start: self.u32()?,
            end: self.u32()?,
        })
    }
    fn date(&mut self) -> Result<Date, DecodeError> {
        let year = self.u16()?.cast_signed();
        let month = self.u8()?.cast_signed();
        let day = self.u8()?.cast_signed();
        Date::new(year, month, day)
            .map_err(|_| DecodeError::Malformed("a date does not exist".into()))
    }
    fn team(&mut self) -> Result<Team, DecodeError> {
        let name = self.str()?;
        let members = self.list(4, Reader::str)?;
        let pick = match self.u8()? {
            0 => Pick::RoundRobin,
            1 => Pick::Weighted(self.list(4, Reader::u32)?),
            other => return err(format!("team pick {other} is not known")),
        };
        let cap = match self.u8()? {
            0 => None,
            window @ (1 | 2) => Some(Cap {
                window: if window == 1 {
                    CapWindow::Day
                } else {
                    CapWindow::Week
                },
                limit: self.u32()?,
            }),
            other => return err(format!("cap window {other} is not known")),
        };
        Ok(Team {
            name,
            members,
            pick,
            cap,
            overflow: self.optional_u32()?,
            calendar: self.optional_u32()?,
        })
    }
    fn optional_u32(&mut self) -> Result<Option<u32>, DecodeError> {
        Ok(if self.bool()? {
            Some(self.u32()?)
        } else {
            None
        })
    }
    fn calendar(&mut self) -> Result<CalendarSpec, DecodeError> {
        let name = self.str()?;
        let zone = self.str()?;
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for windows in &mut week {
            *windows = self.list(4, |r| Ok((r.u16()?, r.u16()?)))?;
        }
        let closed = self.list(8, |r| Ok((r.date()?, r.date()?)))?;
        Ok(CalendarSpec {
            name,
            zone,
            week,
            closed,
        })
    }
    fn optional_slo(&mut self) -> Result<Option<Slo>, DecodeError> {
        Ok(if self.bool()? {
            Some(self.slo()?)
        } else {
            None
        })
    }
    fn target(&mut self) -> Result<Target, DecodeError> {
        Ok(match self.tag()? {
            TargetKind::Team => Target::Team(self.u32()?),
            TargetKind::Person => Target::Person(self.block()?),
        })
    }
    fn actions(&mut self) -> Result<Vec<ActionTemplate>, DecodeError> {
        self.list(5, |r| {
            Ok(match r.tag()? {
                ActionKind::HandOff => ActionTemplate::HandOff {
                    team: r.u32()?,
                    within: r.optional_slo()?,
                },
                ActionKind::Assign => ActionTemplate::Assign {
                    to: r.block()?,
                    within: r.optional_slo()?,
                    fallback: if r.bool()? { Some(r.u32()?) } else { None },
                },
                ActionKind::Escalate => ActionTemplate::Escalate {
                    target: r.target()?,
                    after: r.slo()?,
                },
                ActionKind::Reassign => ActionTemplate::Reassign {
                    team: r.u32()?,
                    after: r.slo()?,
                },
                ActionKind::Notify => ActionTemplate::Notify {
                    target: r.target()?,
                },
                ActionKind::Tag => ActionTemplate::Tag { tag: r.block()? },
                ActionKind::Set => ActionTemplate::Set {
                    field: r.str()?,
                    value: r.block()?,
                    ty: r.ty(0)?,
                },
                ActionKind::Drop => ActionTemplate::Drop { reason: r.block()? },
            })
        })
    }
}

#[cfg(test)]
mod tests;
