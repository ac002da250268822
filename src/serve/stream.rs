//! NDJSON decide calls, streamed both ways: records are decided as their
//! lines arrive, a block at a time, and each block's lines are sent before
//! the next is read, so a batch of any size runs in bounded memory and the
//! caller reads answers while it still sends. One line per record, in input
//! order; blank lines are skipped. With assignment on, each block is
//! assigned and committed before its lines are sent.
//!
//! A stream that sends nothing for `--idle-timeout` seconds is ended, and
//! so is one whose line grows past `--max-body` bytes, or whose block
//! cannot be assigned: the answer's last line is then an error object,
//! `{"error":{"code":...,"message":...}}`, after the lines of every record
//! decided before it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::{FutureExt, StreamExt};
use jiff::Timestamp;
use tokio::sync::mpsc;

use super::catalog::Served;
use super::decider::{Decider, Outcomes};
use super::routes::{Shared, VERSION_HEADER, name_candidate, problem_text};
use crate::diagnostics::codes;
use crate::vm::RecordError;
use crate::vm::decision::line;

/// How many bytes of input make a block worth deciding without waiting for more.
const BLOCK_BYTES: usize = 256 * 1024;

/// How many blocks of lines may wait for a slow reader before reading stops.
const WAITING: usize = 4;

/// The streamed answer to an NDJSON decide call.
pub fn decide(
    shared: Arc<Shared>,
    served: Arc<Served>,
    now: Timestamp,
    request_id: String,
    body: Body,
    name: String,
    started: Instant,
) -> Response {
    let (lines, waiting) = mpsc::channel::<Bytes>(WAITING);
    let mut response = Response::new(Body::from_stream(futures_util::stream::unfold(
        waiting,
        |mut waiting| async move {
            let block = waiting.recv().await?;
            Some((Ok::<_, Infallible>(block), waiting))
        },
    )));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(version) = HeaderValue::from_str(&served.version) {
        headers.insert(VERSION_HEADER, version);
    }
    name_candidate(&mut response, &served);
    tokio::spawn(async move {
        let outcomes = pump(&shared, &served, now, request_id, body, &lines).await;
        shared.metrics.request(
            &name,
            StatusCode::OK.as_u16(),
            started.elapsed().as_secs_f64(),
            &outcomes,
        );
    });
    response
}

/// An error object line.
fn problem_line(code: &str, message: &str) -> Bytes {
    Bytes::from(format!("{}\n", problem_text(code, message)))
}

/// Reads `body` a block of lines at a time, decides each, and sends its
/// lines on `lines`, until the body ends, stalls, or the reader goes.
async fn pump(
    shared: &Arc<Shared>,
    served: &Arc<Served>,
    now: Timestamp,
    request_id: String,
    body: Body,
    lines: &mpsc::Sender<Bytes>,
) -> Outcomes {
    let mut data = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut first = 0;
    let mut all = Outcomes::default();
    loop {
        let (chunk, mut last) = match tokio::time::timeout(shared.idle, data.next()).await {
            Err(_) => {
                let message = format!(
                    "the stream sent nothing for {} s, so it was ended after {first} records (`roe serve --idle-timeout`)",
                    shared.idle.as_secs_f64()
                );
                let _ = lines.send(problem_line("idle_timeout", &message)).await;
                break;
            }
            Ok(Some(Err(e))) => {
                let message = format!("the stream broke after {first} records: {e}");
                let _ = lines.send(problem_line("unreadable_body", &message)).await;
                break;
            }
            Ok(Some(Ok(chunk))) => (Some(chunk), false),
            Ok(None) => (None, true),
        };
        let mut broke = None;
        if let Some(chunk) = chunk {
            pending.extend_from_slice(&chunk);
            // Take whatever else has arrived already, up to a block's worth:
            // fewer, larger blocks cost less to hand to a thread.
            while pending.len() < BLOCK_BYTES {
                match data.next().now_or_never() {
                    Some(Some(Ok(more))) => pending.extend_from_slice(&more),
                    Some(Some(Err(e))) => {
                        broke = Some(e.to_string());
                        break;
                    }
                    Some(None) => {
                        last = true;
                        break;
                    }
                    None => break,
                }
            }
        }
        // Whole lines only, but for the last.
        let cut = match last {
            true => pending.len(),
            false => memchr::memrchr(b'\n', &pending).map_or(0, |at| at + 1),
        };
        if cut == 0 && pending.len() > shared.max_body {
            let message = format!(
                "record {first}'s line is longer than {} bytes (`roe serve --max-body`)",
                shared.max_body
            );
            let _ = lines.send(problem_line("body_too_large", &message)).await;
            break;
        }
        if cut > 0 {
            let block: Vec<u8> = pending.drain(..cut).collect();
            let (shared, served, request_id) = (shared.clone(), served.clone(), request_id.clone());
            let decided = tokio::task::spawn_blocking(move || {
                decide_block(&shared, &served, now, request_id, first, &block)
            })
            .await;
            let Ok((text, count, outcomes, failed)) = decided else {
                let _ = lines
                    .send(problem_line("internal", "deciding stopped unexpectedly"))
                    .await;
                break;
            };
            first += count;
            all.merge(outcomes);
            if lines.send(Bytes::from(text)).await.is_err() || failed {
                // The reader went, or the block could not be assigned.
                break;
            }
        }
        if let Some(e) = broke {
            let message = format!("the stream broke after {first} records: {e}");
            let _ = lines.send(problem_line("unreadable_body", &message)).await;
            break;
        }
        if last {
            break;
        }
    }
    all
}

