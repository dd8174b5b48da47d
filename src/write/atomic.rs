//! Atomic output: write to a temporary file beside the target, then rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A temporary path beside `target` (same folder, so the final rename is
/// atomic), keeping its extension so that format drivers recognise it.
///
/// ```
/// let tmp = terralux::write::temporary_path_for(std::path::Path::new("out/zonal.csv"));
/// assert_eq!(tmp, std::path::Path::new(&format!("out/.zonal.tmp-{}.csv", std::process::id())));
/// ```
pub fn temporary_path_for(target: &Path) -> PathBuf {
    let stem = target
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    let tmp_name = match target.extension() {
        Some(ext) => format!(
            ".{stem}.tmp-{}.{}",
            std::process::id(),
            ext.to_string_lossy()
        ),
        None => format!(".{stem}.tmp-{}", std::process::id()),
    };
    match target.parent() {
        Some(parent) => parent.join(tmp_name),
        None => PathBuf::from(tmp_name),
    }
}

/// Check, before any work is done, that `target` can be written: its
/// folder exists and accepts a new file (a probe file is created and removed).
pub fn check_output_folder(target: &Path) -> Result<()> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |reason: String| Error::Io {
        path: target.to_path_buf(),
        source: std::io::Error::other(reason),
    };
    if !parent.is_dir() {
        return Err(fail(format!(
            "cannot write here: the folder {} does not exist",
            parent.display()
        )));
    }
    let probe = temporary_path_for(target);
    match File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(fail(format!("cannot write in {}: {e}", parent.display()))),
    }
}

/// Write `target` through `write` into a temporary file, then rename it
/// into place; on any error the temporary file is removed and `target` is
/// left as it was.
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
    let tmp = temporary_path_for(target);
    let io_error = |source: std::io::Error| Error::Io {
        path: target.to_path_buf(),
        source,
    };
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_error)
}

/// Rename a finished temporary file into place (removing it on failure).
#[cfg_attr(not(feature = "gdal"), allow(dead_code))]
pub(crate) fn commit(tmp: &Path, target: &Path) -> Result<()> {
    std::fs::rename(tmp, target).map_err(|source| {
        let _ = std::fs::remove_file(tmp);
        Error::Io {
            path: target.to_path_buf(),
            source,
        }
    })
}
