//! `roe build FILE -o OUT.roec`: compile to a portable bytecode file.

use std::path::PathBuf;

use super::{Format, UsageError, output, status};

/// Arguments of `roe build`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The policy to compile.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Where to write the compiled policy.
    #[arg(short, long, value_name = "OUT.roec")]
    output: PathBuf,
    /// Leave out the debug info (the sources and the spans of instructions): a
    /// smaller file that still decides the same, but lists without source lines.
    #[arg(long)]
    strip: bool,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Compiles and writes the program; exit 1 on policy errors.
pub fn run(args: &Args) -> Result<u8, UsageError> {
    let compilation = super::compile(&args.file)?;
    output::diagnostics(args.format, &compilation.sources, &compilation.diagnostics);
    output::summary(args.format, &compilation.diagnostics);
    if compilation.has_errors() {
        return Ok(status::POLICY);
    }
    let Some(program) = compilation.program else {
        return Err(UsageError(format!(
            "`{}` has no `policy` header: it is a library, and there is nothing to compile",
            args.file.display()
        )));
    };
    let program = if args.strip {
        program.stripped()
    } else {
        program
    };
    let bytes = roe::bytecode::format::encode(&program);
    std::fs::write(&args.output, bytes).map_err(|e| {
        UsageError(format!(
            "cannot write `{}`: {}",
            args.output.display(),
            roe::diagnostics::io::io_problem(&e)
        ))
    })?;
    Ok(status::OK)
}
