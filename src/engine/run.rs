//! A run: coverage, the chunk plan, the pipeline, then the table, its
//! provenance and the roll-ups.

use super::gather::{Gather, ZoneState};
use super::merge::Pipeline;
use super::normalise::RunNormaliser;
use super::plan::{ChunkPlan, RowAreas};
use super::rollup::roll_up;
use super::{SharedRaster, ZonalStats};
use crate::coverage::CoverageIndex;
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::raster::RasterSource;
use crate::results::{LayerInfo, Provenance, ZonalTable, ZoneStats, name_columns};
use crate::rollup::Grouping;
use crate::stats::{Accumulator, Stat};

impl ZonalStats<'_> {
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
        // ALI and CNLI without normaliser: divided by the run's maximum
        // once every zone is done (normalise.rs).
        let normaliser = RunNormaliser::for_stats(&self.stats);
        let computing = normaliser.as_ref().map(|n| ZonalStats {
            stats: n.computed().to_vec(),
            ..self.clone()
        });
        let run = |grid: &Grid| {
            let (mut table, mut roll_ups) = computing
                .as_ref()
                .unwrap_or(self)
                .run_on(grid, &groupings)?;
            if let Some(normaliser) = &normaliser {
                normaliser.complete(&mut table, &mut roll_ups);
            }
            Ok((table, roll_ups))
        };
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

    pub(super) fn run_on(
        &self,
        grid: &Grid,
        groupings: &[Grouping],
    ) -> Result<(ZonalTable, Vec<ZonalTable>)> {
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

        let (active_chunks, chunk_zones, last_chunk) = plan.active_chunks(index);

        let gather = Gather {
            layers: &self.layers,
            // A weights raster no statistic uses is not read.
            weights: self
                .weights
                .filter(|_| self.stats.iter().any(Stat::needs_weights_raster)),
            weighting: self.weighting,
            row_areas: &row_areas,
            min_coverage_frac: self.min_coverage_frac,
            default_value: self.default_value,
            default_weight: self.default_weight,
            zones: ZoneState {
                stats: &self.stats,
                mode_ties: self.mode_ties,
                layers: self.layers.len(),
                index,
                zone_areas,
            },
        };
        let finished = Pipeline {
            plan: &plan,
            active_chunks: &active_chunks,
            chunk_zones: &chunk_zones,
            last_chunk: &last_chunk,
            gather: &gather,
            progress: self.progress,
            keep_state: !groupings.is_empty(),
            kept_budget: self.memory_limit,
        }
        .run(rayon::current_num_threads())?;
        let spilled_bytes = finished.spilled_bytes;
        let mut finished = finished.zones;

        let mut states: Vec<Option<Vec<Accumulator>>> = Vec::with_capacity(self.zones.len());
        let zones = self
            .zones
            .iter()
            .enumerate()
            .map(|(z, zone)| {
                let (values, state) = match finished[z].take() {
                    Some(done) => (done.values, done.state),
                    None => (gather.zones.finish(gather.zones.empty(), z)?, None),
                };
                states.push(state);
                Ok(ZoneStats {
                    id: zone.id.clone(),
                    attributes: zone.attributes.clone(),
                    values,
                })
            })
            .collect::<Result<_>>()?;
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
                memory_limit: Some(self.memory_limit),
                spilled_bytes,
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
            .map(|grouping| roll_up(&table, grouping, &states, &gather.zones))
            .collect::<Result<_>>()?;
        Ok((table, roll_ups))
    }
}
