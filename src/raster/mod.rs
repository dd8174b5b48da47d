//! Rasters: the [`RasterSource`] trait, the in-memory [`Raster`] and the GDAL source.
//!
//! # Bands
//! Bands are numbered from 1, as in GDAL and on the command line.
//!
//! # Validity (the mask convention)
//! A cell is **valid** when it is not NaN, not equal to the band's
//! nodata value (compared in the band's own data type, so a Float32
//! band's `-999.9` matches, and exactly for 64-bit integers), and, for
//! `GdalRaster`, not masked by the band's GDAL mask (an internal or
//! `.msk` mask, a per-dataset mask, an alpha band: mask value 0 is
//! invalid; `RasterOptions::ignore_mask` turns this off). Typed reads do
//! not apply the mask. Reads as `f64`
//! ([`RasterSource::read_window_f64`]) return valid cells as
//! `raw * scale + offset` and invalid cells as NaN, so that
//! "valid" is exactly `!value.is_nan()` downstream. Typed reads
//! ([`RasterSource::read_window`]) return the raw cells untouched; use
//! [`CellEncoding::is_valid`] on them. Product-specific masks (quality
//! flags, `cf_cvg == 0`) are applied on top of this by the `ntl` layers and
//! always make cells *invalid*, never valid.
//!
//! # Row bands
//! Rasters are read in **row bands**: windows of whole block rows spanning
//! the full width ([`RasterSource::row_bands`]). Reading block-aligned
//! bands in order reads every block of a tiled file exactly once.

mod cell;
#[cfg(feature = "gdal")]
mod gdal_source;
mod memory;
mod mosaic;
mod resampled;
#[cfg(feature = "gdal")]
mod snap_note;
#[cfg(feature = "gdal")]
mod vrt;

pub use cell::{CellEncoding, CellType, DataType, IoType};
#[cfg(feature = "gdal")]
pub use gdal_source::{GdalRaster, RasterOptions};
pub use memory::Raster;
pub use mosaic::{MOSAIC_ALIGNMENT_TOL, Mosaic};
pub use resampled::{Quantity, Resampled};

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::grid::{Grid, Window};

/// What a band is: its cell type, encoding and block layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandInfo {
    /// The band number (from 1).
    pub band: usize,
    /// The cells' data type.
    pub data_type: DataType,
    /// Nodata value, scale and offset.
    pub encoding: CellEncoding,
    /// Natural block size `(rows, cols)`: tiles, or strips of whole rows.
    pub block_shape: (usize, usize),
}

/// A source of raster cells on one [`Grid`].
///
/// Implemented by the in-memory [`Raster`] and, with the `gdal` feature,
/// by [`GdalRaster`].
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource, Window};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0)?, 2, 3)?;
/// let raster = Raster::new(grid, array![[1.0f32, 2.0, -9.0], [4.0, 5.0, 6.0]])?.with_nodata(Some(-9.0));
/// let values = raster.read_window_f64(1, Window::new(0, 1, 1, 2))?;
/// assert_eq!(values[[0, 0]], 2.0);
/// assert!(values[[0, 1]].is_nan()); // nodata reads as NaN
/// # Ok(())
/// # }
/// ```
pub trait RasterSource {
    /// A name for messages: the path, or a label for in-memory rasters.
    fn name(&self) -> &str;

    /// The grid the cells lie on.
    fn grid(&self) -> &Grid;

    /// How many bands there are.
    fn band_count(&self) -> usize;

    /// Data type, encoding and block layout of `band` (from 1).
    fn band_info(&self, band: usize) -> Result<BandInfo>;

    /// Read a window of `band` as `f64`: valid cells scaled
    /// (`raw * scale + offset`), invalid cells NaN. Shape `(rows, cols)`.
    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>>;

