//! The `poverty_index` workflow: per-zone indicators from a table (joined
//! to the zones by id) or from a raster (with roll-ups to groups of zones),
//! screened, combined into a [`CompositeIndex`], validated against a
//! reference column or a list of poor zones, and written as one set of
//! files: the index table, its maps and the run's provenance.
//!
//! Each step is a function of its own, for a program that needs only some:
//! [`rows_of_date`](super::rows_of_date) and [`Indicators::from_table`] or
//! [`Indicators::from_raster`], [`IndexSettings::spec`],
//! [`Indicators::screen`], [`composite_index`](super::composite_index), [`Validation`],
//! [`index_table_csv`], [`map_files`](crate::map::map_files) and
//! [`PovertyProvenance`]; `terralux::workflow::poverty::run_poverty_index`
//! does them all, as the binary does.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{
    CompositeIndex, Direction, IndexSpec, Missing, Normalisation, Weights, ols_r2, pearson,
    roc_auc, screen_indicators, spearman,
};
use crate::error::Error;
#[cfg(feature = "gdal")]
use crate::raster::GdalRaster;
use crate::table::Table;
use crate::write::{InputFile, Json, OutputFile, csv_field, csv_record, output_json, rfc3339};
use crate::zones::ZoneSet;

/// Why a step of the workflow refused to go on.
#[derive(Debug, thiserror::Error)]
pub enum PovertyError {
    /// The request cannot be carried out as asked, whatever the data (a
    /// name that is not an indicator, no indicator at all); the binary
    /// exits with code 2.
    #[error("{0}")]
    Usage(String),
    /// The data does not allow it (no zone matches the table).
    #[error("{0}")]
    Data(String),
    /// An error of the library (reading, writing, the index itself).
    #[error(transparent)]
    Library(#[from] Error),
}

impl From<super::DateError> for PovertyError {
    fn from(e: super::DateError) -> Self {
        match e {
            super::DateError::SeveralDates { .. } => PovertyError::Usage(e.to_string()),
            other => PovertyError::Data(other.to_string()),
        }
    }
}

/// The normalisation as asked: a method, or goalposts by indicator name.
#[derive(Debug, Clone, PartialEq)]
pub enum NormalisationSetting {
    /// One method for every indicator.
    Plain(Normalisation),
    /// `(name, (low, high))` for every indicator.
    Goalposts(Goalposts),
}

/// The weights as asked: a method, or a weight by indicator name.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsSetting {
    /// Equal, entropy or principal-component weights.
    Plain(Weights),
    /// `(name, weight)` for every indicator.
    Given(Vec<(String, f64)>),
}

impl WeightsSetting {
    /// Parse `equal`, `entropy`, `pca` or `name=weight,...` (weights >= 0).
    ///
    /// ```
    /// use terralux::index::{Weights, poverty::WeightsSetting};
    /// assert_eq!(WeightsSetting::parse("pca"), Ok(WeightsSetting::Plain(Weights::FirstPrincipalComponent)));
    /// assert_eq!(WeightsSetting::parse("a=2,b=1"), Ok(WeightsSetting::Given(vec![("a".into(), 2.0), ("b".into(), 1.0)])));
    /// assert!(WeightsSetting::parse("a=-1").is_err());
    /// ```
    pub fn parse(given: &str) -> Result<Self, String> {
        Ok(match given {
            "equal" => WeightsSetting::Plain(Weights::Equal),
            "entropy" => WeightsSetting::Plain(Weights::Entropy),
            "pca" => WeightsSetting::Plain(Weights::FirstPrincipalComponent),
            given => {
                let mut parsed = Vec::new();
                for item in given.split(',') {
                    match item.split_once('=').map(|(n, w)| (n, w.parse::<f64>())) {
                        Some((name, Ok(w))) if w.is_finite() && w >= 0.0 => {
                            parsed.push((name.to_string(), w))
                        }
                        _ => {
                            return Err(format!(
                                "takes equal, entropy, pca or name=weight,... (weights >= 0), not '{item}'"
                            ));
                        }
                    }
                }
                WeightsSetting::Given(parsed)
            }
        })
    }
}

/// Per indicator, its `(worst, best)` goalposts.
pub type Goalposts = Vec<(String, (f64, f64))>;

