//! The in-memory raster: ndarray bands on a grid.

use ndarray::{Array2, ArrayView2, s};

use super::{
    BandInfo, CellEncoding, CellType, DataType, RasterSource, check_band, check_window, fill_buffer,
};
use crate::error::{Error, Result};
use crate::grid::{Grid, Window};

/// An in-memory raster: one or more `(rows, cols)` arrays on a [`Grid`].
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0)?, 2, 2)?;
/// let raster = Raster::new(grid, array![[10u16, 20], [30, 65535]])?
///     .with_nodata(Some(65535.0))
///     .with_scale_offset(0.1, 0.0);
/// let info = raster.band_info(1)?;
/// assert_eq!(info.encoding.scale, 0.1);
/// let v = raster.read_window_f64(1, raster.grid().full_window())?;
/// assert_eq!(v[[1, 0]], 3.0);
/// assert!(v[[1, 1]].is_nan());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Raster<T: CellType> {
    name: String,
    grid: Grid,
    bands: Vec<Array2<T>>,
    encoding: CellEncoding,
    block_shape: (usize, usize),
}

impl<T: CellType> Raster<T> {
    /// A one-band raster; `data` must have the grid's `(rows, cols)` shape.
    pub fn new(grid: Grid, data: Array2<T>) -> Result<Self> {
        Self::from_bands(grid, vec![data])
    }

    /// A raster of several bands of the grid's shape (band 1 first).
    pub fn from_bands(grid: Grid, bands: Vec<Array2<T>>) -> Result<Self> {
        let name = "in-memory raster".to_string();
        if bands.is_empty() {
            return Err(Error::Shape {
                source_name: name,
                reason: "a raster needs at least one band".to_string(),
            });
        }
        for (i, band) in bands.iter().enumerate() {
            if band.dim() != grid.shape() {
                return Err(Error::Shape {
                    source_name: name,
                    reason: format!(
                        "band {} has shape {:?} but the grid is {:?} (rows, cols)",
                        i + 1,
                        band.dim(),
                        grid.shape()
                    ),
                });
            }
        }
        let block_shape = (grid.rows().min(256), grid.cols());
        Ok(Raster {
            name,
            grid,
            bands,
            encoding: CellEncoding::default(),
            block_shape,
        })
    }

    /// Set the name used in messages.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Set the nodata value (shared by all bands).
    pub fn with_nodata(mut self, nodata: Option<f64>) -> Self {
        self.encoding.nodata = nodata;
        self
    }

    /// Set the scale and offset (shared by all bands).
    pub fn with_scale_offset(mut self, scale: f64, offset: f64) -> Self {
        self.encoding.scale = scale;
        self.encoding.offset = offset;
        self
    }

    /// Set the block shape `(rows, cols)` reported to readers (each at least 1).
    /// The default is strips of up to 256 whole rows.
    pub fn with_block_shape(mut self, rows: usize, cols: usize) -> Self {
        self.block_shape = (rows.max(1), cols.max(1));
        self
    }

    /// A view of a whole band (from 1).
    pub fn band(&self, band: usize) -> Result<ArrayView2<'_, T>> {
        check_band(&self.name, band, self.bands.len())?;
        Ok(self.bands[band - 1].view())
    }

    fn band_window(&self, band: usize, window: &Window) -> Result<ArrayView2<'_, T>> {
        check_band(&self.name, band, self.bands.len())?;
        check_window(&self.name, &self.grid, window)?;
        Ok(self.bands[band - 1].slice(s![
            window.row_off..window.row_end(),
            window.col_off..window.col_end()
        ]))
    }
}

impl<T: CellType> RasterSource for Raster<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        &self.grid
    }

    fn band_count(&self) -> usize {
        self.bands.len()
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        check_band(&self.name, band, self.bands.len())?;
        Ok(BandInfo {
            band,
            data_type: T::DATA_TYPE,
            encoding: self.encoding,
            block_shape: self.block_shape,
        })
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let view = self.band_window(band, &window)?;
        Ok(self.encoding.decode(view))
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        let view = self.band_window(band, &window)?;
        if matches!(T::DATA_TYPE, DataType::I64 | DataType::U64) {
            // Compare with the nodata in the cells' own type: beyond 2^53 an
            // f64 comparison would also match the cells next to it.
            fill_buffer(&self.encoding.decode(view), out);
            return Ok(());
        }
        out.clear();
        out.extend(view.iter().map(|v| v.to_f64()));
        self.encoding.decode_f64_in_place(T::DATA_TYPE, out);
        Ok(())
    }

    fn read_window_f32_into(
        &self,
        band: usize,
        window: Window,
        out: &mut Vec<f32>,
    ) -> Result<bool> {
        if !self.encoding.fits_f32(T::DATA_TYPE) {
            return Ok(false);
        }
        let view = self.band_window(band, &window)?;
        // Written out (not `extend`), so that the copy is inlined here whatever
        // the codegen units: a loop of one conversion and store per cell.
        out.resize(view.len(), 0.0);
        for (cell, &v) in out.iter_mut().zip(view.iter()) {
            *cell = v.to_f64() as f32;
        }
        self.encoding.decode_f32_in_place(T::DATA_TYPE, out);
        Ok(true)
    }

    fn read_window_exact_into(
        &self,
        band: usize,
        window: Window,
        values: &mut Vec<f64>,
        exact: &mut Vec<i128>,
    ) -> Result<bool> {
        if !self.encoding.exact_integers(T::DATA_TYPE) {
            return Ok(false);
        }
        let view = self.band_window(band, &window)?;
        let nodata = self.encoding.nodata.and_then(T::nodata_as_cell);
        values.clear();
        exact.clear();
        for &v in view.iter() {
            values.push(if Some(v) == nodata {
                f64::NAN
            } else {
                v.to_f64()
            });
            exact.push(v.to_i128().unwrap_or_default());
        }
        Ok(true)
    }

    fn read_window<U: CellType>(&self, band: usize, window: Window) -> Result<Array2<U>> {
        let view = self.band_window(band, &window)?;
        Ok(view.mapv(|v| U::from_f64(v.to_f64())))
    }
}
