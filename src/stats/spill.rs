//! A run's spill file: where zones put the values they keep for quantiles
//! and the Gini coefficient once the run's memory budget is reached.
//!
//! Values are written as runs of equal values (`(bits, count)`: 8 bytes a
//! run of `f32`s, 12 of `f64`s), so the long runs of one value that
//! night-light rasters are made of (the dark) cost a few bytes a row. A file is anonymous: on Unix it
//! is unlinked as soon as it is opened, so nothing is left behind by a run
//! that fails, is killed or runs out of memory; elsewhere it is removed when
//! the store is dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Bytes of one run of equal values in the file: the `f32` bits and the count (`u32`).
const ENTRY_BYTES: usize = 8;

/// Bytes of a run: `ENTRY_BYTES`, or 12 for `f64` values (their bits, then the count).
fn entry_bytes(wide: bool) -> usize {
    if wide { 12 } else { ENTRY_BYTES }
}

/// Runs read back at a time (1 MiB).
const READ_ENTRIES: usize = 1 << 17;

/// An append-only temporary file of value runs, shared by a run's zones.
#[derive(Debug)]
pub struct SpillStore {
    file: File,
    path: PathBuf,
    /// The end of the file: where the next segment goes.
    end: Mutex<u64>,
    written: AtomicU64,
}

/// One spilled piece of a zone's values: `entries` runs at `offset`.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    store: std::sync::Arc<SpillStore>,
    offset: u64,
    entries: u64,
    /// The values are `f64`s (else `f32`s).
    pub(crate) wide: bool,
    /// The values (sum of the runs' counts).
    pub(crate) cells: u64,
}

impl PartialEq for Segment {
    fn eq(&self, other: &Segment) -> bool {
        std::sync::Arc::ptr_eq(&self.store, &other.store)
            && (self.offset, self.entries) == (other.offset, other.entries)
    }
}

impl SpillStore {
    /// A new spill file in `dir` (the system's temporary directory, `TMPDIR`, when `None`).
    pub fn create(dir: Option<&Path>) -> Result<SpillStore> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let name = format!(
            "terralux-spill-{}-{}.bin",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io)?;
        #[cfg(unix)]
        std::fs::remove_file(&path).map_err(io)?;
        Ok(SpillStore {
            file,
            path,
            end: Mutex::new(0),
            written: AtomicU64::new(0),
        })
    }

    /// The file's path (for messages; on Unix it no longer has a name).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Write `values` (no NaN) as runs of equal values; the segment that holds them.
    pub(crate) fn append(self: &std::sync::Arc<Self>, values: &[f32]) -> Result<Segment> {
        self.append_runs(values, |v| v.to_bits() as u64, false)
    }

    /// Write `f64` `values` (no NaN) as runs of equal values (12 bytes a run).
    pub(crate) fn append_wide(self: &std::sync::Arc<Self>, values: &[f64]) -> Result<Segment> {
        self.append_runs(values, f64::to_bits, true)
    }

    fn append_runs<T: Copy>(
        self: &std::sync::Arc<Self>,
        values: &[T],
        bits_of: impl Fn(T) -> u64,
        wide: bool,
    ) -> Result<Segment> {
        let entry_bytes = entry_bytes(wide);
        let mut end = self.lock_end()?;
        let offset = *end;
        // Written a piece at a time: runs of distinct values take twice their bytes.
        let mut bytes = Vec::with_capacity(READ_ENTRIES * entry_bytes);
        let mut entries = 0u64;
        let mut rest = values;
        while let Some(&first) = rest.first() {
            let bits = bits_of(first);
            let same = rest
                .iter()
                .take(u32::MAX as usize)
                .take_while(|&&v| bits_of(v) == bits)
                .count();
            if wide {
                bytes.extend_from_slice(&bits.to_le_bytes());
            } else {
                bytes.extend_from_slice(&(bits as u32).to_le_bytes());
            }
            bytes.extend_from_slice(&(same as u32).to_le_bytes());
            entries += 1;
            rest = &rest[same..];
            if bytes.len() >= READ_ENTRIES * entry_bytes || rest.is_empty() {
                write_at(&self.file, &bytes, *end).map_err(|e| self.io(e))?;
                *end += bytes.len() as u64;
                bytes.clear();
            }
        }
        self.written.fetch_add(*end - offset, Ordering::Relaxed);
        Ok(Segment {
            store: self.clone(),
            offset,
            entries,
            wide,
            cells: values.len() as u64,
        })
    }

    /// Write `bytes` at the end of the file; where they start.
    pub(crate) fn write_block(&self, bytes: &[u8]) -> Result<u64> {
        let mut end = self.lock_end()?;
        let offset = *end;
        write_at(&self.file, bytes, offset).map_err(|e| self.io(e))?;
        *end += bytes.len() as u64;
        self.written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(offset)
    }

    /// Read `bytes.len()` bytes written at `offset`.
    pub(crate) fn read_block(&self, offset: u64, bytes: &mut [u8]) -> Result<()> {
        read_at(&self.file, bytes, offset).map_err(|e| self.io(e))
    }

    fn lock_end(&self) -> Result<std::sync::MutexGuard<'_, u64>> {
        self.end
            .lock()
            .map_err(|_| self.io(std::io::Error::other("a thread panicked while writing")))
    }
}

