//! The ordered merge pipeline: workers claim chunks in file order, gather
//! them, and merge the partials in chunk order (the same arithmetic for 1
//! or N threads); a zone is finished as soon as its last chunk is merged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::gather::{Buffers, ChunkPartials, Gather};
use super::plan::ChunkPlan;
use crate::error::{Error, Result};
use crate::stats::{Accumulator, StatValue};

/// The chunk pipeline: workers claim chunks in file order, gather them, and
/// hand their partials to an in-order merge; a zone is finished by the
/// worker whose merge completed it.
pub(super) struct Pipeline<'p, 'r, 'a> {
    pub(super) plan: &'p ChunkPlan,
    /// The plan's chunks that some zone touches, in file order; the
    /// pipeline's chunk numbers are positions in this list.
    pub(super) active_chunks: &'p [usize],
    pub(super) chunk_zones: &'p [Vec<u32>],
    pub(super) last_chunk: &'p [Option<usize>],
    pub(super) gather: &'p Gather<'r, 'a>,
    pub(super) progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Keep each zone's merged accumulators (for roll-ups).
    pub(super) keep_state: bool,
}

/// A finished zone: its values and, for roll-ups, its merged state.
pub(super) struct FinishedZone {
    pub(super) values: Vec<StatValue>,
    pub(super) state: Option<Vec<Accumulator>>,
}

/// What the workers share, behind one lock.
struct MergeState {
    /// The next chunk to merge; every chunk before it is merged.
    next: usize,
    /// Gathered chunks waiting for their turn.
    pending: BTreeMap<usize, ChunkPartials>,
    /// Per zone: the accumulators merged so far.
    open: Vec<Option<Vec<Accumulator>>>,
    /// The first error, which stops every worker.
    error: Option<Error>,
}

impl Pipeline<'_, '_, '_> {
    /// Run with `threads` workers; return every zone's values (`None` for zones no chunk touched).
    pub(super) fn run(&self, threads: usize) -> Result<Vec<Option<FinishedZone>>> {
        let chunks = self.active_chunks.len();
        let zones = self.last_chunk.len();
        let claimed = AtomicUsize::new(0);
        // Chunks may run ahead of the merge by this much: it bounds the memory in flight.
        let ahead = 2 * threads + 2;
        let state = Mutex::new(MergeState {
            next: 0,
            pending: BTreeMap::new(),
            open: (0..zones).map(|_| None).collect(),
            error: None,
        });
        let merged = Condvar::new();
        let finished: Mutex<Vec<Option<FinishedZone>>> =
            Mutex::new((0..zones).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..threads.max(1) {
                scope.spawn(|| self.work(chunks, ahead, &claimed, &state, &merged, &finished));
            }
        });
        let state = state.into_inner().map_err(|_| poisoned())?;
        if let Some(error) = state.error {
            return Err(error);
        }
        finished.into_inner().map_err(|_| poisoned())
    }

    fn work(
        &self,
        chunks: usize,
        ahead: usize,
        claimed: &AtomicUsize,
        state: &Mutex<MergeState>,
        merged: &Condvar,
        finished: &Mutex<Vec<Option<FinishedZone>>>,
    ) {
        let mut buffers = Buffers::default();
        loop {
            let c = claimed.fetch_add(1, Ordering::SeqCst);
            if c >= chunks {
                return;
            }
            // Wait until the merge is close enough behind (the worker holding chunk `next` never waits).
            {
                let Ok(mut guard) = state.lock() else { return };
                while guard.error.is_none() && c >= guard.next + ahead {
                    guard = match merged.wait(guard) {
                        Ok(g) => g,
                        Err(_) => return,
                    };
                }
                if guard.error.is_some() {
                    return;
                }
            }
            // A panic while gathering (a bug, or a raster driver's) must fail the
            // run, not leave the merge waiting for this chunk forever.
            let partial = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.gather.chunk(
                    self.plan.window(self.active_chunks[c]),
                    &self.chunk_zones[c],
                    &mut buffers,
                )
            }))
            .unwrap_or_else(|_| Err(poisoned()));
            let done = {
                let Ok(mut guard) = state.lock() else { return };
                match partial {
                    Ok(p) => {
                        guard.pending.insert(c, p);
                        let done = self.merge_ready(&mut guard);
                        merged.notify_all();
                        done
                    }
                    Err(e) => {
                        guard.error.get_or_insert(e);
                        merged.notify_all();
                        return;
                    }
                }
            };
            // Finish the zones this merge completed (quantiles selected) outside the lock.
            if !done.is_empty() {
                let values: Vec<(usize, FinishedZone)> = done
                    .into_iter()
                    .map(|(z, accs)| {
                        let state = self.keep_state.then(|| accs.clone());
                        let values = self.gather.zones.finish(accs, z);
                        (z, FinishedZone { values, state })
                    })
                    .collect();
                if let Ok(mut all) = finished.lock() {
                    for (z, v) in values {
                        all[z] = Some(v);
                    }
                }
            }
        }
    }

    /// Merge every pending chunk whose turn has come; return the zones completed.
    fn merge_ready(&self, state: &mut MergeState) -> Vec<(usize, Vec<Accumulator>)> {
        let mut done = Vec::new();
        while let Some(partial) = state.pending.remove(&state.next) {
            let c = state.next;
            for (z, accs) in partial {
                let z = z as usize;
                fold(&mut state.open[z], accs, z);
                if self.last_chunk[z] == Some(c)
                    && let Some(accs) = state.open[z].take()
                {
                    done.push((z, accs));
                }
            }
            state.next += 1;
            if let Some(report) = self.progress {
                // A report that panics (a caller's way to stop the run, as the
                // Python package does on Ctrl-C) fails the run: the workers
                // see the error and stop, instead of waiting on a poisoned lock.
                let total = self.active_chunks.len();
                let next = state.next;
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| report(next, total)))
                    .is_err()
                {
                    state.error.get_or_insert(Error::Threads {
                        threads: rayon::current_num_threads(),
                        reason: "the progress callback panicked; the run was stopped".to_string(),
                    });
                    break;
                }
            }
        }
        done
    }
}

/// Fold a zone's next partial (its next chunk's, in chunk order) into
/// what is merged so far: the first partial becomes the state, the next
/// ones merge into it. The one step every merge of partials takes, the
/// pipeline's and [`super::partials::merge`]'s, so both do the same arithmetic.
pub(super) fn fold(open: &mut Option<Vec<Accumulator>>, accs: Vec<Accumulator>, zone: usize) {
    match open {
        Some(current) => {
            crate::alloc::set_current_zone(Some(zone));
            for (acc, part) in current.iter_mut().zip(accs) {
                acc.merge(part);
            }
            crate::alloc::set_current_zone(None);
        }
        slot @ None => *slot = Some(accs),
    }
}

fn poisoned() -> Error {
    Error::Threads {
        threads: rayon::current_num_threads(),
        reason: "a worker thread panicked".to_string(),
    }
}