    /// Read a window of `band` as `f64` into `out` (row-major, `window.cols`
    /// values a row), with the validity convention of
    /// [`RasterSource::read_window_f64`]. `out`'s allocation is reused, which
    /// spares the engine an allocation (and its page faults) per chunk.
    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        fill_buffer(&self.read_window_f64(band, window)?, out);
        Ok(())
    }

    /// Read a window of `band` as `f32` into `out` (row-major, invalid cells
    /// NaN) when that loses nothing (see [`CellEncoding::fits_f32`]) and
    /// return `true`; otherwise leave `out` alone and return `false` (the
    /// default), and the caller reads `f64`. Half the memory traffic of `f64`.
    fn read_window_f32_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        let _ = (band, window, out);
        Ok(false)
    }

    /// Read a window of a 64-bit integer band (Int64 or UInt64, unscaled:
    /// see [`CellEncoding::exact_integers`]) as exact integers and return
    /// `true`: `values` as [`RasterSource::read_window_f64_into`] fills it
    /// (row-major, invalid cells NaN: nodata compared exactly, NaN, the GDAL
    /// mask; valid cells the nearest `f64`), and `exact` with each cell's
    /// integer, in the same order (for an invalid cell, whatever the file
    /// holds: `values` says which cells are valid). For any other band
    /// leave both alone and return `false` (the default, also that of
    /// derived sources: mosaics, resampled and masked views), and the caller
    /// reads `f64`.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use ndarray::array;
    /// use terralux::{GeoTransform, Grid, Raster, RasterSource};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 3)?;
    /// let big = u64::MAX - 1;
    /// let raster = Raster::new(grid.clone(), array![[big, 7, 0]])?.with_nodata(Some(0.0));
    /// let (mut values, mut exact) = (Vec::new(), Vec::new());
    /// assert!(raster.read_window_exact_into(1, grid.full_window(), &mut values, &mut exact)?);
    /// assert_eq!(&exact[..2], &[big as i128, 7]);
    /// assert_eq!(values[0], big as f64); // 2^64: the nearest f64
    /// assert!(values[2].is_nan()); // nodata
    /// let small = Raster::new(grid.clone(), array![[1u16, 2, 3]])?;
    /// assert!(!small.read_window_exact_into(1, grid.full_window(), &mut values, &mut exact)?);
    /// # Ok(())
    /// # }
    /// ```
    fn read_window_exact_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        let _ = (band, window, values, exact);
        Ok(false)
    }

    /// Read a window of `band` as raw cells of type `T` (converted from the
    /// band's own type if different; no scaling, nodata kept as is).
    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>>
    where
        Self: Sized;

    /// The row bands of `band`: full-width windows of `block_rows_per_band`
    /// whole block rows each (the last one trimmed to the raster).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use ndarray::Array2;
    /// use terralux::{GeoTransform, Grid, Raster, RasterSource, Window};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 10.0, -1.0)?, 10, 4)?;
    /// let raster = Raster::new(grid, Array2::<u8>::zeros((10, 4)))?.with_block_shape(4, 4);
    /// let bands = raster.row_bands(1, 1)?;
    /// assert_eq!(bands, vec![Window::new(0, 0, 4, 4), Window::new(4, 0, 4, 4), Window::new(8, 0, 2, 4)]);
    /// # Ok(())
    /// # }
    /// ```
    fn row_bands(&self, band: usize, block_rows_per_band: usize) -> Result<Vec<Window>> {
        let info = self.band_info(band)?;
        let rows_per_band = info.block_shape.0.max(1) * block_rows_per_band.max(1);
        Ok(row_band_windows(self.grid(), rows_per_band))
    }

    /// Iterate over `band` in row bands (see [`RasterSource::row_bands`]),
    /// reading each as `f64` with the validity convention of
    /// [`RasterSource::read_window_f64`].
    fn read_row_bands_f64(
        &self,
        band: usize,
        block_rows_per_band: usize,
    ) -> Result<impl Iterator<Item = Result<(Window, Array2<f64>)>>>
    where
        Self: Sized,
    {
        let windows = self.row_bands(band, block_rows_per_band)?;
        Ok(windows
            .into_iter()
            .map(move |w| self.read_window_f64(band, w).map(|a| (w, a))))
    }
}

/// A reference to a raster is a raster too (so wrappers can borrow theirs).
impl<R: RasterSource> RasterSource for &R {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn grid(&self) -> &Grid {
        (**self).grid()
    }

    fn band_count(&self) -> usize {
        (**self).band_count()
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        (**self).band_info(band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        (**self).read_window_f64(band, window)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        (**self).read_window_f64_into(band, window, out)
    }

    fn read_window_f32_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        (**self).read_window_f32_into(band, window, out)
    }

    fn read_window_exact_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        (**self).read_window_exact_into(band, window, values, exact)
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        (**self).read_window(band, window)
    }
}

/// A borrowed raster of any kind (`&dyn RasterSource`) as a raster of its
/// own, where an owned one is wanted (a worker's
/// [`OpenRaster`](crate::engine::partials::OpenRaster) handing out rasters
/// it opened once). Every read is the borrowed raster's; the typed
/// [`RasterSource::read_window`], which a `dyn` raster does not offer, reads
/// `f64` and converts, as derived views do.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::raster::Borrowed;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let raster = Raster::new(grid.clone(), array![[1.5, 2.0]])?.with_name("a");
/// let any: &(dyn RasterSource + Sync) = &raster;
/// let boxed: Box<dyn RasterSource + Sync + '_> = Box::new(Borrowed(any));
/// assert_eq!(boxed.name(), "a");
/// assert_eq!(boxed.read_window_f64(1, grid.full_window())?, array![[1.5, 2.0]]);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy)]
pub struct Borrowed<'a>(pub &'a (dyn RasterSource + Sync));

