//! `poverty_index`: a composite index from a per-county table of
//! indicators, with its maps.
//!
//! ```text
//! cargo run --release --example poverty_index -- \
//!     --table PATH.csv [--table-id COLUMN] [--date VALUE] \
//!       | --raster PATH [--band N] [--roll-up FIELD]... \
//!     --zones PATH [--layer NAME] [--id-field FIELD] \
//!     [--indicators LIST] [--worse LIST] \
//!     [--normalisation min-max|z-score|rank] [--goalposts LIST] \
//!     [--weights equal|entropy|pca|LIST] [--aggregation arithmetic|geometric] \
//!     [--missing propagate|reweight] [--classes N] \
//!     [--group-field FIELD] [--label-field FIELD] \
//!     [--reference COLUMN] [--poor PATH] \
//!     --output PATH.csv
//! ```
//!
//! Run with `--help` for every flag. Exit codes: 0 success, 2 usage error,
//! 1 any other error.

#[path = "common/args.rs"]
mod args;
#[path = "common/cli.rs"]
mod cli;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, ValueEnum};
use cli::Failure;
use terralux::index::{
    Aggregation, CompositeIndex, Direction, IndexSpec, Missing, Normalisation, Weights,
    composite_index, ols_r2, pearson, roc_auc, screen_indicators, spearman,
};
use terralux::map::{Choropleth, InteractiveMap};
use terralux::raster::RasterOptions;
use terralux::stats::{Stat, StatValue};
use terralux::table::Table;
use terralux::write::{self, InputFile, Json, OutputSet, csv_field, csv_record};
use terralux::zones::{ZoneOptions, ZoneSet};
use terralux::{GdalRaster, RasterSource, ZonalStats};

const PROGRAM: &str = "poverty_index";

const USAGE: &str = "\
poverty_index --table PATH.csv [--table-id COLUMN] [--date VALUE]
                     | --raster PATH [--band N] [--roll-up FIELD]...
                     --zones PATH [--layer NAME] [--id-field FIELD]
                     [--indicators LIST] [--worse LIST] [--normalisation min-max|z-score|rank]
                     [--goalposts LIST] [--weights equal|entropy|pca|LIST]
                     [--aggregation arithmetic|geometric] [--missing propagate|reweight]
                     [--classes N] [--group-field FIELD] [--label-field FIELD]
                     [--reference COLUMN] [--poor PATH] [--allow-raw-vrt] --output PATH.csv";

const AFTER_HELP: &str = "\
Exit codes: 0 success, 2 usage error, 1 any other error.

EXAMPLE
  cargo run --release --example poverty_index -- --table out/counties.csv \\
      --zones testdata/counties.gpkg --id-field code --indicators mean,sum,p90 \\
      --output out/index.csv";

