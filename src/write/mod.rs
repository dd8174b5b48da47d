//! Writers: CSV, GeoJSON and GeoPackage tables of zonal results, provenance
//! files, and the output transactions they share.
//!
//! Every file of a run belongs to one [`OutputSet`]: an output that is an
//! input (or another output) is refused before any work; every file is
//! written under a visible temporary name in its destination folder
//! (`name.partial-PID-N.ext`), checked and synced, and all are renamed into
//! place together, so a failed or interrupted run leaves the previous
//! outputs byte-identical and no partial file.

mod atomic;
mod columns;
mod csv;
#[cfg(feature = "gdal")]
mod format;
pub mod json;
mod outputs;
pub mod parquet;
pub mod partitions;
mod provenance;
mod transaction;
#[cfg(feature = "gdal")]
mod vector;

pub use atomic::{check_output_folder, write_atomically};
pub use columns::unique_column_names;
pub use csv::{
    CsvOptions, csv_field, csv_record, format_value, formula_safe, write_csv, write_csv_with,
};
#[cfg(feature = "gdal")]
pub use format::Format;
pub use json::Json;
#[cfg(feature = "gdal")]
pub use outputs::nan_in_geopackage_note;
pub use outputs::{declare_with_provenance, roll_up_path, stage_provenance};
pub use provenance::{
    InputFile, RunRecord, output_json, provenance_json, provenance_path, provenance_text, rfc3339,
    write_provenance,
};
#[cfg(unix)]
pub use transaction::clean_up_on_signals;
pub use transaction::{
    LockPolicy, OutputFile, OutputSet, remove_partial_files, temporary_path_for, underlying_file,
};
#[cfg(feature = "gdal")]
pub use vector::{VectorFormat, check_vector, nan_values_lost, write_vector, write_vector_file};