impl RasterSource for Borrowed<'_> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn grid(&self) -> &Grid {
        self.0.grid()
    }

    fn band_count(&self) -> usize {
        self.0.band_count()
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        self.0.band_info(band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        self.0.read_window_f64(band, window)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        self.0.read_window_f64_into(band, window, out)
    }

    fn read_window_f32_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        self.0.read_window_f32_into(band, window, out)
    }

    fn read_window_exact_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        self.0.read_window_exact_into(band, window, values, exact)
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.0.read_window_f64(band, window)?.mapv(T::from_f64))
    }

    fn row_bands(&self, band: usize, block_rows_per_band: usize) -> Result<Vec<Window>> {
        self.0.row_bands(band, block_rows_per_band)
    }
}

/// Full-width windows of `rows_per_band` rows covering `grid` top to bottom.
pub fn row_band_windows(grid: &Grid, rows_per_band: usize) -> Vec<Window> {
    let step = rows_per_band.max(1);
    (0..grid.rows())
        .step_by(step)
        .map(|row| Window::new(row, 0, step.min(grid.rows() - row), grid.cols()))
        .collect()
}

/// The band description of a one-band `f64` view derived from band
/// `source_band` of `source` (a masked, mapped or mosaicked band): band 1,
/// `f64` values with NaN as the only invalid value, the source's block
/// shape. `band` is the band asked of the view (an error unless 1).
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::raster::{derived_band_info, DataType};
/// use terralux::{GeoTransform, Grid, Raster};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let raster = Raster::new(grid, array![[1.0f32, 2.0]])?;
/// let info = derived_band_info("view", &raster, 1, 1)?;
/// assert_eq!((info.band, info.data_type), (1, DataType::F64));
/// assert!(derived_band_info("view", &raster, 1, 2).is_err());
/// # Ok(())
/// # }
/// ```
pub fn derived_band_info(
    name: &str,
    source: &dyn RasterSource,
    source_band: usize,
    band: usize,
) -> Result<BandInfo> {
    check_band(name, band, 1)?;
    let info = source.band_info(source_band)?;
    Ok(BandInfo {
        band: 1,
        data_type: DataType::F64,
        encoding: CellEncoding::default(),
        block_shape: info.block_shape,
    })
}

/// `values` (row by row) as an array of `window`'s shape; an error naming
/// `name` when they do not fill it.
///
/// ```
/// use terralux::{raster::window_array, Window};
/// let a = window_array("view", Window::new(0, 0, 1, 2), vec![1.0, 2.0]).unwrap();
/// assert_eq!(a[[0, 1]], 2.0);
/// assert!(window_array("view", Window::new(0, 0, 2, 2), vec![1.0]).is_err());
/// ```
pub fn window_array(name: &str, window: Window, values: Vec<f64>) -> Result<Array2<f64>> {
    Array2::from_shape_vec((window.rows, window.cols), values).map_err(|e| Error::Shape {
        source_name: name.to_string(),
        reason: e.to_string(),
    })
}

/// Copy `values` row by row into `out`, reusing its allocation.
pub(crate) fn fill_buffer(values: &Array2<f64>, out: &mut Vec<f64>) {
    out.clear();
    out.extend(values.iter().copied());
}

/// Check that `band` is in `1..=band_count`: an error naming `source_name`
/// otherwise. For [`RasterSource`] implementations of one band or a few.
///
/// ```
/// use terralux::raster::check_band;
/// assert!(check_band("lights.tif", 1, 1).is_ok());
/// assert_eq!(
///     check_band("lights.tif", 2, 1).unwrap_err().to_string(),
///     "lights.tif: band 2 does not exist (the raster has 1 band(s), numbered from 1)"
/// );
/// ```
pub fn check_band(source_name: &str, band: usize, band_count: usize) -> Result<()> {
    if band == 0 || band > band_count {
        return Err(Error::BandOutOfRange {
            source_name: source_name.to_string(),
            band,
            band_count,
        });
    }
    Ok(())
}

/// Check that `window` lies inside `grid`.
pub(crate) fn check_window(source_name: &str, grid: &Grid, window: &Window) -> Result<()> {
    if !grid.full_window().contains_window(window) {
        return Err(Error::WindowOutOfBounds {
            source_name: source_name.to_string(),
            window: window.to_string(),
            rows: grid.rows(),
            cols: grid.cols(),
        });
    }
    Ok(())
}
