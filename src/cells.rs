//! Per-cell output: which cells a zone used, with what coverage and value.
//!
//! exactextract's `values`, `coverage`, `weights`, `cell_id` and
//! `center_x`/`center_y` operations return, per zone, arrays of the cells
//! it covers; terralux streams the same as one table row per zone and
//! covered cell, so a user can see exactly which cells and fractions a
//! zone's statistics used, in bounded memory (one raster row of a zone at
//! a time).

use std::io::{self, Write};

use crate::coverage::CoverageIndex;
use crate::error::{Error, Result};
use crate::grid::Window;
use crate::raster::RasterSource;
use crate::stats::StatValue;
use crate::write::{csv_field, format_value, formula_safe, unique_column_names};
use crate::zones::ZoneSet;

/// The band whose cells [`write_cells_csv`] lists, and the weights raster.
#[derive(Clone, Copy)]
pub struct CellLayers<'a> {
    /// The raster.
    pub raster: &'a (dyn RasterSource + Sync),
    /// Its band (from 1).
    pub band: usize,
    /// The weights raster and band, if any.
    pub weights: Option<(&'a (dyn RasterSource + Sync), usize)>,
}

/// What [`write_cells_csv`] applies as a zonal run would, so that the table
/// shows the cells and values the statistics used.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CellOptions {
    /// Leave out cells covered less (see [`crate::ZonalStats::min_coverage_frac`]).
    pub min_coverage_frac: f64,
    /// The value of invalid cells (see [`crate::ZonalStats::default_value`]).
    pub default_value: Option<f64>,
    /// The weight where the weights raster is invalid (see [`crate::ZonalStats::default_weight`]).
    pub default_weight: Option<f64>,
    /// Escape ids that a spreadsheet would run as formulas (see
    /// [`crate::write::CsvOptions::formula_safe`]).
    pub formula_safe: bool,
}

/// The header of [`write_cells_csv`]'s table after the id column.
pub const CELL_COLUMNS: [&str; 8] = [
    "cell_id", "row", "col", "center_x", "center_y", "coverage", "value", "weight",
];

/// Write one CSV row per zone and covered cell, zones in input order and
/// cells in row-major order: the zone's id (column `id_column`), then
/// `cell_id` (`row * cols + col`, 0-based, as exactextract numbers cells),
/// `row`, `col`, the cell centre's `center_x` and `center_y` in the
/// raster's CRS, its `coverage` fraction, band `band`'s `value` (empty
/// when the cell is invalid: nodata, NaN or masked; all the digits of a
/// 64-bit integer band's values, as the statistics see them) and the `weight`
/// raster's value (empty without one, or where it is invalid), for the
/// band and weights of `layers`, with
/// `options` applied as the zonal run applies them. A column named like
/// the id column is renamed as [`crate::write::unique_column_names`] says.
/// `index` is the zones' coverage on the raster's grid, the one a zonal
/// run uses.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::cells::{write_cells_csv, CellLayers};
/// use terralux::coverage::{CoverageIndex, CoverageMode};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster, RasterSource};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let raster = Raster::new(grid, array![[1.0, f64::NAN]])?;
/// let square = polygon![(x: 0.5, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.5, y: 1.0)];
/// let zones = ZoneSet::new(vec![Zone { id: ZoneId::Text("z".into()), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![square]) }], None);
/// let index = CoverageIndex::build(&zones, raster.grid(), CoverageMode::Exact);
/// let mut out = Vec::new();
/// let layers = CellLayers { raster: &raster, band: 1, weights: None };
/// write_cells_csv(&zones, &index, &layers, &Default::default(), "code", &mut out)?;
/// assert_eq!(String::from_utf8(out).unwrap(),
///     "code,cell_id,row,col,center_x,center_y,coverage,value,weight\n\
///      z,0,0,0,0.5,0.5,0.5,1,\n\
///      z,1,0,1,1.5,0.5,1,,\n");
/// # Ok(())
/// # }
/// ```
pub fn write_cells_csv(
    zones: &ZoneSet,
    index: &CoverageIndex,
    layers: &CellLayers<'_>,
    options: &CellOptions,
    id_column: &str,
    out: &mut dyn Write,
) -> Result<()> {
    let CellLayers {
        raster,
        band,
        weights,
    } = *layers;
    index.check_zones(zones)?;
    let grid = index.grid();
    if !grid.same_as(raster.grid()) {
        return Err(Error::Mismatch {
            context: raster.name().to_string(),
            reason: "the coverage index was built for another grid".into(),
        });
    }
    let io_error = |e: io::Error| Error::Io {
        path: "cells table".into(),
        source: e,
    };
    let text = |field: &str| -> String {
        let field = if options.formula_safe {
            formula_safe(field)
        } else {
            field.into()
        };
        csv_field(&field).into_owned()
    };
    let mut line = text(id_column);
    for name in unique_column_names(&[id_column], &CELL_COLUMNS) {
        line.push(',');
        line.push_str(&text(&name));
    }
    line.push('\n');
    out.write_all(line.as_bytes()).map_err(io_error)?;
    let cols = grid.cols();
    let number = |v: f64| format_value(&StatValue::Number(v));
    let (mut values, mut weight_values, mut exact) = (Vec::new(), Vec::new(), Vec::new());
    // A default value that is an integer stays exact beside a 64-bit band's values.
    let exact_default = options.default_value.and_then(crate::engine::exact_integer);
    let exact_ok = options.default_value.is_none() || exact_default.is_some();
    for (zone, coverage) in zones.iter().zip(index.coverages()) {
        let id = text(&zone.id.to_string());
        for (row, runs) in coverage.rows() {
            let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
                continue;
            };
            let (col_off, col_end) = (first.col as usize, last.col_end() as usize);
            let window = Window::new(row, col_off, 1, col_end - col_off);
            let is_exact =
                exact_ok && raster.read_window_exact_into(band, window, &mut values, &mut exact)?;
            if !is_exact {
                raster.read_window_f64_into(band, window, &mut values)?;
            }
            if let Some((w, w_band)) = weights {
                w.read_window_f64_into(w_band, window, &mut weight_values)?;
            }
            for run in runs {
                if run.fraction < options.min_coverage_frac - crate::engine::COVERAGE_FRAC_TOL {
                    continue;
                }
                for col in run.col as usize..run.col_end() as usize {
                    let center = grid.cell_center(row, col);
                    let mut value = values[col - col_off];
                    let mut exact_value = is_exact
                        .then(|| exact.get(col - col_off).copied())
                        .flatten();
                    if value.is_nan()
                        && let Some(default) = options.default_value
                    {
                        value = default;
                        exact_value = exact_value.and(exact_default);
                    }
                    let weight = weights.map(|_| {
                        let w = weight_values[col - col_off];
                        match options.default_weight {
                            Some(default) if w.is_nan() => default,
                            _ => w,
                        }
                    });
                    line.clear();
                    line.push_str(&id);
                    for field in [
                        (row * cols + col).to_string(),
                        row.to_string(),
                        col.to_string(),
                        number(center.x),
                        number(center.y),
                        number(run.fraction),
                        match exact_value {
                            _ if value.is_nan() => String::new(),
                            Some(v) => v.to_string(),
                            None => number(value),
                        },
                        weight
                            .filter(|w| !w.is_nan())
                            .map_or_else(String::new, number),
                    ] {
                        line.push(',');
                        line.push_str(&field);
                    }
                    line.push('\n');
                    out.write_all(line.as_bytes()).map_err(io_error)?;
                }
            }
        }
    }
    out.flush().map_err(io_error)
}
