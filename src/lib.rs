//! # terralux
//!
//! Night-time light and remote-sensing rasters, county boundaries, and
//! exact zonal statistics over them.
//!
//! terralux reads satellite rasters with GDAL, administrative boundaries
//! through OGR, reprojects them with PROJ, and (in later releases) computes
//! exact zonal statistics and night-light indicators over thousands of
//! polygons in parallel and in bounded memory.
//!
//! ## Quick start
//!
//! ```no_run
//! # #[cfg(not(feature = "gdal"))] fn main() {}
//! # #[cfg(feature = "gdal")]
//! # fn main() -> terralux::Result<()> {
//! use terralux::{GdalRaster, RasterSource};
//! use terralux::zones::{ZoneOptions, ZoneSet};
//!
//! let raster = GdalRaster::open("testdata/ntl.tif")?;
//! let zones = ZoneSet::read("testdata/counties.gpkg",
//!     &ZoneOptions { id_field: Some("code".into()), ..ZoneOptions::default() })?;
//! let grid_crs = raster.grid().crs().expect("GdalRaster::open requires a CRS");
//! let zones = zones.reprojected(grid_crs)?; // a no-op when already in the raster's CRS
//! for band in raster.read_row_bands_f64(1, 1)? {
//!     let (window, values) = band?;  // NaN marks invalid cells
//!     let _ = (window, values);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## The pipeline
//!
//! ```text
//! raster source ─┐
//!                ├─> grid alignment ─> coverage ─> accumulators ─> typed results ─> writers
//! zone source ───┘
//! ```
//!
//! | module | stage |
//! |---|---|
//! | [`grid`] | [`Grid`] (geotransform, size, CRS), [`Window`], snapping, cell areas |
//! | [`raster`] | [`RasterSource`]: the in-memory [`Raster`] and the GDAL source [`GdalRaster`] |
//! | [`zones`] | [`zones::ZoneSet`] from OGR, reprojection with PROJ, GCJ-02 |
//! | [`crs`] | [`Crs`]: definitions, geographic or projected, comparison |
//! | [`error`] | [`Error`], whose messages name the file, band, layer, field or feature at fault |
//!
//! ## Conventions
//! - Arrays are `(rows, cols)` in ndarray order; pixel offsets travel in a
//!   [`Window`]; world `x, y` and pixel `row, col` never share a signature.
//! - Coordinates are always x = longitude/easting, y = latitude/northing.
//! - Bands are numbered from 1, as in GDAL.
//! - A cell is valid when it is not the band's nodata value and not NaN
//!   (see [`raster`] for the full mask convention); reads as `f64` return
//!   invalid cells as NaN.
//! - Cell areas are on the WGS84 ellipsoid (km^2) for geographic grids and
//!   planar for projected ones ([`Grid::cell_area_km2`]).
//!
//! ## Feature flags
//! - `gdal` (default): [`GdalRaster`], reading zones through OGR,
//!   reprojection through PROJ, and CRS parsing. Needs the system GDAL
//!   (3.6+) and PROJ (9.1+) libraries. Without it, the kernels (grid,
//!   in-memory rasters, zones built in code, GCJ-02) build and test alone:
//!   `cargo test --no-default-features`.

#![deny(missing_docs)]

pub mod coverage;
pub mod crs;
pub mod error;
#[cfg(feature = "gdal")]
mod gdal_util;
pub mod grid;
pub mod raster;
pub mod zones;

pub use crs::{Crs, CrsKind};
pub use error::{Error, Result};
pub use grid::{GeoTransform, Grid, PixelCoord, Window};
#[cfg(feature = "gdal")]
pub use raster::GdalRaster;
pub use raster::{Raster, RasterSource};

/// The library version, as recorded in provenance.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
