//! What `--snap-grid` did to a raster's grid, said in words.

use super::{GdalRaster, RasterSource};

impl GdalRaster {
    /// A sentence on how the grid in use differs from the one the file
    /// declares (`RasterOptions::snap_geographic`), for stderr and the
    /// provenance; `None` when the grid is the declared one, as by default.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use terralux::GdalRaster;
    /// let raster = GdalRaster::open(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/ntl.tif"))?;
    /// assert_eq!(raster.snap_note(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn snap_note(&self) -> Option<String> {
        let (declared, used) = (self.declared_grid().transform(), self.grid().transform());
        (declared != used).then(|| {
            format!(
                "{}: grid snapped to exact degree fractions (--snap-grid): declared origin ({}, {}) and cell {} x {}, used origin ({}, {}) and cell {} x {}",
                self.name(),
                declared.origin_x,
                declared.origin_y,
                declared.pixel_width,
                declared.pixel_height,
                used.origin_x,
                used.origin_y,
                used.pixel_width,
                used.pixel_height
            )
        })
    }
}
