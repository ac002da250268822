//! Inputs of any size in bounded memory: `roe::input::blocks` reads a file a
//! block at a time and `roe::batch::in_order` decides the blocks on several
//! threads; with a tiny block size, every record is decided once, in input
//! order, exactly as reading the whole input decides it, and the input held
//! at once does not grow with the file.

#![cfg(feature = "compiler")]
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use roe::batch::Spread;
use roe::input::{BlockSize, InputFormat, ReadError, Records};

const TINY: BlockSize = BlockSize {
    records: 7,
    bytes: 600,
};

fn policy() -> roe::Policy {
    let compilation =
        roe::compile_file(std::path::Path::new("examples/inbound_routing.roe")).expect("readable");
    roe::Policy::new(compilation.program.expect("compiles"))
}

fn now() -> jiff::Timestamp {
    "2026-11-30T10:00:00Z".parse().expect("an instant")
}

/// `n` leads as JSON Lines (a blank line and a bad one now and then) and as
/// CSV, each starting with a byte-order mark and with CRLF line ends.
fn leads(n: usize) -> (String, String) {
    let mut jsonl = String::from("\u{feff}");
    let mut csv = String::from(
        "\u{feff}id,email,country,segment,source,status,score,created_at,do_not_route\r\n",
    );
    for i in 0..n {
        let country = ["DE", "US", "FR", "JP"][i % 4];
        let score = if i % 97 == 5 {
            "\"high\"".to_owned()
        } else {
            (i % 101).to_string()
        };
        jsonl.push_str(&format!(
            "{{\"id\":\"L-{i}\",\"email\":\"a@b.example\",\"country\":\"{country}\",\"segment\":\"smb\",\"source\":\"web\",\"status\":\"raw\",\"score\":{score},\"created_at\":\"2026-11-30T09:00:00Z\",\"do_not_route\":false}}\r\n"
        ));
        if i % 50 == 3 {
            jsonl.push_str("  \r\n");
        }
        let note = if i % 61 == 0 {
            "\"say \"\"hi\"\"\nthere\""
        } else {
            "false"
        };
        csv.push_str(&format!(
            "L-{i},a@b.example,{country},smb,web,raw,{},2026-11-30T09:00:00Z,{note}\r\n",
            score.trim_matches('"')
        ));
    }
    (jsonl, csv)
}

/// What a run with blocks of `size` on `spread` writes, and the most input
/// bytes and blocks held at once (taken from the reader, not yet written).
struct Run {
    lines: Vec<String>,
    most_bytes: usize,
    most_blocks: usize,
}

fn run(text: &str, format: InputFormat, size: BlockSize, spread: Spread) -> Run {
    let policy = policy();
    let parts = policy.program().parts();
    let held_bytes = AtomicUsize::new(0);
    let held_blocks = AtomicUsize::new(0);
    let (most_bytes, most_blocks) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let blocks = roe::input::blocks(text.as_bytes(), format, &parts.schema, parts.subject, size)
        .map(|block| block.expect("UTF-8 input"))
        .inspect(|block| {
            let bytes = held_bytes.fetch_add(block.records.bytes(), Ordering::SeqCst);
            most_bytes.fetch_max(bytes + block.records.bytes(), Ordering::SeqCst);
            let blocks = held_blocks.fetch_add(1, Ordering::SeqCst);
            most_blocks.fetch_max(blocks + 1, Ordering::SeqCst);
        });
    let mut lines = Vec::new();
    let done: Result<(), ()> = roe::batch::in_order(
        spread,
        blocks,
        || policy.vm(now()),
        |vm, block| {
            let decided: Vec<String> = (block.first..)
                .zip(block.records.read())
                .map(|(index, record)| {
                    let (id, outcome) = match record {
                        Ok(record) => (record.id.clone(), vm.decide(&record.json)),
                        Err(e) => (None, Err(e)),
                    };
                    roe::vm::decision::line(index, id.as_ref(), &outcome)
                })
                .collect();
            (decided, block.records.bytes())
        },
        |decided| {
            let (decided, bytes) = decided.map_err(|_| ())?;
            lines.extend(decided);
            held_bytes.fetch_sub(bytes, Ordering::SeqCst);
            held_blocks.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        },
    );
    assert_eq!(done, Ok(()));
    Run {
        lines,
        most_bytes: most_bytes.into_inner(),
        most_blocks: most_blocks.into_inner(),
    }
}

