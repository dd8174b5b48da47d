//! Time series: many dated rasters of one grid through one coverage index.
//!
//! The coverage of every zone is computed once and reused for every date,
//! so each date costs one read of its raster and the accumulation, not a
//! coverage computation (PEERS.md defect 4).

use std::io::{self, Write};

use super::trend::{Trend, decimal_year, trend};
use crate::coverage::{CoverageIndex, CoverageMode};
use crate::engine::{SharedRaster, ZonalStats};
use crate::error::{Error, Result};
use crate::results::ZonalTable;
use crate::stats::Stat;
use crate::write::{csv_field, csv_record, format_value};
use crate::zones::{AttrValue, Attributes, Zone, ZoneSet};

/// One date of a series: a band of a raster, with its date label (`2014`, `2014-01`, `2015-01-01`).
pub struct Dated<'a> {
    /// The date label.
    pub date: String,
    /// The raster.
    pub raster: SharedRaster<'a>,
    /// The band (from 1).
    pub band: usize,
    /// A weights raster (e.g. population) for this date, if any.
    pub weights: Option<(SharedRaster<'a>, usize)>,
}

/// The results of a series: one table per date, in date order.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    /// Date labels, in the order given.
    pub dates: Vec<String>,
    /// One table per date.
    pub tables: Vec<ZonalTable>,
}

