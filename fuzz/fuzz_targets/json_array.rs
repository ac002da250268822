//! Read arbitrary text as a JSON array of records both ways: element by
//! element from a reader, in tiny blocks, and whole from the text. Never a
//! panic, and the same records and errors in the same order.
#![no_main]

use roe::input::{BlockSize, InputFormat};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let schema = roe::bytecode::schema::Schema::default();
    let whole = roe::input::read(InputFormat::Json, text, &schema, 0);
    let tiny = BlockSize { records: 2, bytes: 64 };
    let mut streamed = Vec::new();
    for block in roe::input::blocks(text.as_bytes(), InputFormat::Json, &schema, 0, tiny) {
        match block {
            Ok(block) => streamed.extend(block.records.read()),
            Err(_) => return,
        }
    }
    assert_eq!(streamed, whole, "streamed and whole reads agree");
});
