//! Partials and their merge: a run cut into work units that any number of
//! processes or machines compute, shipped as bytes, and merged into the
//! tables [`ZonalStats::run`] gives, bit for bit.
//!
//! # The flow
//! 1. The driver builds a [`WorkPlan`] from the runs it would make, one
//!    [`ZonalStats`] per date (same zones, statistics and options; rasters
//!    on one grid). The plan computes every zone's coverage once, cuts each
//!    date's raster into the engine's chunks (exactly as
//!    [`ZonalStats::run`] cuts it) and serialises ([`WorkPlan::to_bytes`])
//!    so that it is sent to the workers once.
//! 2. [`WorkPlan::units`] groups each date's chunks into [`WorkUnit`]s;
//!    any grouping gives the same bits.
//! 3. A worker runs a unit with [`run_unit`]: it opens the date's rasters
//!    by name (the path, for GDAL rasters; see [`OpenRaster`]) and returns
//!    the zones' partial accumulators, [`UnitPartials`], as bytes
//!    ([`UnitPartials::to_bytes`]).
//! 4. The driver decodes them ([`UnitPartials::from_bytes`]), in any order,
//!    and [`merge`]s them into one [`ZonalTable`] per date.
//!
//! # Why the bits are the engine's
//! The engine merges each zone's per-chunk partials in chunk order,
//! `((p1 + p2) + p3) + ...`, and floating-point addition is not
//! associative. A unit therefore folds a zone's partials only when the
//! zone's first chunk is in the unit (its fold is then a prefix of the
//! engine's, the same operations in the same order); for a zone that began
//! in an earlier unit, it keeps one partial per chunk. [`merge`] sorts the
//! units by chunk and continues every zone's fold in chunk order, with the
//! engine's own merge step. Most zones lie in one unit and cost one
//! accumulator; a zone costs one more per chunk it spans beyond its first
//! unit.
//!
//! # The bytes
//! Little-endian, every number at full width (`f64` by its bits) but the
//! coverage runs, written compactly (format version 2; see
//! [`Coverage`](crate::coverage::Coverage)'s encoding):
//! - plan: `TLXPLAN\0`, format version (`u16`), the plan's fingerprint (16
//!   bytes: the first half of the SHA-256 of the body), body length (`u64`),
//!   body (zones' ids and attributes, the coverage index, statistics and
//!   options, raster names and bands, block shapes, chunk budget).
//! - unit: `TLXUNIT\0`, format version, the plan's fingerprint, date and
//!   chunk range (three `u64`), body length (`u64`), checksum (8 bytes of
//!   the body's SHA-256), body (per zone: its number and one accumulator
//!   per layer).
//!
//! Decoding refuses another format version, another plan's partials, and
//! truncated or corrupt bytes, with a one-line [`Error::Mismatch`].
//!
//! # Example
//! ```
//! # fn main() -> terralux::Result<()> {
//! use geo_types::{polygon, MultiPolygon};
//! use ndarray::Array2;
//! use terralux::engine::partials::{merge, run_unit, OpenRaster, UnitPartials, WorkPlan};
//! use terralux::stats::Stat;
//! use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
//! use terralux::{GeoTransform, Grid, Raster, RasterSource, ZonalStats};
//! let grid = Grid::new(GeoTransform::new(0.0, 1.0, 8.0, -1.0)?, 8, 8)?;
//! let cells = |k: f64| Array2::from_shape_fn((8, 8), |(r, c)| (r * 8 + c) as f64 * k);
//! // Two dates; strips of one row, so that there are many chunks.
//! let y2020 = Raster::new(grid.clone(), cells(0.1))?.with_name("ntl_2020").with_block_shape(1, 8);
//! let y2021 = Raster::new(grid.clone(), cells(0.3))?.with_name("ntl_2021").with_block_shape(1, 8);
//! let zone = |id, x0: f64| Zone {
//!     id: ZoneId::Int(id),
//!     attributes: Attributes::default(),
//!     geometry: MultiPolygon(vec![polygon![(x: x0, y: 0.5), (x: x0 + 4.0, y: 0.5), (x: x0 + 4.0, y: 7.5), (x: x0, y: 7.5)]]),
//! };
//! let zones = ZoneSet::new(vec![zone(1, 0.5), zone(2, 3.5)], None);
//! let stats = Stat::parse_list("count,sum,mean,median,stdev")?;
//! let rasters = [y2020, y2021];
//! let runs: Vec<ZonalStats> = rasters.iter()
//!     .map(|raster| ZonalStats::new(&zones).band(raster, 1).stats(&stats).chunk_cells(8))
//!     .collect();
//!
//! // The driver: plan once, send the bytes to the workers once.
//! let plan = WorkPlan::new(&runs)?;
//! let plan_bytes = plan.to_bytes();
//!
//! // A worker: the plan from its bytes, rasters opened by name (with GDAL,
//! // `engine::partials::open_gdal` opens them by path).
//! fn by_name<'r>(rasters: &'r [Raster<f64>]) -> impl OpenRaster<'r> {
//!     move |name: &str| -> terralux::Result<Box<dyn RasterSource + Sync + 'r>> {
//!         let found = rasters.iter().find(|r| r.name() == name);
//!         Ok(Box::new(found.ok_or_else(|| terralux::Error::NotFound { path: name.into() })?))
//!     }
//! }
//! let open = by_name(&rasters);
//! let worker_plan = WorkPlan::from_bytes(&plan_bytes)?;
//! let mut shipped: Vec<Vec<u8>> = Vec::new();
//! for unit in worker_plan.units(3).iter().rev() {
//!     shipped.push(run_unit(&worker_plan, unit, &open)?.to_bytes());
//! }
//!
//! // The driver again: partials in any order, merged in the plan's order.
//! let partials = shipped.iter().map(|b| UnitPartials::from_bytes(&plan, b)).collect::<terralux::Result<Vec<_>>>()?;
//! let tables = merge(&plan, partials)?;
//! for (table, run) in tables.iter().zip(&runs) {
//!     assert_eq!(table.zones, run.run()?.zones); // the same bits
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`ZonalTable`]: crate::results::ZonalTable
//! [`Error::Mismatch`]: crate::Error::Mismatch