/// The lines reading the whole input at once gives.
fn whole(text: &str, format: InputFormat) -> Vec<String> {
    let policy = policy();
    let parts = policy.program().parts();
    let mut vm = policy.vm(now());
    roe::input::read(format, text, &parts.schema, parts.subject)
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let (id, outcome) = match record {
                Ok(record) => (record.id.clone(), vm.decide(&record.json)),
                Err(e) => (None, Err(e)),
            };
            roe::vm::decision::line(index, id.as_ref(), &outcome)
        })
        .collect()
}

fn spread(threads: usize, window: usize) -> Spread {
    Spread {
        threads: NonZeroUsize::new(threads).expect("threads"),
        window: NonZeroUsize::new(window).expect("window"),
    }
}

#[test]
fn every_record_once_in_order_as_the_whole_input_decides_it() {
    let (jsonl, csv) = leads(500);
    for (text, format) in [(&jsonl, InputFormat::Jsonl), (&csv, InputFormat::Csv)] {
        let expected = whole(text, format);
        assert_eq!(expected.len(), 500);
        for spread in [Spread::SERIAL, spread(2, 3), spread(3, 8)] {
            let run = run(text, format, TINY, spread);
            assert_eq!(run.lines, expected, "{format:?} {spread:?}");
        }
    }
}

/// The input held at once is bounded by the window and the block size, the
/// same for a file 20 times larger.
#[test]
fn memory_does_not_grow_with_the_file() {
    let window = 3;
    for format in [InputFormat::Jsonl, InputFormat::Csv] {
        let runs: Vec<Run> = [100, 2_000]
            .iter()
            .map(|n| {
                let (jsonl, csv) = leads(*n);
                let text = if format == InputFormat::Jsonl {
                    jsonl
                } else {
                    csv
                };
                run(&text, format, TINY, spread(2, window))
            })
            .collect();
        for run in &runs {
            // A block ends with the record that reaches the byte limit.
            assert!(
                run.most_bytes <= window * (TINY.bytes + 300),
                "{format:?} {}",
                run.most_bytes
            );
            assert!(run.most_blocks <= window, "{format:?} {}", run.most_blocks);
        }
        assert_eq!(runs[1].lines.len(), 2_000);
    }
}

