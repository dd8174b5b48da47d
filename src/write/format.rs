//! The output format a file name asks for.

use std::path::Path;

use super::VectorFormat;

/// An output format, as chosen by the output's file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV (`.csv`).
    Csv,
    /// A vector file with the zones' geometry (`.geojson`/`.json`, `.gpkg`).
    Vector(VectorFormat),
    /// Parquet (`.parquet`): the table's columns with Arrow types ([`parquet`](super::parquet)).
    Parquet,
}

impl Format {
    /// The format of `path` by its extension (case-insensitive): `.csv`,
    /// `.geojson` or `.json`, `.gpkg`, `.parquet`; `None` for anything else.
    ///
    /// ```
    /// use std::path::Path;
    /// use terralux::write::{Format, VectorFormat};
    /// assert_eq!(Format::from_path(Path::new("out/Counties.GPKG")), Some(Format::Vector(VectorFormat::GeoPackage)));
    /// assert_eq!(Format::from_path(Path::new("t.csv")), Some(Format::Csv));
    /// assert_eq!(Format::from_path(Path::new("t.parquet")), Some(Format::Parquet));
    /// assert_eq!(Format::from_path(Path::new("t.xlsx")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "geojson" | "json" => Some(Format::Vector(VectorFormat::GeoJson)),
            "gpkg" => Some(Format::Vector(VectorFormat::GeoPackage)),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The vector format, if this is one.
    pub fn vector(self) -> Option<VectorFormat> {
        match self {
            Format::Csv | Format::Parquet => None,
            Format::Vector(v) => Some(v),
        }
    }
}