/// The command line as given: every flag of `poverty_index`, and its `--help`.
#[derive(Parser)]
#[command(
    about = "poverty_index: a composite index of per-county indicators, with its maps",
    long_about = None,
    override_usage = USAGE,
    after_help = AFTER_HELP
)]
struct Cli {
    /// CSV of indicators, one row per county (e.g. the output of zonal or
    /// county_ntl), with an id column.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    table: Option<PathBuf>,
    /// The table's id column (default: the --id-field name, else 'fid').
    #[arg(long, value_name = "COLUMN", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    table_id: Option<String>,
    /// Keep the rows whose 'date' column is VALUE (needed when the table
    /// holds several dates, as county_ntl's does).
    #[arg(long, value_name = "VALUE", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    date: Option<String>,
    /// Instead of --table: compute the indicators as statistics of this raster
    /// band over the counties (--indicators names them, e.g. mean,p90,valid_frac;
    /// see zonal --help for the list). Zones in another CRS are reprojected.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    raster: Option<PathBuf>,
    /// The raster band (default 1).
    #[arg(long, value_name = "N", value_parser = args::whole(1), allow_negative_numbers = true,
          help_heading = "INPUTS", verbatim_doc_comment)]
    band: Option<usize>,
    /// With --raster: also build the index of the groups of counties sharing
    /// FIELD (city, province), from the groups' statistics merged in the same
    /// pass, into <stem>_by_<FIELD>.csv (same columns, FIELD as id); repeatable.
    #[arg(long, value_name = "FIELD", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    roll_up: Vec<String>,
    /// The counties (any OGR format); every county gets a row in the output.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    zones: Option<PathBuf>,
    /// Layer of the zones file.
    #[arg(long, value_name = "NAME", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    layer: Option<String>,
    /// Field holding the county ids, matched to the table's id column.
    #[arg(long, value_name = "FIELD", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    id_field: Option<String>,

    /// Comma-separated columns to combine (default: every numeric column
    /// but the id and the date).
    #[arg(long, value_name = "LIST", value_parser = args::text(), help_heading = "INDEX",
          verbatim_doc_comment)]
    indicators: Option<String>,
    /// Indicators where higher is worse (poverty rate, distance...).
    #[arg(long, value_name = "LIST", value_parser = args::text(), help_heading = "INDEX",
          verbatim_doc_comment)]
    worse: Option<String>,
    /// min-max (default), z-score or rank.
    #[arg(
        long,
        value_name = "M",
        value_enum,
        help_heading = "INDEX",
        verbatim_doc_comment
    )]
    normalisation: Option<NormalisationName>,
    /// Fixed goalposts instead: name:low:high for every indicator, e.g.
    /// density:0:50,water:0:1 (values clamped to 0..1).
    #[arg(long, value_name = "LIST", value_parser = args::parser(goalposts),
          help_heading = "INDEX", verbatim_doc_comment)]
    goalposts: Option<Goalposts>,
    /// equal (default), entropy, pca (first principal component), or
    /// name=weight,... for every indicator.
    #[arg(long, value_name = "W", value_parser = args::parser(weights), help_heading = "INDEX",
          verbatim_doc_comment)]
    weights: Option<WeightsChoice>,
    /// arithmetic (default) or geometric mean.
    #[arg(
        long,
        value_name = "A",
        value_enum,
        default_value = "arithmetic",
        help_heading = "INDEX",
        verbatim_doc_comment
    )]
    aggregation: AggregationName,
    /// propagate (default: a county missing any indicator gets no index)
    /// or reweight (over the indicators it has). Never counted as zero.
    #[arg(
        long,
        value_name = "R",
        value_enum,
        default_value = "propagate",
        help_heading = "INDEX",
        verbatim_doc_comment
    )]
    missing: MissingName,
    /// Quantile classes for the class column and the maps (default 5).
    #[arg(long, value_name = "N", value_parser = args::whole(1), allow_negative_numbers = true,
          help_heading = "INDEX", verbatim_doc_comment)]
    classes: Option<usize>,

    /// A table column to compare the score with (e.g. an official poverty
    /// index): Pearson, Spearman and OLS R^2.
    #[arg(long, value_name = "COLUMN", value_parser = args::text(),
          help_heading = "VALIDATION", verbatim_doc_comment)]
    reference: Option<String>,
    /// A text file of county ids, one per line, officially designated
    /// poor: ROC AUC of the score (lower score = poorer).
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "VALIDATION",
        verbatim_doc_comment
    )]
    poor: Option<PathBuf>,

    /// Attribute listing the provinces to zoom to in the HTML map (default:
    /// 'province' when the zones have it).
    #[arg(long, value_name = "F", value_parser = args::text(), help_heading = "MAPS",
          verbatim_doc_comment)]
    group_field: Option<String>,
    /// Attribute shown beside each county id (default: 'name' when present).
    #[arg(long, value_name = "F", value_parser = args::text(), help_heading = "MAPS",
          verbatim_doc_comment)]
    label_field: Option<String>,

    /// The index table: the id, score (0-100), rank (1 = best), class
    /// (1 = lowest .. N), composite, then each indicator normalised
    /// (<name>_norm); one row per county in zone order, empty when missing.
    /// Beside it: <stem>.png and <stem>.svg (choropleth of the score),
    /// <stem>.html (interactive map of the score and every indicator,
    /// self-contained) and <stem>.csv.provenance.json (inputs, choices,
    /// weights, validation figures, the size and SHA-256 of every file).
    /// The files are written as one set: all of them, or none (the
    /// previous ones stay as they were); an output that is an input is
    /// refused.
    #[arg(
        long,
        value_name = "PATH.csv",
        help_heading = "OUTPUT",
        verbatim_doc_comment
    )]
    output: Option<PathBuf>,
    /// With --raster: read a VRT with VRTRawRasterBand bands (raw bytes of
    /// any other file); refused by default.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    allow_raw_vrt: bool,
}

