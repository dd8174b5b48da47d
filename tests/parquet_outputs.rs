//! `--output PATH.parquet` of `zonal` and `county_ntl`: the file reads back
//! (with the parquet crate's reader, not terralux's code) to the very text
//! of the CSV the same command writes, with types that carry the values:
//! the id as in the source, numbers as Float64, missing values null.
#![cfg(feature = "gdal")]

mod common;

use std::path::Path;
use std::process::Command;

use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use common::TempDir;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn run_ok(binary: &str, args: &[&str]) {
    let out = Command::new(common::example_binary(binary))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{binary} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    reader.map(Result::unwrap).collect()
}

/// A cell as the CSV writes it: numbers in Rust's shortest form, `inf`,
/// `-inf`, `nan`, missing empty.
fn cell(column: &dyn Array, row: usize) -> String {
    if column.is_null(row) {
        return String::new();
    }
    match column.data_type() {
        DataType::Float64 => {
            let v = column
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .value(row);
            match v {
                v if v.is_nan() => "nan".into(),
                v if v == f64::INFINITY => "inf".into(),
                v if v == f64::NEG_INFINITY => "-inf".into(),
                v => format!("{v}"),
            }
        }
        DataType::Int64 => column
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(row)
            .to_string(),
        DataType::Utf8 => column
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .value(row)
            .to_string(),
        other => panic!("unexpected column type {other}"),
    }
}

/// The Parquet file as CSV text (header, then rows).
fn as_csv(batches: &[RecordBatch]) -> String {
    let schema = batches[0].schema();
    let mut text: String = schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for batch in batches {
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = batch
                .columns()
                .iter()
                .map(|c| cell(c.as_ref(), row))
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
    }
    text
}

#[test]
fn zonal_parquet_reads_back_as_its_csv() {
    let tmp = TempDir::new("parquet-zonal");
    let (csv, parquet) = (tmp.join("t.csv"), tmp.join("t.parquet"));
    for out in [&csv, &parquet] {
        run_ok(
            "zonal",
            &[
                "--raster",
                "testdata/ntl.tif",
                "--zones",
                "testdata/counties.gpkg",
                "--id-field",
                "code",
                "--stats",
                "count,sum,mean,min,max,median,p90,majority,variety,frac,outside_frac",
                "--output",
                out.to_str().unwrap(),
            ],
        );
    }
    let batches = read_parquet(&parquet);
    assert_eq!(as_csv(&batches), std::fs::read_to_string(&csv).unwrap());
    let schema = batches[0].schema();
    // Statistics are numbers (frac is the CSV's value:share text), missing values null.
    assert_eq!(
        schema.field_with_name("mean").unwrap().data_type(),
        &DataType::Float64
    );
    assert_eq!(
        schema.field_with_name("frac").unwrap().data_type(),
        &DataType::Utf8
    );
    let mean = batches[0].column_by_name("mean").unwrap();
    assert!(
        mean.null_count() > 0,
        "the zone outside the raster has no mean"
    );
    // The provenance lists the Parquet file with its size, as for every format.
    let provenance = std::fs::read_to_string(tmp.join("t.parquet.provenance.json")).unwrap();
    let size = std::fs::metadata(&parquet).unwrap().len().to_string();
    assert!(provenance.contains(&size), "{provenance}");
}

#[test]
fn county_ntl_parquet_reads_back_as_its_csv() {
    let tmp = TempDir::new("parquet-county-ntl");
    let (csv, parquet) = (tmp.join("t.csv"), tmp.join("t.parquet"));
    for out in [&csv, &parquet] {
        run_ok(
            "county_ntl",
            &[
                "--dir",
                "testdata/products/vnl",
                "--zones",
                "testdata/counties.gpkg",
                "--id-field",
                "code",
                "--population",
                "testdata/products/population_30s.tif",
                "--quiet",
                "--output",
                out.to_str().unwrap(),
            ],
        );
    }
    let batches = read_parquet(&parquet);
    assert_eq!(as_csv(&batches), std::fs::read_to_string(&csv).unwrap());
    let schema = batches[0].schema();
    assert_eq!(schema.field(1).name(), "date");
    assert_eq!(schema.field(1).data_type(), &DataType::Utf8);
}

#[test]
fn poverty_index_parquet_reads_back_as_its_csv() {
    let tmp = TempDir::new("parquet-poverty");
    let (csv, parquet) = (tmp.join("i.csv"), tmp.join("i.parquet"));
    for out in [&csv, &parquet] {
        run_ok(
            "poverty_index",
            &[
                "--raster",
                "testdata/ntl.tif",
                "--zones",
                "testdata/counties.gpkg",
                "--id-field",
                "code",
                "--indicators",
                "mean,p90,valid_frac",
                "--output",
                out.to_str().unwrap(),
            ],
        );
    }
    let batches = read_parquet(&parquet);
    assert_eq!(as_csv(&batches), std::fs::read_to_string(&csv).unwrap());
    let schema = batches[0].schema();
    assert_eq!(
        schema.field_with_name("rank").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(
        schema.field_with_name("score").unwrap().data_type(),
        &DataType::Float64
    );
    // The maps beside it, as with a CSV table.
    assert!(tmp.join("i.png").exists() && tmp.join("i.html").exists());
}
