//! Population rasters as weights: cells that cannot be people.
//!
//! A population raster (people per cell) weights `per_capita` and
//! `lit_pop_frac`. A negative or infinite cell is not a count of people
//! (a fill value, an artefact of resampling): left in, it gives a
//! `lit_pop_frac` of -23.5 or a negative `per_capita`. [`Population`]
//! presents such cells as invalid (NaN, like nodata), and
//! [`Population::invalid_cells`] counts them over the whole band, so that
//! a run can say how many it left out.

use ndarray::Array2;

use crate::error::Result;
use crate::grid::{Grid, Window};
use crate::raster::{BandInfo, CellType, RasterSource, derived_band_info, window_array};

/// A population band whose negative and infinite cells are invalid.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::ntl::population::Population;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource, Window};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 4)?;
/// let people = Raster::new(grid, array![[10.0, -5.0, f64::INFINITY, f64::NAN]])?;
/// let population = Population::new(&people, 1)?;
/// let cells = population.read_window_f64(1, Window::new(0, 0, 1, 4))?;
/// assert_eq!(cells[[0, 0]], 10.0);
/// assert!(cells[[0, 1]].is_nan() && cells[[0, 2]].is_nan() && cells[[0, 3]].is_nan());
/// let counts = population.invalid_cells()?;
/// assert_eq!((counts.negative, counts.infinite), (1, 1));
/// # Ok(())
/// # }
/// ```
pub struct Population<'a> {
    source: &'a (dyn RasterSource + Sync),
    band: usize,
    name: String,
}

/// How many cells of a population band were left out, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvalidPeople {
    /// Cells below 0.
    pub negative: u64,
    /// Cells of +inf or -inf.
    pub infinite: u64,
}

impl InvalidPeople {
    /// The total.
    pub fn total(&self) -> u64 {
        self.negative + self.infinite
    }
}

impl<'a> Population<'a> {
    /// Band `band` of `source` as a population layer.
    pub fn new(source: &'a (dyn RasterSource + Sync), band: usize) -> Result<Self> {
        source.band_info(band)?;
        Ok(Population {
            source,
            band,
            name: source.name().to_string(),
        })
    }

    /// Count the cells of the whole band that are negative or infinite,
    /// reading it once in row bands.
    pub fn invalid_cells(&self) -> Result<InvalidPeople> {
        let mut counts = InvalidPeople::default();
        let mut values = Vec::new();
        for window in self.source.row_bands(self.band, 4)? {
            self.source
                .read_window_f64_into(self.band, window, &mut values)?;
            for &v in &values {
                if v.is_infinite() {
                    counts.infinite += 1;
                } else if v < 0.0 {
                    counts.negative += 1;
                }
            }
        }
        Ok(counts)
    }
}

impl RasterSource for Population<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        self.source.grid()
    }

    /// One band: the population.
    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        derived_band_info(&self.name, self.source, self.band, band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let mut out = Vec::new();
        self.read_window_f64_into(band, window, &mut out)?;
        window_array(&self.name, window, out)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        crate::raster::check_band(&self.name, band, 1)?;
        self.source.read_window_f64_into(self.band, window, out)?;
        for v in out.iter_mut() {
            if *v < 0.0 || v.is_infinite() {
                *v = f64::NAN;
            }
        }
        Ok(())
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}