/// `--normalisation`.
#[derive(Clone, Copy, ValueEnum)]
enum NormalisationName {
    MinMax,
    ZScore,
    Rank,
}

/// `--aggregation`.
#[derive(Clone, Copy, ValueEnum)]
enum AggregationName {
    Arithmetic,
    Geometric,
}

/// `--missing`.
#[derive(Clone, Copy, ValueEnum)]
enum MissingName {
    Propagate,
    Reweight,
}

/// `--goalposts`: per indicator, its `(worst, best)` values.
type Goalposts = Vec<(String, (f64, f64))>;

/// `--goalposts name:low:high,...`.
fn goalposts(posts: &str) -> Result<Goalposts, String> {
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

/// `--weights equal|entropy|pca|name=weight,...`.
fn weights(given: &str) -> Result<WeightsChoice, String> {
    Ok(match given {
        "equal" => WeightsChoice::Plain(Weights::Equal),
        "entropy" => WeightsChoice::Plain(Weights::Entropy),
        "pca" => WeightsChoice::Plain(Weights::FirstPrincipalComponent),
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
            WeightsChoice::Given(parsed)
        }
    })
}

fn main() -> ExitCode {
    cli::start(PROGRAM);
    cli::exit_with(PROGRAM, run())
}

/// Where the indicators come from.
enum Source {
    /// A CSV table with one row per county.
    Table(PathBuf),
    /// Statistics of a raster band over the counties (the indicators name them).
    Raster { path: PathBuf, band: usize },
}

/// Everything the command line asks for, checked.
struct Request {
    source: Source,
    allow_raw_vrt: bool,
    roll_ups: Vec<String>,
    table_id: Option<String>,
    date: Option<String>,
    zones: PathBuf,
    layer: Option<String>,
    id_field: Option<String>,
    indicators: Option<Vec<String>>,
    worse: Vec<String>,
    normalisation: NormalisationChoice,
    weights: WeightsChoice,
    aggregation: Aggregation,
    missing: Missing,
    classes: usize,
    group_field: Option<String>,
    label_field: Option<String>,
    reference: Option<String>,
    poor: Option<PathBuf>,
    output: PathBuf,
}

#[derive(Clone)]
enum NormalisationChoice {
    Plain(Normalisation),
    Goalposts(Goalposts),
}

#[derive(Clone)]
enum WeightsChoice {
    Plain(Weights),
    Given(Vec<(String, f64)>),
}

fn list(raw: Option<&str>) -> Option<Vec<String>> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