/// Parse goalposts `name:low:high,...` (low below high).
///
/// ```
/// let posts = terralux::index::poverty::parse_goalposts("density:0:50,water:0:1").unwrap();
/// assert_eq!(posts, [("density".to_string(), (0.0, 50.0)), ("water".to_string(), (0.0, 1.0))]);
/// assert!(terralux::index::poverty::parse_goalposts("density:5:1").is_err());
/// ```
pub fn parse_goalposts(posts: &str) -> Result<Goalposts, String> {
    let mut parsed = Vec::new();
    for item in posts.split(',') {
        let parts: Vec<&str> = item.split(':').collect();
        let numbers = (parts.len() == 3)
            .then(|| Some((parts[1].parse::<f64>().ok()?, parts[2].parse::<f64>().ok()?)))
            .flatten();
        match numbers {
            Some((lo, hi)) if lo < hi => parsed.push((parts[0].to_string(), (lo, hi))),
            _ => {
                return Err(format!(
                    "takes name:low:high with low below high, not '{item}'"
                ));
            }
        }
    }
    Ok(parsed)
}

/// The choices of an index, by indicator name (as `poverty_index` takes
/// them); [`IndexSettings::spec`] makes the [`IndexSpec`] for a list of
/// indicators.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSettings {
    /// Indicators where higher is worse.
    pub worse: Vec<String>,
    /// The normalisation (default min-max).
    pub normalisation: NormalisationSetting,
    /// The weights (default equal).
    pub weights: WeightsSetting,
    /// The aggregation (default arithmetic).
    pub aggregation: super::Aggregation,
    /// The missing-value rule (default propagate).
    pub missing: Missing,
    /// Quantile classes (default 5).
    pub classes: usize,
}

impl Default for IndexSettings {
    fn default() -> Self {
        IndexSettings {
            worse: Vec::new(),
            normalisation: NormalisationSetting::Plain(Normalisation::MinMax),
            weights: WeightsSetting::Plain(Weights::Equal),
            aggregation: super::Aggregation::Arithmetic,
            missing: Missing::Propagate,
            classes: 5,
        }
    }
}

/// One value per indicator from a `name` -> value list that names every
/// indicator and nothing else.
fn by_indicator<V: Copy>(
    indicators: &[String],
    items: &[(String, V)],
    flag: &str,
) -> Result<Vec<V>, PovertyError> {
    if let Some((name, _)) = items.iter().find(|(n, _)| !indicators.contains(n)) {
        return Err(PovertyError::Usage(format!(
            "{flag} names '{name}', which is not an indicator"
        )));
    }
    indicators
        .iter()
        .map(|name| {
            items
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    PovertyError::Usage(format!("{flag} gives nothing for indicator '{name}'"))
                })
        })
        .collect()
}

impl IndexSettings {
    /// The index specification for `indicators`: an indicator named in
    /// `worse`, the goalposts or the weights that is not one of them, or
    /// one the goalposts or the weights leave out, is a usage error.
    ///
    /// ```
    /// use terralux::index::{Direction, Weights, poverty::{IndexSettings, WeightsSetting}};
    /// let settings = IndexSettings {
    ///     worse: vec!["gini".into()],
    ///     weights: WeightsSetting::Given(vec![("gini".into(), 1.0), ("density".into(), 3.0)]),
    ///     ..IndexSettings::default()
    /// };
    /// let spec = settings.spec(&["density".into(), "gini".into()]).unwrap();
    /// assert_eq!(spec.directions, [Direction::HigherIsBetter, Direction::HigherIsWorse]);
    /// assert_eq!(spec.weights, Weights::Given(vec![3.0, 1.0]));
    /// assert!(settings.spec(&["density".into()]).is_err());
    /// ```
    pub fn spec(&self, indicators: &[String]) -> Result<IndexSpec, PovertyError> {
        for name in &self.worse {
            if !indicators.contains(name) {
                return Err(PovertyError::Usage(format!(
                    "--worse names '{name}', which is not an indicator"
                )));
            }
        }
        Ok(IndexSpec {
            directions: indicators
                .iter()
                .map(|i| {
                    if self.worse.contains(i) {
                        Direction::HigherIsWorse
                    } else {
                        Direction::HigherIsBetter
                    }
                })
                .collect(),
            normalisation: match &self.normalisation {
                NormalisationSetting::Plain(n) => n.clone(),
                NormalisationSetting::Goalposts(posts) => {
                    Normalisation::Goalposts(by_indicator(indicators, posts, "--goalposts")?)
                }
            },
            weights: match &self.weights {
                WeightsSetting::Plain(w) => w.clone(),
                WeightsSetting::Given(given) => {
                    Weights::Given(by_indicator(indicators, given, "--weights")?)
                }
            },
            aggregation: self.aggregation,
            missing: self.missing,
            classes: self.classes,
        })
    }
}