/// Run `stats` over every dated raster with one coverage index (built from
/// the first raster's grid; every raster must share it). `threads` as in
/// [`ZonalStats::threads`]; `progress(done, total)` is called after each date.
///
/// ```
/// # fn main() -> terralux::Result<()> {
/// use geo_types::{polygon, MultiPolygon};
/// use ndarray::array;
/// use terralux::ntl::series::{Dated, run_series};
/// use terralux::stats::{Stat, StatValue};
/// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
/// use terralux::{GeoTransform, Grid, Raster};
/// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 2)?;
/// let y2014 = Raster::new(grid.clone(), array![[1.0, 3.0]])?;
/// let y2015 = Raster::new(grid, array![[2.0, 6.0]])?;
/// let zone = Zone { id: ZoneId::Int(1), attributes: Attributes::default(),
///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
/// let zones = ZoneSet::new(vec![zone], None);
/// let dates = [
///     Dated { date: "2014".into(), raster: &y2014, band: 1, weights: None },
///     Dated { date: "2015".into(), raster: &y2015, band: 1, weights: None },
/// ];
/// let series = run_series(&zones, &dates, &[Stat::Sum], None, &|_, _| {})?;
/// assert_eq!(series.tables[1].zones[0].values[0], StatValue::Number(8.0));
/// let trends = series.trends(0);
/// assert_eq!(trends[0].sen_slope, Some(4.0));
/// # Ok(())
/// # }
/// ```
pub fn run_series(
    zones: &ZoneSet,
    dates: &[Dated<'_>],
    stats: &[Stat],
    threads: Option<usize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Series> {
    let first = dates.first().ok_or_else(|| Error::Mismatch {
        context: "time series".into(),
        reason: "no dated raster was given".into(),
    })?;
    if let Some(other) = dates
        .iter()
        .find(|d| !first.raster.grid().same_as(d.raster.grid()))
    {
        return Err(Error::Mismatch {
            context: other.raster.name().to_string(),
            reason: format!(
                "its grid differs from {}'s; every date of a series must share one grid",
                first.raster.name()
            ),
        });
    }
    let index = CoverageIndex::build(zones, first.raster.grid(), CoverageMode::Exact);
    let mut tables = Vec::with_capacity(dates.len());
    for (i, dated) in dates.iter().enumerate() {
        let mut run = ZonalStats::new(zones)
            .coverage_index(&index)
            .band(dated.raster, dated.band)
            .stats(stats);
        if let Some((raster, band)) = dated.weights {
            run = run.weights(raster, band);
        }
        if let Some(n) = threads {
            run = run.threads(n);
        }
        tables.push(run.run()?);
        progress(i + 1, dates.len());
    }
    Ok(Series {
        dates: dates.iter().map(|d| d.date.clone()).collect(),
        tables,
    })
}

impl Series {
    /// Each zone's trend of column `column` over the dates (times from
    /// [`decimal_year`]; dates whose label is not a date are left out).
    pub fn trends(&self, column: usize) -> Vec<Trend> {
        let times: Vec<f64> = self
            .dates
            .iter()
            .map(|d| decimal_year(d).unwrap_or(f64::NAN))
            .collect();
        let zones = self.tables.first().map_or(0, |t| t.zones.len());
        (0..zones)
            .map(|z| {
                let values: Vec<f64> = self
                    .tables
                    .iter()
                    .map(|t| {
                        t.zones[z]
                            .values
                            .get(column)
                            .and_then(|v| v.as_f64())
                            .unwrap_or(f64::NAN)
                    })
                    .collect();
                trend(&times, &values)
            })
            .collect()
    }

    /// Write each zone's trend of every column as CSV: the id column,
    /// `indicator` (named `names`, or the tables' own column names), `n`,
    /// `ols_slope`, `sen_slope`, `mann_kendall_s`, `mann_kendall_z`,
    /// `p_value`, `annual_growth` (see [`Trend`]); one row per zone and
    /// column, zones in input order; a missing figure is an empty field.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::ntl::series::{Dated, run_series};
    /// use terralux::stats::Stat;
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 1)?;
    /// let years: Vec<Raster<f64>> = [1.0, 2.0, 3.0].iter().map(|&v| Raster::new(grid.clone(), array![[v]])).collect::<Result<_, _>>()?;
    /// let zone = Zone { id: ZoneId::Int(7), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let dates: Vec<Dated<'_>> = years.iter().zip(["2014", "2015", "2016"])
    ///     .map(|(r, d)| Dated { date: d.into(), raster: r, band: 1, weights: None }).collect();
    /// let series = run_series(&zones, &dates, &[Stat::Sum], None, &|_, _| {})?;
    /// let mut out = Vec::new();
    /// series.write_trends_csv("code", None, &mut out).unwrap();
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.starts_with("code,indicator,n,ols_slope,sen_slope,"));
    /// assert!(text.lines().nth(1).unwrap().starts_with("7,sum,3,1,1,3,"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn write_trends_csv(
        &self,
        id_column: &str,
        names: Option<&[String]>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
        writeln!(
            out,
            "{},indicator,n,ols_slope,sen_slope,mann_kendall_s,mann_kendall_z,p_value,annual_growth",
            csv_field(id_column)
        )?;
        let Some(table) = self.tables.first() else {
            return out.flush();
        };
        let own: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        let names = names.unwrap_or(&own);
        let per_column: Vec<Vec<Trend>> = (0..names.len()).map(|c| self.trends(c)).collect();
        for (z, zone) in table.zones.iter().enumerate() {
            let id = csv_field(&zone.id.to_string()).into_owned();
            for (name, trends) in names.iter().zip(&per_column) {
                let t = &trends[z];
                writeln!(
                    out,
                    "{id},{},{},{},{},{},{},{},{}",
                    csv_field(name),
                    t.n,
                    opt(t.ols_slope),
                    opt(t.sen_slope),
                    t.mann_kendall_s,
                    opt(t.mann_kendall_z),
                    opt(t.p_value),
                    opt(t.annual_growth)
                )?;
            }
        }
        out.flush()
    }

    /// The long table as one table over a zone set of one zone per zone
    /// and date (`zones` repeated date by date, each with a `date`
    /// attribute after its own), for the vector writers. The columns, with
    /// their statistics, are the first date's table's; `None` for a series
    /// of no dates.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::ntl::series::{Dated, run_series};
    /// use terralux::stats::{Stat, StatValue};
    /// use terralux::zones::{AttrValue, Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 1)?;
    /// let (a, b) = (Raster::new(grid.clone(), array![[1.0]])?, Raster::new(grid, array![[2.0]])?);
    /// let zone = Zone { id: ZoneId::Int(7), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let dates = [
    ///     Dated { date: "2014".into(), raster: &a, band: 1, weights: None },
    ///     Dated { date: "2015".into(), raster: &b, band: 1, weights: None },
    /// ];
    /// let series = run_series(&zones, &dates, &[Stat::Max], None, &|_, _| {})?;
    /// let (table, long) = series.long_form(&zones).unwrap();
    /// assert_eq!(long.len(), 2);
    /// assert_eq!(long.zones()[1].attributes.get("date"), Some(&AttrValue::Text("2015".into())));
    /// assert_eq!(table.zones[1].values, [StatValue::Number(2.0)]);
    /// assert_eq!(table.columns[0].stat, Stat::Max);
    /// # Ok(())
    /// # }
    /// ```
    pub fn long_form(&self, zones: &ZoneSet) -> Option<(ZonalTable, ZoneSet)> {
        let mut table = self.tables.first()?.clone();
        table.zones.clear();
        let mut field_names: Vec<String> = zones.field_names().to_vec();
        field_names.push("date".to_string());
        let field_names: std::sync::Arc<[String]> = field_names.into();
        let mut long = Vec::with_capacity(zones.len() * self.dates.len());
        for (date, dated) in self.dates.iter().zip(&self.tables) {
            for (zone, stats) in zones.iter().zip(&dated.zones) {
                let mut values = zone.attributes.values().to_vec();
                values.push(AttrValue::Text(date.clone()));
                long.push(Zone {
                    id: zone.id.clone(),
                    attributes: Attributes::new(field_names.clone(), values),
                    geometry: zone.geometry.clone(),
                });
                table.zones.push(stats.clone());
            }
        }
        Some((table, ZoneSet::new(long, zones.crs().cloned())))
    }

    /// The long table as one Arrow record batch, as [`Series::write_long_csv`]
    /// lays it out: the id, `date` (text), then one column per statistic
    /// (types: [`crate::write::parquet`]); `None` without a date.
    ///
    /// ```
    /// # fn main() -> terralux::Result<()> {
    /// use geo_types::{polygon, MultiPolygon};
    /// use ndarray::array;
    /// use terralux::ntl::series::{Dated, run_series};
    /// use terralux::stats::Stat;
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// use terralux::{GeoTransform, Grid, Raster};
    /// let grid = Grid::new(GeoTransform::new(0.0, 1.0, 1.0, -1.0)?, 1, 1)?;
    /// let (a, b) = (Raster::new(grid.clone(), array![[1.0]])?, Raster::new(grid, array![[2.0]])?);
    /// let zone = Zone { id: ZoneId::Int(7), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone], None);
    /// let dates = [
    ///     Dated { date: "2014".into(), raster: &a, band: 1, weights: None },
    ///     Dated { date: "2015".into(), raster: &b, band: 1, weights: None },
    /// ];
    /// let series = run_series(&zones, &dates, &[Stat::Max], None, &|_, _| {})?;
    /// let batch = series.record_batch("code")?.unwrap();
    /// let names: Vec<String> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    /// assert_eq!(names, ["code", "date", "max"]);
    /// assert_eq!(batch.num_rows(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn record_batch(&self, id_column: &str) -> crate::Result<Option<arrow_array::RecordBatch>> {
        let Some(first) = self.tables.first() else {
            return Ok(None);
        };
        let rows = self.tables.iter().map(|t| t.zones.len()).sum();
        let mut dates = Vec::with_capacity(rows);
        for (date, table) in self.dates.iter().zip(&self.tables) {
            dates.extend(std::iter::repeat_n(date.clone(), table.zones.len()));
        }
        let zones = || self.tables.iter().flat_map(|t| &t.zones);
        crate::write::parquet::Rows {
            id_column,
            ids: zones().map(|z| &z.id).collect(),
            text_columns: vec![("date".to_string(), dates)],
            stat_names: first.columns.iter().map(|c| c.name.clone()).collect(),
            values: zones().map(|z| z.values.as_slice()).collect(),
        }
        .record_batch()
        .map(Some)
    }

    /// Write the long table as CSV: the id column, `date`, then one column per
    /// statistic (named `names`, or the tables' own names); one row per zone
    /// and date, zones in input order within each date, dates in order.
    pub fn write_long_csv(
        &self,
        id_column: &str,
        names: Option<&[String]>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let Some(first) = self.tables.first() else {
            return Ok(());
        };
        let own: Vec<String> = first.columns.iter().map(|c| c.name.clone()).collect();
        let header = names.unwrap_or(&own);
        writeln!(out, "{},date,{}", csv_field(id_column), csv_record(header))?;
        for (date, table) in self.dates.iter().zip(&self.tables) {
            for zone in &table.zones {
                let values: Vec<String> = zone
                    .values
                    .iter()
                    .map(|v| csv_field(&format_value(v)).into_owned())
                    .collect();
                writeln!(
                    out,
                    "{},{},{}",
                    csv_field(&zone.id.to_string()),
                    csv_field(date),
                    values.join(",")
                )?;
            }
        }
        out.flush()
    }
}
