use super::*;
use jiff::civil::date;
use tags::Tagged;

fn written(write: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::default();
    write(&mut w);
    w.bytes
}

fn reader(bytes: &[u8]) -> Reader<'_> {
    Reader {
        bytes,
        pos: 0,
        end: bytes.len(),
    }
}

#[test]
fn every_instruction_round_trips_through_its_opcode() {
    for (opcode, tag) in Opcode::TAGS {
        for operand in 0..32u32 {
            let bytes = [&[*tag][..], &operand.to_le_bytes()].concat();
            match reader(&bytes).instruction() {
                // An operand the instruction does not use is written as 0.
                Ok(i) => {
                    let again = written(|w| w.instruction(&i));
                    assert_eq!(again[0], *tag, "{i:?}");
                    assert_eq!(reader(&again).instruction(), Ok(i));
                }
                // Only operators and built-ins have fewer tags than the operands tried.
                Err(e) => assert!(
                    matches!(opcode, Opcode::Binary | Opcode::Call),
                    "{opcode:?} {operand}: {e}"
                ),
            }
        }
    }
}

#[test]
fn every_kind_of_value_round_trips() {
    let values = [
        Value::Missing,
        Value::Present,
        Value::Bool(true),
        Value::Int(-3),
        Value::Number(-0.0),
        Value::str("é"),
        Value::Time(Timestamp::UNIX_EPOCH),
        Value::Date(date(2026, 2, 28)),
        Value::Duration(SignedDuration::new(-90, -5)),
        Value::Enum(4),
        Value::List([Value::Int(1), Value::List([].into())].into()),
    ];
    for value in &values {
        let bytes = written(|w| w.value(value));
        let decoded = reader(&bytes).value(0).unwrap();
        assert_eq!(written(|w| w.value(&decoded)), bytes, "{value:?}");
    }
    for (kind, tag) in ValueKind::TAGS {
        assert!(
            values.iter().any(|v| written(|w| w.value(v))[0] == *tag),
            "no {kind:?} among the values"
        );
    }
}

/// The message of a refusal.
fn refusal<T: std::fmt::Debug>(result: Result<T, DecodeError>) -> String {
    match result.unwrap_err() {
        DecodeError::Malformed(what) => what,
        other => format!("{other:?}"),
    }
}

#[test]
fn an_unknown_tag_is_named() {
    let instruction = |bytes: &[u8]| refusal(reader(bytes).instruction());
    assert_eq!(instruction(&[19, 0, 0, 0, 0]), "19 is not an instruction");
    assert_eq!(instruction(&[7, 15, 0, 0, 0]), "15 is not an operator");
    assert_eq!(
        instruction(&[10, 0, 1, 0, 0]),
        "256 is not a built-in function"
    );
    assert_eq!(refusal(reader(&[11]).value(0)), "11 is not a value");
    assert_eq!(refusal(reader(&[11]).ty(0)), "11 is not a type");
    assert_eq!(refusal(reader(&[2]).target()), "2 is not a target");
}
