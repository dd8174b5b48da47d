//! DMSP-OLS stable lights v4: names, nodata, saturation and inter-calibration.
//!
//! DN values run 0..63 (63 saturates in city cores); 255 is nodata. Stable
//! lights of different satellite-years are brought onto one scale with
//! second-order polynomials `DN' = C0 + C1 DN + C2 DN^2`, applied to DN > 0
//! and clipped to 0..63 (DOMAIN.md §1c).

use std::fmt;

/// The nodata value of DMSP v4 stable lights.
pub const NODATA: f64 = 255.0;
/// The saturation value: DN 63 means "63 or brighter".
pub const SATURATED: f64 = 63.0;

/// A DMSP satellite and year, e.g. F18 2010.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SatYear {
    /// The satellite number (10, 12, 14, 15, 16, 18).
    pub satellite: u8,
    /// The year.
    pub year: u16,
}

impl SatYear {
    /// Find the satellite-year in a file name such as
    /// `F182010.v4d_web.stable_lights.avg_vis.tif`.
    ///
    /// ```
    /// use terralux::ntl::dmsp::SatYear;
    /// assert_eq!(SatYear::from_name("F182010.v4d_web.stable_lights.avg_vis.tif"),
    ///            Some(SatYear { satellite: 18, year: 2010 }));
    /// assert_eq!(SatYear::from_name("data/F101992.v4b_web.stable_lights.avg_vis.tif.gz").map(|s| s.year), Some(1992));
    /// assert_eq!(SatYear::from_name("VNL_v21_npp_2014.tif"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SatYear> {
        let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let digits = file.strip_prefix('F')?.get(..6)?;
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let satellite: u8 = digits[..2].parse().ok()?;
        let year: u16 = digits[2..].parse().ok()?;
        let known = [10, 12, 14, 15, 16, 18].contains(&satellite) && (1992..=2013).contains(&year);
        known.then_some(SatYear { satellite, year })
    }
}

impl fmt::Display for SatYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "F{}{}", self.satellite, self.year)
    }
}

/// An inter-calibration coefficient table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Calibration {
    /// Elvidge et al. 2014, reference F121999, every satellite-year 1992-2012.
    #[default]
    Elvidge2014,
    /// Li & Zhou 2017 (Remote Sens. 9:637), stepwise; F14, F15 2003-07, F16, F182010.
    LiZhou2017,
}

/// Elvidge et al. 2014: (satellite, year, C0, C1, C2).
const ELVIDGE_2014: &[(u8, u16, f64, f64, f64)] = &[
    (10, 1992, -2.0570, 1.5903, -0.0090),
    (10, 1993, -1.0582, 1.5983, -0.0093),
    (10, 1994, -0.3458, 1.4864, -0.0079),
    (12, 1994, -0.6890, 1.1770, -0.0025),
    (12, 1995, -0.0515, 1.2293, -0.0038),
    (12, 1996, -0.0959, 1.2727, -0.0040),
    (12, 1997, -0.3321, 1.1782, -0.0026),
    (12, 1998, -0.0608, 1.0648, -0.0013),
    (12, 1999, 0.0, 1.0, 0.0),
    (14, 1997, -1.1323, 1.7696, -0.0122),
    (14, 1998, -0.1917, 1.6321, -0.0101),
    (14, 1999, -0.1557, 1.5055, -0.0078),
    (14, 2000, 1.0988, 1.3155, -0.0053),
    (14, 2001, 0.1943, 1.3219, -0.0051),
    (14, 2002, 1.0517, 1.1905, -0.0036),
    (14, 2003, 0.7390, 1.2416, -0.0040),
    (15, 2000, 0.1254, 1.0452, -0.0010),
    (15, 2001, -0.7024, 1.1081, -0.0012),
    (15, 2002, 0.0491, 0.9568, 0.0010),
    (15, 2003, 0.2217, 1.5122, -0.0080),
    (15, 2004, 0.5751, 1.3335, -0.0051),
    (15, 2005, 0.6367, 1.2838, -0.0041),
    (15, 2006, 0.8261, 1.2790, -0.0041),
    (15, 2007, 1.3606, 1.2974, -0.0045),
    (16, 2004, 0.2853, 1.1955, -0.0034),
    (16, 2005, -0.0001, 1.4159, -0.0063),
    (16, 2006, 0.1065, 1.1371, -0.0016),
    (16, 2007, 0.6394, 0.9114, 0.0014),
    (16, 2008, 0.5564, 0.9931, 0.0000),
    (16, 2009, 0.9492, 1.0683, -0.0016),
    (18, 2010, 2.3430, 0.5102, 0.0065),
    (18, 2011, 1.8956, 0.7345, 0.0030),
    (18, 2012, 1.8750, 0.6203, 0.0052),
];

