//! The merge: every date's units sorted by chunk, each zone's partials
//! folded in chunk order with the engine's own step, then finished into the
//! table [`ZonalStats::run`](crate::ZonalStats::run) makes.

use super::bytes::unit_error;
use super::{UnitPartials, WorkPlan};
use crate::engine::merge::fold;
use crate::engine::normalise::RunNormaliser;
use crate::error::Result;
use crate::results::{LayerInfo, Provenance, ZonalTable, ZoneStats, name_columns};
use crate::stats::Accumulator;

/// Merge the partials of every unit of `plan` (in any order) into one
/// table per date, in date order: the tables [`ZonalStats::run`] gives for
/// the plan's runs, bit for bit (the provenance's thread count is the
/// merging process's). Every chunk of every date must be in exactly one
/// of the units: a missing, overlapping or repeated unit, or partials of
/// another plan, is an error.
///
/// [`ZonalStats::run`]: crate::ZonalStats::run
pub fn merge(
    plan: &WorkPlan,
    partials: impl IntoIterator<Item = UnitPartials>,
) -> Result<Vec<ZonalTable>> {
    let dates: Vec<usize> = (0..plan.dates()).collect();
    merge_dates(plan, partials, &dates)
}

/// [`merge`] for some of the plan's dates only: one table per date of
/// `dates`, in that order, from the partials of those dates (which must
/// cover each of them, as in [`merge`]). Partials of a date not listed are
/// refused, and so is a date the plan does not have or one listed twice.
/// For a driver that leaves out a date whose units failed.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::polygon;
/// use ndarray::Array2;
/// use terralux::engine::partials::{merge_dates, run_unit, OpenRaster, WorkPlan};
/// use terralux::stats::Stat;
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, RasterSource, ZonalStats};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 4.0, -1.0)?, 4, 4)?;
/// let raster = |name: &str, k: f64| {
///     Raster::new(grid.clone(), Array2::from_elem((4, 4), k)).map(|r| r.with_name(name))
/// };
/// let rasters = [raster("a", 1.0)?, raster("b", 2.0)?];
/// let square = polygon![(x: 0.5, y: 0.5), (x: 3.5, y: 0.5), (x: 3.5, y: 3.5), (x: 0.5, y: 3.5)];
/// let zones = ZoneSet::new(vec![Zone { id: ZoneId::Int(1), attributes: Attributes::default(),
///     geometry: geo_types::MultiPolygon(vec![square]) }], None);
/// let stats = [Stat::Sum];
/// let runs: Vec<ZonalStats> = rasters.iter().map(|r| ZonalStats::new(&zones).band(r, 1).stats(&stats)).collect();
/// let plan = WorkPlan::new(&runs)?;
/// let open = |name: &str| -> terralux::Result<Box<dyn RasterSource + Sync + '_>> {
///     Ok(Box::new(rasters.iter().find(|r| r.name() == name).expect("a raster of the plan")))
/// };
/// // Only date 1 (its units; date 0 is left out).
/// let partials = plan.units(1).iter().filter(|u| u.date == 1)
///     .map(|u| run_unit(&plan, u, &open)).collect::<terralux::Result<Vec<_>>>()?;
/// let tables = merge_dates(&plan, partials, &[1])?;
/// assert_eq!(tables.len(), 1);
/// assert_eq!(tables[0].zones, runs[1].run()?.zones);
/// # Ok(())
/// # }
/// ```
pub fn merge_dates(
    plan: &WorkPlan,
    partials: impl IntoIterator<Item = UnitPartials>,
    dates: &[usize],
) -> Result<Vec<ZonalTable>> {
    for (i, &date) in dates.iter().enumerate() {
        if date >= plan.dates() || dates[..i].contains(&date) {
            return Err(unit_error(format!(
                "date {date} is not a date of this plan or is listed twice ({} dates)",
                plan.dates()
            )));
        }
    }
    let mut by_date: Vec<Vec<UnitPartials>> = dates.iter().map(|_| Vec::new()).collect();
    for p in partials {
        if p.plan_fingerprint() != &plan.fingerprint {
            return Err(unit_error(format!(
                "partials of another work plan (this plan is {})",
                plan.fingerprint()
            )));
        }
        plan.check_unit(p.unit())?;
        let at = dates
            .iter()
            .position(|&d| d == p.unit().date)
            .ok_or_else(|| {
                unit_error(format!(
                    "partials of date {}, which is not among the dates to merge",
                    p.unit().date
                ))
            })?;
        by_date[at].push(p);
    }
    by_date
        .into_iter()
        .zip(dates)
        .map(|(mut units, &date)| {
            units.sort_by_key(|p| (p.unit().chunks.start, p.unit().chunks.end));
            check_tiling(plan, date, &units)?;
            table(plan, date, units)
        })
        .collect()
}