mod bytes;
mod merge;
mod unit;

use std::ops::Range;

pub use merge::{merge, merge_dates};
#[cfg(feature = "gdal")]
pub use unit::open_gdal;
pub use unit::{OpenRaster, UnitPartials, run_unit};

use super::ZonalStats;
use super::normalise::RunNormaliser;
use super::plan::{ChunkPlan, RowAreas};
use crate::coverage::CoverageIndex;
use crate::error::{Error, Result};
use crate::stats::{ModeTies, Stat, Weighting};
use crate::zones::ZoneRows;

/// A run planned into work units: one zone set, its coverage (computed
/// once), the statistics and options, and one or more dates whose rasters
/// are named (by [`RasterSource::name`](crate::RasterSource::name): the
/// path for GDAL rasters), not held. See the [module docs](self).
pub struct WorkPlan {
    spec: PlanSpec,
    /// The first 16 bytes of the SHA-256 of the plan's body.
    fingerprint: [u8; 16],
    derived: Derived,
    /// The plan's bytes ([`WorkPlan::as_bytes`]): written once, when the
    /// plan is made (the fingerprint is theirs) or first asked for.
    encoded: std::sync::OnceLock<Vec<u8>>,
}

/// What a plan is made of: everything its bytes hold.
struct PlanSpec {
    zones: ZoneRows,
    zones_source: String,
    zones_layer: String,
    id_field: Option<String>,
    /// Each zone's area in km^2 (all `None` when no statistic needs them).
    zone_areas: Vec<Option<f64>>,
    index: CoverageIndex,
    /// The statistics asked for.
    stats: Vec<Stat>,
    weighting: Weighting,
    min_coverage_frac: f64,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties: ModeTies,
    chunk_cells: usize,
    /// The names of the rasters, each once.
    rasters: Vec<String>,
    dates: Vec<DateSpec>,
}

/// One date: its layers and weights as (raster, band), and the block shape
/// its chunks are cut by.
struct DateSpec {
    layers: Vec<(usize, usize)>,
    weights: Option<(usize, usize)>,
    block: (usize, usize),
}

/// What a plan computes from its spec (the same on every process).
struct Derived {
    /// The statistics the accumulators gather (the asked ones, or those a
    /// run normaliser computes).
    computed: Vec<Stat>,
    row_areas: RowAreas,
    /// The chunk layout of each distinct block shape, and each date's.
    layouts: Vec<Layout>,
    date_layout: Vec<usize>,
}