fn parse_request() -> Result<Option<Request>, Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(None);
    };
    let usage = |m: String| Failure::Usage(m);
    let normalisation = match (args.goalposts, args.normalisation) {
        (Some(_), Some(_)) => {
            return Err(usage(
                "give --goalposts or --normalisation, not both".into(),
            ));
        }
        (Some(posts), None) => NormalisationChoice::Goalposts(posts),
        (None, choice) => NormalisationChoice::Plain(match choice {
            None | Some(NormalisationName::MinMax) => Normalisation::MinMax,
            Some(NormalisationName::ZScore) => Normalisation::ZScore,
            Some(NormalisationName::Rank) => Normalisation::Rank,
        }),
    };
    let weights = args.weights.unwrap_or(WeightsChoice::Plain(Weights::Equal));
    let aggregation = match args.aggregation {
        AggregationName::Arithmetic => Aggregation::Arithmetic,
        AggregationName::Geometric => Aggregation::Geometric,
    };
    let missing = match args.missing {
        MissingName::Propagate => Missing::Propagate,
        MissingName::Reweight => Missing::Reweight,
    };
    let classes = args.classes.unwrap_or(5);
    let output = args
        .output
        .ok_or_else(|| usage("--output is required".into()))?;
    if output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        != Some("csv".into())
    {
        return Err(usage(format!(
            "--output must end in .csv (the maps are written beside it), not '{}'",
            output.display()
        )));
    }
    let source = match (args.table, args.raster) {
        (Some(table), None) => Source::Table(table),
        (None, Some(raster)) => {
            for (flag, given) in [
                ("--table-id", args.table_id.is_some()),
                ("--date", args.date.is_some()),
                ("--reference", args.reference.is_some()),
            ] {
                if given {
                    return Err(usage(format!("{flag} goes with --table, not --raster")));
                }
            }
            if args.indicators.is_none() {
                return Err(usage(
                    "--raster needs --indicators: the statistics to compute (e.g. mean,p90,valid_frac)".into(),
                ));
            }
            Source::Raster {
                path: raster,
                band: args.band.unwrap_or(1),
            }
        }
        (Some(_), Some(_)) => return Err(usage("give --table or --raster, not both".into())),
        (None, None) => return Err(usage("--table or --raster is required".into())),
    };
    let roll_ups = args.roll_up;
    if !roll_ups.is_empty() && matches!(source, Source::Table(_)) {
        return Err(usage(
            "--roll-up needs --raster: a roll-up merges the counties' raster statistics, which a table cannot give".into(),
        ));
    }
    Ok(Some(Request {
        source,
        roll_ups,
        table_id: args.table_id,
        date: args.date,
        zones: args
            .zones
            .ok_or_else(|| usage("--zones is required".into()))?,
        layer: args.layer,
        id_field: args.id_field,
        indicators: list(args.indicators.as_deref()),
        worse: list(args.worse.as_deref()).unwrap_or_default(),
        normalisation,
        weights,
        aggregation,
        missing,
        classes,
        group_field: args.group_field,
        label_field: args.label_field,
        reference: args.reference,
        poor: args.poor,
        output,
        allow_raw_vrt: args.allow_raw_vrt,
    }))
}

/// The table's rows for one date, checked to hold one row per id.
fn one_date(table: Table, date: Option<&str>) -> Result<Table, Failure> {
    let has_date = table.header().iter().any(|h| h == "date");
    match (date, has_date) {
        (Some(d), true) => Ok(table.filtered("date", d)?),
        (Some(_), false) => Err(Failure::Run(format!(
            "{}: --date given but the table has no 'date' column",
            table.source()
        ))),
        (None, true) => {
            let dates = table.column("date")?;
            let mut distinct: Vec<&str> = dates.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() > 1 {
                return Err(Failure::Usage(format!(
                    "{} holds {} dates ({}...); choose one with --date",
                    table.source(),
                    distinct.len(),
                    distinct[..distinct.len().min(3)].join(", ")
                )));
            }
            Ok(table)
        }
        (None, false) => Ok(table),
    }
}