/// The lines of one block of whole lines whose first record is `first`:
/// the text, how many records it held, what was decided, and whether it
/// ended in an error that ends the stream.
fn decide_block(
    shared: &Shared,
    served: &Served,
    now: Timestamp,
    request_id: String,
    first: usize,
    block: &[u8],
) -> (String, usize, Outcomes, bool) {
    let mut decider = Decider::new(served, now, request_id);
    let mut out = String::with_capacity(block.len() + block.len() / 2);
    let mut count = 0;
    // Records that are UTF-8 are decided in runs; one that is not is its
    // own error line, in its place.
    let mut run: Vec<&str> = Vec::new();
    for record in records(block) {
        match record {
            Ok(text) => run.push(text),
            Err(_) => {
                if !flush(shared, &mut decider, &mut run, first, &mut count, &mut out) {
                    return (out, count, decider.outcomes, true);
                }
                let error = RecordError::new(codes::RECORD_MALFORMED, "the line is not UTF-8 text");
                out.push_str(&line(first + count, None, &Err(error)));
                out.push('\n');
                count += 1;
            }
        }
    }
    let done = flush(shared, &mut decider, &mut run, first, &mut count, &mut out);
    (out, count, decider.outcomes, !done)
}

/// The records of a block of whole lines, in order: each line that is not
/// blank, as text, or as its bytes when it is not UTF-8.
fn records(block: &[u8]) -> impl Iterator<Item = Result<&str, &[u8]>> {
    block
        .split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(|line| std::str::from_utf8(line).map_err(|_| line))
}

/// Decides the records of `run` (the first is record `first + count`) onto
/// `out`, counting them; `false` when they could not be assigned (an error
/// line ends `out` then).
fn flush(
    shared: &Shared,
    decider: &mut Decider<'_>,
    run: &mut Vec<&str>,
    first: usize,
    count: &mut usize,
    out: &mut String,
) -> bool {
    if run.is_empty() {
        return true;
    }
    let done = match decider.lines(first + *count, run, shared.assigning.as_ref()) {
        Ok(made) => {
            for (line, _) in made {
                out.push_str(&line);
                out.push('\n');
            }
            *count += run.len();
            true
        }
        Err(e) => {
            let message = format!("{} (after {} records)", e.message, first + *count);
            out.push_str(&problem_text(e.code, &message));
            out.push('\n');
            false
        }
    };
    run.clear();
    done
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::records;

    proptest! {
        /// Whatever the bytes, each line that is not blank is one record, in
        /// order, and a line that is UTF-8 is given whole as text.
        #[test]
        fn every_line_that_is_not_blank_is_one_record(
            lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..30)
        ) {
            let lines: Vec<Vec<u8>> = lines
                .into_iter()
                .map(|l| l.into_iter().filter(|b| *b != b'\n').collect())
                .collect();
            let block = lines.join(&b'\n');
            let kept: Vec<&Vec<u8>> = lines
                .iter()
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .collect();
            let read: Vec<Result<&str, &[u8]>> = records(&block).collect();
            prop_assert_eq!(read.len(), kept.len());
            for (record, line) in read.iter().zip(kept) {
                match record {
                    Ok(text) => prop_assert_eq!(text.as_bytes(), line.as_slice()),
                    Err(bytes) => {
                        prop_assert_eq!(*bytes, line.as_slice());
                        prop_assert!(std::str::from_utf8(line).is_err());
                    }
                }
            }
        }
    }
}