/// The chunks of one block shape.
struct Layout {
    block: (usize, usize),
    plan: ChunkPlan,
    /// The chunks some zone touches, in file order (a unit's chunk range
    /// is positions in this list), the zones of each, and each zone's first.
    active: Vec<usize>,
    chunk_zones: Vec<Vec<u32>>,
    first_chunk: Vec<Option<usize>>,
}

/// One task: a date and a consecutive range of its chunks (positions among
/// the chunks some zone touches, see [`WorkPlan::chunk_count`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkUnit {
    /// The date (a position in the runs the plan was made from).
    pub date: usize,
    /// The chunks.
    pub chunks: Range<usize>,
}

impl WorkPlan {
    /// The plan of `runs`, one per date: the same zones (and coverage
    /// index, if one is given), statistics and options, rasters on one
    /// grid. Each run is checked as [`ZonalStats::run`] checks it; the
    /// coverage is computed here, once, unless the runs share a
    /// [`CoverageIndex`]. Threads and progress callbacks are not part of a
    /// plan; roll-ups are not planned.
    ///
    /// Rasters are named by [`RasterSource::name`](crate::RasterSource::name),
    /// which a worker's [`OpenRaster`] gets back: two different rasters of
    /// one name are refused (give in-memory rasters names with
    /// [`Raster::with_name`](crate::Raster::with_name)).
    pub fn new(runs: &[ZonalStats<'_>]) -> Result<WorkPlan> {
        let mismatch = |reason: String| Error::Mismatch {
            context: "work plan".into(),
            reason,
        };
        let first = runs
            .first()
            .ok_or_else(|| mismatch("no run was given".into()))?;
        let grid = first.check_inputs()?;
        let mut rasters: Vec<(String, *const u8)> = Vec::new();
        let mut dates = Vec::with_capacity(runs.len());
        for (date, run) in runs.iter().enumerate() {
            let run_grid = if date == 0 {
                grid.clone()
            } else {
                run.check_inputs()?
            };
            let differs = |what: &str| mismatch(format!("date {date} has {what} than date 0"));
            if !std::ptr::eq(run.zones, first.zones)
                && run.zones.fingerprint() != first.zones.fingerprint()
            {
                return Err(differs("other zones"));
            }
            if !run_grid.same_as(&grid) {
                return Err(differs("another grid"));
            }
            let same_index = match (run.coverage, first.coverage) {
                (None, None) => true,
                (Some(a), Some(b)) => std::ptr::eq(a, b),
                _ => false,
            };
            if !same_index {
                return Err(differs("another coverage index"));
            }
            let same_options = run.stats == first.stats
                && run.mode == first.mode
                && run.weighting == first.weighting
                && run.min_coverage_frac.to_bits() == first.min_coverage_frac.to_bits()
                && run.default_value.map(f64::to_bits) == first.default_value.map(f64::to_bits)
                && run.default_weight.map(f64::to_bits) == first.default_weight.map(f64::to_bits)
                && run.mode_ties == first.mode_ties
                && run.chunk_cells == first.chunk_cells;
            if !same_options {
                return Err(differs("other statistics or options"));
            }
            let mut name = |raster: super::SharedRaster<'_>| -> Result<usize> {
                let address = raster as *const (dyn crate::RasterSource + Sync) as *const u8;
                match rasters.iter().position(|(n, _)| n == raster.name()) {
                    Some(i) if rasters[i].1 == address => Ok(i),
                    Some(_) => Err(mismatch(format!(
                        "two different rasters are named '{}'; a worker opens rasters by name",
                        raster.name()
                    ))),
                    None => {
                        rasters.push((raster.name().to_string(), address));
                        Ok(rasters.len() - 1)
                    }
                }
            };
            let layers = run
                .layers
                .iter()
                .map(|&(raster, band)| Ok((name(raster)?, band)))
                .collect::<Result<Vec<_>>>()?;
            let weights = match run.weights {
                Some((raster, band)) => Some((name(raster)?, band)),
                None => None,
            };
            let block = run.layers[0].0.band_info(run.layers[0].1)?.block_shape;
            dates.push(DateSpec {
                layers,
                weights,
                block,
            });
        }
        let index = match first.coverage {
            Some(index) => index.clone(),
            None => CoverageIndex::build(first.zones, &grid, first.mode),
        };
        let computed = computed_stats(&first.stats);
        let zone_areas = if computed.iter().any(Stat::needs_zone_area) {
            index.zone_areas_km2(first.zones).to_vec()
        } else {
            vec![None; first.zones.len()]
        };
        let spec = PlanSpec {
            zones: ZoneRows::of(first.zones),
            zones_source: first.zones.source_name().to_string(),
            zones_layer: first.zones.layer().to_string(),
            id_field: first.zones.id_field().map(str::to_string),
            zone_areas,
            index,
            stats: first.stats.clone(),
            weighting: first.weighting,
            min_coverage_frac: first.min_coverage_frac,
            default_value: first.default_value,
            default_weight: first.default_weight,
            mode_ties: first.mode_ties,
            chunk_cells: first.chunk_cells,
            rasters: rasters.into_iter().map(|(name, _)| name).collect(),
            dates,
        };
        let (encoded, fingerprint) = bytes::encode(&spec);
        Ok(WorkPlan {
            derived: Derived::of(&spec),
            spec,
            fingerprint,
            encoded: encoded.into(),
        })
    }