/// A JSON array is read and handed out a block of elements at a time.
#[test]
fn a_json_array_is_decided_in_blocks_in_order() {
    let text = format!(
        "\u{feff}[{}]",
        (0..50)
            .map(|i| format!("{{\"id\":{i}}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let run = run(&text, InputFormat::Json, TINY, spread(2, 2));
    assert_eq!(run.lines, whole(&text, InputFormat::Json));
    assert_eq!(run.lines.len(), 50);
}

/// Bytes that are not UTF-8 stop reading at their offset, after the blocks
/// (and the whole lines of the block) before them.
#[test]
fn bytes_that_are_not_utf8_stop_reading_at_their_offset() {
    let policy = policy();
    let parts = policy.program().parts();
    let mut bytes = b"{\"id\":1}\n{\"id\":2}\n{\"id\":\"caf".to_vec();
    bytes.extend_from_slice(b"\xe9\"}\n{\"id\":4}\n");
    let read: Vec<Result<usize, String>> = roe::input::blocks(
        bytes.as_slice(),
        InputFormat::Jsonl,
        &parts.schema,
        parts.subject,
        TINY,
    )
    .map(|b| b.map(|b| b.records.len()).map_err(|e| e.to_string()))
    .collect();
    assert_eq!(
        read,
        [
            Ok(2),
            Err("is not UTF-8 text (invalid byte at offset 28); name its encoding, such as `--encoding windows-1252` for a CSV file Excel saved on Windows, or save it as UTF-8 (Excel: CSV UTF-8)".to_owned())
        ]
    );
    let csv = b"id,email\nL-1,a@b\nL-\xff,c@d\n".to_vec();
    let read: Vec<_> = roe::input::blocks(
        csv.as_slice(),
        InputFormat::Csv,
        &parts.schema,
        parts.subject,
        TINY,
    )
    .collect();
    assert!(
        matches!(read.as_slice(), [Ok(block), Err(ReadError::NotUtf8 { offset: 17, line: Some(3) })] if matches!(&block.records, Records::Rows(_, rows) if rows.len() == 1)),
        "{read:?}"
    );
}

/// A JSON array is read element by element, and says what the whole text
/// says: the same records, and where it breaks the same error at the same
/// line and column, or the same line for text after its end.
#[test]
fn a_json_array_streamed_reads_as_the_whole_text() {
    let texts = [
        "[]",
        "  [ ]  \n",
        "[{\"id\":1}]",
        "\u{feff}[{\"id\":\"a\"},\n {\"id\":\"b [,] {\\\"x\\\"}\"} ,{\"id\":3}]",
        "[{\"id\":1}, {\"id\":1e400}]",
        "[{\"id\":1}, {\"id\":,}]",
        "[{\"id\":1} {\"id\":2}]",
        "[{\"id\":1},]",
        "[,{\"id\":1}]",
        "[{\"id\":1},\r\n  {\"id\":2}\r\n",
        "[{\"id\":1}]\n\n  [{\"id\":3}]  \n",
        "[{\"id\":1}] trailing text that goes on and on for quite a while longer than forty characters",
        "[1, \"two\", [3], null, tru]",
        "{\"id\":\"single\"}",
        "not json",
        "",
        "[{\"id\":1},\n{\"id\":[1,2,{\"a\":\"]\"}]},\n{\"id\":\"\\\\\"}]",
        // Found by the json_array fuzz target: serde_json names a bad `\u`
        // escape by the four bytes after it, which reach past the element.
        "[\"[\\\\0.[uuu\\u[\"[\\\\0.[uuu\\uuu-uu-",
        // Text after the array whose first 256 bytes are whitespace: still
        // quoted as the whole text is, cut short.
        "[]]\r[\t[],\r\r[\r{                                                                                                                                                                                                                                                                                                     0  \n\r[",
    ];
    for text in texts {
        for size in [TINY, BlockSize::DEFAULT] {
            let streamed = run(text, InputFormat::Json, size, spread(1, 1));
            assert_eq!(streamed.lines, whole(text, InputFormat::Json), "{text:?}");
        }
    }
}

/// An array's text: elements of every kind (strings with brackets, commas,
/// quotes and escapes among them), with whitespace, sometimes cut short or
/// with one byte changed.
fn array_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let element = prop::sample::select(
        &[
            "{\"id\":1}",
            "{\"id\":\"a,]\"}",
            "{\"id\":\"q\\\"}\"}",
            "[1,[2]]",
            "null",
            "7",
            "-0",
            "1e400",
            "\"s\"",
            "{\"a\":{\"b\":[{}]}}",
            "{\"id\":18446744073709551616}",
            "true",
            "{}",
            "[]",
            "\"\\\\\"",
        ][..],
    );
    let space = prop::sample::select(&["", " ", "\n", "\r\n", "\t"][..]);
    (
        prop::collection::vec((element, space.clone()), 0..8),
        space,
        0usize..4,
        any::<usize>(),
        any::<u8>(),
    )
        .prop_map(|(elements, after, mode, at, byte)| {
            let body: Vec<String> = elements.iter().map(|(e, s)| format!("{s}{e}{s}")).collect();
            let text = format!("[{}]{after}", body.join(","));
            match mode {
                1 => text.chars().take(at % (text.chars().count() + 1)).collect(),
                2 if byte.is_ascii() && !text.is_empty() => {
                    let mut bytes = text.into_bytes();
                    let i = at % bytes.len();
                    bytes[i] = byte;
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                _ => text,
            }
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

    /// Any array text streamed reads as the whole text does.
    #[test]
    fn any_json_array_streamed_reads_as_the_whole_text(text in array_text()) {
        let streamed = run(&text, InputFormat::Json, TINY, spread(1, 1));
        proptest::prop_assert_eq!(streamed.lines, whole(&text, InputFormat::Json), "{:?}", text);
    }
}
