//! The county night-light workflow cut into work units, for many processes
//! or machines: [`county_ntl`](super::county_ntl)'s run as
//! [`WorkPlan`]s whose units a worker computes from the collection and
//! options alone, merged back into the same [`CountyNtlRun`], bit for bit.
//!
//! # The flow
//! 1. The driver plans the run ([`CountyPlan::new`]): it opens every file
//!    (metadata), reads the warnings and notes about the inputs, prepares
//!    the zones and computes their coverage **once**, and plans each pass
//!    ([`CountyPass`]) over every date, each pass a [`WorkPlan`] sharing
//!    that coverage. The plans' bytes ([`WorkPlan::to_bytes`]) go to the
//!    workers, with the [`Collection`] and [`CountyNtlOptions`] (which
//!    the workers rebuild from the same request: folder or paths, product,
//!    population, masks).
//! 2. A worker runs a unit with [`county_unit`]: it opens the files of the
//!    unit's date only, masked, calibrated and mosaicked as the local run
//!    reads them, and returns the zones' partials ([`UnitPartials`]).
//! 3. The driver finishes ([`CountyPlan::finish`]): each pass merged in the
//!    plan's order into the engine's tables, the indicators completed over
//!    the dates (ALI and CNLI divided by the run's largest value), the
//!    masked share appended: the [`CountyNtlRun`] of
//!    [`county_ntl`](super::county_ntl) for the same inputs.
//!
//! # Example
//! ```
//! # fn main() -> terralux::Result<()> {
//! use terralux::engine::partials::UnitPartials;
//! use terralux::ntl::{Collection, CountyNtlOptions, CountyPass, CountyPlan, ProductChoice, county_ntl, county_unit};
//! use terralux::zones::{ZoneOptions, ZoneSet};
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
//! let folder = std::path::PathBuf::from(format!("{data}/products/vnl"));
//! let collection = Collection::from_folder(&folder, ProductChoice::Auto)?;
//! let zone_options = ZoneOptions { id_field: Some("code".into()), ..Default::default() };
//! let options = CountyNtlOptions { masked_frac: true, ..Default::default() };
//!
//! // The driver plans; each pass's plan goes to the workers as bytes.
//! let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &zone_options)?;
//! let plan = CountyPlan::new(&collection, zones, &options, &|_| {})?;
//! let mut partials = Vec::new();
//! for pass in plan.passes() {
//!     let bytes = plan.pass(pass).unwrap().to_bytes();
//!     // A worker: the plan from its bytes, one unit of two chunks at a time.
//!     let worker_plan = terralux::engine::partials::WorkPlan::from_bytes(&bytes)?;
//!     let shipped: Vec<Vec<u8>> = worker_plan.units(2).iter()
//!         .map(|unit| Ok(county_unit(&worker_plan, &collection, &options, unit)?.to_bytes()))
//!         .collect::<terralux::Result<_>>()?;
//!     // The driver again.
//!     for bytes in &shipped {
//!         partials.push((pass, UnitPartials::from_bytes(plan.pass(pass).unwrap(), bytes)?));
//!     }
//! }
//! let run = plan.finish(partials, &[0, 1, 2], &|_| {})?;
//!
//! let zones = ZoneSet::read(format!("{data}/counties.gpkg"), &zone_options)?;
//! let local = county_ntl(&collection, zones, &options, &|_| {})?;
//! assert_eq!(run.series.dates, local.series.dates);
//! for (a, b) in run.series.tables.iter().zip(&local.series.tables) {
//!     assert_eq!(a.zones, b.zones); // the same bits
//! }
//! assert_eq!(run.notes, local.notes);
//! # Ok(())
//! # }
//! ```

use super::county::{Finishing, Notes, Selection, prepare, with_sources};
use super::series::Series;
use super::{Collection, CountyNtlOptions, CountyNtlRun, RunEvent};
use crate::coverage::{CoverageIndex, CoverageMode};
use crate::engine::ZonalStats;
use crate::engine::partials::{UnitPartials, WorkPlan, WorkUnit, merge_dates, run_unit};
use crate::error::{Error, Result};
use crate::raster::{Borrowed, RasterSource};
use crate::stats::Stat;
use crate::zones::ZoneSet;

/// A pass of a county run over every date: its own [`WorkPlan`], all
/// passes on one coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountyPass {
    /// The indicators' statistics of each date's lights (weighted by the
    /// population, if given).
    Indicators,
    /// The mean of each date's cells removed by masks (`masked_frac`).
    MaskedShare,
}

impl CountyPass {
    /// The pass's name: `indicators` or `masked_share`.
    pub fn name(self) -> &'static str {
        match self {
            CountyPass::Indicators => "indicators",
            CountyPass::MaskedShare => "masked_share",
        }
    }
}

/// A county night-light run planned on the driver; see the
/// [module docs](self).
#[derive(Debug)]
pub struct CountyPlan {
    indicators: WorkPlan,
    masked_share: Option<WorkPlan>,
    dates: Vec<String>,
    finishing: Finishing,
    notes: Vec<String>,
}

