//! A long series written as Parquet partitioned by date, one date at a
//! time as it completes, so that a run over hundreds of dates neither
//! holds every table in memory nor loses the finished dates when it is
//! interrupted.
//!
//! The layout is Hive's, which pandas, pyarrow, polars, DuckDB and Spark
//! read as one table with a `date` column:
//! `ROOT/date=LABEL/part-0.parquet`. Each file is written under a
//! temporary name in its folder, read back and checked, synced and renamed
//! into place ([`OutputSet`]): a date's file is complete or absent.
//!
//! Each file carries the *key* of what it holds in its key-value metadata
//! (`terralux.partition_key`; e.g. a fingerprint of the zones, coverage,
//! statistics, options and the date's raster): [`DatePartitions::finished`]
//! is true only for a file that reads back whole and was written with the
//! same key, so that a rerun skips exactly the dates already done by the
//! same request and recomputes any other.
//!
//! ```
//! # fn main() -> terralux::Result<()> {
//! use std::sync::Arc;
//! use arrow_array::{Float64Array, Int64Array, RecordBatch};
//! use terralux::write::partitions::DatePartitions;
//! let root = std::env::temp_dir().join(format!("terralux-doc-parts-{}", std::process::id()));
//! let parts = DatePartitions::create(&root)?;
//! let batch = RecordBatch::try_from_iter([
//!     ("code", Arc::new(Int64Array::from(vec![1, 2])) as _),
//!     ("sum", Arc::new(Float64Array::from(vec![1.5, 2.5])) as _),
//! ]).unwrap();
//! assert!(!parts.finished("2020-01-01", "key-1"));
//! let file = parts.write("2020-01-01", &batch, "key-1", &[])?;
//! assert!(file.ends_with("date=2020-01-01/part-0.parquet"));
//! assert!(parts.finished("2020-01-01", "key-1"));
//! assert!(!parts.finished("2020-01-01", "key-2")); // another request: redo it
//! # std::fs::remove_dir_all(&root).unwrap();
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::OutputSet;
use super::parquet::{check_parquet, write_parquet_with_metadata};
use crate::error::{Error, Result};

/// The key-value metadata entry that holds a partition's key.
pub const KEY_METADATA: &str = "terralux.partition_key";
/// The key-value metadata entry that holds a partition's date label.
pub const DATE_METADATA: &str = "terralux.date";
/// The file name of each date's table inside its folder.
pub const PART_FILE: &str = "part-0.parquet";

/// A folder of Parquet files partitioned by date (see the [module
/// docs](self)).
#[derive(Debug, Clone)]
pub struct DatePartitions {
    root: PathBuf,
}

impl DatePartitions {
    /// The partitions under `root`, made (with any missing parents) if it
    /// does not exist; an error when it is a file or cannot be made.
    pub fn create(root: impl Into<PathBuf>) -> Result<DatePartitions> {
        let parts = DatePartitions::at(root);
        parts.make_folder(&parts.root)?;
        Ok(parts)
    }

