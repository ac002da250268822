//! Explanations: for each `tests/run/*.roe`, every record of the file beside it
//! explained rule by rule and clause by clause, in
//! `tests/snapshots/explain__explanations@*.snap`.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

#[test]
fn explanations() {
    insta::glob!("run/*.roe", |path| {
        let (compilation, rendered) = common::compile(path);
        let program = compilation.program.unwrap_or_else(|| panic!("{rendered}"));
        let records = ["jsonl", "json", "csv"]
            .iter()
            .map(|ext| path.with_extension(ext))
            .find(|p| p.exists())
            .expect("records beside the policy");
        let text = std::fs::read_to_string(&records).expect("readable");
        let format = roe::input::InputFormat::from_extension(&records).expect("a known extension");
        let parts = program.parts();
        let vm_policy = roe::Policy::new(program.clone());
        let mut vm = vm_policy.vm(common::NOW.parse().expect("an instant"));
        let mut out = String::new();
        for (index, record) in roe::input::read(format, &text, &parts.schema, parts.subject)
            .iter()
            .enumerate()
        {
            let Ok(roe::vm::Record { json: record, .. }) = record else {
                continue;
            };
            out.push_str(&format!("── record {index}\n"));
            match vm.explain(record) {
                Ok((explanation, decision)) => {
                    out.push_str(&explanation.render());
                    // The explained decision is the decision `roe run` prints.
                    assert_eq!(
                        decision,
                        vm.decide(record),
                        "{}: record {index}",
                        path.display()
                    );
                }
                Err(e) => out.push_str(&format!("not explained: {e:?}\n")),
            }
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn a_stripped_program_cannot_explain() {
    let program = roe::compile_source(
        "p.roe",
        "policy p for lead\nuse crm\nrule r when score > 1 then tag \"x\"",
    )
    .program
    .expect("compiles");
    let record = serde_json::json!({"id":"L-1","email":"a@b.example","country":"DE","segment":"smb","source":"web","status":"raw","score":80,"created_at":"2026-11-30T09:00:00Z","do_not_route":false});
    let stripped = program.stripped();
    let vm_policy = roe::Policy::new(stripped.clone());
    let mut vm = vm_policy.vm(common::NOW.parse().expect("an instant"));
    assert_eq!(
        vm.explain(&record).err(),
        Some(roe::vm::explain::ExplainError::NoDebugInfo)
    );
}