impl CountyPlan {
    /// Plan the run [`county_ntl`](super::county_ntl) makes of
    /// `collection` over `zones` with `options` (but `threads`, which are
    /// the workers'): the same checks, warnings and notes (to `on_event`
    /// as they come), the zones prepared and their coverage computed once.
    pub fn new(
        collection: &Collection,
        zones: ZoneSet,
        options: &CountyNtlOptions,
        on_event: &(dyn Fn(RunEvent<'_>) + Sync),
    ) -> Result<CountyPlan> {
        let mut notes = Notes::new(on_event);
        with_sources(
            collection,
            options,
            Selection::Every,
            &mut notes,
            |sources, notes| {
                let (prepared, indicators) =
                    prepare(collection, zones, options, sources, notes, on_event)?;
                // As `run_series`: one coverage index on the first date's grid.
                let (indicators_plan, masked_share) = {
                    let zones = &prepared.zones;
                    let index = CoverageIndex::build(zones, &sources.grid, CoverageMode::Exact);
                    let stats = indicators.stats();
                    let runs: Vec<ZonalStats<'_>> = sources
                        .dated()
                        .iter()
                        .map(|dated| {
                            let run = ZonalStats::new(zones)
                                .coverage_index(&index)
                                .band(dated.raster, dated.band)
                                .stats(&stats);
                            match dated.weights {
                                Some((raster, band)) => run.weights(raster, band),
                                None => run,
                            }
                        })
                        .collect();
                    let plan = WorkPlan::new(&runs)?;
                    let masked_share = match &sources.removed {
                        Some(removed) => {
                            let runs: Vec<ZonalStats<'_>> = removed
                                .iter()
                                .map(|raster| {
                                    ZonalStats::new(zones)
                                        .coverage_index(&index)
                                        .band(*raster, 1)
                                        .stats(&[Stat::Mean])
                                })
                                .collect();
                            Some(WorkPlan::new(&runs)?)
                        }
                        None => None,
                    };
                    (plan, masked_share)
                };
                Ok(CountyPlan {
                    indicators: indicators_plan,
                    masked_share,
                    dates: sources.labels.clone(),
                    finishing: Finishing::new(collection, options, indicators, prepared),
                    notes: std::mem::take(&mut notes.list),
                })
            },
        )
    }

    /// The passes of the run, in order: [`CountyPass::Indicators`], and
    /// [`CountyPass::MaskedShare`] with `masked_frac`.
    pub fn passes(&self) -> Vec<CountyPass> {
        let mut passes = vec![CountyPass::Indicators];
        if self.masked_share.is_some() {
            passes.push(CountyPass::MaskedShare);
        }
        passes
    }

    /// The plan of `pass` (`None` for a pass the run does not make).
    pub fn pass(&self, pass: CountyPass) -> Option<&WorkPlan> {
        match pass {
            CountyPass::Indicators => Some(&self.indicators),
            CountyPass::MaskedShare => self.masked_share.as_ref(),
        }
    }

    /// The date labels, in order (a plan's date `i` is `dates()[i]`).
    pub fn dates(&self) -> &[String] {
        &self.dates
    }

    /// The warnings and notes of the planning, in order.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The run of `dates` (positions in [`CountyPlan::dates`], in that
    /// order; every date for the whole run) from the partials of every unit
    /// of those dates in every pass (any order): each pass merged in the
    /// plan's order, then the indicators completed over those dates as
    /// [`county_ntl`](super::county_ntl) completes them (the run's largest
    /// value, when ALI and CNLI divide by it, is that of these dates).
    /// Missing, repeated or foreign partials are refused.
    pub fn finish(
        self,
        partials: Vec<(CountyPass, UnitPartials)>,
        dates: &[usize],
        on_event: &(dyn Fn(RunEvent<'_>) + Sync),
    ) -> Result<CountyNtlRun> {
        let mut of_indicators = Vec::new();
        let mut of_masked_share = Vec::new();
        for (pass, partials) in partials {
            match pass {
                CountyPass::Indicators => of_indicators.push(partials),
                CountyPass::MaskedShare => of_masked_share.push(partials),
            }
        }
        let tables = merge_dates(&self.indicators, of_indicators, dates)?;
        let shares = match &self.masked_share {
            Some(plan) => Some(merge_dates(plan, of_masked_share, dates)?),
            None if of_masked_share.is_empty() => None,
            None => {
                return Err(Error::Mismatch {
                    context: "county plan".into(),
                    reason: "partials of a masked-share pass, which this run does not make".into(),
                });
            }
        };
        let series = Series {
            dates: dates.iter().map(|&d| self.dates[d].clone()).collect(),
            tables,
        };
        Ok(self.finishing.finish(series, shares, self.notes, on_event))
    }
}

/// Run one unit of a pass's `plan` (from [`CountyPlan::pass`], or its
/// bytes) on this process: the files of the unit's date in `collection`
/// opened with `options`, read as [`county_ntl`](super::county_ntl) reads
/// them, the unit's chunks gathered on the calling thread. `collection` and
/// `options` must be those the plan was made from (a raster the plan names
/// and they do not make is refused).
pub fn county_unit(
    plan: &WorkPlan,
    collection: &Collection,
    options: &CountyNtlOptions,
    unit: &WorkUnit,
) -> Result<UnitPartials> {
    let dates = collection.dates();
    let label = dates.get(unit.date).ok_or_else(|| Error::Mismatch {
        context: "county unit".into(),
        reason: format!(
            "date {} of the plan; the collection has {} date(s)",
            unit.date,
            dates.len()
        ),
    })?;
    let mut notes = Notes::new(&|_| {});
    with_sources(
        collection,
        options,
        Selection::One(label),
        &mut notes,
        |sources, _| {
            let rasters = sources.all();
            let open = |name: &str| -> Result<Box<dyn RasterSource + Sync + '_>> {
                let found = rasters.iter().find(|r| r.name() == name).ok_or_else(|| {
                    Error::Mismatch {
                        context: name.to_string(),
                        reason: format!(
                            "not a raster of date {label} as this collection and these options read it; the plan was made from others"
                        ),
                    }
                })?;
                Ok(Box::new(Borrowed(*found)))
            };
            run_unit(plan, unit, &open)
        },
    )
}
