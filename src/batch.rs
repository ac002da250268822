//! Deciding many records on every core, in input order, in bounded memory.
//!
//! [`in_order`] is the one batch decider every front end uses (`roe run`,
//! [`crate::decide_batch`], the benchmarks): blocks of records are taken
//! from any source as workers become free, each worker decides its block
//! with state of its own (its VMs), and the results are handed to one
//! serial stage in input order. It knows nothing of records or decisions,
//! so the same loop serves JSON lines or columns, one policy or two, and a
//! stage after deciding that must see decisions in order.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::sync_channel;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Fewer records than this are decided on one thread.
pub const PARALLEL_FROM: usize = 4_096;

/// Inputs of fewer bytes than this are decided on one thread (about
/// [`PARALLEL_FROM`] records of a CRM export).
pub const PARALLEL_FROM_BYTES: u64 = 512 << 10;

/// Records a worker decides at a time.
pub const BLOCK: usize = 2_048;

/// How many threads decide a batch, and how many blocks may be taken ahead
/// of the first one not yet delivered (what bounds the memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spread {
    /// Threads deciding at once; with one, everything runs on the caller's thread.
    pub threads: NonZeroUsize,
    /// Blocks in flight at most: taken from the source and not yet delivered.
    pub window: NonZeroUsize,
}

impl Spread {
    /// One thread, one block at a time: each block is delivered before the
    /// next is taken (for records that arrive one by one and are answered
    /// as they come).
    pub const SERIAL: Spread = Spread {
        threads: NonZeroUsize::MIN,
        window: NonZeroUsize::MIN,
    };

    /// Every core, with a few blocks in flight for each.
    pub fn every_core() -> Spread {
        let threads = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
        Spread {
            threads,
            window: threads.saturating_mul(NonZeroUsize::MIN.saturating_add(3)),
        }
    }

    /// Every core for an input of [`PARALLEL_FROM_BYTES`] bytes or more,
    /// else one thread.
    pub fn for_bytes(bytes: u64) -> Spread {
        match bytes >= PARALLEL_FROM_BYTES {
            true => Spread::every_core(),
            false => Spread::SERIAL,
        }
    }

    /// Every core for a batch of `records` records or more, else one thread.
    pub fn for_records(records: usize) -> Spread {
        match records >= PARALLEL_FROM {
            true => Spread::every_core(),
            false => Spread::SERIAL,
        }
    }
}

