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
        let valid =
            (1..=366).contains(&day_of_year) && h < 36 && v < 18 && (1..=2).contains(&collection);
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
        let lengths = super::calendar::month_lengths(self.year as i32);
        let mut day = self.day_of_year as u32;
        let mut month = 1;
        for len in lengths {
            if day <= len {
                break;
            }
            day -= len;
            month += 1;
        }
        format!("{:04}-{:02}-{:02}", self.year, month, day)
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
