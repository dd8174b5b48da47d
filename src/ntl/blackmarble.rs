//! NASA Black Marble (VNP46A1..A4, VJ146*) tiles: names, tile grids and HDF5 layer paths.
//!
//! Tiles are 10 x 10 degrees of 2400 x 2400 cells (1/240 degree) in plain
//! longitude/latitude; tile `hHHvVV` has its upper-left corner at
//! (-180 + 10 HH, 90 - 10 VV). GDAL 3.6 reads no georeferencing from these
//! HDF-EOS5 files, so the grid is computed from the tile (DOMAIN.md §1b).

use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::grid::{GeoTransform, Grid};

/// Cells along each side of a tile.
pub const TILE_CELLS: usize = 2400;

/// What a Black Marble file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlackMarbleName {
    /// `VNP46A2`, `VJ146A3`...
    pub product: String,
    /// Year of the acquisition date.
    pub year: u16,
    /// Day of year (1..=366).
    pub day_of_year: u16,
    /// Horizontal tile index (0..=35).
    pub h: u8,
    /// Vertical tile index (0..=17).
    pub v: u8,
    /// Collection: 1 (`001`) or 2 (`002`).
    pub collection: u16,
}

impl BlackMarbleName {
    /// Parse `VNP46A2.A2015001.h08v05.001.2017012234657.h5` (any folder prefix).
    ///
    /// ```
    /// use terralux::ntl::blackmarble::BlackMarbleName;
    /// let n = BlackMarbleName::parse("VNP46A2.A2015001.h08v05.001.2017012234657.h5").unwrap();
    /// assert_eq!((n.product.as_str(), n.year, n.day_of_year, n.h, n.v, n.collection), ("VNP46A2", 2015, 1, 8, 5, 1));
    /// assert_eq!(n.date(), "2015-01-01");
    /// assert!(BlackMarbleName::parse("VNP46A2.A2015001.h36v05.001.x.h5").is_none()); // no tile h36
    /// assert!(BlackMarbleName::parse("VNP46A2.A2015366.h08v05.001.x.h5").is_none()); // 2015 has 365 days
    /// assert_eq!(BlackMarbleName::parse("VNP46A2.A2016366.h08v05.001.x.h5").unwrap().date(), "2016-12-31");
    /// ```
    pub fn parse(name: &str) -> Option<BlackMarbleName> {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let mut parts = file.split('.');
        let product = parts.next()?;
        if !(product.starts_with("VNP46") || product.starts_with("VJ146")) || product.len() != 7 {
            return None;
        }
        let date = parts.next()?.strip_prefix('A')?;
        if date.len() != 7 || !date.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let (year, day_of_year): (u16, u16) = (date[..4].parse().ok()?, date[4..].parse().ok()?);
        let tile = parts.next()?;
        let (h, v) = tile.strip_prefix('h')?.split_once('v')?;
        let (h, v): (u8, u8) = (h.parse().ok()?, v.parse().ok()?);
        let collection: u16 = parts.next()?.parse().ok()?;
        // Day 366 exists in leap years only.
        let real_day = chrono::NaiveDate::from_yo_opt(year.into(), day_of_year.into()).is_some();
        let valid = real_day && h < 36 && v < 18 && (1..=2).contains(&collection);
        valid.then(|| BlackMarbleName {
            product: product.to_string(),
            year,
            day_of_year,
            h,
            v,
            collection,
        })
    }

    /// True for the monthly (A3) and yearly (A4) composites.
    pub fn is_composite(&self) -> bool {
        self.product.ends_with("A3") || self.product.ends_with("A4")
    }