/// A roll-up level: the field, its groups' ids, and one column per indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// The zones' field the groups share (city, province).
    pub field: String,
    /// The groups' ids, in the order of the roll-up table.
    pub ids: Vec<String>,
    /// One column per indicator, one value per group.
    pub columns: Vec<Vec<Option<f64>>>,
}

/// Indicators per zone, in zone order, and what their gathering found.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicators {
    /// The indicators' names.
    pub names: Vec<String>,
    /// One column per indicator, one value per zone.
    pub columns: Vec<Vec<Option<f64>>>,
    /// The reference column per zone (finite values only), when asked for.
    pub reference: Option<Vec<Option<f64>>>,
    /// Zones without a table row (0 from a raster).
    pub zones_without_row: usize,
    /// Table rows without a zone (0 from a raster).
    pub rows_without_zone: usize,
    /// One per roll-up field (from a raster only).
    pub levels: Vec<Level>,
    /// Zones with invalid geometry measured as repaired (from a raster only).
    pub repaired: Vec<String>,
}

impl Indicators {
    /// The indicators from `table`, matched to `zones` by the table's
    /// column `id_column` ([`join_table`](super::join_table)): `names`, or
    /// by default every numeric column but the id, `date` and the
    /// reference; with `reference`, that column too. No zone matching any
    /// row is an error.
    ///
    /// ```
    /// use geo_types::{MultiPolygon, polygon};
    /// use terralux::index::poverty::Indicators;
    /// use terralux::table::Table;
    /// use terralux::zones::{Attributes, Zone, ZoneId, ZoneSet};
    /// let zone = |id| Zone { id: ZoneId::Int(id), attributes: Attributes::default(),
    ///     geometry: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)]]) };
    /// let zones = ZoneSet::new(vec![zone(1), zone(2)], None);
    /// let table = Table::parse("code,lights,official\n2,5,0.5\n7,1,0.1\n", "t.csv")?;
    /// let got = Indicators::from_table(&table, "code", &zones, None, Some("official")).unwrap();
    /// assert_eq!(got.names, ["lights"]);
    /// assert_eq!(got.columns, [vec![None, Some(5.0)]]);
    /// assert_eq!(got.reference, Some(vec![None, Some(0.5)]));
    /// assert_eq!((got.zones_without_row, got.rows_without_zone), (1, 1));
    /// # Ok::<(), terralux::Error>(())
    /// ```
    pub fn from_table(
        table: &Table,
        id_column: &str,
        zones: &ZoneSet,
        names: Option<&[String]>,
        reference: Option<&str>,
    ) -> Result<Self, PovertyError> {
        let zone_ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
        let joined = super::join_table(table, id_column, &zone_ids)?;
        if joined.zones_without_row == zones.len() {
            return Err(PovertyError::Data(format!(
                "no county of {} matches an id in column '{id_column}' of {}",
                zones.source_name(),
                table.source()
            )));
        }
        let names: Vec<String> = match names {
            Some(list) => list.to_vec(),
            None => table
                .numeric_columns()
                .into_iter()
                .filter(|c| *c != id_column && *c != "date" && Some(*c) != reference)
                .map(str::to_string)
                .collect(),
        };
        if names.is_empty() {
            return Err(PovertyError::Usage(
                "no indicator to combine; name them with --indicators".into(),
            ));
        }
        let columns = names
            .iter()
            .map(|name| Ok(joined.column(&table.numbers(name)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let reference = reference
            .map(|r| {
                table.numbers(r).map(|v| {
                    joined
                        .column(&v)
                        .into_iter()
                        .map(|x| x.filter(|x| x.is_finite()))
                        .collect()
                })
            })
            .transpose()?;
        Ok(Indicators {
            names,
            columns,
            reference,
            zones_without_row: joined.zones_without_row,
            rows_without_zone: joined.rows_without_zone,
            levels: Vec::new(),
            repaired: Vec::new(),
        })
    }

    /// The indicators as statistics of `band` of `raster` over `zones`
    /// (`stats`, named `names`; see [`raster_stats`]), zones in another CRS
    /// reprojected, and rolled up by each of `roll_ups` (zone fields) from
    /// the same pass.
    #[cfg(feature = "gdal")]
    pub fn from_raster(
        raster: &GdalRaster,
        band: usize,
        zones: &ZoneSet,
        names: &[String],
        stats: &[crate::stats::Stat],
        roll_ups: &[String],
    ) -> Result<Self, PovertyError> {
        Self::from_raster_with_progress(raster, band, zones, names, stats, roll_ups, None)
    }

    /// [`Indicators::from_raster`] calling `progress(done, total)` (in
    /// chunks of the raster) as the pass goes
    /// ([`ZonalStats::on_progress`](crate::ZonalStats::on_progress)).
    #[cfg(feature = "gdal")]
    pub fn from_raster_with_progress(
        raster: &GdalRaster,
        band: usize,
        zones: &ZoneSet,
        names: &[String],
        stats: &[crate::stats::Stat],
        roll_ups: &[String],
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<Self, PovertyError> {
        use crate::RasterSource;
        use crate::results::ZonalTable;
        use crate::stats::StatValue;
        let raster_crs = raster
            .grid()
            .crs()
            .cloned()
            .ok_or_else(|| PovertyError::Data(format!("{}: no CRS", raster.name())))?;
        let projected;
        let zones = match zones.crs() {
            Some(crs) if !crs.matches(&raster_crs) => {
                projected = zones.clone().into_crs(&raster_crs)?;
                &projected
            }
            _ => zones,
        };
        let fields: Vec<&str> = roll_ups.iter().map(String::as_str).collect();
        let mut engine = crate::ZonalStats::new(zones)
            .band(raster, band)
            .stats(stats);
        if let Some(report) = progress {
            engine = engine.on_progress(report);
        }
        let (table, levels) = engine.run_with_roll_ups(&fields)?;
        let columns_of = |table: &ZonalTable| -> Vec<Vec<Option<f64>>> {
            (0..stats.len())
                .map(|k| {
                    table
                        .zones
                        .iter()
                        .map(|z| match z.values[k] {
                            StatValue::Number(v) => Some(v),
                            _ => None,
                        })
                        .collect()
                })
                .collect()
        };
        Ok(Indicators {
            names: names.to_vec(),
            columns: columns_of(&table),
            reference: None,
            zones_without_row: 0,
            rows_without_zone: 0,
            levels: roll_ups
                .iter()
                .zip(&levels)
                .map(|(field, level)| Level {
                    field: field.clone(),
                    ids: level.zones.iter().map(|z| z.id.to_string()).collect(),
                    columns: columns_of(level),
                })
                .collect(),
            repaired: table
                .provenance
                .repaired_zones
                .iter()
                .map(ToString::to_string)
                .collect(),
        })
    }

    /// Zones x indicators (the rows [`composite_index`](super::composite_index) takes) from the columns.
    pub fn rows(&self) -> Vec<Vec<Option<f64>>> {
        rows_of(&self.columns)
    }

    /// Screen every column ([`screen_indicators`]: non-finite values become
    /// missing) of the zones and of each roll-up level, and say what was
    /// found, in words: non-finite values, and indicators without any value
    /// (which, under [`Missing::Propagate`], empty every score).
    ///
    /// ```
    /// use terralux::index::{Missing, poverty::Indicators};
    /// let mut gathered = Indicators {
    ///     names: vec!["lights".into(), "water".into()],
    ///     columns: vec![vec![Some(1.0), Some(f64::NAN)], vec![None, None]],
    ///     reference: None, zones_without_row: 0, rows_without_zone: 0,
    ///     levels: vec![], repaired: vec![],
    /// };
    /// let notes = gathered.screen(Missing::Reweight);
    /// assert_eq!(gathered.columns[0], [Some(1.0), None]);
    /// assert_eq!(notes, [
    ///     "indicator 'lights': 1 county value(s) are not finite (inf or nan) and count as missing",
    ///     "indicator 'water' has no value for any county: it is left out of every score",
    /// ]);
    /// ```
    pub fn screen(&mut self, missing: Missing) -> Vec<String> {
        let mut notes = screening_notes(&self.names, &mut self.columns, "county", missing);
        for level in &mut self.levels {
            let what = format!("'{}' group", level.field);
            notes.extend(screening_notes(
                &self.names,
                &mut level.columns,
                &what,
                missing,
            ));
        }
        notes
    }
}

/// The statistics `names` (`mean`, `p90`, `valid_frac`...) for
/// [`Indicators::from_raster`]; an unknown name is a usage error.
pub fn raster_stats(names: &[String]) -> Result<Vec<crate::stats::Stat>, PovertyError> {
    crate::stats::Stat::parse_list(&names.join(","))
        .map_err(|e| PovertyError::Usage(format!("--indicators with --raster: {e}")))
}

/// Zones x indicators from indicator columns (the rows [`composite_index`](super::composite_index) takes).
pub fn rows_of(columns: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    let zones = columns.first().map_or(0, Vec::len);
    (0..zones)
        .map(|z| columns.iter().map(|c| c[z]).collect())
        .collect()
}

/// Screen `columns` (one per indicator of `names`; see
/// [`screen_indicators`]) and say what was found: each `what` (`county`,
/// `'city' group`) value that was not finite, and each indicator left
/// without a value, with what `missing` does to it.
pub fn screening_notes(
    names: &[String],
    columns: &mut [Vec<Option<f64>>],
    what: &str,
    missing: Missing,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, found) in names.iter().zip(screen_indicators(columns)) {
        if found.non_finite > 0 {
            notes.push(format!(
                "indicator '{name}': {} {what} value(s) are not finite (inf or nan) and count as missing",
                found.non_finite
            ));
        }
        if found.present == 0 {
            notes.push(format!(
                "indicator '{name}' has no value for any {what}: {}",
                match missing {
                    Missing::Propagate =>
                        "every score is missing (--missing reweight leaves it out)",
                    Missing::Reweight => "it is left out of every score",
                }
            ));
        }
    }
    notes
}

/// The score against a reference column: Pearson, Spearman, OLS R².
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReferenceFigures {
    /// The reference column's name.
    pub column: String,
    /// Pearson's r of the score and the reference.
    pub pearson: Option<f64>,
    /// Spearman's rank correlation.
    pub spearman: Option<f64>,
    /// R² of the least-squares line.
    pub ols_r2: Option<f64>,
}

impl ReferenceFigures {
    /// The figures of `scores` against `reference` (one value per zone each).
    pub fn new(column: &str, scores: &[Option<f64>], reference: &[Option<f64>]) -> Self {
        ReferenceFigures {
            column: column.to_string(),
            pearson: pearson(scores, reference),
            spearman: spearman(scores, reference),
            ols_r2: ols_r2(scores, reference),
        }
    }
}

/// The score against a list of zones officially designated poor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PoorListFigures {
    /// The list's path, as given.
    pub list: String,
    /// Distinct ids listed.
    pub listed: usize,
    /// Listed ids that are no zone's.
    pub not_in_zones: usize,
    /// The ROC AUC of the negated score for the listed zones (1: every
    /// listed zone scores below every other; lower score = poorer).
    pub roc_auc: Option<f64>,
}

impl PoorListFigures {
    /// The figures of `scores` (one per zone of `zone_ids`) for the ids of
    /// `text`, one a line (blank lines and surrounding spaces ignored);
    /// `list` names the list.
    ///
    /// ```
    /// use terralux::index::poverty::PoorListFigures;
    /// let ids = ["a", "b", "c"].map(String::from);
    /// let figures = PoorListFigures::new("poor.txt", "b\n\nz\n", &ids, &[Some(50.0), Some(10.0), Some(20.0)]);
    /// assert_eq!((figures.listed, figures.not_in_zones, figures.roc_auc), (2, 1, Some(1.0)));
    /// ```
    pub fn new(list: &str, text: &str, zone_ids: &[String], scores: &[Option<f64>]) -> Self {
        let listed: HashSet<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let known: HashSet<&str> = zone_ids.iter().map(String::as_str).collect();
        let labels: Vec<bool> = zone_ids
            .iter()
            .map(|id| listed.contains(id.as_str()))
            .collect();
        let not_in_zones = listed.iter().filter(|id| !known.contains(**id)).count();
        // Poorer zones should score lower: the AUC of the negated score.
        let negated: Vec<Option<f64>> = scores.iter().map(|s| s.map(|v| -v)).collect();
        PoorListFigures {
            list: list.to_string(),
            listed: listed.len(),
            not_in_zones,
            roc_auc: roc_auc(&negated, &labels),
        }
    }

    /// [`PoorListFigures::new`] on the file at `path`.
    pub fn read(path: &str, zone_ids: &[String], scores: &[Option<f64>]) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: PathBuf::from(path),
            source,
        })?;
        Ok(Self::new(path, &text, zone_ids, scores))
    }
}