/// Li & Zhou 2017 coefficients for one satellite-year.
fn li_zhou_2017(sy: SatYear) -> Option<[f64; 3]> {
    Some(match (sy.satellite, sy.year) {
        (14, _) => [-0.0781, 1.4588, -0.0073],
        (15, 2003..=2007) => [-0.4597, 1.714, -0.0114],
        (16, 2004) => [0.1194, 1.2265, -0.0041],
        (16, 2005) => [-0.3209, 1.4619, -0.0072],
        (16, 2006) => [0.0877, 1.1616, -0.0021],
        (16, 2007) => [0.0, 1.0, 0.0],
        (16, 2008) => [0.1100, 1.0513, -0.001],
        (16, 2009) => [0.6294, 1.1188, -0.0024],
        (18, 2010) => [-0.0861, 0.821, 0.002],
        _ => return None,
    })
}

impl Calibration {
    /// The coefficients `[C0, C1, C2]` for a satellite-year, if the table has it.
    ///
    /// ```
    /// use terralux::ntl::dmsp::{Calibration, SatYear};
    /// let f182010 = SatYear { satellite: 18, year: 2010 };
    /// assert_eq!(Calibration::Elvidge2014.coefficients(f182010), Some([2.3430, 0.5102, 0.0065]));
    /// assert_eq!(Calibration::LiZhou2017.coefficients(f182010), Some([-0.0861, 0.821, 0.002]));
    /// assert_eq!(Calibration::LiZhou2017.coefficients(SatYear { satellite: 10, year: 1992 }), None);
    /// ```
    pub fn coefficients(self, sat_year: SatYear) -> Option<[f64; 3]> {
        match self {
            Calibration::Elvidge2014 => ELVIDGE_2014
                .iter()
                .find(|&&(s, y, ..)| s == sat_year.satellite && y == sat_year.year)
                .map(|&(_, _, c0, c1, c2)| [c0, c1, c2]),
            Calibration::LiZhou2017 => li_zhou_2017(sat_year),
        }
    }

    /// The table's name, for provenance.
    pub fn name(self) -> &'static str {
        match self {
            Calibration::Elvidge2014 => "Elvidge et al. 2014",
            Calibration::LiZhou2017 => "Li & Zhou 2017",
        }
    }
}

/// Calibrate one DN: `C0 + C1 DN + C2 DN^2` for DN > 0, clipped to 0..63;
/// 0 stays 0 and nodata (255) or NaN stays invalid (NaN).
///
/// ```
/// use terralux::ntl::dmsp::calibrate;
/// let c = [2.3430, 0.5102, 0.0065];
/// assert_eq!(calibrate(0.0, c), 0.0);
/// assert!((calibrate(10.0, c) - (2.3430 + 5.102 + 0.65)).abs() < 1e-12);
/// assert_eq!(calibrate(63.0, [0.2217, 1.5122, -0.0080]), 63.0); // F152003: 63.74, clipped
/// assert!(calibrate(255.0, c).is_nan());
/// ```
pub fn calibrate(dn: f64, [c0, c1, c2]: [f64; 3]) -> f64 {
    if dn.is_nan() || dn == NODATA {
        f64::NAN
    } else if dn <= 0.0 {
        dn.max(0.0)
    } else {
        (c0 + c1 * dn + c2 * dn * dn).clamp(0.0, SATURATED)
    }
}

