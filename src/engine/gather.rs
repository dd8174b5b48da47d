//! Gathering one chunk: its window of every band read into reusable
//! buffers, then a partial accumulator per zone touching it.

use super::SharedRaster;
use super::plan::RowAreas;
use crate::coverage::{Coverage, CoverageIndex};
use crate::error::{Error, Result};
use crate::grid::Window;
use crate::stats::{Accumulator, ModeTies, RunWeights, Stat, StatValue, Weighting, ZoneFacts};

/// A chunk's partial accumulators: per zone touching it, one per layer.
pub(super) type ChunkPartials = Vec<(u32, Vec<Accumulator>)>;

/// How far below `min_coverage_frac` a computed coverage fraction may be
/// and still count as at the threshold: fractions are sums of trapezoids,
/// exact to a few units in the last place.
pub const COVERAGE_FRAC_TOL: f64 = 1e-9;

/// What a worker needs to gather one chunk.
pub(super) struct Gather<'r, 'a> {
    pub(super) layers: &'r [(SharedRaster<'a>, usize)],
    pub(super) weights: Option<(SharedRaster<'a>, usize)>,
    pub(super) weighting: Weighting,
    pub(super) row_areas: &'r RowAreas,
    /// Runs covered less than this are skipped.
    pub(super) min_coverage_frac: f64,
    /// The value of invalid cells (`None`: skipped).
    pub(super) default_value: Option<f64>,
    /// The weight where the weights raster is invalid (`None`: left out).
    pub(super) default_weight: Option<f64>,
    /// How the zones' accumulators are made and finished.
    pub(super) zones: ZoneState<'r>,
}

/// What making and finishing a zone's accumulators needs (no raster).
pub(super) struct ZoneState<'r> {
    pub(super) stats: &'r [Stat],
    pub(super) mode_ties: ModeTies,
    /// The number of layers: one accumulator each.
    pub(super) layers: usize,
    pub(super) index: &'r CoverageIndex,
    pub(super) zone_areas: &'r [Option<f64>],
}

impl Gather<'_, '_> {
    /// Read `window` of every band into `buffers` and gather a partial accumulator per zone.
    pub(super) fn chunk(
        &self,
        window: Window,
        zones: &[u32],
        buffers: &mut Buffers,
    ) -> Result<ChunkPartials> {
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
            let mut accs = self.zones.empty();
            let coverage = self.zones.index.coverage(z as usize);
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
}

impl ZoneState<'_> {
    /// Empty accumulators, one per layer.
    pub(super) fn empty(&self) -> Vec<Accumulator> {
        (0..self.layers)
            .map(|_| Accumulator::new(self.stats).with_mode_ties(self.mode_ties))
            .collect()
    }

    /// The facts of the union of `zones` (one zone, or a roll-up group).
    pub(super) fn facts(&self, zones: &[usize]) -> ZoneFacts {
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

    /// The zone's values in column order (layer by layer); an error only
    /// when values spilled to the run's spill file cannot be read back.
    pub(super) fn finish(&self, accs: Vec<Accumulator>, zone: usize) -> Result<Vec<StatValue>> {
        crate::alloc::set_current_zone(Some(zone));
        let values = self.finish_facts(accs, &self.facts(&[zone]));
        crate::alloc::set_current_zone(None);
        values
    }

    pub(super) fn finish_facts(
        &self,
        accs: Vec<Accumulator>,
        facts: &ZoneFacts,
    ) -> Result<Vec<StatValue>> {
        let mut values = Vec::new();
        for acc in accs {
            values.extend(acc.try_finish(self.stats, facts)?);
        }
        Ok(values)
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
pub(super) struct Buffers {
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