/// The validation figures of a run (each part when asked for).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Validation {
    /// Against a reference column.
    pub reference: Option<ReferenceFigures>,
    /// Against a list of poor zones.
    pub poor: Option<PoorListFigures>,
}

impl Validation {
    /// The figures that have a value, by name (`pearson`, `spearman`,
    /// `ols_r2`, `roc_auc`), in provenance order.
    pub fn figures(&self) -> Vec<(&'static str, f64)> {
        let mut figures = Vec::new();
        if let Some(r) = &self.reference {
            for (name, value) in [
                ("pearson", r.pearson),
                ("spearman", r.spearman),
                ("ols_r2", r.ols_r2),
            ] {
                figures.extend(value.map(|v| (name, v)));
            }
        }
        if let Some(v) = self.poor.as_ref().and_then(|p| p.roc_auc) {
            figures.push(("roc_auc", v));
        }
        figures
    }

    /// The provenance record: `reference`, `pearson`, `spearman`,
    /// `ols_r2`, `poor_list`, `poor_listed`, `poor_not_in_zones`,
    /// `roc_auc` (the parts asked for; a figure without value is null).
    pub fn to_json(&self) -> Json {
        let figure = |v: Option<f64>| v.map_or(Json::Null, Json::Number);
        let mut fields: Vec<(&str, Json)> = Vec::new();
        if let Some(r) = &self.reference {
            fields.push(("reference", Json::str(&r.column)));
            fields.push(("pearson", figure(r.pearson)));
            fields.push(("spearman", figure(r.spearman)));
            fields.push(("ols_r2", figure(r.ols_r2)));
        }
        if let Some(p) = &self.poor {
            fields.push(("poor_list", Json::str(&p.list)));
            fields.push(("poor_listed", Json::Int(p.listed as i64)));
            fields.push(("poor_not_in_zones", Json::Int(p.not_in_zones as i64)));
            fields.push(("roc_auc", figure(p.roc_auc)));
        }
        Json::object(fields)
    }
}

