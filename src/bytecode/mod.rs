//! The interface between compiler and VM: the instruction set, the value
//! model, the schema, the Program and its `.roec` encoding.

pub mod disasm;
pub mod fingerprint;
pub mod format;
pub mod instruction;
pub mod program;
pub mod schema;
pub mod value;
pub mod verify;