fn run() -> Result<(), Failure> {
    let Some(request) = parse_request()? else {
        return Ok(());
    };
    let started = SystemTime::now();
    // Every input and output resolved before any work: no output may be an input.
    let mut outputs = OutputSet::new();
    match &request.source {
        Source::Table(path) => outputs.input(cli::path_text("--table", path)?)?,
        Source::Raster { path, .. } => outputs.input(cli::path_text("--raster", path)?)?,
    }
    outputs.input(cli::path_text("--zones", &request.zones)?)?;
    if let Some(poor) = &request.poor {
        outputs.input(cli::path_text("--poor", poor)?)?;
    }
    cli::declare_with_provenance(&mut outputs, &request.output)?;
    for field in &request.roll_ups {
        cli::declare_with_provenance(&mut outputs, &cli::roll_up_path(&request.output, field))?;
    }
    for extension in ["png", "svg", "html"] {
        outputs.output(beside(&request.output, extension))?;
    }
    outputs.prepare()?;
    let zones = ZoneSet::read(
        &request.zones,
        &ZoneOptions {
            layer: request.layer.clone(),
            id_field: request.id_field.clone(),
            ..ZoneOptions::default()
        },
    )?;
    let mut gathered = match &request.source {
        Source::Table(path) => from_table(&request, path, &zones)?,
        Source::Raster { path, band } => from_raster(&request, path, *band, &zones)?,
    };
    gathered.inputs.push(InputFile::describe(
        "zones",
        cli::path_text("--zones", &request.zones)?,
    ));
    let indicators = &gathered.names;
    for name in &request.worse {
        if !indicators.contains(name) {
            return Err(Failure::Usage(format!(
                "--worse names '{name}', which is not an indicator"
            )));
        }
    }
    let spec = IndexSpec {
        directions: indicators
            .iter()
            .map(|i| {
                if request.worse.contains(i) {
                    Direction::HigherIsWorse
                } else {
                    Direction::HigherIsBetter
                }
            })
            .collect(),
        normalisation: match &request.normalisation {
            NormalisationChoice::Plain(n) => n.clone(),
            NormalisationChoice::Goalposts(posts) => {
                Normalisation::Goalposts(by_indicator(indicators, posts, "--goalposts")?)
            }
        },
        weights: match &request.weights {
            WeightsChoice::Plain(w) => w.clone(),
            WeightsChoice::Given(given) => {
                Weights::Given(by_indicator(indicators, given, "--weights")?)
            }
        },
        aggregation: request.aggregation,
        missing: request.missing,
        classes: request.classes,
    };
    // Non-finite values cannot be ranked: missing, and said; so is an indicator
    // with no value left, which empties every score under --missing propagate.
    let mut notes: Vec<String> = Vec::new();
    let mut screen = |what: &str, columns: &mut [Vec<Option<f64>>]| {
        let screens = screen_indicators(columns);
        for (name, found) in indicators.iter().zip(screens) {
            if found.non_finite > 0 {
                notes.push(format!(
                    "indicator '{name}': {} {what} value(s) are not finite (inf or nan) and count as missing",
                    found.non_finite
                ));
            }
            if found.present == 0 {
                notes.push(format!(
                    "indicator '{name}' has no value for any {what}: {}",
                    match request.missing {
                        Missing::Propagate =>
                            "every score is missing (--missing reweight leaves it out)",
                        Missing::Reweight => "it is left out of every score",
                    }
                ));
            }
        }
    };
    screen("county", &mut gathered.columns);
    for level in &mut gathered.levels {
        screen(&format!("'{}' group", level.field), &mut level.columns);
    }
    for note in &notes {
        eprintln!("{PROGRAM}: warning: {note}");
    }
    let index = composite_index(&by_zone_rows(&gathered.columns), &spec)?;
    let level_indices = gathered
        .levels
        .iter()
        .map(|level| composite_index(&by_zone_rows(&level.columns), &spec))
        .collect::<Result<Vec<_>, _>>()?;

    // Validation figures.
    let mut validation: Vec<(String, Json)> = Vec::new();
    if let (Some(reference), Some(values)) = (&request.reference, &gathered.reference) {
        let figure = |v: Option<f64>| v.map_or(Json::Null, Json::Number);
        validation.push(("reference".into(), Json::str(reference)));
        validation.push(("pearson".into(), figure(pearson(&index.scores, values))));
        validation.push(("spearman".into(), figure(spearman(&index.scores, values))));
        validation.push(("ols_r2".into(), figure(ols_r2(&index.scores, values))));
    }
    if let Some(poor) = &request.poor {
        let text = std::fs::read_to_string(poor)
            .map_err(|e| Failure::Run(format!("{}: {e}", poor.display())))?;
        let listed: HashSet<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let county_ids: HashSet<String> = zones.iter().map(|z| z.id.to_string()).collect();
        let labels: Vec<bool> = zones
            .iter()
            .map(|z| listed.contains(z.id.to_string().as_str()))
            .collect();
        let unknown = listed
            .iter()
            .filter(|id| !county_ids.contains(**id))
            .count();
        // Poorer counties should score lower: the AUC of the negated score.
        let negated: Vec<Option<f64>> = index.scores.iter().map(|s| s.map(|v| -v)).collect();
        validation.push((
            "poor_list".into(),
            Json::str(cli::path_text("--poor", poor)?),
        ));
        validation.push(("poor_listed".into(), Json::Int(listed.len() as i64)));
        validation.push(("poor_not_in_zones".into(), Json::Int(unknown as i64)));
        validation.push((
            "roc_auc".into(),
            roc_auc(&negated, &labels).map_or(Json::Null, Json::Number),
        ));
    }
    for (name, value) in &validation {
        if let Json::Number(v) = value {
            eprintln!("{PROGRAM}: {name} = {v:.4}");
        }
    }

    let id_column = zones.id_field().unwrap_or("fid").to_string();
    let county_ids: Vec<String> = zones.iter().map(|z| z.id.to_string()).collect();
    // Everything is prepared before the first file is written.
    let mut tables = vec![(
        request.output.clone(),
        index_table_csv(&id_column, &county_ids, indicators, &index),
    )];
    let maps = map_files(&request, &zones, indicators, &index, &gathered.columns)?;
    let mut roll_ups = Vec::new();
    for (level, level_index) in gathered.levels.iter().zip(&level_indices) {
        let (field, ids) = (&level.field, &level.ids);
        let path = cli::roll_up_path(&request.output, field);
        tables.push((
            path.clone(),
            index_table_csv(field, ids, indicators, level_index),
        ));
        roll_ups.push(Json::object([
            ("field", Json::str(field)),
            ("output", Json::str(path.display().to_string())),
            ("groups", Json::Int(ids.len() as i64)),
            (
                "weights",
                Json::Array(
                    level_index
                        .weights
                        .iter()
                        .map(|w| Json::Number(*w))
                        .collect(),
                ),
            ),
        ]));
    }
    // Tables and maps staged (complete and checked) before the provenance that names them.
    let table_paths: Vec<PathBuf> = tables.iter().map(|(path, _)| path.clone()).collect();
    for (path, bytes) in tables.iter().chain(&maps) {
        outputs.write_bytes(path, bytes)?;
    }
    let (unmatched_zones, unmatched_rows) = gathered.unmatched;
    let scored = index.scores.iter().flatten().count();
    let record = Json::object([
        ("library", Json::str("terralux")),
        ("version", Json::str(terralux::VERSION)),
        ("program", Json::str(PROGRAM)),
        (
            "command_line",
            Json::Array(cli::command_line().into_iter().map(Json::Str).collect()),
        ),
        (
            "inputs",
            Json::Array(gathered.inputs.iter().map(InputFile::to_json).collect()),
        ),
        (
            "outputs",
            Json::Array(outputs.written().iter().map(write::output_json).collect()),
        ),
        ("date", request.date.clone().map_or(Json::Null, Json::Str)),
        (
            "indicators",
            Json::Array(indicators.iter().map(Json::str).collect()),
        ),
        (
            "higher_is_worse",
            Json::Array(request.worse.iter().map(Json::str).collect()),
        ),
        (
            "normalisation",
            Json::str(format!("{:?}", spec.normalisation)),
        ),
        ("weights_method", Json::str(format!("{:?}", spec.weights))),
        (
            "weights",
            Json::Array(index.weights.iter().map(|w| Json::Number(*w)).collect()),
        ),
        ("aggregation", Json::str(format!("{:?}", spec.aggregation))),
        ("missing", Json::str(format!("{:?}", spec.missing))),
        ("classes", Json::Int(spec.classes as i64)),
        ("zones", Json::Int(zones.len() as i64)),
        ("zones_scored", Json::Int(scored as i64)),
        ("zones_without_table_row", Json::Int(unmatched_zones as i64)),
        ("table_rows_without_zone", Json::Int(unmatched_rows as i64)),
        ("roll_ups", Json::Array(roll_ups)),
        ("notes", Json::Array(notes.iter().map(Json::str).collect())),
        ("validation", Json::object(validation)),
        ("started", Json::str(write::rfc3339(started))),
        ("finished", Json::str(write::rfc3339(SystemTime::now()))),
    ]);
    // One record of the whole run beside every table.
    let text = record.to_string_pretty() + "\n";
    for path in &table_paths {
        outputs.write_bytes(&write::provenance_path(path), text.as_bytes())?;
    }
    // Every file complete and checked: all into place together.
    outputs.commit()?;
    if unmatched_zones > 0 || unmatched_rows > 0 {
        eprintln!(
            "{PROGRAM}: {unmatched_zones} counties have no table row (no index); {unmatched_rows} table rows match no county"
        );
    }
    Ok(())
}