    /// The acquisition date as `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        // `parse` admits only days that exist, so the fallback is never taken.
        chrono::NaiveDate::from_yo_opt(self.year.into(), self.day_of_year.into()).map_or_else(
            || format!("{:04}-day-{:03}", self.year, self.day_of_year),
            |d| d.format("%Y-%m-%d").to_string(),
        )
    }

    /// The HDF5 group of the product's data fields, which differs between collections.
    pub fn data_fields_group(&self) -> &'static str {
        if self.collection == 1 && !self.is_composite() {
            "HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields"
        } else {
            "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields"
        }
    }

    /// The GDAL subdataset path of `layer` in `file` (spaces become underscores, as GDAL names them).
    ///
    /// ```
    /// use terralux::ntl::blackmarble::BlackMarbleName;
    /// let n = BlackMarbleName::parse("VNP46A2.A2020100.h29v05.002.2021.h5").unwrap();
    /// assert_eq!(n.subdataset("VNP46A2.A2020100.h29v05.002.2021.h5", "Gap_Filled_DNB_BRDF-Corrected_NTL"),
    ///     r#"HDF5:"VNP46A2.A2020100.h29v05.002.2021.h5"://HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data_Fields/Gap_Filled_DNB_BRDF-Corrected_NTL"#);
    /// ```
    pub fn subdataset(&self, file: &str, layer: &str) -> String {
        format!(
            "HDF5:\"{file}\"://{}/{layer}",
            self.data_fields_group().replace(' ', "_")
        )
    }
}

/// The grid of tile `hHHvVV`: 2400 x 2400 cells of 1/240 degree, WGS84.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// let grid = terralux::ntl::blackmarble::tile_grid(29, 5)?;
/// assert_eq!(grid.bounds().min().x, 110.0);
/// assert_eq!(grid.bounds().max().y, 40.0);
/// assert_eq!(grid.shape(), (2400, 2400));
/// # Ok(())
/// # }
/// ```
pub fn tile_grid(h: u8, v: u8) -> Result<Grid> {
    if h >= 36 || v >= 18 {
        return Err(Error::Grid {
            source_name: format!("h{h:02}v{v:02}"),
            reason: "Black Marble tiles run from h00 to h35 and v00 to v17".into(),
        });
    }
    let cell = 1.0 / 240.0;
    let transform = GeoTransform::new(
        -180.0 + 10.0 * h as f64,
        cell,
        90.0 - 10.0 * v as f64,
        -cell,
    )?;
    Ok(Grid::new(transform, TILE_CELLS, TILE_CELLS)?.with_crs(Crs::wgs84()))
}

/// Check a computed tile grid against the file's bounding coordinates
/// (`WestBoundingCoord`... attributes), to 1e-6 degree.
pub fn check_bounds(
    grid: &Grid,
    west: f64,
    east: f64,
    south: f64,
    north: f64,
    source: &str,
) -> Result<()> {
    let b = grid.bounds();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6;
    if close(b.min().x, west)
        && close(b.max().x, east)
        && close(b.min().y, south)
        && close(b.max().y, north)
    {
        Ok(())
    } else {
        Err(Error::Grid {
            source_name: source.to_string(),
            reason: format!(
                "the tile's grid ({}..{} E, {}..{} N) disagrees with the file's bounding coordinates ({west}..{east} E, {south}..{north} N)",
                b.min().x,
                b.max().x,
                b.min().y,
                b.max().y
            ),
        })
    }
}

/// The radiance layer read by default: `DNB_BRDF-Corrected_NTL` for the
/// daily products (A1, A2), `AllAngle_Composite_Snow_Free` for the monthly
/// and yearly composites (A3, A4).
pub fn default_layer(name: &BlackMarbleName) -> &'static str {
    if name.is_composite() {
        "AllAngle_Composite_Snow_Free"
    } else {
        "DNB_BRDF-Corrected_NTL"
    }
}

#[cfg(feature = "gdal")]
mod reading {
    use std::path::Path;

    use super::{BlackMarbleName, check_bounds, tile_grid};
    use crate::crs::Crs;
    use crate::error::{Error, Result};
    use crate::ntl::mask::{Keep, MaskLayer};
    use crate::raster::{CellEncoding, GdalRaster, RasterOptions, RasterSource};