/// A DMSP stable-lights band with 255 treated as nodata and, optionally,
/// inter-calibration coefficients applied to every cell (see [`calibrate`]).
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::ntl::dmsp::Calibrated;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 3)?;
/// let dn = Raster::new(grid, array![[0u8, 10, 255]])?;
/// let calibrated = Calibrated::new(&dn, 1, Some([1.0, 1.0, 0.0]))?;
/// let v = calibrated.read_window_f64(1, calibrated.grid().full_window())?;
/// assert_eq!((v[[0, 0]], v[[0, 1]]), (0.0, 11.0));
/// assert!(v[[0, 2]].is_nan());
/// # Ok(())
/// # }
/// ```
pub struct Calibrated<'a> {
    dn: &'a (dyn crate::raster::RasterSource + Sync),
    band: usize,
    coefficients: Option<[f64; 3]>,
    name: String,
}

impl<'a> Calibrated<'a> {
    /// Band `band` of `dn`, calibrated with `coefficients` (`None`: as is, 255 still invalid).
    pub fn new(
        dn: &'a (dyn crate::raster::RasterSource + Sync),
        band: usize,
        coefficients: Option<[f64; 3]>,
    ) -> crate::error::Result<Self> {
        dn.band_info(band)?;
        let name = format!(
            "{} (DMSP{})",
            dn.name(),
            if coefficients.is_some() {
                ", calibrated"
            } else {
                ""
            }
        );
        Ok(Calibrated {
            dn,
            band,
            coefficients,
            name,
        })
    }
}

impl crate::raster::RasterSource for Calibrated<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &crate::grid::Grid {
        self.dn.grid()
    }

    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> crate::error::Result<crate::raster::BandInfo> {
        crate::raster::derived_band_info(&self.name, self.dn, self.band, band)
    }

    fn read_window_f64(
        &self,
        band: usize,
        window: crate::grid::Window,
    ) -> crate::error::Result<ndarray::Array2<f64>> {
        crate::raster::check_band(&self.name, band, 1)?;
        let coefficients = self.coefficients.unwrap_or([0.0, 1.0, 0.0]);
        Ok(self
            .dn
            .read_window_f64(self.band, window)?
            .mapv(|v| calibrate(v, coefficients)))
    }

    fn read_window<T: crate::raster::CellType>(
        &self,
        band: usize,
        window: crate::grid::Window,
    ) -> crate::error::Result<ndarray::Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}

/// The mean of several (calibrated) DMSP rasters of one year on one grid:
/// years flown by two satellites (F10/F12 1994, F12/F14 1997-1999,
/// F14/F15 2000-2003, F15/F16 2004-2007, F16/F18 2008-2009... as DOMAIN.md
/// §1c lists them) are averaged after calibration, as Elvidge et al. 2014
/// and Li & Zhou 2017 build their series. A cell valid in one satellite
/// only takes that value; a cell valid in none is invalid.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::ntl::dmsp::SatelliteMean;
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 3)?;
/// let f14 = Raster::new(grid.clone(), array![[10.0, f64::NAN, f64::NAN]])?;
/// let f15 = Raster::new(grid, array![[20.0, 7.0, f64::NAN]])?;
/// let mean = SatelliteMean::new(vec![&f14, &f15])?;
/// let v = mean.read_window_f64(1, mean.grid().full_window())?;
/// assert_eq!((v[[0, 0]], v[[0, 1]]), (15.0, 7.0));
/// assert!(v[[0, 2]].is_nan());
/// # Ok(())
/// # }
/// ```
pub struct SatelliteMean<'a> {
    members: Vec<&'a (dyn crate::raster::RasterSource + Sync)>,
    name: String,
}

