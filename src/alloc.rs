//! Running out of memory as an error, not an abort.
//!
//! Rust aborts a process whose allocation fails (exit status 134, "memory
//! allocation of N bytes failed"), which leaves temporary files behind and
//! says nothing of what was being computed. A program that sets
//! [`ExitOnOutOfMemory`] as its global allocator instead gets one line on
//! stderr naming the size asked for and, inside a zonal run, the zone
//! being gathered, its temporary output files removed
//! ([`crate::write::remove_partial_files`]), and exit status 1.
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOCATOR: terralux::alloc::ExitOnOutOfMemory = terralux::alloc::ExitOnOutOfMemory;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// The system allocator, ending the process with status 1 and a message
/// (instead of an abort) when an allocation fails. See the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExitOnOutOfMemory;

thread_local! {
    /// The zone (input position) this thread is gathering or finishing.
    static CURRENT_ZONE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Note which zone this thread works on, for the out-of-memory message.
pub(crate) fn set_current_zone(zone: Option<usize>) {
    CURRENT_ZONE.with(|c| c.set(zone));
}

static FAILING: AtomicBool = AtomicBool::new(false);
static PROGRAM: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// The program name the out-of-memory message starts with (`zonal: ...`);
/// the first call wins.
///
/// ```
/// terralux::alloc::set_program_name("zonal");
/// ```
pub fn set_program_name(name: &'static str) {
    let _ = PROGRAM.set(name);
}

/// Write `bytes` to stderr without allocating.
fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(bytes);
}

/// A whole number as text, in a fixed buffer (no allocation).
fn digits(mut n: usize, buffer: &mut [u8; 20]) -> &[u8] {
    let mut i = buffer.len();
    loop {
        i -= 1;
        buffer[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buffer[i..];
        }
    }
}

#[cold]
fn out_of_memory(size: usize) -> ! {
    if !FAILING.swap(true, Ordering::SeqCst) {
        let mut buffer = [0u8; 20];
        write_stderr(PROGRAM.get().copied().unwrap_or("error").as_bytes());
        write_stderr(b": out of memory: an allocation of ");
        write_stderr(digits(size, &mut buffer));
        write_stderr(b" bytes failed");
        if let Some(zone) = CURRENT_ZONE.with(Cell::get) {
            write_stderr(b" while computing zone number ");
            write_stderr(digits(zone + 1, &mut buffer));
            write_stderr(b" (input order)");
        }
        write_stderr(
            b"; quantiles, gini and categorical statistics keep every covered cell's value: \
              ask for them over smaller zones, or with fewer threads\n",
        );
        crate::write::remove_partial_files();
    }
    std::process::exit(1)
}

// SAFETY: every call is forwarded to `System` unchanged; only a null result
// (a failed allocation) is turned into an exit instead of being returned.
unsafe impl GlobalAlloc for ExitOnOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is System's.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}