/// Indicators per county, in zone order, and where they came from.
struct Gathered {
    names: Vec<String>,
    /// One column per indicator, one value per county.
    columns: Vec<Vec<Option<f64>>>,
    /// The `--reference` column per county.
    reference: Option<Vec<Option<f64>>>,
    /// Counties without a table row, and table rows without a county.
    unmatched: (usize, usize),
    /// One per `--roll-up` field.
    levels: Vec<Level>,
    inputs: Vec<InputFile>,
}

/// A roll-up level: the field, its groups' ids, and one indicator column per indicator.
struct Level {
    field: String,
    ids: Vec<String>,
    columns: Vec<Vec<Option<f64>>>,
}

/// Counties x indicators from indicator columns.
fn by_zone_rows(columns: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    let zones = columns.first().map_or(0, Vec::len);
    (0..zones)
        .map(|z| columns.iter().map(|c| c[z]).collect())
        .collect()
}

/// The indicators from a CSV table, matched to the counties by id.
fn from_table(request: &Request, path: &Path, zones: &ZoneSet) -> Result<Gathered, Failure> {
    let table = one_date(Table::read(path)?, request.date.as_deref())?;
    let id_column = request
        .table_id
        .clone()
        .or_else(|| request.id_field.clone())
        .unwrap_or_else(|| "fid".to_string());
    let ids = table.column(&id_column)?;

    // Rows by id; every county gets a row, matched or not.
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    for (r, id) in ids.iter().enumerate() {
        if row_of.insert(id, r).is_some() {
            return Err(Failure::Run(format!(
                "{}: id '{id}' appears twice in column '{id_column}'",
                table.source()
            )));
        }
    }
    let zone_rows: Vec<Option<usize>> = zones
        .iter()
        .map(|z| row_of.get(z.id.to_string().as_str()).copied())
        .collect();
    let unmatched_zones = zone_rows.iter().filter(|r| r.is_none()).count();
    // Several features may share an id (a county stored in parts): count rows, not zones.
    let matched_rows: HashSet<usize> = zone_rows.iter().flatten().copied().collect();
    let unmatched_rows = ids.len() - matched_rows.len();
    if unmatched_zones == zones.len() {
        return Err(Failure::Run(format!(
            "no county of {} matches an id in column '{id_column}' of {}",
            request.zones.display(),
            table.source()
        )));
    }

    let indicators: Vec<String> = match &request.indicators {
        Some(list) => list.clone(),
        None => table
            .numeric_columns()
            .into_iter()
            .filter(|c| *c != id_column && *c != "date" && Some(*c) != request.reference.as_deref())
            .map(str::to_string)
            .collect(),
    };
    if indicators.is_empty() {
        return Err(Failure::Usage(
            "no indicator to combine; name them with --indicators".into(),
        ));
    }
    let by_zone = |column: &[Option<f64>]| -> Vec<Option<f64>> {
        zone_rows
            .iter()
            .map(|r| r.and_then(|r| column[r]))
            .collect()
    };
    let columns: Vec<Vec<Option<f64>>> = indicators
        .iter()
        .map(|name| Ok(by_zone(&table.numbers(name)?)))
        .collect::<Result<_, terralux::Error>>()?;
    let reference = request
        .reference
        .as_ref()
        .map(|r| {
            table.numbers(r).map(|v| {
                by_zone(&v)
                    .into_iter()
                    .map(|x| x.filter(|x| x.is_finite()))
                    .collect()
            })
        })
        .transpose()?;
    Ok(Gathered {
        names: indicators,
        columns,
        reference,
        unmatched: (unmatched_zones, unmatched_rows),
        levels: Vec::new(),
        inputs: vec![InputFile::describe(
            "table",
            cli::path_text("--table", path)?,
        )],
    })
}

