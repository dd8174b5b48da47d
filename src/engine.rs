//! The zonal-statistics engine: coverage once, rasters read once in file
//! order, every statistic on all cores, bit-identical for any thread count.
//!
//! # How a run goes
//! 1. Every zone's [`Coverage`] is computed once, in parallel (or taken from
//!    a [`CoverageIndex`] the caller built), and serves every band.
//! 2. The grid is cut into **chunks**: whole block rows of the first raster,
//!    split into runs of whole blocks when a block row is wider than the
//!    chunk budget (2 M cells by default). Chunks are read in file order,
//!    so every block of a tiled file is read exactly once.
//! 3. Chunks are processed in parallel waves: each worker reads its
//!    chunk's window of every band (GDAL rasters give each worker its own
//!    handle) and gathers a partial [`Accumulator`] for each zone touching
//!    the chunk.
//! 4. Partials are merged into each zone's accumulator in chunk order, so
//!    the arithmetic is the same for 1 or N threads. A zone is finished and
//!    its state freed as soon as its last chunk is merged.
//!
//! Memory is bounded by the chunks in flight (threads x 2 x bands x chunk
//! cells x 8 bytes), the coverage index, and the state of zones that are
//! partly done; never by the raster's size.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::coverage::{Coverage, CoverageIndex, CoverageMode};
use crate::error::{Error, Result};
use crate::grid::{Grid, Window};
use crate::raster::RasterSource;
use crate::results::{LayerInfo, Provenance, ZonalTable, ZoneStats, name_columns};
use crate::rollup::Grouping;
use crate::stats::{Accumulator, ModeTies, RunWeights, Stat, StatValue, Weighting, ZoneFacts};
use crate::zones::{Attributes, ZoneSet};

/// A raster that the engine's workers can share.
pub type SharedRaster<'a> = &'a (dyn RasterSource + Sync);

/// The default chunk budget, in cells (16 MiB of `f64` per band).
pub const DEFAULT_CHUNK_CELLS: usize = 2 << 20;

