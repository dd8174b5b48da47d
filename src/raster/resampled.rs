//! A raster seen on another grid, its values split or averaged by area.

use ndarray::Array2;

use super::{BandInfo, CellEncoding, CellType, DataType, RasterSource, check_band, check_window};
use crate::error::{Error, Result};
use crate::grid::{Grid, Window};

/// What a raster's values measure, which decides how they move to another grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Counts per cell (population, lights summed per cell): a source cell's
    /// value is split between target cells by the share of its area each
    /// receives, so totals are preserved.
    Extensive,
    /// Densities (radiance, people per km^2): a target cell gets the
    /// area-weighted mean of the source cells it overlaps.
    Intensive,
}

/// A raster presented on another grid (same CRS, both north-up), so that the
/// engine can use it with rasters of that grid; PEERS.md defect 2 is exactly
/// copying an extensive raster cell for cell.
///
/// Overlaps are planar shares of cell area (products of row and column
/// overlaps, exact for axis-aligned grids). Invalid source cells contribute
/// nothing; a target cell is invalid (NaN) when no valid source cell overlaps it.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::raster::{Quantity, Resampled};
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// // Population on 2 x 2 cells of 1 degree, seen on the 4 x 4 grid of half-degree cells.
/// let coarse = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0)?, 2, 2)?;
/// let fine = Grid::new(GeoTransform::new(0.0, 0.5, 2.0, -0.5)?, 4, 4)?;
/// let population = Raster::new(coarse, array![[4.0, 8.0], [0.0, 12.0]])?;
/// let split = Resampled::new(population, fine, Quantity::Extensive)?;
/// let v = split.read_window_f64(1, split.grid().full_window())?;
/// assert_eq!(v[[0, 0]], 1.0);      // a quarter of 4
/// assert_eq!(v.sum(), 24.0);       // the total is kept
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Resampled<R> {
    source: R,
    grid: Grid,
    quantity: Quantity,
    name: String,
}

impl<R: RasterSource> Resampled<R> {
    /// Present `source` on `grid`. Both must be north-up with the same CRS.
    pub fn new(source: R, grid: Grid, quantity: Quantity) -> Result<Self> {
        let same_crs = match (source.grid().crs(), grid.crs()) {
            (Some(a), Some(b)) => a.matches(b),
            (None, None) => true,
            _ => false,
        };
        let north_up = |g: &Grid| g.transform().pixel_height < 0.0;
        if !same_crs || !north_up(source.grid()) || !north_up(&grid) {
            return Err(Error::Mismatch {
                context: source.name().to_string(),
                reason: "resampling needs north-up grids in the same CRS".into(),
            });
        }
        let name = format!(
            "{} (resampled, {})",
            source.name(),
            match quantity {
                Quantity::Extensive => "split by area",
                Quantity::Intensive => "averaged by area",
            }
        );
        Ok(Resampled {
            source,
            grid,
            quantity,
            name,
        })
    }

    /// For each target index in `range` along one axis, the overlapping
    /// source indices (relative to the first one returned) with the share of
    /// the source cell that overlaps, computed in source-cell units.
    fn overlaps(
        target: (f64, f64),
        source: (f64, f64, usize),
        range: std::ops::Range<usize>,
    ) -> (usize, usize, Vec<Vec<(usize, f64)>>) {
        // Each axis as (origin, signed step); source positions in source-cell units.
        let (t0, ts) = target;
        let (s0, ss, sn) = source;
        // Edges within 1e-9 cell of a source edge are taken to lie on it, so that
        // aligned grids give no slivers of overlap from rounding.
        let to_source = |i: usize| {
            let x = (t0 + i as f64 * ts - s0) / ss;
            if (x - x.round()).abs() < 1e-9 {
                x.round()
            } else {
                x
            }
        };
        let (mut from, mut to) = (usize::MAX, 0);
        let mut lists = Vec::with_capacity(range.len());
        for i in range {
            let (a, b) = (to_source(i), to_source(i + 1));
            let (lo, hi) = (a.min(b), a.max(b));
            let (first, last) = (lo.floor().max(0.0), hi.ceil().min(sn as f64));
            let mut list = Vec::new();
            if first < last {
                for s in first as usize..last as usize {
                    let share = hi.min((s + 1) as f64) - lo.max(s as f64);
                    if share > 0.0 {
                        list.push((s, share));
                        from = from.min(s);
                        to = to.max(s + 1);
                    }
                }
            }
            lists.push(list);
        }
        if from == usize::MAX {
            from = 0;
        }
        for entry in lists.iter_mut().flatten() {
            entry.0 -= from;
        }
        (from, to.max(from), lists)
    }
}

impl<R: RasterSource> RasterSource for Resampled<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn band_count(&self) -> usize {
        self.source.band_count()
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        check_band(&self.name, band, self.band_count())?;
        self.source.band_info(band)?;
        Ok(BandInfo {
            band,
            data_type: DataType::F64,
            encoding: CellEncoding::default(),
            block_shape: (self.grid.rows().min(256), self.grid.cols()),
        })
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        check_band(&self.name, band, self.band_count())?;
        check_window(&self.name, &self.grid, &window)?;
        let (t, s) = (self.grid.transform(), self.source.grid().transform());
        let (row_from, row_to, rows) = Self::overlaps(
            (t.origin_y, t.pixel_height),
            (s.origin_y, s.pixel_height, self.source.grid().rows()),
            window.row_off..window.row_end(),
        );
        let (col_from, col_to, cols) = Self::overlaps(
            (t.origin_x, t.pixel_width),
            (s.origin_x, s.pixel_width, self.source.grid().cols()),
            window.col_off..window.col_end(),
        );
        let mut out = Array2::from_elem((window.rows, window.cols), f64::NAN);
        if row_to <= row_from || col_to <= col_from {
            return Ok(out);
        }
        let source = self.source.read_window_f64(
            band,
            Window::new(row_from, col_from, row_to - row_from, col_to - col_from),
        )?;
        for (r, row_list) in rows.iter().enumerate() {
            for (c, col_list) in cols.iter().enumerate() {
                // Σ v * share and the valid share, in source cells.
                let (mut sum, mut share) = (0.0, 0.0);
                for &(sr, fy) in row_list {
                    for &(sc, fx) in col_list {
                        let v = source[[sr, sc]];
                        if !v.is_nan() {
                            sum += v * fy * fx;
                            share += fy * fx;
                        }
                    }
                }
                if share > 0.0 {
                    out[[r, c]] = match self.quantity {
                        Quantity::Extensive => sum,
                        Quantity::Intensive => sum / share,
                    };
                }
            }
        }
        Ok(out)
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}