/// The indicators as statistics of a raster band over the counties (the
/// `--indicators` name them), rolled up by each `--roll-up` field from the
/// same pass.
fn from_raster(
    request: &Request,
    path: &Path,
    band: usize,
    zones: &ZoneSet,
) -> Result<Gathered, Failure> {
    let names = request.indicators.clone().unwrap_or_default();
    let stats = Stat::parse_list(&names.join(","))
        .map_err(|e| Failure::Usage(format!("--indicators with --raster: {e}")))?;
    let raster = GdalRaster::open_with(
        path,
        &RasterOptions {
            allow_raw_vrt: request.allow_raw_vrt,
            ..RasterOptions::default()
        },
    )?;
    let raster_crs = raster
        .grid()
        .crs()
        .cloned()
        .ok_or_else(|| Failure::Run(format!("{}: no CRS", path.display())))?;
    let projected;
    let zones = match zones.crs() {
        Some(crs) if !crs.matches(&raster_crs) => {
            projected = zones.clone().into_crs(&raster_crs)?;
            &projected
        }
        _ => zones,
    };
    let fields: Vec<&str> = request.roll_ups.iter().map(String::as_str).collect();
    let (table, levels) = ZonalStats::new(zones)
        .band(&raster, band)
        .stats(&stats)
        .run_with_roll_ups(&fields)?;
    cli::report_repaired(PROGRAM, &table);
    let columns_of = |table: &terralux::results::ZonalTable| -> Vec<Vec<Option<f64>>> {
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
    Ok(Gathered {
        names,
        columns: columns_of(&table),
        reference: None,
        unmatched: (0, 0),
        levels: request
            .roll_ups
            .iter()
            .zip(&levels)
            .map(|(field, level)| Level {
                field: field.clone(),
                ids: level.zones.iter().map(|z| z.id.to_string()).collect(),
                columns: columns_of(level),
            })
            .collect(),
        inputs: vec![InputFile::describe(
            "raster",
            cli::path_text("--raster", path)?,
        )],
    })
}

/// One value per indicator from a `name` -> value list that names every
/// indicator and nothing else.
fn by_indicator<V: Copy>(
    indicators: &[String],
    items: &[(String, V)],
    flag: &str,
) -> Result<Vec<V>, Failure> {
    if let Some((name, _)) = items.iter().find(|(n, _)| !indicators.contains(n)) {
        return Err(Failure::Usage(format!(
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
                    Failure::Usage(format!("{flag} gives nothing for indicator '{name}'"))
                })
        })
        .collect()
}

/// `<dir>/<stem>.<extension>` beside the output table.
fn beside(output: &Path, extension: &str) -> PathBuf {
    output.with_extension(extension)
}

/// An index table: the id, score, rank, class, composite and the normalised
/// indicators, one row per zone or group.
fn index_table_csv(
    id_column: &str,
    ids: &[String],
    indicators: &[String],
    index: &CompositeIndex,
) -> Vec<u8> {
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let whole = |v: Option<usize>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = String::new();
    {
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
    }
    out.into_bytes()
}

/// The static maps of the score (PNG, SVG) and the interactive map of every
/// indicator (HTML), as the files to write.
fn map_files(
    request: &Request,
    zones: &ZoneSet,
    indicators: &[String],
    index: &CompositeIndex,
    columns: &[Vec<Option<f64>>],
) -> Result<Vec<(PathBuf, Vec<u8>)>, Failure> {
    let title = "Composite index (0-100)";
    let map = Choropleth::new(zones, &index.scores, title)?.classes(request.classes);
    let mut files = vec![
        (beside(&request.output, "png"), map.to_png()?),
        (beside(&request.output, "svg"), map.to_svg().into_bytes()),
    ];

    let field = |given: &Option<String>, default: &str| -> Option<String> {
        given.clone().or_else(|| {
            zones
                .field_names()
                .iter()
                .any(|f| f == default)
                .then(|| default.to_string())
        })
    };
    let mut page = InteractiveMap::new(zones, title)
        .classes(request.classes)
        .indicator("index score", &index.scores)?;
    for (name, values) in indicators.iter().zip(columns) {
        page = page.indicator(name, values)?;
    }
    if let Some(group) = field(&request.group_field, "province") {
        page = page.group_by(&group);
    }
    if let Some(label) = field(&request.label_field, "name") {
        page = page.label_field(&label);
    }
    files.push((
        beside(&request.output, "html"),
        page.to_html()?.into_bytes(),
    ));
    Ok(files)
}
