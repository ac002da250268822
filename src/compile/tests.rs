//! Unit tests of code generation: folding, jumps and the constant pool.

use super::fold::ConstValues;
use crate::bytecode::instruction::Instruction as I;
use crate::bytecode::value::{Op, OpError, Value};

fn compile(body: &str) -> crate::bytecode::program::Program {
    let text = format!("policy p for lead\nuse crm\n{body}\n");
    let compilation = crate::compile_source("t.roe", &text);
    assert!(
        compilation.diagnostics.is_empty(),
        "{:?}",
        compilation.diagnostics
    );
    compilation.program.expect("compiles")
}

fn condition(program: &crate::bytecode::program::Program, rule: usize) -> Vec<I> {
    let parts = program.parts();
    let block = parts.rules[rule].condition;
    parts.code[block.start as usize..block.end as usize].to_vec()
}

#[test]
fn constant_subexpressions_and_consts_are_folded() {
    let program = compile("const base = 20\nrule r when score > base * 2 + 10 then tag \"x\"");
    assert_eq!(
        condition(&program, 0),
        [I::Slot(0), I::Const(0), I::Binary(Op::Gt)]
    );
    assert_eq!(program.parts().constants[0], Value::Int(50));
}

#[test]
fn int_constants_widen_at_compile_time() {
    let program = compile(
        "rule r when annual_revenue is set and annual_revenue > 1_000_000 then tag \"big\"",
    );
    assert!(
        program
            .parts()
            .constants
            .contains(&Value::Number(1_000_000.0))
    );
    assert!(
        !condition(&program, 0).contains(&I::ToNumber),
        "the literal is widened once, not per record"
    );
}

#[test]
fn and_or_and_default_jump_forward_past_their_right_side() {
    let program = compile(
        "rule r when score > 1 and (score < 5 or default(employees, 0) > 3) then tag \"x\"",
    );
    let code = condition(&program, 0);
    let start = program.parts().rules[0].condition.start as usize;
    for (pc, instruction) in code.iter().enumerate() {
        if let I::JumpIfFalseOrPop(t) | I::JumpIfTrueOrPop(t) | I::JumpIfPresentOrPop(t) =
            instruction
        {
            assert!(*t as usize > start + pc, "jump at {pc} goes forward");
            assert!(
                *t as usize <= start + code.len(),
                "jump at {pc} stays in its block"
            );
        }
    }
    let jumps = code
        .iter()
        .filter(|i| {
            matches!(
                i,
                I::JumpIfFalseOrPop(_) | I::JumpIfTrueOrPop(_) | I::JumpIfPresentOrPop(_)
            )
        })
        .count();
    assert_eq!(jumps, 3);
}

#[test]
fn equal_constants_share_one_pool_entry() {
    let program =
        compile("rule a when score > 50 then tag \"hot\"\nrule b when score < 50 then tag \"hot\"");
    let parts = program.parts();
    assert_eq!(
        parts
            .constants
            .iter()
            .filter(|c| **c == Value::Int(50))
            .count(),
        1
    );
    assert_eq!(
        parts
            .constants
            .iter()
            .filter(|c| **c == Value::str("hot"))
            .count(),
        1
    );
}

#[test]
fn constants_that_differ_in_sign_or_type_stay_apart() {
    let program = compile(
        "rule a when score > 1 and default(annual_revenue, 0.0) > 1 then tag \"x\"\n\
         rule b when default(annual_revenue, -0.0) > 1.0 then tag \"x\"",
    );
    let numbers: Vec<String> = program
        .parts()
        .constants
        .iter()
        .filter(|c| matches!(c, Value::Int(_) | Value::Number(_)))
        .map(|c| format!("{c:?}"))
        .collect();
    assert_eq!(
        numbers,
        ["Int(1)", "Number(0.0)", "Number(1.0)", "Number(-0.0)"]
    );
}

#[test]
fn consts_may_call_built_ins_that_do_not_read_now() {
    let program = compile(
        "const domain_of_acme = domain(\"Sales@ACME.example\")\nconst pair = len([1, 2]) * 2\nrule r when domain(email) = domain_of_acme and score > pair then tag upper(\"x\")",
    );
    let constants = &program.parts().constants;
    assert!(
        constants.contains(&Value::str("acme.example")),
        "{constants:?}"
    );
    assert!(constants.contains(&Value::Int(4)), "{constants:?}");
    assert!(
        constants.contains(&Value::str("X")),
        "a constant call in an action folds too"
    );
}

#[test]
fn consts_fold_after_the_consts_they_read_and_a_failure_stays_missing() {
    let text = "policy p for lead\nuse crm\n\
                const double = base * 2\n\
                const base = 20\n\
                const too_big = 9223372036854775807 + 1\n\
                const next = too_big + 1\n\
                rule r when score > double then tag \"x\"\n";
    let mut sources = crate::source::SourceMap::new();
    let (modules, _) = crate::syntax::modules::load(&mut sources, "t.roe", text.to_owned(), None);
    let (checked, _) = crate::check::check(&sources, &modules);
    let checked = checked.expect("checks");
    let (consts, errors) = ConstValues::fold(&checked);
    let value = |name: &str| {
        let i = checked.consts.iter().position(|c| c.name == name);
        i.and_then(|i| consts.get(i)).cloned()
    };
    assert_eq!(value("double"), Some(Value::Int(40)));
    assert_eq!(value("too_big"), Some(Value::Missing));
    assert_eq!(value("next"), Some(Value::Missing));
    // The overflow, then the const that reads it (a type error the compiler does not repeat).
    let errors: Vec<(OpError, &str)> = errors
        .iter()
        .map(|e| (e.error, &text[e.span.start as usize..e.span.end as usize]))
        .collect();
    assert_eq!(
        errors,
        [
            (OpError::Overflow, "9223372036854775807 + 1"),
            (OpError::Type, "too_big + 1")
        ]
    );
}
