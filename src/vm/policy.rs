//! A policy loaded for deciding: the verified program and its plan, made
//! once and shared by every VM on every thread.

use std::sync::Arc;

use jiff::Timestamp;

use crate::bytecode::program::Program;
use crate::vm::Vm;
use crate::vm::plan::{Plan, PlanOptions};

/// A compiled policy ready to decide: its verified [`Program`] and the
/// [`Plan`] made from it once. Cloning shares both, so a service loads a
/// policy once and hands it to every thread.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = roe::load(include_bytes!("../../tests/roec/inbound_routing.roec"))?;
/// let lead = serde_json::json!({
///     "id": "L-1", "email": "ana@bigco.example", "country": "DE", "segment": "strategic",
///     "source": "web", "status": "mql", "score": 80, "employees": 9000,
///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
/// });
/// let worker = policy.clone();
/// let decided = std::thread::spawn(move || {
///     let now = "2026-11-30T10:00:00Z".parse().map_err(|_| "an instant")?;
///     worker.vm(now).decide(&lead).map_err(|e| e.to_string())
/// });
/// assert!(decided.join().map_err(|_| "no panic")?.is_ok());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    loaded: Arc<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    program: Program,
    plan: Plan,
}

impl Policy {
    /// `program` planned with every shortcut.
    pub fn new(program: Program) -> Policy {
        Policy::with_options(program, PlanOptions::ALL)
    }

    /// `program` planned with `options`: [`PlanOptions::INTERPRETED`] for
    /// the reference interpreter, say.
    pub fn with_options(program: Program, options: PlanOptions) -> Policy {
        let plan = Plan::new(&program, options);
        Policy {
            loaded: Arc::new(Loaded { program, plan }),
        }
    }

    /// The verified program.
    pub fn program(&self) -> &Program {
        &self.loaded.program
    }

    /// The plan the VMs decide by.
    pub fn plan(&self) -> &Plan {
        &self.loaded.plan
    }

    /// A VM deciding with this policy at `now`; reuse it across records.
    pub fn vm(&self, now: Timestamp) -> Vm<'_> {
        Vm::new(self, now)
    }
}

impl From<Program> for Policy {
    fn from(program: Program) -> Policy {
        Policy::new(program)
    }
}
