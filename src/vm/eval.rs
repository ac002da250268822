//! The evaluation loop: runs one block over the bound slots of a record.
//! Lets are evaluated on first use and cached for the rest of the record.
//! Every instruction costs fuel, so even a hostile program stops.

use jiff::Timestamp;

use crate::bytecode::instruction::Instruction;
use crate::bytecode::program::{Block, Program};
use crate::bytecode::value::{self, OpError, Value};

/// Instructions one record may execute.
pub const FUEL_PER_RECORD: u64 = 10_000_000;
/// Deepest chain of lets evaluated through each other.
pub const MAX_LET_DEPTH: u32 = 256;

/// Why a block has no value.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// An operator failed (overflow, division by zero, ...).
    Op(OpError),
    /// The record used up its fuel.
    OutOfFuel,
    /// Lets used each other more than [`MAX_LET_DEPTH`] deep.
    LetsTooDeep,
    /// The program is inconsistent (only possible for a damaged `.roec`).
    Damaged(&'static str),
}

impl From<OpError> for EvalError {
    fn from(e: OpError) -> EvalError {
        EvalError::Op(e)
    }
}

#[derive(Clone, Debug)]
enum LetState {
    Unevaluated,
    InProgress,
    Done(Value),
}

/// The per-record state of evaluation, reused from record to record.
#[derive(Debug)]
pub struct Machine {
    stack: Vec<Value>,
    lets: Vec<LetState>,
    fuel: u64,
}

impl Machine {
    /// A machine for `program`.
    pub fn new(program: &Program) -> Machine {
        Machine {
            stack: Vec::with_capacity(32),
            lets: vec![LetState::Unevaluated; program.parts().lets.len()],
            fuel: FUEL_PER_RECORD,
        }
    }

    /// Forgets the previous record's lets and refills the fuel.
    #[inline]
    pub fn reset(&mut self) {
        self.stack.clear();
        self.lets
            .iter_mut()
            .for_each(|l| *l = LetState::Unevaluated);
        self.fuel = FUEL_PER_RECORD;
    }

    /// Runs `block`, inside lets nested `depth` deep (0 outside any let), and
    /// returns the one value it leaves.
    pub fn run(
        &mut self,
        program: &Program,
        block: Block,
        slots: &[Value],
        now: Timestamp,
        depth: u32,
    ) -> Result<Value, EvalError> {
        self.run_at(program, block, slots, now, depth, None)
    }

    /// Runs `block` and records the value of each clause of `clauses` (instruction
    /// ranges, sorted and disjoint) that was evaluated, by its index in `clauses`.
    pub fn run_traced(
        &mut self,
        program: &Program,
        block: Block,
        slots: &[Value],
        now: Timestamp,
        clauses: &[(u32, u32)],
    ) -> Result<(Value, Vec<(usize, Value)>), EvalError> {
        let mut trace = Trace {
            clauses,
            values: Vec::new(),
        };
        let value = self.run_at(program, block, slots, now, 0, Some(&mut trace))?;
        Ok((value, trace.values))
    }

    /// The value of let `n` if this record evaluated it.
    pub fn cached_let(&self, n: u32) -> Option<Value> {
        match self.lets.get(n as usize) {
            Some(LetState::Done(v)) => Some(v.clone()),
            _ => None,
        }
    }

    fn pop(&mut self) -> Result<Value, EvalError> {
        self.stack
            .pop()
            .ok_or(EvalError::Damaged("stack underflow"))
    }

    fn top(&self) -> Result<&Value, EvalError> {
        self.stack
            .last()
            .ok_or(EvalError::Damaged("stack underflow"))
    }

