//! roe: a compiler and runtime for the Rules of Engagement language.
//!
//! A policy travels text → tokens ([`syntax::lexer`]) → syntax tree
//! ([`syntax::parser`]) → typed IR ([`check`]) → [`bytecode::program::Program`]
//! ([`compile`]) → decisions ([`vm`]). Every stage returns its problems as
//! [`diagnostics::Diagnostic`] data; nothing here prints.
//!
//! With the `compiler` feature (the default) [`compile_source`] and
//! [`compile_file`] run the whole pipeline. Without it the crate is the runtime
//! alone: [`bytecode::format::decode`] loads a `.roec` and [`vm::Vm`] decides
//! records with it.

#[cfg(feature = "compiler")]
pub mod analysis;
pub mod bytecode;
#[cfg(feature = "compiler")]
pub mod check;
#[cfg(feature = "compiler")]
pub mod compile;
pub mod diagnostics;
pub mod input;
#[cfg(feature = "compiler")]
pub mod policy_tests;
pub mod source;
#[cfg(feature = "compiler")]
pub mod syntax;
pub mod time;
pub mod vm;

#[cfg(feature = "compiler")]
mod pipeline;
#[cfg(feature = "compiler")]
pub use pipeline::{Compilation, compile_file, compile_source, compile_with_tests};

use bytecode::format::DecodeError;
use bytecode::program::Program;
use vm::{Decision, RecordError};

/// Loads a compiled policy (the bytes of a `.roec` file) and verifies it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let program = roe::load(include_bytes!("../tests/roec/inbound_routing.roec"))?;
/// assert_eq!(program.subject().map(|r| r.name.as_str()), Some("lead"));
/// let record = serde_json::json!({
///     "id": "L-1", "email": "ana@bigco.example", "country": "DE", "segment": "strategic",
///     "source": "web", "status": "mql", "score": 80, "employees": 9000,
///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
/// });
/// let decision = roe::decide(&program, &record, "2026-11-30T10:00:00Z".parse()?)
///     .map_err(|e| e.message)?;
/// assert_eq!(decision.actions()[0].team.as_deref(), Some("enterprise_emea"));
/// assert_eq!(decision.actions()[0].due.as_deref(), Some("2026-11-30T14:00:00Z"));
/// # Ok(())
/// # }
/// ```
pub fn load(bytes: &[u8]) -> Result<Program, DecodeError> {
    bytecode::format::decode(bytes)
}

/// Decides one record (a JSON object) at the instant `now`.
///
/// For many records, [`decide_batch`] or a reused [`vm::Vm`] avoids setting up
/// the machine again for each one.
pub fn decide(
    program: &Program,
    record: &serde_json::Value,
    now: jiff::Timestamp,
) -> Result<Decision, RecordError> {
    vm::Vm::new(program, now).decide(record)
}

/// Decides records in order at one `now`: one result per record, nothing dropped.
pub fn decide_batch(
    program: &Program,
    records: &[serde_json::Value],
    now: jiff::Timestamp,
) -> Vec<Result<Decision, RecordError>> {
    let mut vm = vm::Vm::new(program, now);
    records.iter().map(|r| vm.decide(r)).collect()
}
