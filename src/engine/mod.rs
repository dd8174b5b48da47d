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
//! Past one process, [`partials`] plans the same run into work units
//! (date x consecutive chunks) whose partial accumulators travel as bytes
//! and merge, in chunk order, into the same bits.
//!
//! Memory is bounded by the chunks in flight (threads x 2 x bands x chunk
//! cells x 8 bytes), the coverage index, and the state of zones that are
//! partly done; never by the raster's size.
//!
//! [`Coverage`]: crate::coverage::Coverage
//! [`Accumulator`]: crate::stats::Accumulator

mod checks;
mod gather;
mod merge;
mod normalise;
pub mod partials;
mod plan;
mod rollup;
mod run;

use crate::coverage::{CoverageIndex, CoverageMode};
use crate::raster::RasterSource;
use crate::stats::{ModeTies, Stat, Weighting};
use crate::zones::ZoneSet;

pub use gather::COVERAGE_FRAC_TOL;
pub(crate) use gather::exact_integer;

/// A raster that the engine's workers can share.
pub type SharedRaster<'a> = &'a (dyn RasterSource + Sync);

/// The default [`ZonalStats::memory_limit`]: a quarter of the machine's
/// memory (at least 1 GiB; 2 GiB where the machine's memory is not known).
///
/// ```
/// assert!(terralux::engine::default_memory_limit() >= 1 << 30);
/// ```
pub fn default_memory_limit() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system configuration.
        let (pages, page) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && page > 0 {
            return ((pages as u128 * page as u128 / 4) as usize).max(1 << 30);
        }
    }
    2 << 30
}

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
#[derive(Clone)]
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
    memory_limit: usize,
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
            memory_limit: default_memory_limit(),
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

    /// The bytes that the values kept for quantiles (`median`, `pNN`) and
    /// `gini` may take in memory, over all the zones being gathered at once
    /// (default [`default_memory_limit`]). Past it, a zone's unit-weight
    /// values (whole cells) go to a temporary file in the system's
    /// temporary directory (`TMPDIR`) as they are merged, as runs of equal
    /// values, and its quantiles and Gini coefficient are finished from
    /// there in bounded memory: a zone the size of the globe needs disk, not
    /// memory. Results are the same bits whatever the limit. The bytes
    /// spilled are in the provenance ([`crate::results::Provenance::spilled_bytes`]).
    ///
    /// What the limit does not cover: the chunks in flight (threads x
    /// bands x chunk cells x 8 bytes, a few times over), the coverage,
    /// the boundary cells' weighted values, the exact values of 64-bit
    /// integer bands (kept as integers, in memory), the categorical
    /// statistics (`majority`, `variety`, `frac`...: one entry per distinct
    /// value), and the zones' merged state that roll-ups keep to the end
    /// of the run ([`ZonalStats::run_with_roll_ups`]; spilled values stay
    /// on disk there, the others in memory).
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::Array2;
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster, ZonalStats};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1000.0, -1.0)?, 1000, 1000)?;
    /// let raster = Raster::new(grid, Array2::from_shape_fn((1000, 1000), |(r, c)| ((r * c) % 7) as f64))?;
    /// let zone = Zone {
    ///     id: ZoneId::Int(1),
    ///     attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.5, y: 0.5), (x: 999.5, y: 0.5), (x: 999.5, y: 999.5), (x: 0.5, y: 999.5)]]),
    /// };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let run = ZonalStats::new(&zones)
    ///     .band(&raster, 1)
    ///     .stats(&[Stat::Median, Stat::Quantile(90.0), Stat::Gini])
    ///     .chunk_cells(50_000); // the zone is merged chunk by chunk
    /// let in_memory = run.clone().run()?;
    /// let spilled = run.memory_limit(1 << 20).run()?; // 1 MiB: most values go to the file
    /// assert_eq!(in_memory.zones, spilled.zones);
    /// assert_eq!(in_memory.provenance.spilled_bytes, 0);
    /// assert!(spilled.provenance.spilled_bytes > 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
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
}