    fn run_at(
        &mut self,
        program: &Program,
        block: Block,
        slots: &[Value],
        now: Timestamp,
        depth: u32,
        mut trace: Option<&mut Trace<'_>>,
    ) -> Result<Value, EvalError> {
        let parts = program.parts();
        let base = self.stack.len();
        let end = block.end as usize;
        let mut pc = block.start as usize;
        while pc < end {
            self.fuel = self.fuel.checked_sub(1).ok_or(EvalError::OutOfFuel)?;
            let instruction = *parts
                .code
                .get(pc)
                .ok_or(EvalError::Damaged("jump outside the code"))?;
            let executed = pc;
            pc += 1;
            match instruction {
                Instruction::Const(n) => {
                    let v = parts
                        .constants
                        .get(n as usize)
                        .ok_or(EvalError::Damaged("constant index"))?;
                    self.stack.push(v.clone());
                }
                Instruction::Slot(n) => {
                    let v = slots
                        .get(n as usize)
                        .ok_or(EvalError::Damaged("slot index"))?;
                    self.stack.push(v.clone());
                }
                Instruction::Let(n) => {
                    let v = self.let_value(program, n, slots, now, depth)?;
                    self.stack.push(v);
                }
                Instruction::Now => self.stack.push(Value::Time(now)),
                Instruction::Not => match self.pop()? {
                    Value::Bool(b) => self.stack.push(Value::Bool(!b)),
                    _ => return Err(OpError::Type.into()),
                },
                Instruction::Neg => {
                    let v = self.pop()?;
                    self.stack.push(value::negate(&v)?);
                }
                Instruction::ToNumber => {
                    let v = self.pop()?;
                    self.stack.push(value::to_number(&v)?);
                }
                Instruction::Binary(op) => {
                    let b = self.pop()?;
                    let a = self.pop()?;
                    self.stack.push(value::binary(op, &a, &b)?);
                }
                Instruction::Matches(n) => {
                    let regex = program
                        .regex(n)
                        .ok_or(EvalError::Damaged("pattern index"))?;
                    match self.pop()? {
                        Value::Str(s) => self.stack.push(Value::Bool(regex.is_match(&s))),
                        _ => return Err(OpError::Type.into()),
                    }
                }
                Instruction::IsSet => {
                    let v = self.pop()?;
                    self.stack.push(Value::Bool(v != Value::Missing));
                }
                Instruction::Call(builtin) => {
                    let arg = self.pop()?;
                    self.stack
                        .push(value::call(builtin, std::slice::from_ref(&arg), now)?);
                }
                Instruction::MakeList(n) => {
                    let n = n as usize;
                    let from = self
                        .stack
                        .len()
                        .checked_sub(n)
                        .filter(|f| *f >= base)
                        .ok_or(EvalError::Damaged("stack underflow"))?;
                    let items: Vec<Value> = self.stack.drain(from..).collect();
                    self.stack.push(Value::List(items.into()));
                }
                Instruction::JumpIfFalseOrPop(target) | Instruction::JumpIfTrueOrPop(target) => {
                    let jump_on = matches!(instruction, Instruction::JumpIfTrueOrPop(_));
                    let Value::Bool(b) = *self.top()? else {
                        return Err(OpError::Type.into());
                    };
                    if b == jump_on {
                        pc = jump(target, pc, end)?;
                    } else {
                        self.pop()?;
                    }
                }
                Instruction::IsOpen(n) => {
                    let calendar = program
                        .calendar(n)
                        .ok_or(EvalError::Damaged("calendar index"))?;
                    let open = calendar.is_open(now).map_err(|_| OpError::TimeRange)?;
                    self.stack.push(Value::Bool(open));
                }
                Instruction::OpenHoursBetween(n) => {
                    let calendar = program
                        .calendar(n)
                        .ok_or(EvalError::Damaged("calendar index"))?;
                    let (Value::Time(b), Value::Time(a)) = (self.pop()?, self.pop()?) else {
                        return Err(OpError::Type.into());
                    };
                    let open = calendar
                        .open_time_between(a, b)
                        .map_err(|_| OpError::TimeRange)?;
                    self.stack.push(Value::Number(open.as_secs_f64() / 3_600.0));
                }
                Instruction::LocalWeekday(n) | Instruction::LocalHour(n) => {
                    let calendar = program
                        .calendar(n)
                        .ok_or(EvalError::Damaged("calendar index"))?;
                    let Value::Time(t) = self.pop()? else {
                        return Err(OpError::Type.into());
                    };
                    let local = calendar.local(t);
                    self.stack
                        .push(if matches!(instruction, Instruction::LocalHour(_)) {
                            Value::Int(i64::from(local.hour()))
                        } else {
                            Value::str(value::weekday_name(local.weekday()))
                        });
                }
                Instruction::JumpIfPresentOrPop(target) => {
                    if *self.top()? == Value::Missing {
                        self.pop()?;
                    } else {
                        pc = jump(target, pc, end)?;
                    }
                }
            }
            if let Some(trace) = trace.as_deref_mut() {
                trace.record(executed, pc, self.stack.last());
            }
        }
        if self.stack.len() != base + 1 {
            return Err(EvalError::Damaged("a block left the stack unbalanced"));
        }
        self.pop()
    }

