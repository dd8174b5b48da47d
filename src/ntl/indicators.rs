//! The standard night-light indicator set: the columns `county_ntl` writes,
//! each with the statistic it is, in one list.

use crate::results::{Column, ZonalTable};
use crate::stats::{Stat, StatValue};

/// The indicator columns after the id and the date, in output order.
pub const INDICATOR_NAMES: [&str; 14] = [
    "tnl",
    "tnl_area",
    "mean",
    "density",
    "lit_area_km2",
    "lit_frac",
    "ali",
    "cnli",
    "per_capita",
    "lit_pop_frac",
    "gini",
    "theil",
    "area_km2",
    "valid_frac",
];

/// The standard indicators of a night-light product: total and
/// area-weighted lights, lit area and share above `threshold`, ALI and CNLI
/// (ALI normalised by `dn_max` when the product has a fixed maximum, DMSP's
/// 63), per-capita light and lit population share (with a population
/// raster), Gini, Theil, area and valid share. The column layout is fixed:
/// without population, `per_capita` and `lit_pop_frac` are present and
/// missing.
///
/// ```
/// use terralux::ntl::IndicatorSet;
/// use terralux::stats::Stat;
/// let set = IndicatorSet { threshold: 0.5, dn_max: None, population: false };
/// assert_eq!(set.stats().len(), 12); // nothing to compute per capita
/// let columns = set.columns();
/// assert_eq!(columns.len(), 14);
/// assert_eq!(columns[2], ("mean", Stat::AreaMean));
/// assert_eq!(columns[10], ("gini", Stat::Gini));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorSet {
    /// Radiance (or DN) above which a cell is lit.
    pub threshold: f64,
    /// The product's fixed maximum for ALI (`Some(63.0)` for DMSP), `None`
    /// to divide by each zone's own maximum.
    pub dn_max: Option<f64>,
    /// A population raster is given (as the run's weights).
    pub population: bool,
}

impl IndicatorSet {
    /// Every column's name and statistic, in output order.
    pub fn columns(&self) -> Vec<(&'static str, Stat)> {
        let t = self.threshold;
        let stats = [
            Stat::Tnl,
            Stat::TnlArea,
            Stat::AreaMean,
            Stat::Density,
            Stat::LitAreaKm2(t),
            Stat::LitFrac(t),
            Stat::Ali {
                threshold: t,
                dn_max: self.dn_max,
            },
            Stat::Cnli(t),
            Stat::PerCapita,
            Stat::LitPopFrac(t),
            Stat::Gini,
            Stat::Theil,
            Stat::AreaKm2,
            Stat::ValidFrac,
        ];
        INDICATOR_NAMES.into_iter().zip(stats).collect()
    }

    /// The statistics to compute: every column's, but the population ones
    /// when there is no population raster.
    pub fn stats(&self) -> Vec<Stat> {
        self.columns()
            .into_iter()
            .map(|(_, stat)| stat)
            .filter(|stat| self.population || !stat.needs_weights_raster())
            .collect()
    }

    /// Give `table` (computed with [`IndicatorSet::stats`] over one band)
    /// the full column layout: the columns named as [`INDICATOR_NAMES`],
    /// each with its own statistic, and missing population columns when
    /// there is no population.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::ntl::IndicatorSet;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?.with_crs(Crs::wgs84());
    /// let lights = Raster::new(grid, array![[1.0, 3.0]])?;
    /// let zone = Zone { id: ZoneId::Int(1), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone], Some(Crs::wgs84()));
    /// let set = IndicatorSet { threshold: 2.0, dn_max: None, population: false };
    /// let mut table = ZonalStats::new(&zones).band(&lights, 1).stats(&set.stats()).run()?;
    /// set.complete(&mut table);
    /// assert_eq!(table.columns[8].name, "per_capita");
    /// assert_eq!(table.zones[0].values[8], StatValue::Missing);
    /// assert_eq!((table.columns[11].name.as_str(), table.columns[11].stat), ("theil", Stat::Theil));
    /// assert_eq!(table.zones[0].values[0], StatValue::Number(4.0)); // tnl
    /// # Ok(())
    /// # }
    /// ```
    pub fn complete(&self, table: &mut ZonalTable) {
        let columns = self.columns();
        if !self.population {
            let at = columns
                .iter()
                .position(|(_, s)| s.needs_weights_raster())
                .unwrap_or(columns.len());
            let missing = columns
                .iter()
                .filter(|(_, s)| s.needs_weights_raster())
                .count();
            for zone in &mut table.zones {
                let at = at.min(zone.values.len());
                zone.values
                    .splice(at..at, std::iter::repeat_n(StatValue::Missing, missing));
            }
        }
        let layer = table.columns.first().map_or(0, |c| c.layer);
        table.columns = columns
            .into_iter()
            .map(|(name, stat)| Column {
                layer,
                stat,
                name: name.to_string(),
            })
            .collect();
    }
}