    /// Open `layer` of a Black Marble tile file as a raster on its tile grid.
    ///
    /// GDAL 3.6 reads no georeferencing from these HDF-EOS5 files and does not
    /// map every `_FillValue` or `scale_factor`: the grid comes from the tile
    /// number in the name (and is checked against the file's
    /// `WestBoundingCoord`... attributes when it has them), and the fill value,
    /// scale and offset from the layer's own attributes, whatever the
    /// collection (uint16 scaled by 0.1 with fill 65535 in collection 1,
    /// float32 with fill -999.9 in collection 2).
    pub fn open_layer(path: &Path, layer: &str) -> Result<GdalRaster> {
        let file = path.display().to_string();
        if !path.exists() {
            return Err(Error::NotFound {
                path: path.to_path_buf(),
            });
        }
        let name = BlackMarbleName::parse(&file).ok_or_else(|| Error::Open {
            source_name: file.clone(),
            reason: "not a Black Marble file name (PRODUCT.AYYYYDDD.hHHvVV.CCC.STAMP.h5)".into(),
        })?;
        let grid = tile_grid(name.h, name.v)?;
        let options = RasterOptions {
            assume_crs: Some(Crs::wgs84()),
            geotransform: Some(*grid.transform()),
            snap_geographic: false,
            ..RasterOptions::default()
        };
        let raster = GdalRaster::open_with(name.subdataset(&file, layer), &options).map_err(
            |e| match e {
                Error::Open { reason, .. } => Error::Open {
                    source_name: format!("{file}, layer {layer}"),
                    reason: format!("the file has no such layer, or it cannot be read ({reason})"),
                },
                other => other,
            },
        )?;
        if raster.grid().shape() != grid.shape() {
            return Err(Error::Grid {
                source_name: format!("{file}, layer {layer}"),
                reason: format!(
                    "a Black Marble tile has 2400 x 2400 cells, not {:?}",
                    raster.grid().shape()
                ),
            });
        }
        let coordinate = |key: &str| {
            raster
                .metadata_item(key, "")
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        if let (Some(w), Some(e), Some(s), Some(n)) = (
            coordinate("WestBoundingCoord"),
            coordinate("EastBoundingCoord"),
            coordinate("SouthBoundingCoord"),
            coordinate("NorthBoundingCoord"),
        ) {
            check_bounds(&grid, w, e, s, n, &file)?;
        }
        let attributes = raster.band_metadata(1)?;
        let attribute = |suffix: &str| {
            attributes
                .iter()
                .find(|(k, _)| k.ends_with(suffix))
                .and_then(|(_, v)| v.parse::<f64>().ok())
        };
        let reported = raster.band_info(1)?.encoding;
        let encoding = CellEncoding {
            nodata: attribute("__FillValue").or(reported.nodata),
            scale: attribute("_scale_factor").unwrap_or(reported.scale),
            offset: attribute("_add_offset").unwrap_or(reported.offset),
        };
        raster.with_band_encoding(1, encoding)
    }

    /// The default quality masks of a tile, as `(layer raster, rule)`:
    /// for daily products (A1, A2), `Mandatory_Quality_Flag` 0 or 1 (high
    /// quality, persistent or ephemeral; 2 poor and 255 fill are dropped) and,
    /// when the file has it, `QF_Cloud_Mask` without bit 7 (probably or
    /// confidently cloudy) and bit 10 (snow or ice); for composites (A3, A4),
    /// `<layer>_Quality` 0 (good; poor, gap-filled and fill dropped).
    pub fn default_masks(path: &Path, layer: &str) -> Result<Vec<(GdalRaster, Keep)>> {
        let file = path.display().to_string();
        let name = BlackMarbleName::parse(&file).ok_or_else(|| Error::Open {
            source_name: file.clone(),
            reason: "not a Black Marble file name".into(),
        })?;
        let mut masks = Vec::new();
        if name.is_composite() {
            masks.push((
                open_layer(path, &format!("{layer}_Quality"))?,
                Keep::OneOf(vec![0.0]),
            ));
        } else {
            masks.push((
                open_layer(path, "Mandatory_Quality_Flag")?,
                Keep::OneOf(vec![0.0, 1.0]),
            ));
            if let Ok(cloud) = open_layer(path, "QF_Cloud_Mask") {
                masks.push((cloud, Keep::BitsClear((1 << 7) | (1 << 10))));
            }
        }
        Ok(masks)
    }

    /// `masks` (from [`default_masks`]) as the mask layers of a [`Masked`](crate::ntl::mask::Masked) raster.
    pub fn mask_layers(masks: &[(GdalRaster, Keep)]) -> Vec<MaskLayer<'_>> {
        masks
            .iter()
            .map(|(raster, keep)| MaskLayer {
                raster,
                band: 1,
                keep: keep.clone(),
            })
            .collect()
    }
}

#[cfg(feature = "gdal")]
pub use reading::{default_masks, mask_layers, open_layer};