    /// The partitions under `root`, as they are (nothing is made: for
    /// [`finished`](Self::finished) and [`file`](Self::file); [`write`](Self::write)
    /// makes the folders it needs).
    pub fn at(root: impl Into<PathBuf>) -> DatePartitions {
        DatePartitions { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of date `label`: `ROOT/date=LABEL/part-0.parquet`; an
    /// error for a label that is not one folder name (empty, `.`, `..`,
    /// or with a path separator or a control character).
    pub fn file(&self, label: &str) -> Result<PathBuf> {
        check_label(label)?;
        Ok(self.root.join(format!("date={label}")).join(PART_FILE))
    }

    /// Whether date `label`'s file exists, reads back whole (every row
    /// group decodes, the rows add up to the footer's count) and was
    /// written with `key`.
    pub fn finished(&self, label: &str, key: &str) -> bool {
        self.file(label).is_ok_and(|path| written_with(&path, key))
    }

    /// Write `batch` as date `label`'s file with `key` in its metadata,
    /// atomically (replacing an earlier file of that date); `inputs` are
    /// the paths the run reads (refused as the output). The file's path.
    pub fn write(
        &self,
        label: &str,
        batch: &RecordBatch,
        key: &str,
        inputs: &[&str],
    ) -> Result<PathBuf> {
        let path = self.file(label)?;
        self.make_folder(path.parent().unwrap_or(&self.root))?;
        let mut set = OutputSet::new();
        for input in inputs {
            set.input(input)?;
        }
        set.output(&path)?;
        set.prepare()?;
        let metadata = [(KEY_METADATA, key), (DATE_METADATA, label)];
        set.write_with_path(
            &path,
            |file| write_parquet_with_metadata(batch, file, &metadata),
            |file| check_parquet(file, batch),
        )?;
        set.commit()?;
        Ok(path)
    }

    /// Make `folder` (under the root) and any missing parents; an error
    /// when the root is a file.
    fn make_folder(&self, folder: &Path) -> Result<()> {
        if self.root.exists() && !self.root.is_dir() {
            return Err(Error::Io {
                path: self.root.clone(),
                source: std::io::Error::other(
                    "is a file; the partitioned output is a folder of date=LABEL folders",
                ),
            });
        }
        std::fs::create_dir_all(folder).map_err(|source| Error::Io {
            path: folder.to_path_buf(),
            source,
        })
    }
}

/// `Ok` for a label that is one folder name.
fn check_label(label: &str) -> Result<()> {
    let bad = label.is_empty()
        || label == "."
        || label == ".."
        || label
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(Error::Request {
            context: "date label".into(),
            reason: format!(
                "'{label}' cannot name a partition folder (date=LABEL): no path separators, control characters, '.' or '..'"
            ),
        });
    }
    Ok(())
}

/// Whether the Parquet file at `path` reads back whole with `key` in its
/// key-value metadata.
fn written_with(path: &Path, key: &str) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(builder) = ParquetRecordBatchReaderBuilder::try_new(file) else {
        return false;
    };
    let metadata = builder.metadata().file_metadata();
    let has_key = metadata.key_value_metadata().is_some_and(|entries| {
        entries
            .iter()
            .any(|e| e.key == KEY_METADATA && e.value.as_deref() == Some(key))
    });
    let rows = metadata.num_rows();
    if !has_key {
        return false;
    }
    let Ok(reader) = builder.build() else {
        return false;
    };
    let mut read = 0i64;
    for batch in reader {
        match batch {
            Ok(batch) => read += batch.num_rows() as i64,
            Err(_) => return false,
        }
    }
    read == rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array};
    use std::sync::Arc;

    fn batch(values: Vec<f64>) -> RecordBatch {
        let ids: Vec<i64> = (1..=values.len() as i64).collect();
        RecordBatch::try_from_iter([
            ("code", Arc::new(Int64Array::from(ids)) as _),
            ("mean", Arc::new(Float64Array::from(values)) as _),
        ])
        .unwrap()
    }

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("terralux-partitions-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_reads_back_and_replaces_a_date() {
        let root = temp("replace");
        let parts = DatePartitions::create(&root).unwrap();
        let first = parts
            .write("2020", &batch(vec![1.0, 2.0]), "k1", &[])
            .unwrap();
        assert_eq!(first, root.join("date=2020").join("part-0.parquet"));
        assert!(parts.finished("2020", "k1"));
        assert!(!parts.finished("2021", "k1"));
        parts.write("2020", &batch(vec![3.0]), "k2", &[]).unwrap();
        assert!(parts.finished("2020", "k2") && !parts.finished("2020", "k1"));
        // Nothing but the file in the date's folder (no temporary left).
        let names: Vec<_> = std::fs::read_dir(root.join("date=2020"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("part-0.parquet")]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_truncated_or_foreign_file_is_not_finished() {
        let root = temp("truncated");
        let parts = DatePartitions::create(&root).unwrap();
        let path = parts
            .write("d1", &batch(vec![1.0; 1000]), "k", &[])
            .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(!parts.finished("d1", "k"));
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(!parts.finished("d1", "k"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn labels_must_be_one_folder_name() {
        let root = temp("labels");
        let parts = DatePartitions::create(&root).unwrap();
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            let error = parts.file(bad).unwrap_err().to_string();
            assert!(error.contains("date label"), "{bad:?}: {error}");
        }
        assert!(parts.file("2020-01-01").is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_file_as_root_is_refused() {
        let root = temp("file-root");
        std::fs::write(&root, b"x").unwrap();
        let error = DatePartitions::create(&root).unwrap_err().to_string();
        assert!(error.contains("is a file"), "{error}");
        std::fs::remove_file(&root).unwrap();
    }

    #[test]
    fn an_input_is_never_the_output() {
        let root = temp("input");
        let parts = DatePartitions::create(&root).unwrap();
        let path = parts.write("d", &batch(vec![1.0]), "k", &[]).unwrap();
        let input = path.to_string_lossy().to_string();
        let error = parts
            .write("d", &batch(vec![2.0]), "k2", &[&input])
            .unwrap_err()
            .to_string();
        assert!(error.contains("part-0.parquet"), "{error}");
        assert!(parts.finished("d", "k"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