    fn let_value(
        &mut self,
        program: &Program,
        n: u32,
        slots: &[Value],
        now: Timestamp,
        depth: u32,
    ) -> Result<Value, EvalError> {
        if let Some(v) = self.begin_let(n, depth)? {
            return Ok(v);
        }
        let block = program
            .parts()
            .lets
            .get(n as usize)
            .ok_or(EvalError::Damaged("let index"))?
            .block;
        let v = self.run_at(program, block, slots, now, depth + 1, None)?;
        self.finish_let(n, v.clone());
        Ok(v)
    }

    /// Starts evaluating let `n` at let depth `depth`: its value if this
    /// record has it already, or `None` after marking it in progress (the
    /// caller evaluates it and calls [`Machine::finish_let`]).
    pub fn begin_let(&mut self, n: u32, depth: u32) -> Result<Option<Value>, EvalError> {
        let state = self
            .lets
            .get_mut(n as usize)
            .ok_or(EvalError::Damaged("let index"))?;
        match state {
            LetState::Done(v) => Ok(Some(v.clone())),
            LetState::InProgress => Err(EvalError::Damaged("a let depends on itself")),
            LetState::Unevaluated if depth >= MAX_LET_DEPTH => Err(EvalError::LetsTooDeep),
            LetState::Unevaluated => {
                *state = LetState::InProgress;
                Ok(None)
            }
        }
    }

    /// Keeps the value of let `n` for the rest of the record.
    pub fn finish_let(&mut self, n: u32, v: Value) {
        if let Some(state) = self.lets.get_mut(n as usize) {
            *state = LetState::Done(v);
        }
    }
}

/// Clause values seen while a rule condition runs (for explanations).
struct Trace<'c> {
    clauses: &'c [(u32, u32)],
    values: Vec<(usize, Value)>,
}

impl Trace<'_> {
    /// After the instruction at `executed` ran and control moved to `next`: when
    /// control leaves a clause, the value on top is that clause's value.
    fn record(&mut self, executed: usize, next: usize, top: Option<&Value>) {
        let at = self
            .clauses
            .partition_point(|(start, _)| (*start as usize) <= executed);
        let Some(index) = at.checked_sub(1) else {
            return;
        };
        let Some(&(_, end)) = self.clauses.get(index) else {
            return;
        };
        if executed <= end as usize
            && next > end as usize
            && let Some(value) = top
        {
            self.values.push((index, value.clone()));
        }
    }
}

/// A forward jump within the current block.
fn jump(target: u32, pc: usize, end: usize) -> Result<usize, EvalError> {
    let target = target as usize;
    if target < pc || target > end {
        return Err(EvalError::Damaged("jump outside its block"));
    }
    Ok(target)
}