/// Decides `blocks` with `work`, each worker thread with its own state made
/// by `worker`, and hands each block's result to `deliver` in the order the
/// blocks came: `Err(block)` for a block whose work failed (a bug, never
/// expected; its records must still get their outputs). Stops taking blocks
/// when `deliver` fails, and returns its error.
pub fn in_order<B, W, O, E>(
    spread: Spread,
    blocks: impl Iterator<Item = B> + Send,
    worker: impl Fn() -> W + Sync,
    work: impl Fn(&mut W, &B) -> O + Sync,
    mut deliver: impl FnMut(Result<O, B>) -> Result<(), E>,
) -> Result<(), E>
where
    B: Send,
    O: Send,
{
    if spread.threads.get() == 1 {
        let mut state = worker();
        for block in blocks {
            match guarded(&work, &mut state, &block) {
                Some(output) => deliver(Ok(output))?,
                None => {
                    state = worker();
                    deliver(Err(block))?;
                }
            }
        }
        return Ok(());
    }
    let window = spread.window.get().max(spread.threads.get());
    let source = Source {
        state: Mutex::new(Taken {
            blocks,
            next: 0,
            delivered: 0,
            stop: false,
        }),
        changed: Condvar::new(),
        window,
    };
    let (send, receive) = sync_channel::<(usize, Result<O, B>)>(window);
    std::thread::scope(|scope| {
        for _ in 0..spread.threads.get() {
            let (send, source, worker, work) = (send.clone(), &source, &worker, &work);
            scope.spawn(move || {
                let mut state = worker();
                while let Some((seq, block)) = source.take() {
                    let result = match guarded(work, &mut state, &block) {
                        Some(output) => Ok(output),
                        None => {
                            state = worker();
                            Err(block)
                        }
                    };
                    if send.send((seq, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        let mut delivered = Ok(());
        for (seq, result) in &receive {
            waiting.insert(seq, result);
            while let Some(result) = waiting.remove(&next) {
                delivered = deliver(result);
                next += 1;
                source.delivered(next, delivered.is_err());
                if delivered.is_err() {
                    break;
                }
            }
            if delivered.is_err() {
                break;
            }
        }
        // Workers blocked on a full channel see it closed and stop.
        drop(receive);
        delivered
    })
}

/// `work` on `block`, or `None` should it panic (roe does not panic; this
/// keeps a bug from losing the block's records).
fn guarded<B, W, O>(work: &impl Fn(&mut W, &B) -> O, state: &mut W, block: &B) -> Option<O> {
    std::panic::catch_unwind(AssertUnwindSafe(|| work(state, block))).ok()
}

/// The blocks, taken by the workers one at a time, at most `window` ahead
/// of the first block not yet delivered.
struct Source<I> {
    state: Mutex<Taken<I>>,
    changed: Condvar,
    window: usize,
}

struct Taken<I> {
    blocks: I,
    /// The number of the next block taken.
    next: usize,
    /// Blocks delivered so far.
    delivered: usize,
    /// Whether delivering failed: no more blocks are taken.
    stop: bool,
}

impl<I: Iterator> Source<I> {
    /// The next block and its number, once it is within the window; `None`
    /// at the end or after delivering failed.
    fn take(&self) -> Option<(usize, I::Item)> {
        let mut state = self.lock();
        while !state.stop && state.next >= state.delivered + self.window {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.stop {
            return None;
        }
        let block = state.blocks.next()?;
        let seq = state.next;
        state.next += 1;
        Some((seq, block))
    }

    /// Records that `delivered` blocks are delivered, and whether to stop.
    fn delivered(&self, delivered: usize, stop: bool) {
        let mut state = self.lock();
        state.delivered = delivered;
        state.stop |= stop;
        self.changed.notify_all();
    }

    /// The state; a worker that panicked holding it left it consistent,
    /// since nothing here panics between its updates.
    fn lock(&self) -> MutexGuard<'_, Taken<I>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn spread(threads: usize, window: usize) -> Spread {
        Spread {
            threads: NonZeroUsize::new(threads).expect("threads"),
            window: NonZeroUsize::new(window).expect("window"),
        }
    }

    /// Every block is delivered once, in order, whatever the threads and
    /// however long each block takes.
    #[test]
    fn blocks_are_delivered_once_in_input_order() {
        for (threads, window) in [(1, 1), (2, 1), (3, 2), (4, 16)] {
            let mut seen = Vec::new();
            let delivered: Result<(), ()> = in_order(
                spread(threads, window),
                0..200u64,
                || 0u64,
                |calls, block| {
                    *calls += 1;
                    // Later blocks finish first now and then.
                    if block % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    block * 10
                },
                |result| {
                    seen.push(result.map_err(|_| ())?);
                    Ok(())
                },
            );
            assert_eq!(delivered, Ok(()));
            let expected: Vec<u64> = (0..200).map(|b| b * 10).collect();
            assert_eq!(seen, expected, "{threads} threads, window {window}");
        }
    }

    /// No more than the window is taken ahead of delivery, so memory is
    /// bounded by the window, not by the input.
    #[test]
    fn blocks_in_flight_stay_within_the_window() {
        let taken = AtomicUsize::new(0);
        let most_ahead = AtomicUsize::new(0);
        let mut delivered = 0;
        let blocks = (0..500).inspect(|_| {
            taken.fetch_add(1, Ordering::SeqCst);
        });
        let result: Result<(), ()> = in_order(
            spread(3, 4),
            blocks,
            || (),
            |(), block: &i32| *block,
            |_| {
                delivered += 1;
                let ahead = taken.load(Ordering::SeqCst) - delivered;
                most_ahead.fetch_max(ahead, Ordering::SeqCst);
                Ok(())
            },
        );
        assert_eq!(result, Ok(()));
        assert_eq!(delivered, 500);
        assert!(most_ahead.load(Ordering::SeqCst) <= 4);
    }

    /// A failed delivery stops the batch and is its result; no block after
    /// it is delivered.
    #[test]
    fn a_failed_delivery_stops_the_batch() {
        for threads in [1, 2] {
            let mut seen = 0;
            let result = in_order(
                spread(threads, 4),
                0..10_000,
                || (),
                |(), block: &i32| *block,
                |result| {
                    let block = result.map_err(|_| "lost")?;
                    if block == 7 {
                        return Err("closed");
                    }
                    seen += 1;
                    Ok(())
                },
            );
            assert_eq!((result, seen), (Err("closed"), 7));
        }
    }

    /// A block whose work panics comes back as itself, in its place, and
    /// the worker goes on with fresh state.
    #[test]
    fn a_block_whose_work_fails_is_delivered_back_in_its_place() {
        for threads in [1, 2] {
            let mut seen = Vec::new();
            let result: Result<(), ()> = in_order(
                spread(threads, 2),
                0..6,
                || 0,
                |made: &mut i32, block: &i32| {
                    *made += 1;
                    assert!(*block != 3, "a bug in deciding block 3");
                    *block
                },
                |result| {
                    seen.push(result);
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            assert_eq!(seen, vec![Ok(0), Ok(1), Ok(2), Err(3), Ok(4), Ok(5)]);
        }
    }
}
