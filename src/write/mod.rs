//! Writers: CSV, GeoJSON and GeoPackage tables of zonal results, provenance
//! files, and the atomic-write helpers they share. Every file is written
//! under a temporary name in its destination folder and renamed into place
//! only when complete, so a failed run never leaves a partial output.

mod atomic;
mod csv;
pub(crate) mod json;
mod provenance;
#[cfg(feature = "gdal")]
mod vector;

pub use atomic::{check_output_folder, temporary_path_for, write_atomically};
pub use csv::{csv_field, csv_record, format_value, write_csv};
pub use json::Json;
pub use provenance::{
    InputFile, RunRecord, provenance_json, provenance_path, rfc3339, write_provenance,
};
#[cfg(feature = "gdal")]
pub use vector::{VectorFormat, write_vector};
