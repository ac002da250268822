//! Text to syntax tree: the logos lexer, the LALRPOP parser and the AST,
//! plus the loader that follows `use` from file to file.

pub mod ast;
#[cfg(test)]
mod grammar_text;
pub mod keywords;
pub mod lexer;
pub mod modules;
mod numbers;
pub mod parser;
mod slips;