/// Zonal statistics over one or more bands of rasters on one grid.
///
/// One raster and a zone file:
///
/// ```no_run
/// # #[cfg(not(feature = "gdal"))] fn main() {}
/// # #[cfg(feature = "gdal")]
/// # fn main() -> terralux::Result<()> {
/// use terralux::zones::{ZoneOptions, ZoneSet};
/// use terralux::stats::Stat;
/// use terralux::{GdalRaster, RasterSource, ZonalStats};
/// let raster = GdalRaster::open("testdata/ntl.tif")?;
/// let zones = ZoneSet::read("testdata/counties.gpkg",
///     &ZoneOptions { id_field: Some("code".into()), ..ZoneOptions::default() })?
///     .reprojected(raster.grid().crs().expect("open() requires a CRS"))?;
/// let table = ZonalStats::new(&zones)
///     .band(&raster, 1)
///     .stats(&Stat::parse_list("count,sum,mean,median,p90")?)
///     .run()?;
/// for zone in &table.zones {
///     println!("{}: {:?}", zone.id, zone.values);
/// }
/// # Ok(())
/// # }
/// ```
///
/// Several bands, one coverage index computed once and reused:
///
/// ```no_run
/// # #[cfg(not(feature = "gdal"))] fn main() {}
/// # #[cfg(feature = "gdal")]
/// # fn main() -> terralux::Result<()> {
/// use terralux::coverage::{CoverageIndex, CoverageMode};
/// use terralux::zones::{ZoneOptions, ZoneSet};
/// use terralux::stats::Stat;
/// use terralux::{GdalRaster, RasterSource, ZonalStats};
/// let y2020 = GdalRaster::open("ntl_2020.tif")?;
/// let y2021 = GdalRaster::open("ntl_2021.tif")?;
/// let zones = ZoneSet::read("counties.gpkg", &ZoneOptions::default())?;
/// let index = CoverageIndex::build(&zones, y2020.grid(), CoverageMode::Exact);
/// for raster in [&y2020, &y2021] {
///     let table = ZonalStats::new(&zones)
///         .coverage_index(&index)          // no coverage recomputed
///         .bands(raster, &[1, 2])          // both bands in one pass
///         .stats(&[Stat::Sum, Stat::Mean])
///         .run()?;
///     assert_eq!(table.column_names(), ["b1_sum", "b1_mean", "b2_sum", "b2_mean"]);
/// }
/// # Ok(())
/// # }
/// ```
///
/// In-memory arrays:
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::stats::{Stat, StatValue};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 2.0, -1.0)?, 2, 2)?;
/// let raster = Raster::new(grid, array![[0.0, 0.0], [0.0, 10.0]])?;
/// // A zone covering the four cells fully.
/// let zone = Zone {
///     id: ZoneId::Int(1),
///     attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]),
/// };
/// let zones = ZoneSet::new(vec![zone], None);
/// let table = ZonalStats::new(&zones)
///     .band(&raster, 1)
///     .stats(&[Stat::Count, Stat::Mean, Stat::Median])
///     .threads(2)
///     .run()?;
/// assert_eq!(table.zones[0].values, [StatValue::Number(4.0), StatValue::Number(2.5), StatValue::Number(0.0)]);
/// # Ok(())
/// # }
/// ```
pub struct ZonalStats<'a> {
    zones: &'a ZoneSet,
    layers: Vec<(SharedRaster<'a>, usize)>,
    weights: Option<(SharedRaster<'a>, usize)>,
    stats: Vec<Stat>,
    mode: CoverageMode,
    weighting: Weighting,
    threads: Option<usize>,
    coverage: Option<&'a CoverageIndex>,
    chunk_cells: usize,
    progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    min_coverage_frac: f64,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties: ModeTies,
}

impl<'a> ZonalStats<'a> {
    /// A run over `zones` (coordinates in the rasters' CRS). The default
    /// statistics are `count, sum, mean, min, max, stdev`.
    pub fn new(zones: &'a ZoneSet) -> Self {
        ZonalStats {
            zones,
            layers: Vec::new(),
            weights: None,
            stats: vec![
                Stat::Count,
                Stat::Sum,
                Stat::Mean,
                Stat::Min,
                Stat::Max,
                Stat::Stdev,
            ],
            mode: CoverageMode::Exact,
            weighting: Weighting::Fraction,
            threads: None,
            coverage: None,
            chunk_cells: DEFAULT_CHUNK_CELLS,
            progress: None,
            min_coverage_frac: 0.0,
            default_value: None,
            default_weight: None,
            mode_ties: ModeTies::default(),
        }
    }

    /// Add one band of a raster.
    pub fn band(mut self, raster: SharedRaster<'a>, band: usize) -> Self {
        self.layers.push((raster, band));
        self
    }

    /// Add several bands of a raster.
    pub fn bands(mut self, raster: SharedRaster<'a>, bands: &[usize]) -> Self {
        self.layers.extend(bands.iter().map(|&b| (raster, b)));
        self
    }

    /// A weights raster (same grid) for `weighted_sum` and `weighted_mean`.
    pub fn weights(mut self, raster: SharedRaster<'a>, band: usize) -> Self {
        self.weights = Some((raster, band));
        self
    }

    /// The statistics, in output order.
    pub fn stats(mut self, stats: &[Stat]) -> Self {
        self.stats = stats.to_vec();
        self
    }

    /// The coverage mode (default exact; ignored when a coverage index is given).
    pub fn coverage_mode(mut self, mode: CoverageMode) -> Self {
        self.mode = mode;
        self
    }

    /// The cell weighting (default: coverage fraction).
    pub fn weighting(mut self, weighting: Weighting) -> Self {
        self.weighting = weighting;
        self
    }

    /// Run on a pool of `threads` workers (default: rayon's global pool).
    /// Results do not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// Use coverages computed beforehand (for the same zones and grid).
    pub fn coverage_index(mut self, index: &'a CoverageIndex) -> Self {
        self.coverage = Some(index);
        self
    }

    /// The chunk budget in cells (default [`DEFAULT_CHUNK_CELLS`]). Results
    /// are identical for any thread count at a given budget; a different
    /// budget can change the last bits of sums.
    pub fn chunk_cells(mut self, cells: usize) -> Self {
        self.chunk_cells = cells.max(1);
        self
    }

    /// Call `report(done, total)` (in chunks) as the run goes.
    pub fn on_progress(mut self, report: &'a (dyn Fn(usize, usize) + Sync)) -> Self {
        self.progress = Some(report);
        self
    }

    /// Leave out, for every statistic, each cell whose coverage fraction is
    /// below `fraction` (exactextract's `min_coverage_frac`: a cell is kept
    /// when its fraction is at least `fraction`, to within
    /// [`COVERAGE_FRAC_TOL`] so that a cell covered exactly at the threshold
    /// is kept whatever the rounding of its computed fraction). Default 0: every covered
    /// cell counts. A left-out cell is as if the zone did not touch it,
    /// except that `valid_frac` still measures the zone's whole area (the
    /// cell counts as not valid there); `area_km2` and `outside_frac` are
    /// properties of the geometry and do not change. The test uses the
    /// coverage fraction even with [`Weighting::None`] or
    /// [`Weighting::AreaKm2`]. A fraction outside [0, 1] or NaN makes
    /// [`ZonalStats::run`] fail.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
    /// let raster = Raster::new(grid, array![[2.0, 6.0]])?;
    /// // All of the first cell, a quarter of the second.
    /// let zone = Zone {
    ///     id: ZoneId::Int(1),
    ///     attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.25, y: 0.0), (x: 1.25, y: 1.0), (x: 0.0, y: 1.0)]]),
    /// };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let run = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Count, Stat::Sum]);
    /// assert_eq!(run.run()?.zones[0].values, [StatValue::Number(1.25), StatValue::Number(3.5)]);
    /// let table = run.min_coverage_frac(0.5).run()?;
    /// assert_eq!(table.zones[0].values, [StatValue::Number(1.0), StatValue::Number(2.0)]);
    /// assert_eq!(table.provenance.min_coverage_frac, 0.5);
    /// # let zones = ZoneSet::new(vec![], None);
    /// assert!(ZonalStats::new(&zones).band(&raster, 1).min_coverage_frac(1.5).run().is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn min_coverage_frac(mut self, fraction: f64) -> Self {
        self.min_coverage_frac = fraction;
        self
    }

    /// Give invalid cells (nodata, NaN, masked) the value `value` instead of
    /// skipping them (exactextract's `default_value`), for every statistic
    /// and every band of the run: they count in `count`, `sum`, quantiles,
    /// categories and the night-light indicators, and as valid in
    /// `valid_frac`. Cells left out by [`ZonalStats::min_coverage_frac`]
    /// stay out. A value that is not finite makes [`ZonalStats::run`] fail.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
    /// let raster = Raster::new(grid, array![[4.0, -9999.0]])?.with_nodata(Some(-9999.0));
    /// let zone = Zone {
    ///     id: ZoneId::Int(1),
    ///     attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]),
    /// };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let run = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Count, Stat::Mean]);
    /// assert_eq!(run.run()?.zones[0].values, [StatValue::Number(1.0), StatValue::Number(4.0)]);
    /// let table = run.default_value(0.0).run()?;
    /// assert_eq!(table.zones[0].values, [StatValue::Number(2.0), StatValue::Number(2.0)]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn default_value(mut self, value: f64) -> Self {
        self.default_value = Some(value);
        self
    }

    /// Where the weights raster is invalid, use `weight` (exactextract's
    /// `default_weight`) instead of leaving the cell out of the statistics
    /// that use the weights raster (`weighted_*`, `per_capita`,
    /// `lit_pop_frac`). exactextract's own default is NaN, which makes its
    /// weighted results NaN as soon as one weight is missing; terralux's
    /// default leaves such cells out. A weight that is not finite makes
    /// [`ZonalStats::run`] fail.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
    /// let values = Raster::new(grid.clone(), array![[2.0, 6.0]])?;
    /// let weights = Raster::new(grid, array![[3.0, f64::NAN]])?;
    /// let zone = Zone {
    ///     id: ZoneId::Int(1),
    ///     attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]),
    /// };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let run = ZonalStats::new(&zones).band(&values, 1).weights(&weights, 1)
    ///     .stats(&[Stat::WeightedMean]);
    /// assert_eq!(run.run()?.zones[0].values, [StatValue::Number(2.0)]);
    /// // (3 x 2 + 1 x 6) / (3 + 1)
    /// assert_eq!(run.default_weight(1.0).run()?.zones[0].values, [StatValue::Number(3.0)]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn default_weight(mut self, weight: f64) -> Self {
        self.default_weight = Some(weight);
        self
    }

    /// How `majority` and `minority` break ties (default
    /// [`ModeTies::Exactextract`]: `majority` the larger value, `minority`
    /// the smaller, as exactextract does; [`ModeTies::Smallest`] gives the
    /// smaller value to both).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::stats::{ModeTies, Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
    /// let raster = Raster::new(grid, array![[3.0, 7.0]])?; // one cell each: a tie
    /// let zone = Zone {
    ///     id: ZoneId::Int(1),
    ///     attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]),
    /// };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let run = ZonalStats::new(&zones).band(&raster, 1).stats(&[Stat::Majority]);
    /// assert_eq!(run.run()?.zones[0].values, [StatValue::Number(7.0)]);
    /// let table = run.mode_ties(ModeTies::Smallest).run()?;
    /// assert_eq!(table.zones[0].values, [StatValue::Number(3.0)]);
    /// assert_eq!(table.provenance.mode_ties, ModeTies::Smallest);
    /// # Ok(())
    /// # }
    /// ```
    pub fn mode_ties(mut self, ties: ModeTies) -> Self {
        self.mode_ties = ties;
        self
    }

    /// Compute the statistics.
    pub fn run(&self) -> Result<ZonalTable> {
        Ok(self.run_with_roll_ups(&[])?.0)
    }

    /// Run, and roll the zones' results up by each of `fields` (county to
    /// city to province) from the same pass: each group's accumulators are
    /// merged from its zones' state, so sums and areas add and means,
    /// quantiles and inequality measures are those of the union of the zones
    /// (cells shared by two member zones count with both fractions, as they
    /// would for the dissolved polygon).
    ///
    /// Returns the zones' table and one table per field, whose rows are the
    /// groups in order of first appearance (id = the field's value, one
    /// attribute: the field). A missing field or a zone with no value in it
    /// is an error before any raster is read.
    ///
    /// Memory: with roll-ups, every zone's merged state (quantile values
    /// included) is kept until the run ends, so it grows with the number of
    /// zones rather than with the zones in flight.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
    /// let raster = Raster::new(grid, array![[2.0, 6.0]])?;
    /// let names: std::sync::Arc<[String]> = vec!["province".to_string()].into();
    /// let county = |id: i64, x0: f64| Zone {
    ///     id: ZoneId::Int(id),
    ///     attributes: Attributes::new(names.clone(), vec![AttrValue::Text("A".into())]),
    ///     geometry: MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + 1.0, y: 0.0), (x: x0 + 1.0, y: 1.0), (x: x0, y: 1.0)]]),
    /// };
    /// let zones = ZoneSet::new(vec![county(1, 0.0), county(2, 1.0)], None);
    /// let (counties, levels) = ZonalStats::new(&zones)
    ///     .band(&raster, 1)
    ///     .stats(&[Stat::Sum, Stat::Mean])
    ///     .run_with_roll_ups(&["province"])?;
    /// assert_eq!(counties.zones.len(), 2);
    /// assert_eq!(levels[0].zones[0].values, [StatValue::Number(8.0), StatValue::Number(4.0)]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn run_with_roll_ups(&self, fields: &[&str]) -> Result<(ZonalTable, Vec<ZonalTable>)> {
        let grid = self.check_inputs()?;
        let groupings = fields
            .iter()
            .map(|field| Grouping::by_field(self.zones, field))
            .collect::<Result<Vec<_>>>()?;
        let run = |grid: &Grid| self.run_on(grid, &groupings);
        match self.threads {
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::Threads {
                    threads: n,
                    reason: e.to_string(),
                })?
                .install(|| run(&grid)),
            None => run(&grid),
        }
    }

    /// Validate the inputs; return the shared grid.
    fn check_inputs(&self) -> Result<Grid> {
        let mismatch = |context: &str, reason: String| Error::Mismatch {
            context: context.to_string(),
            reason,
        };
        let (first, _) = self
            .layers
            .first()
            .ok_or_else(|| mismatch("zonal statistics", "no raster band was given".into()))?;
        if self.stats.is_empty() {
            return Err(mismatch(
                "zonal statistics",
                "no statistic was asked for".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_coverage_frac) {
            return Err(mismatch(
                "min_coverage_frac",
                format!(
                    "{} is not a coverage fraction in [0, 1]",
                    self.min_coverage_frac
                ),
            ));
        }
        for (name, value) in [
            ("default_value", self.default_value),
            ("default_weight", self.default_weight),
        ] {
            if let Some(v) = value
                && !v.is_finite()
            {
                return Err(mismatch(name, format!("{v} is not a finite number")));
            }
        }
        // Two statistics of one name would be two columns of one name.
        for (i, stat) in self.stats.iter().enumerate() {
            let name = stat.name();
            if self.stats[..i]
                .iter()
                .any(|s| s.name().eq_ignore_ascii_case(&name))
            {
                return Err(mismatch(
                    "zonal statistics",
                    format!("statistic '{name}' is asked twice"),
                ));
            }
        }
        let grid = first.grid().clone();
        for (i, (raster, band)) in self.layers.iter().enumerate() {
            let same = |(other, other_band): &(SharedRaster<'_>, usize)| {
                std::ptr::addr_eq(*raster as *const _, *other as *const _) && band == other_band
            };
            if self.layers[..i].iter().any(same) {
                return Err(mismatch(
                    raster.name(),
                    format!("band {band} is given twice"),
                ));
            }
        }
        let all = self.layers.iter().chain(self.weights.iter());
        for (raster, band) in all {
            raster.band_info(*band)?;
            if !grid.same_as(raster.grid()) {
                return Err(mismatch(
                    raster.name(),
                    format!(
                        "its grid differs from {}'s; all rasters of a run must share one grid",
                        first.name()
                    ),
                ));
            }
        }
        if let Some(stat) = self.stats.iter().find(|s| s.needs_weights_raster())
            && self.weights.is_none()
        {
            return Err(mismatch(&stat.name(), "needs a weights raster".into()));
        }
        // The night-light sums keep one lit threshold per run.
        let mut thresholds = self.stats.iter().filter_map(Stat::lit_threshold);
        if let Some(first) = thresholds.next()
            && let Some(other) = thresholds.find(|t| *t != first)
        {
            return Err(mismatch(
                "zonal statistics",
                format!(
                    "lit statistics with different thresholds ({first} and {other}); run once per threshold"
                ),
            ));
        }
        if let (Some(zones_crs), Some(grid_crs)) = (self.zones.crs(), grid.crs())
            && !zones_crs.matches(grid_crs)
        {
            return Err(mismatch(
                self.zones.source_name(),
                format!(
                    "the zones are in {} but the raster is in {}; reproject the zones first (ZoneSet::reprojected)",
                    zones_crs.definition(),
                    grid_crs.definition()
                ),
            ));
        }
        if let Some(index) = self.coverage {
            index.check_zones(self.zones)?;
            if !index.grid().same_as(&grid) {
                return Err(mismatch(
                    "coverage index",
                    format!("it was built for another grid than {}'s", first.name()),
                ));
            }
        }
        if self.weighting == Weighting::AreaKm2 {
            grid.cell_area_km2(0)
                .map_err(|e| e.for_source(first.name()))?;
        }
        Ok(grid)
    }

    fn run_on(&self, grid: &Grid, groupings: &[Grouping]) -> Result<(ZonalTable, Vec<ZonalTable>)> {
        let built;
        let index = match self.coverage {
            Some(index) => index,
            None => {
                // Used for this run only: no fingerprint to check later.
                built = CoverageIndex::build_for_one_run(self.zones, grid, self.mode);
                &built
            }
        };
        // Cell areas of the rows the zones touch (NaN without a CRS; area
        // weighting checked there is one): a grid may declare far more rows
        // than any zone reaches.
        let row_areas = RowAreas::new(grid, index);
        let unknown_areas;
        let zone_areas: &[Option<f64>] = if self.stats.iter().any(Stat::needs_zone_area) {
            index.zone_areas_km2(self.zones)
        } else {
            unknown_areas = vec![None; self.zones.len()];
            &unknown_areas
        };
        let block = self.layers[0].0.band_info(self.layers[0].1)?.block_shape;
        let plan = ChunkPlan::new(grid, block, self.chunk_cells);

        // The chunks some zone touches (in file order), the zones of each,
        // and each zone's last one: a grid may have far more chunks than
        // the zones reach, and only those are planned.
        let mut touches: Vec<(usize, u32)> = Vec::new();
        for (z, coverage) in index.coverages().iter().enumerate() {
            if !coverage.is_empty() {
                touches.extend(plan.touched(coverage).into_iter().map(|c| (c, z as u32)));
            }
        }
        // Stable: the zones of a chunk stay in input order.
        touches.sort_by_key(|&(chunk, _)| chunk);
        let mut active_chunks: Vec<usize> = Vec::new();
        let mut chunk_zones: Vec<Vec<u32>> = Vec::new();
        let mut last_chunk: Vec<Option<usize>> = vec![None; index.len()];
        for (chunk, z) in touches {
            if active_chunks.last() != Some(&chunk) {
                active_chunks.push(chunk);
                chunk_zones.push(Vec::new());
            }
            let position = active_chunks.len() - 1;
            chunk_zones[position].push(z);
            last_chunk[z as usize] = Some(position);
        }

        let gather = Gather {
            layers: &self.layers,
            // A weights raster no statistic uses is not read.
            weights: self
                .weights
                .filter(|_| self.stats.iter().any(Stat::needs_weights_raster)),
            stats: &self.stats,
            weighting: self.weighting,
            row_areas: &row_areas,
            zone_areas,
            index,
            min_coverage_frac: self.min_coverage_frac,
            default_value: self.default_value,
            default_weight: self.default_weight,
            mode_ties: self.mode_ties,
        };
        let mut finished = Pipeline {
            plan: &plan,
            active_chunks: &active_chunks,
            chunk_zones: &chunk_zones,
            last_chunk: &last_chunk,
            gather: &gather,
            progress: self.progress,
            keep_state: !groupings.is_empty(),
        }
        .run(rayon::current_num_threads())?;

        let mut states: Vec<Option<Vec<Accumulator>>> = Vec::with_capacity(self.zones.len());
        let zones = self
            .zones
            .iter()
            .enumerate()
            .map(|(z, zone)| {
                let (values, state) = match finished[z].take() {
                    Some(done) => (done.values, done.state),
                    None => (gather.finish(gather.empty(), z), None),
                };
                states.push(state);
                ZoneStats {
                    id: zone.id.clone(),
                    attributes: zone.attributes.clone(),
                    values,
                }
            })
            .collect();
        // Rasters are told apart by identity, not by name (in-memory rasters share one).
        let mut distinct: Vec<*const u8> = Vec::new();
        let mut layer_info = |(raster, band): &(SharedRaster<'_>, usize)| {
            let address = *raster as *const (dyn RasterSource + Sync) as *const u8;
            let number = match distinct.iter().position(|&a| a == address) {
                Some(i) => i + 1,
                None => {
                    distinct.push(address);
                    distinct.len()
                }
            };
            LayerInfo {
                source: raster.name().to_string(),
                raster: number,
                band: *band,
            }
        };
        let layers: Vec<LayerInfo> = self.layers.iter().map(&mut layer_info).collect();
        let weights = self.weights.as_ref().map(&mut layer_info);
        let table = ZonalTable {
            columns: name_columns(&layers, &self.stats),
            layers,
            zones,
            provenance: Provenance {
                library_version: crate::VERSION.to_string(),
                zones_source: self.zones.source_name().to_string(),
                zones_layer: self.zones.layer().to_string(),
                id_field: self.zones.id_field().map(str::to_string),
                grid: grid.clone(),
                weights,
                coverage: index.mode(),
                weighting: self.weighting,
                stats: self.stats.clone(),
                min_coverage_frac: self.min_coverage_frac,
                default_value: self.default_value,
                default_weight: self.default_weight,
                mode_ties: self.mode_ties,
                threads: rayon::current_num_threads(),
                repaired_zones: self
                    .zones
                    .iter()
                    .zip(index.coverages())
                    .filter(|(_, coverage)| coverage.repaired_geometry().is_some())
                    .map(|(zone, _)| zone.id.clone())
                    .collect(),
            },
        };
        let roll_ups = groupings
            .iter()
            .map(|grouping| roll_up(&table, grouping, &states, &gather))
            .collect();
        Ok((table, roll_ups))
    }
}

/// The grid cut into chunks of whole blocks, in file (row-major) order.
struct ChunkPlan {
    rows: usize,
    cols: usize,
    chunk_rows: usize,
    chunk_cols: usize,
    per_band: usize,
}

impl ChunkPlan {
    fn new(grid: &Grid, block: (usize, usize), budget: usize) -> Self {
        let (rows, cols) = grid.shape();
        let (block_rows, block_cols) = (block.0.clamp(1, rows), block.1.clamp(1, cols));
        let block_row_cells = block_rows * cols;
        let (chunk_rows, chunk_cols) = if block_row_cells <= budget {
            (block_rows * (budget / block_row_cells).max(1), cols)
        } else {
            let blocks_across = (budget / block_rows / block_cols).max(1);
            (block_rows, (blocks_across * block_cols).min(cols))
        };
        let chunk_rows = chunk_rows.min(rows);
        ChunkPlan {
            rows,
            cols,
            chunk_rows,
            chunk_cols,
            per_band: cols.div_ceil(chunk_cols),
        }
    }

    fn window(&self, chunk: usize) -> Window {
        let (band, col_chunk) = (chunk / self.per_band, chunk % self.per_band);
        let (row_off, col_off) = (band * self.chunk_rows, col_chunk * self.chunk_cols);
        Window::new(
            row_off,
            col_off,
            self.chunk_rows.min(self.rows - row_off),
            self.chunk_cols.min(self.cols - col_off),
        )
    }

    /// The chunks holding at least one covered cell, in order. (Not the
    /// chunks of the coverage's bounding window: a zone across the
    /// antimeridian covers both ends of its rows, not the middle.)
    fn touched(&self, coverage: &Coverage) -> Vec<usize> {
        let mut chunks = Vec::new();
        let mut marked = vec![false; self.per_band];
        let mut band_of_marks = None;
        let mut flush = |band: usize, marked: &mut [bool]| {
            for (c, mark) in marked.iter_mut().enumerate() {
                if std::mem::take(mark) {
                    chunks.push(band * self.per_band + c);
                }
            }
        };
        for (row, runs) in coverage.rows() {
            let band = row / self.chunk_rows;
            if band_of_marks != Some(band) {
                if let Some(previous) = band_of_marks {
                    flush(previous, &mut marked);
                }
                band_of_marks = Some(band);
            }
            for run in runs {
                let first = run.col as usize / self.chunk_cols;
                let last = (run.col_end() as usize - 1) / self.chunk_cols;
                marked[first..=last].fill(true);
            }
        }
        if let Some(band) = band_of_marks {
            flush(band, &mut marked);
        }
        chunks
    }
}

/// A chunk's partial accumulators: per zone touching it, one per layer.
type ChunkPartials = Vec<(u32, Vec<Accumulator>)>;

/// Cell areas in km^2 of the rows some zone covers, in runs of rows.
struct RowAreas {
    /// `(first row, areas of it and the rows after it)`, in row order, disjoint.
    spans: Vec<(usize, Vec<f64>)>,
}

impl RowAreas {
    fn new(grid: &Grid, index: &CoverageIndex) -> Self {
        let mut ranges: Vec<(usize, usize)> = index
            .coverages()
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| {
                let w = c.window();
                (w.row_off, w.row_end())
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        let spans = merged
            .into_iter()
            .map(|(start, end)| {
                let areas = (start..end)
                    .map(|row| grid.cell_area_km2(row).unwrap_or(f64::NAN))
                    .collect();
                (start, areas)
            })
            .collect();
        RowAreas { spans }
    }

    /// The cell area of `row` (NaN when unknown or not covered by any zone).
    fn get(&self, row: usize) -> f64 {
        let i = self.spans.partition_point(|(start, _)| *start <= row);
        i.checked_sub(1)
            .and_then(|i| {
                let (start, areas) = &self.spans[i];
                areas.get(row - start).copied()
            })
            .unwrap_or(f64::NAN)
    }
}

/// How far below `min_coverage_frac` a computed coverage fraction may be
/// and still count as at the threshold: fractions are sums of trapezoids,
/// exact to a few units in the last place.
pub const COVERAGE_FRAC_TOL: f64 = 1e-9;

/// What a worker needs to gather one chunk.
struct Gather<'r, 'a> {
    layers: &'r [(SharedRaster<'a>, usize)],
    weights: Option<(SharedRaster<'a>, usize)>,
    stats: &'r [Stat],
    weighting: Weighting,
    row_areas: &'r RowAreas,
    zone_areas: &'r [Option<f64>],
    index: &'r CoverageIndex,
    /// Runs covered less than this are skipped.
    min_coverage_frac: f64,
    /// The value of invalid cells (`None`: skipped).
    default_value: Option<f64>,
    /// The weight where the weights raster is invalid (`None`: left out).
    default_weight: Option<f64>,
    mode_ties: ModeTies,
}

impl Gather<'_, '_> {
    /// Read `window` of every band into `buffers` and gather a partial accumulator per zone.
    fn chunk(&self, window: Window, zones: &[u32], buffers: &mut Buffers) -> Result<ChunkPartials> {
        if zones.is_empty() {
            return Ok(Vec::new());
        }
        buffers
            .layers
            .resize_with(self.layers.len(), LayerBuffer::default);
        // A default value that is not an f32 needs f64 cells (same bits either way).
        let f32_ok = self.default_value.is_none_or(|d| d as f32 as f64 == d);
        // 64-bit integer bands are read exactly too, unless a default value is not an integer.
        let exact_default = self.default_value.map(exact_integer);
        let exact_ok = exact_default.is_none_or(|d| d.is_some());
        for ((raster, band), buffer) in self.layers.iter().zip(buffers.layers.iter_mut()) {
            buffer.is_f32 =
                f32_ok && raster.read_window_f32_into(*band, window, &mut buffer.f32)?;
            buffer.is_exact = !buffer.is_f32
                && exact_ok
                && raster.read_window_exact_into(
                    *band,
                    window,
                    &mut buffer.f64,
                    &mut buffer.exact,
                )?;
            if buffer.is_exact
                && (buffer.f64.len() != window.cell_count()
                    || buffer.exact.len() != window.cell_count())
            {
                return Err(Error::Shape {
                    source_name: raster.name().to_string(),
                    reason: format!(
                        "an exact read of band {band} gave {} values and {} integers for a window of {} cells",
                        buffer.f64.len(),
                        buffer.exact.len(),
                        window.cell_count()
                    ),
                });
            }
            if !buffer.is_f32 && !buffer.is_exact {
                raster.read_window_f64_into(*band, window, &mut buffer.f64)?;
            }
            if let Some(d) = self.default_value {
                if buffer.is_f32 {
                    fill_invalid(&mut buffer.f32, d as f32);
                } else if let (true, Some(Some(exact))) = (buffer.is_exact, exact_default) {
                    for (cell, int) in buffer.f64.iter_mut().zip(buffer.exact.iter_mut()) {
                        if cell.is_nan() {
                            (*cell, *int) = (d, exact);
                        }
                    }
                } else {
                    fill_invalid(&mut buffer.f64, d);
                }
            }
        }
        if let Some((raster, band)) = self.weights {
            raster.read_window_f64_into(band, window, &mut buffers.weights)?;
            if let Some(d) = self.default_weight {
                fill_invalid(&mut buffers.weights, d);
            }
        }
        let weights = self.weights.map(|_| buffers.weights.as_slice());
        let mut out = Vec::with_capacity(zones.len());
        for &z in zones {
            crate::alloc::set_current_zone(Some(z as usize));
            let mut accs = self.empty();
            let coverage = self.index.coverage(z as usize);
            for (row, runs) in coverage.rows_in(window.row_off, window.row_end()) {
                let row_start = (row - window.row_off) * window.cols;
                for run in runs {
                    let start = (run.col as usize).max(window.col_off);
                    let end = (run.col_end() as usize).min(window.col_end());
                    // A cell covered exactly at the threshold is kept, whatever the
                    // last bits of its computed fraction (0.8 may come out 0.7999999999999998).
                    if start >= end || run.fraction < self.min_coverage_frac - COVERAGE_FRAC_TOL {
                        continue;
                    }
                    let weight = match self.weighting {
                        Weighting::Fraction => run.fraction,
                        Weighting::None => 1.0,
                        Weighting::AreaKm2 => run.fraction * self.row_areas.get(row),
                    };
                    let cells =
                        row_start + start - window.col_off..row_start + end - window.col_off;
                    let run_weights = RunWeights {
                        fraction: run.fraction,
                        weight,
                        cell_area_km2: self.row_areas.get(row),
                        weights: weights.map(|w| &w[cells.clone()]),
                    };
                    for (acc, layer) in accs.iter_mut().zip(&buffers.layers) {
                        if layer.is_f32 {
                            acc.add_run(&layer.f32[cells.clone()], &run_weights);
                        } else if layer.is_exact {
                            acc.add_run_exact(
                                &layer.f64[cells.clone()],
                                &layer.exact[cells.clone()],
                                &run_weights,
                            );
                        } else {
                            acc.add_run(&layer.f64[cells.clone()], &run_weights);
                        }
                    }
                }
            }
            out.push((z, accs));
            crate::alloc::set_current_zone(None);
        }
        Ok(out)
    }

    /// Empty accumulators, one per layer.
    fn empty(&self) -> Vec<Accumulator> {
        self.layers
            .iter()
            .map(|_| Accumulator::new(self.stats).with_mode_ties(self.mode_ties))
            .collect()
    }

    /// The facts of the union of `zones` (one zone, or a roll-up group).
    fn facts(&self, zones: &[usize]) -> ZoneFacts {
        let mut facts = ZoneFacts {
            total_coverage: 0.0,
            outside: None,
            area_km2: Some(0.0),
        };
        let (mut area_cells, mut inside_cells) = (0.0, 0.0);
        for &zone in zones {
            let coverage: &Coverage = self.index.coverage(zone);
            facts.total_coverage += coverage.total_fraction();
            area_cells += coverage.zone_area_cells();
            inside_cells += coverage.inside_area_cells();
            facts.area_km2 = facts
                .area_km2
                .zip(self.zone_areas[zone])
                .map(|(a, b)| a + b);
        }
        // As Coverage::outside_fraction, over the union.
        facts.outside =
            (area_cells > 0.0).then(|| (1.0 - inside_cells / area_cells).clamp(0.0, 1.0));
        facts
    }

    /// The zone's values in column order (layer by layer).
    fn finish(&self, accs: Vec<Accumulator>, zone: usize) -> Vec<StatValue> {
        crate::alloc::set_current_zone(Some(zone));
        let values = self.finish_facts(accs, &self.facts(&[zone]));
        crate::alloc::set_current_zone(None);
        values
    }

    fn finish_facts(&self, accs: Vec<Accumulator>, facts: &ZoneFacts) -> Vec<StatValue> {
        accs.into_iter()
            .flat_map(|acc| acc.finish(self.stats, facts))
            .collect()
    }
}

/// `value` as an exact integer, when it is one (`i128` holds every integral
/// `f64` below 2^127 in magnitude).
pub(crate) fn exact_integer(value: f64) -> Option<i128> {
    (value.fract() == 0.0 && value.abs() < 2f64.powi(127)).then_some(value as i128)
}

/// Replace the invalid (NaN) cells of `cells` by `value`.
fn fill_invalid<T: crate::stats::Value>(cells: &mut [T], value: T) {
    for cell in cells.iter_mut().filter(|c| c.is_nan()) {
        *cell = value;
    }
}

/// Read buffers a worker reuses from chunk to chunk (no allocation, no page faults per chunk).
#[derive(Default)]
struct Buffers {
    layers: Vec<LayerBuffer>,
    weights: Vec<f64>,
}

/// One band's cells for the current chunk: `f32` when that loses nothing, else
/// `f64`, and for a 64-bit integer band the exact values beside the `f64` ones.
#[derive(Default)]
struct LayerBuffer {
    is_f32: bool,
    f32: Vec<f32>,
    f64: Vec<f64>,
    /// `exact` holds the cells' exact values (`f64` their validity and nearest `f64`).
    is_exact: bool,
    exact: Vec<i128>,
}

/// The chunk pipeline: workers claim chunks in file order, gather them, and
/// hand their partials to an in-order merge; a zone is finished by the
/// worker whose merge completed it.
struct Pipeline<'p, 'r, 'a> {
    plan: &'p ChunkPlan,
    /// The plan's chunks that some zone touches, in file order; the
    /// pipeline's chunk numbers are positions in this list.
    active_chunks: &'p [usize],
    chunk_zones: &'p [Vec<u32>],
    last_chunk: &'p [Option<usize>],
    gather: &'p Gather<'r, 'a>,
    progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Keep each zone's merged accumulators (for roll-ups).
    keep_state: bool,
}