/// An index table as CSV: the id column (`id_column`), `score`, `rank`,
/// `class`, `composite`, then `<indicator>_norm` for each indicator; one
/// row per zone or group of `ids`, a missing value empty.
///
/// ```
/// use terralux::index::{IndexSpec, composite_index, index_table_csv};
/// let index = composite_index(&[vec![Some(2.0)], vec![Some(1.0)], vec![None]], &IndexSpec::equal_min_max(1)).unwrap();
/// let ids = ["a", "b", "c"].map(String::from);
/// let csv = index_table_csv("code", &ids, &["lights".into()], &index);
/// assert_eq!(String::from_utf8(csv).unwrap(),
///     "code,score,rank,class,composite,lights_norm\na,100,1,3,1,1\nb,0,2,1,0,0\nc,,,,,\n");
/// ```
pub fn index_table_csv(
    id_column: &str,
    ids: &[String],
    indicators: &[String],
    index: &CompositeIndex,
) -> Vec<u8> {
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let whole = |v: Option<usize>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::new();
    let mut header = vec![
        id_column.to_string(),
        "score".into(),
        "rank".into(),
        "class".into(),
        "composite".into(),
    ];
    header.extend(indicators.iter().map(|i| format!("{i}_norm")));
    out.push_str(&csv_record(&header));
    out.push('\n');
    for (z, id) in ids.iter().enumerate() {
        let mut cells = vec![
            csv_field(id).into_owned(),
            number(index.scores[z]),
            whole(index.ranks[z]),
            whole(index.classes[z]),
            number(index.composite[z]),
        ];
        cells.extend(index.normalised[z].iter().map(|v| number(*v)));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// The index table of [`index_table_csv`] as an Arrow record batch (for
/// `--output PATH.parquet`): the id (text), `score` and `composite`
/// Float64, `rank` and `class` Int64, each `<indicator>_norm` Float64;
/// missing values null.
///
/// ```
/// use terralux::index::{IndexSpec, composite_index};
/// use terralux::index::poverty::index_record_batch;
/// let index = composite_index(&[vec![Some(2.0)], vec![Some(1.0)], vec![None]], &IndexSpec::equal_min_max(1)).unwrap();
/// let ids = ["a", "b", "c"].map(String::from);
/// let batch = index_record_batch("code", &ids, &["lights".into()], &index).unwrap();
/// assert_eq!(batch.num_rows(), 3);
/// assert_eq!(batch.schema().field(2).name(), "rank");
/// assert_eq!(batch.column(1).null_count(), 1); // c has no score
/// ```
pub fn index_record_batch(
    id_column: &str,
    ids: &[String],
    indicators: &[String],
    index: &CompositeIndex,
) -> crate::Result<arrow_array::RecordBatch> {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    let whole = |v: &[Option<usize>]| -> ArrayRef {
        Arc::new(Int64Array::from(
            v.iter()
                .map(|v| v.and_then(|v| i64::try_from(v).ok()))
                .collect::<Vec<_>>(),
        ))
    };
    let mut fields = vec![
        Field::new(id_column, DataType::Utf8, false),
        Field::new("score", DataType::Float64, true),
        Field::new("rank", DataType::Int64, true),
        Field::new("class", DataType::Int64, true),
        Field::new("composite", DataType::Float64, true),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids.to_vec())),
        Arc::new(Float64Array::from(index.scores.clone())),
        whole(&index.ranks),
        whole(&index.classes),
        Arc::new(Float64Array::from(index.composite.clone())),
    ];
    for (i, name) in indicators.iter().enumerate() {
        fields.push(Field::new(format!("{name}_norm"), DataType::Float64, true));
        let values: Vec<Option<f64>> = index
            .normalised
            .iter()
            .map(|row| row.get(i).copied().flatten())
            .collect();
        columns.push(Arc::new(Float64Array::from(values)));
    }
    arrow_array::RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| {
        Error::Mismatch {
            context: "index table".into(),
            reason: e.to_string(),
        }
    })
}

