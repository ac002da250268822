//! `roe disasm FILE`: a readable listing of a compiled policy.

use std::path::PathBuf;

use super::{Format, UsageError, output, status};

/// Arguments of `roe disasm`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A compiled policy (`.roec`), or a `.roe` source to compile and list.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// How to print a source's diagnostics: drawn on stderr, or one JSON
    /// array on stdout before the listing.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Prints the listing; exit 1 when the file does not load or compile.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let bytes = std::fs::read(&args.file).map_err(|e| {
        UsageError(format!(
            "cannot read `{}`: {}",
            args.file.display(),
            roe::diagnostics::io::io_problem(&e)
        ))
    })?;
    let listing = if bytes.starts_with(roe::bytecode::format::MAGIC) {
        let loaded = roe::bytecode::format::header(&bytes)
            .and_then(|header| roe::bytecode::format::decode(&bytes).map(|p| (header, p)));
        match loaded {
            Ok((header, program)) => roe::bytecode::disasm::disassemble(&program, Some(&header)),
            Err(e) => {
                output::error_line(&format!("roe: cannot load `{}`: {e}", args.file.display()));
                return Ok(status::POLICY);
            }
        }
    } else {
        let compilation = super::compile(&args.file)?;
        if !compilation.diagnostics.is_empty() {
            output::diagnostics(args.format, &compilation.sources, &compilation.diagnostics);
        }
        if compilation.has_errors() {
            return Ok(status::POLICY);
        }
        match compilation.program {
            Some(program) => roe::bytecode::disasm::disassemble(&program, None),
            None => {
                return Err(UsageError(format!(
                    "`{}` has no `policy` header: it is a library, and there is nothing to list",
                    args.file.display()
                )));
            }
        }
    };
    output::stdout_line(listing.trim_end());
    Ok(status::OK)
}