/// A finished zone: its values and, for roll-ups, its merged state.
struct FinishedZone {
    values: Vec<StatValue>,
    state: Option<Vec<Accumulator>>,
}

/// What the workers share, behind one lock.
struct MergeState {
    /// The next chunk to merge; every chunk before it is merged.
    next: usize,
    /// Gathered chunks waiting for their turn.
    pending: BTreeMap<usize, ChunkPartials>,
    /// Per zone: the accumulators merged so far.
    open: Vec<Option<Vec<Accumulator>>>,
    /// The first error, which stops every worker.
    error: Option<Error>,
}

impl Pipeline<'_, '_, '_> {
    /// Run with `threads` workers; return every zone's values (`None` for zones no chunk touched).
    fn run(&self, threads: usize) -> Result<Vec<Option<FinishedZone>>> {
        let chunks = self.active_chunks.len();
        let zones = self.last_chunk.len();
        let claimed = AtomicUsize::new(0);
        // Chunks may run ahead of the merge by this much: it bounds the memory in flight.
        let ahead = 2 * threads + 2;
        let state = Mutex::new(MergeState {
            next: 0,
            pending: BTreeMap::new(),
            open: (0..zones).map(|_| None).collect(),
            error: None,
        });
        let merged = Condvar::new();
        let finished: Mutex<Vec<Option<FinishedZone>>> =
            Mutex::new((0..zones).map(|_| None).collect());
        std::thread::scope(|scope| {
            for _ in 0..threads.max(1) {
                scope.spawn(|| self.work(chunks, ahead, &claimed, &state, &merged, &finished));
            }
        });
        let state = state.into_inner().map_err(|_| poisoned())?;
        if let Some(error) = state.error {
            return Err(error);
        }
        finished.into_inner().map_err(|_| poisoned())
    }

    fn work(
        &self,
        chunks: usize,
        ahead: usize,
        claimed: &AtomicUsize,
        state: &Mutex<MergeState>,
        merged: &Condvar,
        finished: &Mutex<Vec<Option<FinishedZone>>>,
    ) {
        let mut buffers = Buffers::default();
        loop {
            let c = claimed.fetch_add(1, Ordering::SeqCst);
            if c >= chunks {
                return;
            }
            // Wait until the merge is close enough behind (the worker holding chunk `next` never waits).
            {
                let Ok(mut guard) = state.lock() else { return };
                while guard.error.is_none() && c >= guard.next + ahead {
                    guard = match merged.wait(guard) {
                        Ok(g) => g,
                        Err(_) => return,
                    };
                }
                if guard.error.is_some() {
                    return;
                }
            }
            // A panic while gathering (a bug, or a raster driver's) must fail the
            // run, not leave the merge waiting for this chunk forever.
            let partial = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.gather.chunk(
                    self.plan.window(self.active_chunks[c]),
                    &self.chunk_zones[c],
                    &mut buffers,
                )
            }))
            .unwrap_or_else(|_| Err(poisoned()));
            let done = {
                let Ok(mut guard) = state.lock() else { return };
                match partial {
                    Ok(p) => {
                        guard.pending.insert(c, p);
                        let done = self.merge_ready(&mut guard);
                        merged.notify_all();
                        done
                    }
                    Err(e) => {
                        guard.error.get_or_insert(e);
                        merged.notify_all();
                        return;
                    }
                }
            };
            // Finish the zones this merge completed (quantiles selected) outside the lock.
            if !done.is_empty() {
                let values: Vec<(usize, FinishedZone)> = done
                    .into_iter()
                    .map(|(z, accs)| {
                        let state = self.keep_state.then(|| accs.clone());
                        let values = self.gather.finish(accs, z);
                        (z, FinishedZone { values, state })
                    })
                    .collect();
                if let Ok(mut all) = finished.lock() {
                    for (z, v) in values {
                        all[z] = Some(v);
                    }
                }
            }
        }
    }

    /// Merge every pending chunk whose turn has come; return the zones completed.
    fn merge_ready(&self, state: &mut MergeState) -> Vec<(usize, Vec<Accumulator>)> {
        let mut done = Vec::new();
        while let Some(partial) = state.pending.remove(&state.next) {
            let c = state.next;
            for (z, accs) in partial {
                let z = z as usize;
                match &mut state.open[z] {
                    Some(current) => {
                        crate::alloc::set_current_zone(Some(z));
                        for (acc, part) in current.iter_mut().zip(accs) {
                            acc.merge(part);
                        }
                        crate::alloc::set_current_zone(None);
                    }
                    slot @ None => *slot = Some(accs),
                }
                if self.last_chunk[z] == Some(c)
                    && let Some(accs) = state.open[z].take()
                {
                    done.push((z, accs));
                }
            }
            state.next += 1;
            if let Some(report) = self.progress {
                report(state.next, self.active_chunks.len());
            }
        }
        done
    }
}

