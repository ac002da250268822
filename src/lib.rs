//! roe: a compiler and runtime for the Rules of Engagement language.
//!
//! A policy travels text → tokens ([`syntax::lexer`]) → syntax tree
//! ([`syntax::parser`]) → typed IR ([`check`]) → [`bytecode::program::Program`]
//! ([`compile`]) → decisions ([`vm`]). Every stage returns its problems as
//! [`diagnostics::Diagnostic`] data; nothing here prints.
//!
//! With the `compiler` feature (the default) [`compile_source`] and
//! [`compile_file`] run the whole pipeline. Without it the crate is the runtime
//! alone: [`load`] loads a `.roec` as a [`Policy`], and its [`vm::Vm`]s decide
//! records with it.

#[cfg(feature = "compiler")]
pub mod analysis;
pub mod assign;
pub mod batch;
pub mod bytecode;
#[cfg(feature = "compiler")]
pub mod check;
#[cfg(feature = "compiler")]
pub mod compile;
pub mod diagnostics;
pub mod diff;
pub mod input;
#[cfg(feature = "compiler")]
pub mod policy_tests;
#[cfg(feature = "service")]
pub mod serve;
pub mod source;
#[cfg(feature = "compiler")]
pub mod syntax;
pub mod time;
pub mod vm;

#[cfg(feature = "compiler")]
mod pipeline;
#[cfg(feature = "compiler")]
pub use pipeline::{
    Compilation, compile_file, compile_source, compile_with_tests, misnamed_test_files,
    test_file_beside,
};

use bytecode::format::DecodeError;
pub use vm::Policy;
use vm::{Decision, RecordError};

/// Loads a compiled policy (the bytes of a `.roec` file), verifies it and
/// plans it for deciding.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = roe::load(include_bytes!("../tests/roec/inbound_routing.roec"))?;
/// assert_eq!(policy.program().subject().map(|r| r.name.as_str()), Some("lead"));
/// let record = serde_json::json!({
///     "id": "L-1", "email": "ana@bigco.example", "country": "DE", "segment": "strategic",
///     "source": "web", "status": "mql", "score": 80, "employees": 9000,
///     "created_at": "2026-11-30T09:00:00Z", "do_not_route": false
/// });
/// let decision = roe::decide(&policy, &record, "2026-11-30T10:00:00Z".parse()?)?;
/// assert_eq!(decision.actions()[0].team.as_deref(), Some("enterprise_emea"));
/// assert_eq!(decision.actions()[0].due.as_deref(), Some("2026-11-30T14:00:00Z"));
/// # Ok(())
/// # }
/// ```
pub fn load(bytes: &[u8]) -> Result<Policy, DecodeError> {
    bytecode::format::decode(bytes).map(Policy::new)
}

/// Decides one record (a JSON object) at the instant `now`.
///
/// For many records, [`decide_batch`] or a reused [`vm::Vm`] avoids setting up
/// the machine again for each one.
pub fn decide(
    policy: &Policy,
    record: &serde_json::Value,
    now: jiff::Timestamp,
) -> Result<Decision, RecordError> {
    policy.vm(now).decide(record)
}

/// Decides records in order at one `now`: one result per record, nothing
/// dropped; a large batch on every core (see [`batch`]).
pub fn decide_batch(
    policy: &Policy,
    records: &[serde_json::Value],
    now: jiff::Timestamp,
) -> Vec<Result<Decision, RecordError>> {
    let mut out = Vec::with_capacity(records.len());
    let delivered: Result<(), std::convert::Infallible> = batch::in_order(
        batch::Spread::for_records(records.len()),
        records.chunks(batch::BLOCK),
        || policy.vm(now),
        |vm, block| block.iter().map(|r| vm.decide(r)).collect::<Vec<_>>(),
        |decided| {
            match decided {
                Ok(decided) => out.extend(decided),
                Err(lost) => out.extend(lost.iter().map(|_| Err(batch_failed()))),
            }
            Ok(())
        },
    );
    match delivered {
        Ok(()) => out,
        Err(never) => match never {},
    }
}

/// The error of a record whose block could not be decided (see
/// [`batch::in_order`]): never expected, but never a lost record.
pub fn batch_failed() -> RecordError {
    RecordError::new(
        diagnostics::codes::RECORD_MALFORMED,
        "this record could not be decided",
    )
}