/// `Ok` when `units` (sorted) cover the date's chunks once each.
fn check_tiling(plan: &WorkPlan, date: usize, units: &[UnitPartials]) -> Result<()> {
    let mut next = 0;
    for p in units {
        let chunks = &p.unit().chunks;
        if chunks.start < next {
            return Err(unit_error(format!(
                "date {date}: the unit of chunks {chunks:?} repeats or overlaps chunks before {next}"
            )));
        }
        if chunks.start > next {
            return Err(unit_error(format!(
                "date {date}: chunks {next}..{} are in no unit (missing partials)",
                chunks.start
            )));
        }
        next = chunks.end;
    }
    let count = plan.chunk_count(date);
    if next < count {
        return Err(unit_error(format!(
            "date {date}: chunks {next}..{count} are in no unit (missing partials)"
        )));
    }
    Ok(())
}

/// The table of `date` from its units, sorted by chunk.
fn table(plan: &WorkPlan, date: usize, units: Vec<UnitPartials>) -> Result<ZonalTable> {
    let spec = &plan.spec;
    let layers_of_date = &spec.dates[date];
    let state = plan.zone_state(layers_of_date.layers.len());
    let mut open: Vec<Option<Vec<Accumulator>>> = (0..spec.index.len()).map(|_| None).collect();
    for p in units {
        for (z, accs) in p.into_entries() {
            fold(&mut open[z as usize], accs, z as usize);
        }
    }
    let zones = spec
        .zones
        .0
        .iter()
        .zip(open)
        .enumerate()
        .map(|(z, ((id, attributes), accs))| {
            Ok(ZoneStats {
                id: id.clone(),
                attributes: attributes.clone(),
                values: state.finish(accs.unwrap_or_else(|| state.empty()), z)?,
            })
        })
        .collect::<Result<_>>()?;
    // Rasters numbered by first appearance in the date, as the engine numbers them.
    let mut distinct: Vec<usize> = Vec::new();
    let mut layer_info = |&(raster, band): &(usize, usize)| {
        let number = match distinct.iter().position(|&r| r == raster) {
            Some(i) => i + 1,
            None => {
                distinct.push(raster);
                distinct.len()
            }
        };
        LayerInfo {
            source: spec.rasters[raster].clone(),
            raster: number,
            band,
        }
    };
    let layers: Vec<LayerInfo> = layers_of_date.layers.iter().map(&mut layer_info).collect();
    let weights = layers_of_date.weights.as_ref().map(&mut layer_info);
    let computed = &plan.derived.computed;
    let mut table = ZonalTable {
        columns: name_columns(&layers, computed),
        layers,
        zones,
        provenance: Provenance {
            library_version: crate::VERSION.to_string(),
            zones_source: spec.zones_source.clone(),
            zones_layer: spec.zones_layer.clone(),
            id_field: spec.id_field.clone(),
            grid: spec.index.grid().clone(),
            weights,
            coverage: spec.index.mode(),
            weighting: spec.weighting,
            stats: computed.clone(),
            min_coverage_frac: spec.min_coverage_frac,
            default_value: spec.default_value,
            default_weight: spec.default_weight,
            mode_ties: spec.mode_ties,
            threads: rayon::current_num_threads(),
            // Partials are merged in memory: no budget, nothing spilled.
            memory_limit: None,
            spilled_bytes: 0,
            repaired_zones: spec
                .zones
                .0
                .iter()
                .zip(spec.index.coverages())
                .filter(|(_, coverage)| coverage.repaired_geometry().is_some())
                .map(|((id, _), _)| id.clone())
                .collect(),
        },
    };
    if let Some(normaliser) = RunNormaliser::for_stats(&spec.stats) {
        normaliser.complete(&mut table, &mut []);
    }
    Ok(table)
}