/// The table of `grouping`'s groups: each group's accumulators merged from
/// its zones' `states` in zone order (so the result is the same for any
/// thread count), finished with the facts of the union of its zones.
fn roll_up(
    table: &ZonalTable,
    grouping: &Grouping,
    states: &[Option<Vec<Accumulator>>],
    gather: &Gather<'_, '_>,
) -> ZonalTable {
    let names: std::sync::Arc<[String]> = vec![grouping.field().to_string()].into();
    let zones = grouping
        .groups()
        .iter()
        .map(|group| {
            let mut accs = gather.empty();
            for state in group.members.iter().filter_map(|&z| states[z].as_ref()) {
                for (acc, part) in accs.iter_mut().zip(state) {
                    acc.merge(part.clone());
                }
            }
            ZoneStats {
                id: group.id.clone(),
                attributes: Attributes::new(names.clone(), vec![group.value.clone()]),
                values: gather.finish_facts(accs, &gather.facts(&group.members)),
            }
        })
        .collect();
    let mut provenance = table.provenance.clone();
    provenance.id_field = Some(grouping.field().to_string());
    ZonalTable {
        layers: table.layers.clone(),
        columns: table.columns.clone(),
        zones,
        provenance,
    }
}

fn poisoned() -> Error {
    Error::Threads {
        threads: rayon::current_num_threads(),
        reason: "a worker thread panicked".to_string(),
    }
}
