//! Validity masks for night-light products: quality layers and the policy
//! for negative radiance, applied inside the same pass as the statistics.
//!
//! A [`Masked`] raster reads its values band and every mask layer for the
//! same window and returns NaN wherever a mask rejects the cell. Masks only
//! ever make cells invalid, never valid.

use ndarray::Array2;

use crate::error::Result;
use crate::grid::{Grid, Window};
use crate::raster::{BandInfo, CellType, RasterSource, derived_band_info, window_array};

/// When a mask layer keeps a cell (a NaN or nodata mask cell never does).
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// Keep where the mask is not 0: EOG's `cf_cvg` (0 means no cloud-free
    /// observation, i.e. no data, not darkness).
    NonZero,
    /// Keep where none of these bits is set: Black Marble's `QF_Cloud_Mask`
    /// (e.g. bits 6-7 cloud, bit 10 snow: `0b100_1100_0000`).
    BitsClear(u64),
    /// Keep where the mask equals one of these values: Black Marble's
    /// `Mandatory_Quality_Flag` (0 and 1 are high quality, 2 is poor).
    OneOf(Vec<f64>),
}

impl Keep {
    fn keeps(&self, m: f64) -> bool {
        if m.is_nan() {
            return false;
        }
        match self {
            Keep::NonZero => m != 0.0,
            Keep::BitsClear(bits) => m >= 0.0 && (m as u64) & bits == 0,
            Keep::OneOf(values) => values.contains(&m),
        }
    }
}

/// What to do with negative values (monthly VIIRS has them: stray light,
/// background subtraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Negatives {
    /// Keep them as they are.
    #[default]
    Keep,
    /// Count them as 0 (dark).
    Zero,
    /// Treat them as invalid.
    Invalid,
}

/// One mask: a band of a raster on the same grid, and when it keeps a cell.
pub struct MaskLayer<'a> {
    /// The raster holding the mask.
    pub raster: &'a (dyn RasterSource + Sync),
    /// Its band (from 1).
    pub band: usize,
    /// When the mask keeps a cell.
    pub keep: Keep,
}

/// A values band with masks and a negative-value policy applied.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::ntl::mask::{Keep, Masked, MaskLayer, Negatives};
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 4)?;
/// let radiance = Raster::new(grid.clone(), array![[0.0f32, 3.5, -0.2, 9.0]])?;
/// let cf_cvg = Raster::new(grid, array![[5u8, 0, 7, 2]])?;
/// let masked = Masked::new(&radiance, 1, vec![MaskLayer { raster: &cf_cvg, band: 1, keep: Keep::NonZero }], Negatives::Zero)?;
/// let v = masked.read_window_f64(1, masked.grid().full_window())?;
/// assert_eq!(v[[0, 0]], 0.0);   // observed and dark
/// assert!(v[[0, 1]].is_nan());  // never observed: no data
/// assert_eq!(v[[0, 2]], 0.0);   // negative, counted as dark
/// # Ok(())
/// # }
/// ```
pub struct Masked<'a> {
    values: &'a (dyn RasterSource + Sync),
    band: usize,
    masks: Vec<MaskLayer<'a>>,
    negatives: Negatives,
    name: String,
}

impl<'a> Masked<'a> {
    /// Mask band `band` of `values` with `masks` (rasters on the same grid).
    pub fn new(
        values: &'a (dyn RasterSource + Sync),
        band: usize,
        masks: Vec<MaskLayer<'a>>,
        negatives: Negatives,
    ) -> Result<Self> {
        values.band_info(band)?;
        for mask in &masks {
            mask.raster.band_info(mask.band)?;
            if !mask.raster.grid().same_as(values.grid()) {
                return Err(crate::error::Error::Mismatch {
                    context: mask.raster.name().to_string(),
                    reason: format!("the mask's grid differs from {}'s", values.name()),
                });
            }
        }
        let name = format!("{} (masked)", values.name());
        Ok(Masked {
            values,
            band,
            masks,
            negatives,
            name,
        })
    }
}