/// A roll-up's index as recorded in provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct RollUpRecord {
    /// The zones' field.
    pub field: String,
    /// Its index table.
    pub output: String,
    /// How many groups.
    pub groups: usize,
    /// The weights used.
    pub weights: Vec<f64>,
}

/// The provenance of a `poverty_index` run: what went in, what choices
/// were made (by stable names: [`Normalisation::name`], [`Weights::name`],
/// [`Aggregation::name`](super::Aggregation::name), [`Missing::name`]),
/// what came out and the validation figures; written beside every table
/// of the run ([`PovertyProvenance::to_text`]).
///
/// ```
/// use std::time::SystemTime;
/// use terralux::index::{IndexSpec, Weights};
/// use terralux::index::poverty::{PovertyProvenance, Validation};
/// let mut spec = IndexSpec::equal_min_max(1);
/// spec.weights = Weights::Entropy;
/// let record = PovertyProvenance::new("poverty_index", &spec, SystemTime::UNIX_EPOCH);
/// let text = record.to_text();
/// assert!(text.contains("\"normalisation\": \"minmax\",\n  \"weights_method\": \"entropy\""));
/// assert!(text.contains("\"aggregation\": \"arithmetic\",\n  \"missing\": \"propagate\""));
/// assert!(text.contains("\"started\": \"1970-01-01T00:00:00.000Z\""));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PovertyProvenance {
    /// The program that ran.
    pub program: String,
    /// Its command line.
    pub command_line: Vec<String>,
    /// The input files.
    pub inputs: Vec<InputFile>,
    /// The data files written (tables and maps).
    pub outputs: Vec<OutputFile>,
    /// The table's date chosen.
    pub date: Option<String>,
    /// The indicators.
    pub indicators: Vec<String>,
    /// Those where higher is worse.
    pub higher_is_worse: Vec<String>,
    /// The normalisation's name.
    pub normalisation: &'static str,
    /// The weighting method's name.
    pub weights_method: &'static str,
    /// The weights used.
    pub weights: Vec<f64>,
    /// The aggregation's name.
    pub aggregation: &'static str,
    /// The missing-value rule's name.
    pub missing: &'static str,
    /// Quantile classes.
    pub classes: usize,
    /// Zones.
    pub zones: usize,
    /// Zones with a score.
    pub zones_scored: usize,
    /// Zones without a table row.
    pub zones_without_table_row: usize,
    /// Table rows without a zone.
    pub table_rows_without_zone: usize,
    /// The roll-ups.
    pub roll_ups: Vec<RollUpRecord>,
    /// Notes (screening).
    pub notes: Vec<String>,
    /// The validation figures.
    pub validation: Validation,
    /// When the run started.
    pub started: SystemTime,
    /// When it finished (set when written).
    pub finished: SystemTime,
}

