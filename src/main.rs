//! The `roe` command. Argument parsing and printing live in `cli`; everything
//! else is a call into the `roe` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
