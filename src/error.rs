//! The one error type of terralux.
//!
//! Every message names the thing at fault (file, band, layer, field or
//! feature) so that a user who sees only the message knows what to fix.

use std::path::PathBuf;

/// Shorthand for `std::result::Result<T, terralux::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in terralux.
///
/// ```
/// use terralux::Error;
/// let err = Error::BandOutOfRange { source_name: "ntl.tif".into(), band: 3, band_count: 1 };
/// assert_eq!(err.to_string(), "ntl.tif: band 3 does not exist (the raster has 1 band(s), numbered from 1)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file that should exist does not.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The missing path.
        path: PathBuf,
    },

    /// GDAL/OGR could not open a data source (corrupt, truncated or unsupported file).
    #[error("{source_name}: cannot open: {reason}")]
    Open {
        /// The path or GDAL connection string.
        source_name: String,
        /// What GDAL said.
        reason: String,
    },

    /// A raster has no coordinate reference system and none was assumed.
    #[error(
        "{source_name}: the data set has no coordinate reference system (CRS); state one explicitly (e.g. EPSG:4326)"
    )]
    MissingCrs {
        /// The raster or vector source.
        source_name: String,
    },

    /// A coordinate reference system could not be understood or used.
    #[error("{context}: invalid coordinate reference system: {reason}")]
    Crs {
        /// The CRS definition or the source it came from.
        context: String,
        /// What went wrong.
        reason: String,
    },

    /// The grid (geotransform, size) cannot be used.
    #[error("{source_name}: {reason}")]
    Grid {
        /// The raster, or `"grid"` when built in code.
        source_name: String,
        /// What is wrong with it, e.g. a rotated geotransform.
        reason: String,
    },

    /// A band number outside `1..=band_count`.
    #[error(
        "{source_name}: band {band} does not exist (the raster has {band_count} band(s), numbered from 1)"
    )]
    BandOutOfRange {
        /// The raster.
        source_name: String,
        /// The band asked for (1-based).
        band: usize,
        /// How many bands the raster has.
        band_count: usize,
    },

    /// A read window that does not fit in the raster.
    #[error("{source_name}: window {window} lies outside the raster ({rows} rows x {cols} cols)")]
    WindowOutOfBounds {
        /// The raster.
        source_name: String,
        /// The window, as text.
        window: String,
        /// Raster rows.
        rows: usize,
        /// Raster columns.
        cols: usize,
    },

    /// Reading raster cells failed.
    #[error("{source_name}, band {band}: read failed: {reason}")]
    Read {
        /// The raster.
        source_name: String,
        /// The band (1-based).
        band: usize,
        /// What went wrong.
        reason: String,
    },

    /// In-memory data whose shape does not match its grid.
    #[error("{source_name}: {reason}")]
    Shape {
        /// The raster.
        source_name: String,
        /// Which shapes disagree.
        reason: String,
    },

    /// A vector layer that does not exist, or a source with several layers and none chosen.
    #[error("{source_name}: {reason} (layers: {available})")]
    Layer {
        /// The vector source.
        source_name: String,
        /// What is wrong.
        reason: String,
        /// The layers the source has, comma separated.
        available: String,
    },

    /// A field named by the caller is not in the layer.
    #[error("{source_name}, layer '{layer}': no field named '{field}' (fields: {available})")]
    FieldNotFound {
        /// The vector source.
        source_name: String,
        /// The layer.
        layer: String,
        /// The missing field.
        field: String,
        /// The fields the layer has, comma separated.
        available: String,
    },

    /// One feature cannot be used as a zone (no geometry, not a polygon, null id...).
    #[error("{source_name}, layer '{layer}', feature {feature}: {reason}")]
    Feature {
        /// The vector source.
        source_name: String,
        /// The layer.
        layer: String,
        /// The feature: its id, or its position when it has none.
        feature: String,
        /// What is wrong.
        reason: String,
    },

    /// Coordinates could not be transformed between two CRSs.
    #[error("{context}: reprojection failed: {reason}")]
    Reproject {
        /// The zone or source being reprojected.
        context: String,
        /// What PROJ said.
        reason: String,
    },

    /// A statistic name that terralux does not know.
    #[error("unknown statistic '{name}' (valid: {valid})")]
    UnknownStatistic {
        /// The name given.
        name: String,
        /// The valid names, comma separated.
        valid: String,
    },

    /// Inputs that cannot be combined (different grids, CRSs, missing inputs...).
    #[error("{context}: {reason}")]
    Mismatch {
        /// What was being combined.
        context: String,
        /// What does not fit.
        reason: String,
    },

    /// A request that cannot be carried out as asked, whatever the data:
    /// an option out of range, inputs that cannot go in one run (a mistake
    /// of the caller; the binaries exit with code 2 on it).
    #[error("{context}: {reason}")]
    Request {
        /// The option or inputs at fault.
        context: String,
        /// What is wrong and what to do.
        reason: String,
    },

    /// The worker thread pool could not be built.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// What went wrong.
        reason: String,
    },

    /// An output that would overwrite an input or another output of the same
    /// run, or that cannot be an output at all (a folder).
    #[error("{}: {reason}", output.display())]
    OutputConflict {
        /// The output as given.
        output: PathBuf,
        /// What it collides with.
        reason: String,
    },

    /// An operating-system I/O error on a path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The same error with its raster or vector source renamed to `name`
    /// (used when a grid error found in code is raised for a file).
    #[cfg_attr(not(feature = "gdal"), allow(dead_code))]
    pub(crate) fn for_source(self, name: &str) -> Self {
        match self {
            Error::Grid { reason, .. } => Error::Grid {
                source_name: name.to_string(),
                reason,
            },
            other => other,
        }
    }
}
