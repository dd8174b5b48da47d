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

    /// True for the daily at-sensor product (A1), whose radiance is not
    /// BRDF-corrected and which has no `Mandatory_Quality_Flag`.
    pub fn is_at_sensor(&self) -> bool {
        self.product.ends_with("A1")
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

/// The radiance layer read by default, as the World Bank's tools
/// (blackmarblepy, blackmarbler) choose it: `DNB_At_Sensor_Radiance_500m`
/// for VNP46A1 (the only radiance it has), `Gap_Filled_DNB_BRDF-Corrected_NTL`
/// for VNP46A2 (cloudy and poor cells replaced by the latest good
/// retrieval), `NearNadir_Composite_Snow_Free` for the monthly and yearly
/// composites (A3, A4).
///
/// ```
/// use terralux::ntl::blackmarble::{BlackMarbleName, default_layer};
/// let name = |n| BlackMarbleName::parse(n).unwrap();
/// assert_eq!(default_layer(&name("VNP46A1.A2020100.h28v06.002.2021.h5")), "DNB_At_Sensor_Radiance_500m");
/// assert_eq!(default_layer(&name("VNP46A2.A2020100.h28v06.002.2021.h5")), "Gap_Filled_DNB_BRDF-Corrected_NTL");
/// assert_eq!(default_layer(&name("VNP46A3.A2020061.h28v06.001.2021.h5")), "NearNadir_Composite_Snow_Free");
/// ```
pub fn default_layer(name: &BlackMarbleName) -> &'static str {
    if name.is_composite() {
        "NearNadir_Composite_Snow_Free"
    } else if name.is_at_sensor() {
        "DNB_At_Sensor_Radiance_500m"
    } else {
        "Gap_Filled_DNB_BRDF-Corrected_NTL"
    }
}

/// Which of a tile's quality layers mask its radiance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MaskPolicy {
    /// Only fill: the layer's own `_FillValue` and the cells its quality
    /// layer marks as fill (255). What blackmarblepy and blackmarbler do by
    /// default, and the default here: results compare with theirs, and the
    /// default A2 layer is gap-filled, which same-day flags would undo.
    #[default]
    Fill,
    /// Fill, and the quality flags: daily layers keep `Mandatory_Quality_Flag`
    /// 0 or 1 (A2) and cells not cloudy (bits 6-7 of `QF_Cloud_Mask`
    /// 2 or 3) nor snow (bit 10); composites keep `_Quality` 0 (not poor,
    /// not gap-filled). A gap-filled layer gets no same-day flags (they
    /// describe the retrieval the filling replaced): fill only.
    Strict,
    /// No quality layer at all: only the radiance layer's own `_FillValue`.
    None,
}

impl MaskPolicy {
    /// The name on the command line: `fill`, `strict`, `none`.
    pub fn name(self) -> &'static str {
        match self {
            MaskPolicy::Fill => "fill",
            MaskPolicy::Strict => "strict",
            MaskPolicy::None => "none",
        }
    }
}

impl std::str::FromStr for MaskPolicy {
    type Err = Error;

    /// ```
    /// use terralux::ntl::blackmarble::MaskPolicy;
    /// assert_eq!("strict".parse::<MaskPolicy>().unwrap(), MaskPolicy::Strict);
    /// assert!("all".parse::<MaskPolicy>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        [MaskPolicy::Fill, MaskPolicy::Strict, MaskPolicy::None]
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| Error::Request {
                context: "--masks".into(),
                reason: format!("takes fill, strict or none, not '{s}'"),
            })
    }
}

/// The composite layer a `_Num` (observations) or `_Std` (deviation) layer
/// belongs to, whose `_Quality` describes it.
#[cfg(feature = "gdal")]
fn composite_base(layer: &str) -> &str {
    layer
        .strip_suffix("_Num")
        .or_else(|| layer.strip_suffix("_Std"))
        .unwrap_or(layer)
}

#[cfg(feature = "gdal")]
mod reading {
    use std::path::Path;

    use super::{BlackMarbleName, MaskPolicy, check_bounds, tile_grid};
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

    /// The quality masks of `layer` of a tile under `policy` (see
    /// [`MaskPolicy`]), as `(layer raster, rule)`. A `_Num` or `_Std`
    /// composite layer is masked by its composite's `_Quality`.
    pub fn masks(path: &Path, layer: &str, policy: MaskPolicy) -> Result<Vec<(GdalRaster, Keep)>> {
        let file = path.display().to_string();
        let name = BlackMarbleName::parse(&file).ok_or_else(|| Error::Open {
            source_name: file.clone(),
            reason: "not a Black Marble file name".into(),
        })?;
        let gap_filled = layer.starts_with("Gap_Filled_");
        let strict = policy == MaskPolicy::Strict && !gap_filled;
        let mut masks = Vec::new();
        match policy {
            MaskPolicy::None => {}
            _ if name.is_composite() => {
                let quality = format!("{}_Quality", super::composite_base(layer));
                // 0 good, 1 poor, 2 gap-filled; 255 (fill) reads as invalid.
                let keep = if strict {
                    vec![0.0]
                } else {
                    vec![0.0, 1.0, 2.0]
                };
                masks.push((open_layer(path, &quality)?, Keep::OneOf(keep)));
            }
            _ => {
                if !name.is_at_sensor() {
                    // 0, 1 high quality, 2 poor; 255 (fill) reads as invalid.
                    let keep = if strict {
                        vec![0.0, 1.0]
                    } else {
                        vec![0.0, 1.0, 2.0]
                    };
                    masks.push((
                        open_layer(path, "Mandatory_Quality_Flag")?,
                        Keep::OneOf(keep),
                    ));
                }
                if strict && let Ok(cloud) = open_layer(path, "QF_Cloud_Mask") {
                    // Bit 7 is set for "probably" (2) and "confidently" (3) cloudy; bit 10 snow/ice.
                    masks.push((cloud, Keep::BitsClear((1 << 7) | (1 << 10))));
                }
            }
        }
        Ok(masks)
    }

    /// The strict masks of `layer` ([`MaskPolicy::Strict`]); see [`masks`].
    pub fn default_masks(path: &Path, layer: &str) -> Result<Vec<(GdalRaster, Keep)>> {
        masks(path, layer, MaskPolicy::Strict)
    }

    /// The default radiance layer of the tile ([`super::default_layer`]),
    /// under the other name collection 2 may give A1's
    /// (`DNB_At_Sensor_Radiance`) when the file has no `_500m` layer.
    pub fn open_default_layer(path: &Path) -> Result<(GdalRaster, &'static str)> {
        let file = path.display().to_string();
        let name = BlackMarbleName::parse(&file).ok_or_else(|| Error::Open {
            source_name: file.clone(),
            reason: "not a Black Marble file name".into(),
        })?;
        let layer = super::default_layer(&name);
        match open_layer(path, layer) {
            Err(e) if name.is_at_sensor() => open_layer(path, "DNB_At_Sensor_Radiance")
                .map(|r| (r, "DNB_At_Sensor_Radiance"))
                .map_err(|_| e),
            other => other.map(|r| (r, layer)),
        }
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
pub use reading::{default_masks, mask_layers, masks, open_default_layer, open_layer};
