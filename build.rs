//! Runs LALRPOP over `grammar/` so the parser is generated at build time.

fn main() {
    let result = lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process();
    if let Err(error) = result {
        eprintln!("failed to generate the parser from grammar/: {error}");
        std::process::exit(1);
    }
}
