//! Parquet tables (`--output PATH.parquet`) and the Arrow record batches
//! they are made of, for library users who hand results to Arrow, pandas
//! or polars without a CSV in between.
//!
//! Types follow the data, never a guess from text:
//! - the id column is `Int64` when every id is an integer, else `Utf8`
//!   (codes with leading zeros stay text, as in the source);
//! - a statistic is `Float64`, missing values null, infinities and NaN kept
//!   as the numbers they are (Parquet stores them; CSV writes `inf`/`nan`);
//! - a statistic of exact 64-bit integers ([`StatValue::Integer`]) is
//!   `Int64`, or `Utf8` digits when a value is beyond `i64` (UInt64 bands);
//! - `frac`-like values (value/share lists) are `Utf8` in the CSV's words
//!   (`1:0.25;2:0.75`);
//! - other text columns (`county_ntl`'s `date`) are `Utf8`.
//!
//! Files are written with Snappy compression and read back to check them
//! before they are renamed into place ([`check_parquet`]).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::format_value;
use crate::error::{Error, Result};
use crate::results::ZonalTable;
use crate::stats::StatValue;
use crate::zones::ZoneId;

/// Rows of a table on their way to Arrow: the id of each row, text
/// columns (such as `date`), then the statistics' values.
///
/// ```
/// use terralux::stats::StatValue;
/// use terralux::write::parquet::Rows;
/// use terralux::zones::ZoneId;
/// let ids = [ZoneId::Int(1), ZoneId::Int(2)];
/// let values = [vec![StatValue::Number(1.5)], vec![StatValue::Missing]];
/// let rows = Rows {
///     id_column: "code",
///     ids: ids.iter().collect(),
///     text_columns: vec![("date".into(), vec!["2020".into(), "2020".into()])],
///     stat_names: vec!["mean".into()],
///     values: values.iter().map(|v| v.as_slice()).collect(),
/// };
/// let batch = rows.record_batch().unwrap();
/// assert_eq!(batch.num_rows(), 2);
/// assert_eq!(batch.schema().field(0).data_type(), &arrow_schema::DataType::Int64);
/// assert_eq!(batch.column(2).null_count(), 1); // missing, never 0
/// ```
pub struct Rows<'a> {
    /// The id column's name.
    pub id_column: &'a str,
    /// Each row's id.
    pub ids: Vec<&'a ZoneId>,
    /// Text columns after the id, each with one value per row.
    pub text_columns: Vec<(String, Vec<String>)>,
    /// The statistics' column names.
    pub stat_names: Vec<String>,
    /// Each row's values, one per statistic.
    pub values: Vec<&'a [StatValue]>,
}

impl Rows<'_> {
    /// The rows as one Arrow record batch (types: see the module's docs).
    /// An error when a row has another number of values than there are
    /// statistics, or a text column another number of rows.
    pub fn record_batch(&self) -> Result<RecordBatch> {
        let n = self.ids.len();
        let mismatch = |reason: String| Error::Mismatch {
            context: "Arrow table".into(),
            reason,
        };
        if let Some(row) = self
            .values
            .iter()
            .position(|v| v.len() != self.stat_names.len())
        {
            return Err(mismatch(format!(
                "row {row} has {} values for {} statistics",
                self.values[row].len(),
                self.stat_names.len()
            )));
        }
        if self.values.len() != n {
            return Err(mismatch(format!(
                "{} ids for {} rows",
                n,
                self.values.len()
            )));
        }
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        let all_int: Option<Vec<i64>> = self
            .ids
            .iter()
            .map(|id| match id {
                ZoneId::Int(i) => Some(*i),
                ZoneId::Text(_) => None,
            })
            .collect();
        match all_int {
            Some(ints) => {
                fields.push(Field::new(self.id_column, DataType::Int64, false));
                columns.push(Arc::new(Int64Array::from(ints)));
            }
            None => {
                let texts: Vec<String> = self.ids.iter().map(|id| id.to_string()).collect();
                fields.push(Field::new(self.id_column, DataType::Utf8, false));
                columns.push(Arc::new(StringArray::from(texts)));
            }
        }
        for (name, texts) in &self.text_columns {
            if texts.len() != n {
                return Err(mismatch(format!(
                    "column '{name}' has {} of {n} rows",
                    texts.len()
                )));
            }
            fields.push(Field::new(name, DataType::Utf8, false));
            columns.push(Arc::new(StringArray::from(texts.clone())));
        }
        for (s, name) in self.stat_names.iter().enumerate() {
            let column: Vec<&StatValue> = self.values.iter().map(|v| &v[s]).collect();
            let (data_type, array) = stat_column(&column);
            fields.push(Field::new(name, data_type, true));
            columns.push(array);
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .map_err(|e| mismatch(e.to_string()))
    }
}

