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

/// Where `ali` and `cnli` (DOMAIN.md §2) take the light they divide by.
/// One value for the whole run, never each zone's own maximum: a uniformly
/// dim county must not score as high as a bright one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normaliser {
    /// A fixed maximum: 63 for DMSP's DN, or one the user gives for VIIRS.
    Fixed(f64),
    /// The largest value of any zone on any date of the run (recorded in
    /// the notes of the run).
    RunMaximum,
}

/// The standard indicators of a night-light product: total and
/// area-weighted lights, lit area and share above `threshold`, ALI and CNLI
/// (divided by one [`Normaliser`] for the whole run), per-capita light and
/// lit population share (with a population raster), Gini, Theil, area and
/// valid share. The column layout is fixed: without population,
/// `per_capita` and `lit_pop_frac` are present and missing.
///
/// ```
/// use terralux::ntl::{IndicatorSet, Normaliser};
/// use terralux::stats::Stat;
/// let set = IndicatorSet { threshold: 0.5, normaliser: Normaliser::RunMaximum, population: false };
/// assert_eq!(set.stats().len(), 12); // nothing per capita; the mean lit value and the maximum for ali and cnli
/// let columns = set.columns(Some(40.0));
/// assert_eq!(columns.len(), 14);
/// assert_eq!(columns[2], ("mean", Stat::AreaMean));
/// assert_eq!(columns[6], ("ali", Stat::Ali { threshold: 0.5, dn_max: Some(40.0) }));
/// assert_eq!(columns[10], ("gini", Stat::Gini));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndicatorSet {
    /// Radiance (or DN) above which a cell is lit.
    pub threshold: f64,
    /// What ALI and CNLI divide by.
    pub normaliser: Normaliser,
    /// A population raster is given (as the run's weights).
    pub population: bool,
}

/// Where the statistics of [`IndicatorSet::stats`] are.
const MEAN_LIT: usize = 6;
const LIT_FRAC: usize = 5;

impl IndicatorSet {
    /// Every column's name and statistic, in output order; `normaliser` is
    /// the value ALI and CNLI were divided by, once known.
    pub fn columns(&self, normaliser: Option<f64>) -> Vec<(&'static str, Stat)> {
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
                dn_max: normaliser,
            },
            Stat::Cnli {
                threshold: t,
                dn_max: normaliser,
            },
            Stat::PerCapita,
            Stat::LitPopFrac(t),
            Stat::Gini,
            Stat::Theil,
            Stat::AreaKm2,
            Stat::ValidFrac,
        ];
        INDICATOR_NAMES.into_iter().zip(stats).collect()
    }

    /// The statistics to compute, one band: every column's but `cnli` and
    /// the population ones without population; `ali` as the mean lit value
    /// (divided by 1) and, last, `max`, from which
    /// [`IndicatorSet::complete`] makes ALI and CNLI.
    pub fn stats(&self) -> Vec<Stat> {
        let mut stats: Vec<Stat> = self
            .columns(Some(1.0))
            .into_iter()
            .map(|(_, stat)| stat)
            .filter(|stat| !matches!(stat, Stat::Cnli { .. }))
            .filter(|stat| self.population || !stat.needs_weights_raster())
            .collect();
        stats.push(Stat::Max);
        stats
    }

    /// Give `tables` (one per date, computed with [`IndicatorSet::stats`])
    /// the indicator columns: ALI and CNLI divided by the run's normaliser,
    /// the columns named as [`INDICATOR_NAMES`] with their statistics, and
    /// missing population columns when there is no population. Returns the
    /// normaliser used (`None` when the run has no valid value at all).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::ntl::{IndicatorSet, Normaliser};
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{Crs, GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 4)?.with_crs(Crs::wgs84());
    /// // A dim zone (1 and 3) and a bright one (10 and 30); lit above 2.
    /// let lights = Raster::new(grid, array![[1.0, 3.0, 10.0, 30.0]])?;
    /// let zone = |id, x0: f64| Zone { id: ZoneId::Int(id), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + 2.0, y: 0.0), (x: x0 + 2.0, y: 1.0), (x: x0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone(1, 0.0), zone(2, 2.0)], Some(Crs::wgs84()));
    /// let set = IndicatorSet { threshold: 2.0, normaliser: Normaliser::RunMaximum, population: false };
    /// let mut tables = vec![ZonalStats::new(&zones).band(&lights, 1).stats(&set.stats()).run()?];
    /// assert_eq!(set.complete(&mut tables), Some(30.0));
    /// let table = &tables[0];
    /// assert_eq!(table.columns[8].name, "per_capita");
    /// assert_eq!(table.zones[0].values[8], StatValue::Missing);
    /// // ALI = mean lit value / 30: the dim zone 3 / 30, the bright one 20 / 30.
    /// assert_eq!(table.zones[0].values[6], StatValue::Number(0.1));
    /// assert_eq!(table.zones[1].values[6], StatValue::Number(20.0 / 30.0));
    /// assert_eq!((table.columns[11].name.as_str(), table.columns[11].stat), ("theil", Stat::Theil));
    /// # Ok(())
    /// # }
    /// ```
    pub fn complete(&self, tables: &mut [ZonalTable]) -> Option<f64> {
        let normaliser = match self.normaliser {
            Normaliser::Fixed(n) => Some(n),
            Normaliser::RunMaximum => tables
                .iter()
                .flat_map(|t| &t.zones)
                .filter_map(|z| z.values.last().and_then(StatValue::as_f64))
                .filter(|v| !v.is_nan())
                .reduce(f64::max),
        };
        let columns = self.columns(normaliser);
        for table in tables.iter_mut() {
            for zone in &mut table.zones {
                let values = &mut zone.values;
                values.pop(); // max
                let ali = match (&values[MEAN_LIT], normaliser) {
                    (StatValue::Number(m), _) if *m == 0.0 => StatValue::Number(0.0),
                    (StatValue::Number(m), Some(n)) if n != 0.0 => StatValue::Number(m / n),
                    _ => StatValue::Missing,
                };
                let cnli = match (&ali, &values[LIT_FRAC]) {
                    (StatValue::Number(a), StatValue::Number(s)) => StatValue::Number(a * s),
                    _ => StatValue::Missing,
                };
                values[MEAN_LIT] = ali;
                values.insert(MEAN_LIT + 1, cnli);
                if !self.population {
                    let at = columns
                        .iter()
                        .position(|(_, s)| s.needs_weights_raster())
                        .unwrap_or(values.len());
                    let missing = columns
                        .iter()
                        .filter(|(_, s)| s.needs_weights_raster())
                        .count();
                    values.splice(at..at, std::iter::repeat_n(StatValue::Missing, missing));
                }
            }
            let layer = table.columns.first().map_or(0, |c| c.layer);
            table.columns = columns
                .iter()
                .map(|&(name, stat)| Column {
                    layer,
                    stat,
                    name: name.to_string(),
                })
                .collect();
        }
        normaliser
    }
}
