//! One-file transactions: [`write_atomically`] and [`check_output_folder`],
//! thin wrappers over [`OutputSet`] for a single output.

use std::io::Write;
use std::path::Path;

use super::transaction::OutputSet;
use crate::error::Result;

/// Check, before any work is done, that `target` can be written: its
/// folder exists and accepts a new file (a probe file is created and
/// removed), and `target` is not a folder.
///
/// ```
/// assert!(terralux::write::check_output_folder(std::path::Path::new("no/such/folder/x.csv")).is_err());
/// ```
pub fn check_output_folder(target: &Path) -> Result<()> {
    let mut set = OutputSet::new();
    set.output(target)?;
    set.check_folders()
}

/// Write `target` through `write` into a temporary file beside it, check
/// and sync it, then rename it into place; on any error the temporary file
/// is removed and `target` is left as it was. For several files that must
/// change together, use an [`OutputSet`].
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// let dir = std::env::temp_dir().join(format!("terralux-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let target = dir.join("hello.txt");
/// terralux::write::write_atomically(&target, |w| { w.write_all(b"hello")?; Ok(()) })?;
/// assert_eq!(std::fs::read_to_string(&target).unwrap(), "hello");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok(())
/// # }
/// ```
pub fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut set = OutputSet::new();
    set.output(target)?;
    set.write(target, write)?;
    set.commit().map(|_| ())
}