impl Segment {
    /// Call `each(value, count)` for every run of the segment, in order.
    pub(crate) fn for_each_run(&self, mut each: impl FnMut(f64, u64)) -> Result<()> {
        let entry_bytes = entry_bytes(self.wide);
        let mut buffer = vec![0u8; READ_ENTRIES.min(self.entries as usize) * entry_bytes];
        let mut done = 0u64;
        while done < self.entries {
            let n = (self.entries - done).min(READ_ENTRIES as u64) as usize;
            let bytes = &mut buffer[..n * entry_bytes];
            self.store
                .read_block(self.offset + done * entry_bytes as u64, bytes)?;
            for entry in bytes.chunks_exact(entry_bytes) {
                let (value, count) = entry.split_at(entry_bytes - 4);
                let value = if self.wide {
                    f64::from_bits(u64::from_le_bytes(value.try_into().unwrap_or_default()))
                } else {
                    f32::from_bits(u32::from_le_bytes(value.try_into().unwrap_or_default())) as f64
                };
                let count = u32::from_le_bytes(count.try_into().unwrap_or_default());
                each(value, count as u64);
            }
            done += n as u64;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_at(file: &File, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

#[cfg(windows)]
fn write_at(file: &File, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, bytes, offset)?;
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &File, mut bytes: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_read(file, bytes, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes = &mut bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

impl Drop for SpillStore {
    fn drop(&mut self) {
        #[cfg(not(unix))]
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn runs_come_back_in_order() {
        let store = Arc::new(SpillStore::create(None).unwrap());
        let a = store.append(&[0.0, 0.0, 0.0, 1.5, -0.0, 0.0]).unwrap();
        let b = store.append(&[7.0; 300_000]).unwrap();
        let c = store.append_wide(&[0.1, 0.1, -0.0, 2.5]).unwrap();
        let mut runs = Vec::new();
        a.for_each_run(|v, n| runs.push((v.to_bits(), n))).unwrap();
        let bits = |v: f64| v.to_bits();
        assert_eq!(
            runs,
            [
                (bits(0.0), 3),
                (bits(1.5), 1),
                (bits(-0.0), 1),
                (bits(0.0), 1)
            ]
        );
        runs.clear();
        c.for_each_run(|v, n| runs.push((v.to_bits(), n))).unwrap();
        assert_eq!(runs, [(bits(0.1), 2), (bits(-0.0), 1), (bits(2.5), 1)]);
        assert!(c.wide && !a.wide);
        let mut total = 0;
        b.for_each_run(|v, n| {
            assert_eq!(v, 7.0);
            total += n;
        })
        .unwrap();
        assert_eq!((total, b.cells, a.cells), (300_000, 300_000, 6));
        assert_eq!(store.bytes_written(), 5 * ENTRY_BYTES as u64 + 3 * 12);
        #[cfg(unix)]
        assert!(!store.path().exists(), "the file has no name");
    }
}
