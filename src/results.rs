//! Typed results: one [`ZoneStats`] per input zone, in input order, and provenance.

use crate::coverage::CoverageMode;
use crate::grid::Grid;
use crate::stats::{ModeTies, Stat, StatValue, Weighting};
use crate::zones::{Attributes, ZoneId};

/// One input layer of a zonal run: a band of a raster.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayerInfo {
    /// The raster's name (its path for GDAL rasters).
    pub source: String,
    /// The raster's number (from 1) among the distinct rasters of the run, in the order given.
    pub raster: usize,
    /// The band (from 1).
    pub band: usize,
}

/// One output column: a statistic of one input layer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Column {
    /// Index into [`ZonalTable::layers`].
    pub layer: usize,
    /// The statistic.
    pub stat: Stat,
    /// The column's name: the statistic's name with one layer; `b{band}_{stat}`
    /// with several bands of one raster; `r{raster}_b{band}_{stat}` with
    /// several rasters (rasters numbered from 1 in the order given).
    pub name: String,
}

/// The statistics of one zone.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZoneStats {
    /// The zone's id.
    pub id: ZoneId,
    /// The zone's attributes.
    pub attributes: Attributes,
    /// One value per column of the table, in column order.
    pub values: Vec<StatValue>,
}

/// Where a table came from and how it was computed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Provenance {
    /// terralux's version.
    pub library_version: String,
    /// The zones' source and layer.
    pub zones_source: String,
    /// The layer the zones came from.
    pub zones_layer: String,
    /// The id field (`None`: feature ids).
    pub id_field: Option<String>,
    /// The grid all layers share.
    pub grid: Grid,
    /// The weights raster, if any.
    pub weights: Option<LayerInfo>,
    /// The coverage mode.
    pub coverage: CoverageMode,
    /// The cell weighting.
    pub weighting: Weighting,
    /// The statistics, as asked.
    pub stats: Vec<Stat>,
    /// Cells covered less than this fraction were left out (0: none was;
    /// see [`crate::ZonalStats::min_coverage_frac`]).
    pub min_coverage_frac: f64,
    /// The value given to invalid cells (`None`: they were skipped; see
    /// [`crate::ZonalStats::default_value`]).
    pub default_value: Option<f64>,
    /// The weight used where the weights raster is invalid (`None`: those
    /// cells were left out of the weighted statistics; see
    /// [`crate::ZonalStats::default_weight`]).
    pub default_weight: Option<f64>,
    /// How `majority` and `minority` broke ties (see [`ModeTies`]).
    pub mode_ties: ModeTies,
    /// Worker threads used.
    pub threads: usize,
    /// The bytes that values kept for quantiles and the Gini coefficient
    /// could take in memory before going to a spill file (see
    /// [`crate::ZonalStats::memory_limit`]; `None`: no limit, as when
    /// partials are merged).
    pub memory_limit: Option<usize>,
    /// Bytes of such values written to the spill file (0: none was).
    pub spilled_bytes: u64,
    /// Ids of the zones whose geometry was invalid and was measured as
    /// repaired (see [`crate::coverage`]), in zone order.
    pub repaired_zones: Vec<ZoneId>,
}

/// The result of a zonal run: one row per input zone, in input order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZonalTable {
    /// The input layers.
    pub layers: Vec<LayerInfo>,
    /// The columns, layer by layer, statistics in the order asked.
    pub columns: Vec<Column>,
    /// One entry per zone, in input order.
    pub zones: Vec<ZoneStats>,
    /// How the table was computed.
    pub provenance: Provenance,
}

impl ZonalTable {
    /// The index of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The value of column `name` for zone number `zone` (input order).
    ///
    /// ```no_run
    /// # fn demo(table: &terralux::results::ZonalTable) {
    /// let mean_of_first = table.value(0, "mean").and_then(|v| v.as_f64());
    /// # }
    /// ```
    pub fn value(&self, zone: usize, name: &str) -> Option<&StatValue> {
        let col = self.column_index(name)?;
        self.zones.get(zone)?.values.get(col)
    }

    /// The column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Name the columns of `layers` x `stats` (see [`Column::name`]).
pub(crate) fn name_columns(layers: &[LayerInfo], stats: &[Stat]) -> Vec<Column> {
    let rasters = layers.iter().map(|l| l.raster).max().unwrap_or(1);
    let mut columns = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        for &stat in stats {
            let name = if layers.len() == 1 {
                stat.name()
            } else if rasters == 1 {
                format!("b{}_{}", layer.band, stat.name())
            } else {
                format!("r{}_b{}_{}", layer.raster, layer.band, stat.name())
            };
            columns.push(Column {
                layer: i,
                stat,
                name,
            });
        }
    }
    columns
}