impl PovertyProvenance {
    /// A record of `program` with the choices of `spec` (weights, indicators
    /// and counts empty), started at `started`.
    pub fn new(program: &str, spec: &IndexSpec, started: SystemTime) -> Self {
        PovertyProvenance {
            program: program.to_string(),
            command_line: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            date: None,
            indicators: Vec::new(),
            higher_is_worse: Vec::new(),
            normalisation: spec.normalisation.name(),
            weights_method: spec.weights.name(),
            weights: Vec::new(),
            aggregation: spec.aggregation.name(),
            missing: spec.missing.name(),
            classes: spec.classes,
            zones: 0,
            zones_scored: 0,
            zones_without_table_row: 0,
            table_rows_without_zone: 0,
            roll_ups: Vec::new(),
            notes: Vec::new(),
            validation: Validation::default(),
            started,
            finished: started,
        }
    }

    /// The record as JSON, fields in the order of the struct after
    /// `library` and `version`.
    pub fn to_json(&self) -> Json {
        let strings = |v: &[String]| Json::Array(v.iter().map(Json::str).collect());
        let numbers = |v: &[f64]| Json::Array(v.iter().map(|w| Json::Number(*w)).collect());
        let int = |v: usize| Json::Int(v as i64);
        Json::object([
            ("library", Json::str("terralux")),
            ("version", Json::str(crate::VERSION)),
            ("program", Json::str(&self.program)),
            ("command_line", strings(&self.command_line)),
            (
                "inputs",
                Json::Array(self.inputs.iter().map(InputFile::to_json).collect()),
            ),
            (
                "outputs",
                Json::Array(self.outputs.iter().map(output_json).collect()),
            ),
            ("date", self.date.clone().map_or(Json::Null, Json::Str)),
            ("indicators", strings(&self.indicators)),
            ("higher_is_worse", strings(&self.higher_is_worse)),
            ("normalisation", Json::str(self.normalisation)),
            ("weights_method", Json::str(self.weights_method)),
            ("weights", numbers(&self.weights)),
            ("aggregation", Json::str(self.aggregation)),
            ("missing", Json::str(self.missing)),
            ("classes", int(self.classes)),
            ("zones", int(self.zones)),
            ("zones_scored", int(self.zones_scored)),
            ("zones_without_table_row", int(self.zones_without_table_row)),
            ("table_rows_without_zone", int(self.table_rows_without_zone)),
            (
                "roll_ups",
                Json::Array(
                    self.roll_ups
                        .iter()
                        .map(|r| {
                            Json::object([
                                ("field", Json::str(&r.field)),
                                ("output", Json::str(&r.output)),
                                ("groups", int(r.groups)),
                                ("weights", numbers(&r.weights)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("notes", strings(&self.notes)),
            ("validation", self.validation.to_json()),
            ("started", Json::str(rfc3339(self.started))),
            ("finished", Json::str(rfc3339(self.finished))),
        ])
    }

    /// The provenance file's text: the JSON, indented, and a final newline.
    pub fn to_text(&self) -> String {
        self.to_json().to_string_pretty() + "\n"
    }
}
