//! Runs LALRPOP over `grammar/` so the parser is generated at build time
//! (only for the `compiler` feature; the runtime alone needs no parser).

fn main() {
    #[cfg(feature = "compiler")]
    {
        let result = lalrpop::Configuration::new()
            .set_in_dir("grammar")
            .emit_rerun_directives(true)
            .process();
        if let Err(error) = result {
            eprintln!("failed to generate the parser from grammar/: {error}");
            std::process::exit(1);
        }
    }
}