/// One statistic's values as an Arrow column of the type they need.
fn stat_column(values: &[&StatValue]) -> (DataType, ArrayRef) {
    let texts = || -> ArrayRef {
        Arc::new(StringArray::from(
            values
                .iter()
                .map(|v| match v {
                    StatValue::Missing => None,
                    other => Some(format_value(other)),
                })
                .collect::<Vec<_>>(),
        ))
    };
    let is = |f: fn(&StatValue) -> bool| values.iter().any(|v| f(v));
    if is(|v| matches!(v, StatValue::Fractions(_) | StatValue::IntegerFractions(_))) {
        return (DataType::Utf8, texts());
    }
    if is(|v| matches!(v, StatValue::Integer(_))) {
        let ints: Option<Vec<Option<i64>>> = values
            .iter()
            .map(|v| match v {
                StatValue::Missing => Some(None),
                StatValue::Integer(i) => i64::try_from(*i).ok().map(Some),
                // An f64 beside exact integers (a default value): exact when integral.
                StatValue::Number(x) if x.fract() == 0.0 && x.abs() < 2f64.powi(63) => {
                    Some(Some(*x as i64))
                }
                _ => None,
            })
            .collect();
        return match ints {
            Some(ints) => (DataType::Int64, Arc::new(Int64Array::from(ints))),
            None => (DataType::Utf8, texts()),
        };
    }
    let numbers: Vec<Option<f64>> = values.iter().map(|v| v.as_f64()).collect();
    (DataType::Float64, Arc::new(Float64Array::from(numbers)))
}

/// A zonal table's rows: the id, then one column per statistic.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::stats::Stat;
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let raster = Raster::new(grid, array![[2.0, 6.0]])?;
/// let zone = Zone { id: ZoneId::Text("0101".into()), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
/// let zones = ZoneSet::new(vec![zone], None);
/// let table = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Mean]).run()?;
/// let batch = terralux::write::parquet::record_batch(&table, "code")?;
/// assert_eq!(batch.schema().field(0).name(), "code");
/// assert_eq!(batch.schema().field(0).data_type(), &arrow_schema::DataType::Utf8);
/// # Ok(())
/// # }
/// ```
pub fn record_batch(table: &ZonalTable, id_column: &str) -> Result<RecordBatch> {
    Rows {
        id_column,
        ids: table.zones.iter().map(|z| &z.id).collect(),
        text_columns: Vec::new(),
        stat_names: table.columns.iter().map(|c| c.name.clone()).collect(),
        values: table.zones.iter().map(|z| z.values.as_slice()).collect(),
    }
    .record_batch()
}

/// Write `batch` as a Parquet file at `path` (Snappy-compressed).
pub fn write_parquet_file(batch: &RecordBatch, path: &Path) -> Result<()> {
    write_parquet_with_metadata(batch, path, &[])
}

/// Write `batch` as a Parquet file at `path` (Snappy-compressed) with
/// `metadata` as the file's key-value metadata.
pub fn write_parquet_with_metadata(
    batch: &RecordBatch,
    path: &Path,
    metadata: &[(&str, &str)],
) -> Result<()> {
    let failed = |e: parquet::errors::ParquetError| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let file = File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("terralux {}", crate::VERSION))
        .set_key_value_metadata((!metadata.is_empty()).then(|| {
            metadata
                .iter()
                .map(|&(key, value)| KeyValue::new(key.to_string(), value.to_string()))
                .collect()
        }))
        .build();
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(failed)?;
    writer.write(batch).map_err(failed)?;
    writer.close().map_err(failed)?;
    Ok(())
}

/// Read the Parquet file at `path` back and insist that it holds exactly
/// `batch` (schema and every value, NaN included, bit for bit).
pub fn check_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let unreadable = |reason: String| Error::Open {
        source_name: path.display().to_string(),
        reason: format!("the Parquet file just written does not read back: {reason}"),
    };
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(batch.num_rows().max(1)).build())
        .map_err(|e| unreadable(e.to_string()))?;
    let mut read = Vec::new();
    for part in reader {
        read.push(part.map_err(|e| unreadable(e.to_string()))?);
    }
    let rows: usize = read.iter().map(RecordBatch::num_rows).sum();
    let same = rows == batch.num_rows()
        && read
            .iter()
            .all(|r| r.schema().fields() == batch.schema().fields())
        && same_values(&read, batch);
    if same {
        Ok(())
    } else {
        Err(unreadable(format!(
            "{rows} rows read for {} written, or values that differ",
            batch.num_rows()
        )))
    }
}

/// Whether `parts`, one after the other, hold `batch`'s values (floats
/// compared by their bits, so that NaN equals NaN).
fn same_values(parts: &[RecordBatch], batch: &RecordBatch) -> bool {
    let mut offset = 0;
    for part in parts {
        let expected = batch.slice(offset, part.num_rows());
        for (got, want) in part.columns().iter().zip(expected.columns()) {
            let same = match (
                got.as_any().downcast_ref::<Float64Array>(),
                want.as_any().downcast_ref::<Float64Array>(),
            ) {
                (Some(g), Some(w)) => {
                    g.len() == w.len()
                        && (0..g.len()).all(|i| {
                            g.is_null(i) == w.is_null(i)
                                && (g.is_null(i) || g.value(i).to_bits() == w.value(i).to_bits())
                        })
                }
                _ => got.to_data() == want.to_data(),
            };
            if !same {
                return false;
            }
        }
        offset += part.num_rows();
    }
    true
}