    /// The number of dates.
    pub fn dates(&self) -> usize {
        self.spec.dates.len()
    }

    /// The number of chunks of `date` that some zone touches (0 for a date
    /// the plan does not have): a unit's chunk range is within `0..` it.
    pub fn chunk_count(&self, date: usize) -> usize {
        self.layout(date).map_or(0, |l| l.active.len())
    }

    /// Every date's chunks in units of `chunks_per_unit` consecutive
    /// chunks (at least 1; the last unit of a date may have fewer), date
    /// by date. Any other cut into consecutive ranges works as well.
    pub fn units(&self, chunks_per_unit: usize) -> Vec<WorkUnit> {
        let step = chunks_per_unit.max(1);
        (0..self.dates())
            .flat_map(|date| {
                let count = self.chunk_count(date);
                (0..count).step_by(step).map(move |start| WorkUnit {
                    date,
                    chunks: start..(start + step).min(count),
                })
            })
            .collect()
    }

    /// The plan's fingerprint in hex (32 digits): a hash of everything the
    /// plan holds (zones, coverage, grid, statistics, options, rasters,
    /// dates and chunking).
    pub fn fingerprint(&self) -> String {
        hex(&self.fingerprint)
    }

    fn layout(&self, date: usize) -> Option<&Layout> {
        let i = *self.derived.date_layout.get(date)?;
        self.derived.layouts.get(i)
    }

    /// `Ok` when `unit` is one of this plan's.
    fn check_unit(&self, unit: &WorkUnit) -> Result<()> {
        let count = self.chunk_count(unit.date);
        if unit.date < self.dates()
            && unit.chunks.start < unit.chunks.end
            && unit.chunks.end <= count
        {
            return Ok(());
        }
        Err(Error::Mismatch {
            context: "work unit".into(),
            reason: format!(
                "date {}, chunks {:?} is not a unit of this plan ({} dates; that date has {count} chunks)",
                unit.date,
                unit.chunks,
                self.dates()
            ),
        })
    }
}

/// The statistics a run of `asked` gathers (see [`RunNormaliser`]).
fn computed_stats(asked: &[Stat]) -> Vec<Stat> {
    RunNormaliser::for_stats(asked).map_or_else(|| asked.to_vec(), |n| n.computed().to_vec())
}

impl Derived {
    fn of(spec: &PlanSpec) -> Derived {
        let grid = spec.index.grid();
        let mut layouts: Vec<Layout> = Vec::new();
        let date_layout = spec
            .dates
            .iter()
            .map(
                |date| match layouts.iter().position(|l| l.block == date.block) {
                    Some(i) => i,
                    None => {
                        let plan = ChunkPlan::new(grid, date.block, spec.chunk_cells);
                        let (active, chunk_zones, _) = plan.active_chunks(&spec.index);
                        let mut first_chunk = vec![None; spec.index.len()];
                        for (position, zones) in chunk_zones.iter().enumerate() {
                            for &z in zones {
                                first_chunk[z as usize].get_or_insert(position);
                            }
                        }
                        layouts.push(Layout {
                            block: date.block,
                            plan,
                            active,
                            chunk_zones,
                            first_chunk,
                        });
                        layouts.len() - 1
                    }
                },
            )
            .collect();
        Derived {
            computed: computed_stats(&spec.stats),
            row_areas: RowAreas::new(grid, &spec.index),
            layouts,
            date_layout,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Debug for WorkPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkPlan")
            .field("fingerprint", &self.fingerprint())
            .field("zones", &self.spec.zones.0.len())
            .field("dates", &self.dates())
            .field("rasters", &self.spec.rasters)
            .finish_non_exhaustive()
    }
}