impl<'a> SatelliteMean<'a> {
    /// The mean of band 1 of `members`, which must share one grid
    /// ([`Grid::same_as`](crate::grid::Grid::same_as)).
    pub fn new(
        members: Vec<&'a (dyn crate::raster::RasterSource + Sync)>,
    ) -> crate::error::Result<Self> {
        let first = members
            .first()
            .ok_or_else(|| crate::error::Error::Request {
                context: "DMSP satellite mean".into(),
                reason: "no raster to average".into(),
            })?;
        if let Some(other) = members.iter().find(|m| !m.grid().same_as(first.grid())) {
            return Err(crate::error::Error::Mismatch {
                context: other.name().to_string(),
                reason: format!(
                    "its grid differs from {}'s; the satellites of one year are averaged cell by cell",
                    first.name()
                ),
            });
        }
        let names: Vec<&str> = members.iter().map(|m| m.name()).collect();
        let name = format!("mean of {}", names.join(" and "));
        Ok(SatelliteMean { members, name })
    }
}

impl crate::raster::RasterSource for SatelliteMean<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn grid(&self) -> &crate::grid::Grid {
        self.members[0].grid()
    }

    fn band_count(&self) -> usize {
        1
    }

    fn band_info(&self, band: usize) -> crate::error::Result<crate::raster::BandInfo> {
        crate::raster::derived_band_info(&self.name, self.members[0], 1, band)
    }

    fn read_window_f64(
        &self,
        band: usize,
        window: crate::grid::Window,
    ) -> crate::error::Result<ndarray::Array2<f64>> {
        crate::raster::check_band(&self.name, band, 1)?;
        let mut sum = ndarray::Array2::<f64>::zeros((window.rows, window.cols));
        let mut count = ndarray::Array2::<f64>::zeros((window.rows, window.cols));
        for member in &self.members {
            let values = member.read_window_f64(1, window)?;
            ndarray::Zip::from(&mut sum)
                .and(&mut count)
                .and(&values)
                .for_each(|s, n, &v| {
                    if !v.is_nan() {
                        *s += v;
                        *n += 1.0;
                    }
                });
        }
        Ok(ndarray::Zip::from(&sum)
            .and(&count)
            .map_collect(|&s, &n| if n > 0.0 { s / n } else { f64::NAN }))
    }

    fn read_window<T: crate::raster::CellType>(
        &self,
        band: usize,
        window: crate::grid::Window,
    ) -> crate::error::Result<ndarray::Array2<T>> {
        Ok(self.read_window_f64(band, window)?.mapv(T::from_f64))
    }
}

/// How many valid cells of a DMSP band are saturated (DN 63), and how many
/// are valid, read in row bands (DMSP sums and means understate bright city
/// cores; this says by how much they may).
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use ndarray::array;
/// use terralux::{GeoTransform, Grid, Raster};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 4)?;
/// let dn = Raster::new(grid, array![[63u8, 12, 255, 63]])?;
/// assert_eq!(terralux::ntl::dmsp::saturation(&dn, 1)?, (2, 3));
/// # Ok(())
/// # }
/// ```
pub fn saturation(
    dn: &(dyn crate::raster::RasterSource + Sync),
    band: usize,
) -> crate::error::Result<(u64, u64)> {
    let rows_per_band = dn.band_info(band)?.block_shape.0.max(64);
    let (mut saturated, mut valid) = (0u64, 0u64);
    for window in crate::raster::row_band_windows(dn.grid(), rows_per_band) {
        for &v in dn.read_window_f64(band, window)?.iter() {
            if !v.is_nan() && v != NODATA {
                valid += 1;
                saturated += (v >= SATURATED) as u64;
            }
        }
    }
    Ok((saturated, valid))
}
