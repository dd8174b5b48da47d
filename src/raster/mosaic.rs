//! Several rasters of one cell size side by side, seen as one.

use ndarray::Array2;

use super::{BandInfo, CellType, RasterSource, check_band, check_window};
use crate::error::{Error, Result};
use crate::grid::{GeoTransform, Grid, Window};

/// Tiles on one lattice (same CRS, same cell size, origins a whole number
/// of cells apart) seen as one raster over their union, so that a zone
/// spanning tiles (Black Marble's 10-degree tiles, say) is covered once.
/// Cells no tile covers are invalid; where tiles overlap, the first tile
/// given with a valid cell wins.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::raster::Mosaic;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let west = Raster::new(Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?, array![[1.0, 2.0]])?;
/// let east = Raster::new(Grid::new(GeoTransform::new(2.0, 1.0, 1.0, -1.0)?, 1, 2)?, array![[3.0, 4.0]])?;
/// let mosaic = Mosaic::new(vec![&west, &east], 1)?;
/// assert_eq!(mosaic.grid().shape(), (1, 4));
/// assert_eq!(mosaic.read_window_f64(1, mosaic.grid().full_window())?.row(0).to_vec(), [1.0, 2.0, 3.0, 4.0]);
/// # Ok(())
/// # }
/// ```
pub struct Mosaic<'a> {
    tiles: Vec<&'a (dyn RasterSource + Sync)>,
    band: usize,
    grid: Grid,
    placements: Vec<Window>,
    name: String,
}

/// How far (in cells) a tile may lie from the mosaic's cell lattice and be
/// placed on its nearest cell.
pub const MOSAIC_ALIGNMENT_TOL: f64 = 0.01;

impl<'a> Mosaic<'a> {
    /// Band `band` of every tile, on the union of their grids.
    pub fn new(tiles: Vec<&'a (dyn RasterSource + Sync)>, band: usize) -> Result<Self> {
        let first = *tiles.first().ok_or_else(|| Error::Mismatch {
            context: "mosaic".into(),
            reason: "no tile was given".into(),
        })?;
        let t0 = *first.grid().transform();
        let mismatch = |tile: &dyn RasterSource, reason: &str| Error::Mismatch {
            context: tile.name().to_string(),
            reason: format!("{reason} than {}", first.name()),
        };
        let (mut west, mut north, mut east, mut south) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
        );
        for &tile in &tiles {
            tile.band_info(band)?;
            let t = tile.grid().transform();
            let same_size = (t.pixel_width / t0.pixel_width - 1.0).abs() < 1e-9
                && (t.pixel_height / t0.pixel_height - 1.0).abs() < 1e-9;
            let same_crs = match (tile.grid().crs(), first.grid().crs()) {
                (Some(a), Some(b)) => a.matches(b),
                (None, None) => true,
                _ => false,
            };
            if !same_size || !same_crs || t.pixel_height > 0.0 {
                return Err(mismatch(
                    tile,
                    "a mosaic needs north-up tiles of one CRS and cell size; this one differs",
                ));
            }
            let b = tile.grid().bounds();
            west = west.min(b.min().x);
            east = east.max(b.max().x);
            south = south.min(b.min().y);
            north = north.max(b.max().y);
        }
        let cols = ((east - west) / t0.pixel_width).round() as usize;
        let rows = ((north - south) / -t0.pixel_height).round() as usize;
        let grid = Grid::new(
            GeoTransform::new(west, t0.pixel_width, north, t0.pixel_height)?,
            rows,
            cols,
        )?;
        let grid = match first.grid().crs() {
            Some(crs) => grid.with_crs(crs.clone()),
            None => grid,
        };
        let mut placements = Vec::with_capacity(tiles.len());
        for &tile in &tiles {
            let t = tile.grid().transform();
            let col = (t.origin_x - west) / t0.pixel_width;
            let row = (t.origin_y - north) / t0.pixel_height;
            // As gdalbuildvrt does, a tile goes on the nearest cell of the
            // mosaic's lattice: cell sizes stored rounded (EOG's 0.0041666667
            // for 1/240 degree) leave tiles' offsets a few thousandths of a
            // cell from whole numbers. Farther than that, they do not tile.
            if (col - col.round()).abs() > MOSAIC_ALIGNMENT_TOL
                || (row - row.round()).abs() > MOSAIC_ALIGNMENT_TOL
            {
                return Err(mismatch(
                    tile,
                    "its cells are not aligned on the same lattice",
                ));
            }
            let (rows, cols) = tile.grid().shape();
            placements.push(Window::new(
                row.round() as usize,
                col.round() as usize,
                rows,
                cols,
            ));
        }
        let name = format!("mosaic of {} tile(s) from {}", tiles.len(), first.name());
        Ok(Mosaic {
            tiles,
            band,
            grid,
            placements,
            name,
        })
    }
}

impl RasterSource for Mosaic<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        super::derived_band_info(&self.name, self.tiles[0], self.band, band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        check_band(&self.name, band, 1)?;
        check_window(&self.name, &self.grid, &window)?;
        let mut out = Array2::from_elem((window.rows, window.cols), f64::NAN);
        for (tile, placement) in self.tiles.iter().zip(&self.placements) {
            let part = window.intersection(placement);
            if part.is_empty() {
                continue;
            }
            let local = Window::new(
                part.row_off - placement.row_off,
                part.col_off - placement.col_off,
                part.rows,
                part.cols,
            );
            let values = tile.read_window_f64(self.band, local)?;
            for r in 0..part.rows {
                for c in 0..part.cols {
                    let cell = &mut out[[
                        part.row_off - window.row_off + r,
                        part.col_off - window.col_off + c,
                    ]];
                    if cell.is_nan() {
                        *cell = values[[r, c]];
                    }
                }
            }
        }
        Ok(out)
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}
