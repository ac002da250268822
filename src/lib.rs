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

pub mod bytecode;
#[cfg(feature = "compiler")]
pub mod check;
#[cfg(feature = "compiler")]
pub mod compile;
pub mod diagnostics;
pub mod input;
pub mod source;
#[cfg(feature = "compiler")]
pub mod syntax;
pub mod vm;

#[cfg(feature = "compiler")]
mod pipeline;
#[cfg(feature = "compiler")]
pub use pipeline::{Compilation, compile_file, compile_source};
