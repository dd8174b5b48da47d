//! Writing the synthetic rasters of a benchmark: one Float32 band in
//! EPSG:4326, 512 x 512 DEFLATE tiles, written tile by tile. Included with
//! `#[path]` by the generator binaries.

use std::error::Error;
use std::path::Path;

use gdal::DriverManager;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;

/// Tile side, in cells.
pub const TILE: usize = 512;

/// The grid of a benchmark raster: its size, its north-west corner and its
/// cells per degree.
pub struct Grid {
    pub cols: usize,
    pub rows: usize,
    pub west: f64,
    pub north: f64,
    pub per_degree: f64,
}

/// Write `path` (replaced if it exists) on `grid`, with the GeoTIFF
/// creation options `extra` beside tiling and DEFLATE. `tile(tx, ty, x0,
/// y0, w, h)` gives each tile's cells row by row, or `None` to leave it
/// unwritten; tiles are asked for row of tiles by row of tiles.
pub fn write_tiled(
    path: &Path,
    grid: &Grid,
    extra: &[&str],
    mut tile: impl FnMut(usize, usize, usize, usize, usize, usize) -> Option<Vec<f32>>,
) -> Result<(), Box<dyn Error>> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let driver = DriverManager::get_driver_by_name("GTiff")?;
    let options = RasterCreationOptions::from_iter(
        [
            "TILED=YES",
            "BLOCKXSIZE=512",
            "BLOCKYSIZE=512",
            "COMPRESS=DEFLATE",
        ]
        .into_iter()
        .chain(extra.iter().copied()),
    );
    let mut ds = driver
        .create_with_band_type_with_options::<f32, _>(path, grid.cols, grid.rows, 1, &options)?;
    let cell = 1.0 / grid.per_degree;
    ds.set_geo_transform(&[grid.west, cell, 0.0, grid.north, 0.0, -cell])?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326)?)?;
    let mut band = ds.rasterband(1)?;
    for ty in 0..grid.rows.div_ceil(TILE) {
        for tx in 0..grid.cols.div_ceil(TILE) {
            let (x0, y0) = (tx * TILE, ty * TILE);
            let (w, h) = (TILE.min(grid.cols - x0), TILE.min(grid.rows - y0));
            if let Some(data) = tile(tx, ty, x0, y0, w, h) {
                band.write(
                    (x0 as isize, y0 as isize),
                    (w, h),
                    &mut Buffer::new((w, h), data),
                )?;
            }
        }
    }
    Ok(())
}
