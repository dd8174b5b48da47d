//! The ordered merge pipeline: workers claim chunks in file order, gather
//! them, and merge the partials in chunk order (the same arithmetic for 1
//! or N threads); a zone is finished as soon as its last chunk is merged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use super::gather::{Buffers, ChunkPartials, Gather};
use super::plan::ChunkPlan;
use crate::error::{Error, Result};
use crate::stats::{Accumulator, SpillStore, StatValue};

/// A zone holding fewer bytes of kept values than this (or a sixteenth of
/// the budget, when that is less) is not spilled: its values wait for its
/// next merge. It bounds the segments a zone is cut in.
const MIN_SPILL_BYTES: usize = 256 << 10;

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
    /// Bytes of values kept for quantiles and the Gini coefficient that the
    /// zones being merged may hold in memory together; past it, a zone's
    /// values go to the run's spill file as it is merged.
    pub(super) kept_budget: usize,
}

/// What the pipeline gives back.
pub(super) struct Finished {
    /// Every zone's values (`None` for zones no chunk touched).
    pub(super) zones: Vec<Option<FinishedZone>>,
    /// Bytes written to the spill file.
    pub(super) spilled_bytes: u64,
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
    /// Per zone: bytes of kept values its open accumulators hold in memory.
    kept: Vec<usize>,
    /// Their sum.
    kept_total: usize,
    /// The spill file, made at the first spill.
    store: Option<Arc<SpillStore>>,
}

impl Pipeline<'_, '_, '_> {
    /// Run with `threads` workers.
    pub(super) fn run(&self, threads: usize) -> Result<Finished> {
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
            kept: vec![0; zones],
            kept_total: 0,
            store: None,
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
        Ok(Finished {
            zones: finished.into_inner().map_err(|_| poisoned())?,
            spilled_bytes: state.store.map_or(0, |s| s.bytes_written()),
        })
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
                let values: Result<Vec<(usize, FinishedZone)>> = done
                    .into_iter()
                    .map(|(z, accs)| {
                        let kept = self.keep_state.then(|| accs.clone());
                        let values = self.gather.zones.finish(accs, z)?;
                        Ok((
                            z,
                            FinishedZone {
                                values,
                                state: kept,
                            },
                        ))
                    })
                    .collect();
                let values = match values {
                    Ok(values) => values,
                    Err(e) => {
                        if let Ok(mut guard) = state.lock() {
                            guard.error.get_or_insert(e);
                        }
                        merged.notify_all();
                        return;
                    }
                };
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
                // Room first: a merge may double the zone's vectors before they are counted.
                let incoming = accs.iter().map(Accumulator::in_memory_bytes).sum();
                if let Err(e) = self.keep_within_budget(state, z, incoming) {
                    state.error.get_or_insert(e);
                    return done;
                }
                fold(&mut state.open[z], accs, z);
                if let Err(e) = self.keep_within_budget(state, z, 0) {
                    state.error.get_or_insert(e);
                    return done;
                }
                if self.last_chunk[z] == Some(c)
                    && let Some(accs) = state.open[z].take()
                {
                    // No longer counted: the merge order alone decides what spills, so
                    // spilling is the same for any thread count (a zone being finished
                    // holds at most what the budget let it keep).
                    state.kept_total -= std::mem::take(&mut state.kept[z]);
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

impl Pipeline<'_, '_, '_> {
    /// Account for zone `z`'s kept values, and spill them when the open
    /// zones hold more than the budget, counting `incoming` bytes about to be
    /// merged into it (the first spill makes the file). Merges are in chunk
    /// order, so spilling is the same for any thread count; it changes no result.
    fn keep_within_budget(&self, state: &mut MergeState, z: usize, incoming: usize) -> Result<()> {
        let MergeState {
            open,
            kept,
            kept_total,
            store,
            ..
        } = state;
        let Some(accs) = open[z].as_mut() else {
            return Ok(());
        };
        let now: usize = accs.iter().map(Accumulator::in_memory_bytes).sum();
        *kept_total = *kept_total - kept[z] + now;
        kept[z] = now;
        let worth_it = (self.kept_budget / 16).clamp(1, MIN_SPILL_BYTES);
        if *kept_total + incoming <= self.kept_budget || now < worth_it {
            return Ok(());
        }
        let store = match store {
            Some(store) => store.clone(),
            None => store.insert(Arc::new(SpillStore::create(None)?)).clone(),
        };
        crate::alloc::set_current_zone(Some(z));
        let spilled: Result<usize> = accs.iter_mut().map(|acc| acc.spill(&store)).sum();
        crate::alloc::set_current_zone(None);
        let freed = spilled?;
        kept[z] -= freed;
        *kept_total -= freed;
        if freed > 0 {
            release_freed_memory();
        }
        Ok(())
    }
}

/// Give the memory just freed back to the system: glibc's allocator keeps
/// freed blocks of its arenas (and raises its mmap threshold as large
/// vectors are freed), so without this the process's resident memory grows
/// past the budget with each spill though the values are on disk.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
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