impl RasterSource for Masked<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        self.values.grid()
    }

    /// One band: the masked values.
    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        derived_band_info(&self.name, self.values, self.band, band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let mut out = Vec::new();
        self.read_window_f64_into(band, window, &mut out)?;
        window_array(&self.name, window, out)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        crate::raster::check_band(&self.name, band, 1)?;
        self.values.read_window_f64_into(self.band, window, out)?;
        let mut mask = Vec::new();
        for layer in &self.masks {
            layer
                .raster
                .read_window_f64_into(layer.band, window, &mut mask)?;
            for (v, &m) in out.iter_mut().zip(&mask) {
                if !layer.keep.keeps(m) {
                    *v = f64::NAN;
                }
            }
        }
        match self.negatives {
            Negatives::Keep => {}
            Negatives::Zero => out.iter_mut().filter(|v| **v < 0.0).for_each(|v| *v = 0.0),
            Negatives::Invalid => out
                .iter_mut()
                .filter(|v| **v < 0.0)
                .for_each(|v| *v = f64::NAN),
        }
        Ok(())
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}

impl<'a> Masked<'a> {
    /// Where this raster's masks removed a valid value: see [`MaskedShare`].
    pub fn removed(&'a self) -> MaskedShare<'a> {
        MaskedShare {
            masked: self,
            name: format!("{} (cells removed by masks)", self.values.name()),
        }
    }
}

/// The cells a [`Masked`] raster's masks removed, as values a zonal mean
/// turns into the share of a zone's valid cells they removed
/// (`county_ntl`'s `masked_frac`): 1 where the values band is valid but a
/// mask rejects the cell, 0 where every mask keeps it, invalid (NaN) where
/// the values band itself is invalid (nodata, fill, outside a tile), which
/// no mask is to blame for. The negative-value policy plays no part.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::ntl::mask::{Keep, Masked, MaskLayer, Negatives};
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 4)?;
/// let radiance = Raster::new(grid.clone(), array![[0.5f32, 3.5, f32::NAN, 9.0]])?;
/// let cf_cvg = Raster::new(grid, array![[5u8, 0, 0, 2]])?;
/// let masked = Masked::new(&radiance, 1, vec![MaskLayer { raster: &cf_cvg, band: 1, keep: Keep::NonZero }], Negatives::Zero)?;
/// let removed = masked.removed();
/// let v = removed.read_window_f64(1, removed.grid().full_window())?;
/// assert_eq!((v[[0, 0]], v[[0, 1]], v[[0, 3]]), (0.0, 1.0, 0.0));
/// assert!(v[[0, 2]].is_nan()); // no value to remove
/// # Ok(())
/// # }
/// ```
pub struct MaskedShare<'a> {
    masked: &'a Masked<'a>,
    name: String,
}

impl RasterSource for MaskedShare<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &Grid {
        self.masked.values.grid()
    }

    /// One band: 1 removed, 0 kept, NaN no value.
    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> Result<BandInfo> {
        derived_band_info(&self.name, self.masked.values, self.masked.band, band)
    }

    fn read_window_f64(&self, band: usize, window: Window) -> Result<Array2<f64>> {
        let mut out = Vec::new();
        self.read_window_f64_into(band, window, &mut out)?;
        window_array(&self.name, window, out)
    }

    fn read_window_f64_into(&self, band: usize, window: Window, out: &mut Vec<f64>) -> Result<()> {
        crate::raster::check_band(&self.name, band, 1)?;
        let masked = self.masked;
        masked
            .values
            .read_window_f64_into(masked.band, window, out)?;
        for v in out.iter_mut().filter(|v| !v.is_nan()) {
            *v = 0.0;
        }
        let mut mask = Vec::new();
        for layer in &masked.masks {
            layer
                .raster
                .read_window_f64_into(layer.band, window, &mut mask)?;
            for (v, &m) in out.iter_mut().zip(&mask) {
                if *v == 0.0 && !layer.keep.keeps(m) {
                    *v = 1.0;
                }
            }
        }
        Ok(())
    }

    fn read_window<T: CellType>(&self, band: usize, window: Window) -> Result<Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}
