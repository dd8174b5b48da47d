//! `poverty_index`: a composite index from a per-county table of
//! indicators, or from raster statistics, with its maps: a shell over
//! `terralux::workflow::poverty::run_poverty_index`.
//!
//! Run with `--help` for every flag. Exit codes: 0 success, 2 usage error,
//! 1 any other error.

#[path = "common/args.rs"]
mod args;
#[path = "common/cli.rs"]
mod cli;
#[path = "common/map_args.rs"]
mod map_args;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cli::Failure;
use terralux::index::poverty::{
    Goalposts, IndexSettings, NormalisationSetting, WeightsSetting, parse_goalposts,
};
use terralux::index::{Aggregation, Missing, Normalisation};
use terralux::map::MapOptions;
use terralux::table::TableOptions;
use terralux::workflow::poverty::{
    IndicatorSource, PovertyEvent, PovertyIndexRequest, run_poverty_index_with_maps,
};

const PROGRAM: &str = "poverty_index";

const USAGE: &str = "\
poverty_index --table PATH.csv [--table-id COLUMN] [--date VALUE]
                     [--delimiter ,|;|tab] [--encoding LABEL]
                     | --raster PATH [--band N] [--roll-up FIELD]...
                     --zones PATH [--layer NAME] [--id-field FIELD]
                     [--indicators LIST] [--worse LIST] [--normalisation min-max|z-score|rank]
                     [--goalposts LIST] [--weights equal|entropy|pca|LIST]
                     [--aggregation arithmetic|geometric] [--missing propagate|reweight]
                     [--classes N] [--group-field FIELD] [--label-field FIELD]
                     [--map-title TEXT] [--map-subtitle TEXT] [--map-source TEXT] [--map-width PX] [--dpi N]
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
    #[arg(long, value_name = "PATH", help_heading = "INPUTS", verbatim_doc_comment)]
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
    /// The table's field delimiter: ',', ';' or 'tab' (default: the one
    /// the header line uses most).
    #[arg(long, value_name = "C", value_parser = args::delimiter(),
          help_heading = "INPUTS", verbatim_doc_comment)]
    delimiter: Option<char>,
    /// The table's text encoding, as a WHATWG label such as gbk, gb18030,
    /// big5 or windows-1252 (default: UTF-8, with or without a byte-order
    /// mark).
    #[arg(long, value_name = "LABEL", value_parser = args::encoding(),
          help_heading = "INPUTS", verbatim_doc_comment)]
    encoding: Option<String>,
    /// Instead of --table: compute the indicators as statistics of this raster
    /// band over the counties (--indicators names them, e.g. mean,p90,valid_frac;
    /// see zonal --help for the list). Zones in another CRS are reprojected.
    #[arg(long, value_name = "PATH", help_heading = "INPUTS", verbatim_doc_comment)]
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
    #[command(flatten)]
    zones: args::ZoneArgs,

    /// Comma-separated columns to combine (default: every numeric column
    /// but the id and the date).
    #[arg(long, value_name = "LIST", value_parser = args::list(), help_heading = "INDEX",
          verbatim_doc_comment)]
    indicators: Option<args::Names>,
    /// Indicators where higher is worse (poverty rate, distance...).
    #[arg(long, value_name = "LIST", value_parser = args::list(), help_heading = "INDEX",
          verbatim_doc_comment)]
    worse: Option<args::Names>,
    /// min-max (default), z-score or rank.
    #[arg(long, value_name = "M", value_enum, help_heading = "INDEX", verbatim_doc_comment)]
    normalisation: Option<NormalisationName>,
    /// Fixed goalposts instead: name:low:high for every indicator, e.g.
    /// density:0:50,water:0:1 (values clamped to 0..1).
    #[arg(long, value_name = "LIST", value_parser = args::parser(parse_goalposts),
          help_heading = "INDEX", verbatim_doc_comment)]
    goalposts: Option<Goalposts>,
    /// equal (default), entropy, pca (first principal component), or
    /// name=weight,... for every indicator.
    #[arg(long, value_name = "W", value_parser = args::parser(WeightsSetting::parse), help_heading = "INDEX",
          verbatim_doc_comment)]
    weights: Option<WeightsSetting>,
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
    #[arg(long, value_name = "PATH", help_heading = "VALIDATION", verbatim_doc_comment)]
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
    #[command(flatten)]
    map: map_args::MapArgs,

    /// The index table (.csv, or .parquet with typed columns): the id,
    /// score (0-100), rank (1 = best), class
    /// (1 = lowest .. N), composite, then each indicator normalised
    /// (<name>_norm); one row per county in zone order, empty when missing.
    /// Beside it: <stem>.png and <stem>.svg (choropleth of the score),
    /// <stem>.html (interactive map of the score and every indicator,
    /// self-contained) and <stem>.csv.provenance.json (inputs, choices,
    /// weights, validation figures, the size and SHA-256 of every file).
    /// The files are written as one set: all of them, or none (the
    /// previous ones stay as they were); an output that is an input is
    /// refused.
    #[arg(long, value_name = "PATH.csv", help_heading = "OUTPUT", verbatim_doc_comment)]
    output: Option<PathBuf>,
    /// With --raster: how it is read.
    #[command(flatten)]
    reading: args::RasterArgs,
}

args::choice! {
    /// `--normalisation`.
    NormalisationName => Normalisation {
        MinMax => Normalisation::MinMax,
        ZScore => Normalisation::ZScore,
        Rank => Normalisation::Rank,
    }
}

args::choice! {
    /// `--aggregation`.
    AggregationName => Aggregation {
        Arithmetic => Aggregation::Arithmetic,
        Geometric => Aggregation::Geometric,
    }
}

args::choice! {
    /// `--missing`.
    MissingName => Missing {
        Propagate => Missing::Propagate,
        Reweight => Missing::Reweight,
    }
}

fn main() -> ExitCode {
    cli::start(PROGRAM);
    cli::exit_with(PROGRAM, run())
}

fn parse_request() -> Result<Option<(PovertyIndexRequest, MapOptions)>, Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(None);
    };
    let usage = |m: &str| Failure::Usage(m.to_string());
    let normalisation = match (args.goalposts, args.normalisation) {
        (Some(_), Some(_)) => return Err(usage("give --goalposts or --normalisation, not both")),
        (Some(posts), None) => NormalisationSetting::Goalposts(posts),
        (None, choice) => {
            NormalisationSetting::Plain(choice.map_or(Normalisation::MinMax, Normalisation::from))
        }
    };
    let settings = IndexSettings {
        worse: args.worse.unwrap_or_default(),
        normalisation,
        weights: args.weights.unwrap_or(IndexSettings::default().weights),
        aggregation: args.aggregation.into(),
        missing: args.missing.into(),
        classes: args.classes.unwrap_or(5),
    };
    let output = args.output.ok_or_else(|| usage("--output is required"))?;
    let extension = output.extension().and_then(|e| e.to_str());
    if !matches!(
        extension.map(str::to_ascii_lowercase).as_deref(),
        Some("csv" | "parquet")
    ) {
        return Err(Failure::Usage(format!(
            "--output must end in .csv or .parquet (the maps are written beside it), not '{}'",
            output.display()
        )));
    }
    let source = match (args.table, args.raster) {
        (Some(table), None) => {
            if !args.roll_up.is_empty() {
                return Err(usage(
                    "--roll-up needs --raster: a roll-up merges the counties' raster statistics, which a table cannot give",
                ));
            }
            for (flag, given) in [
                ("--snap-grid", args.reading.snap_grid),
                ("--ignore-mask", args.reading.ignore_mask),
            ] {
                if given {
                    return Err(Failure::Usage(format!(
                        "{flag} goes with --raster, not --table"
                    )));
                }
            }
            let (delimiter, encoding) = (args.delimiter, args.encoding);
            IndicatorSource::Table {
                path: cli::path_text("--table", &table)?.to_string(),
                id_column: args.table_id,
                date: args.date,
                options: TableOptions {
                    delimiter,
                    encoding,
                },
                reference: args.reference,
            }
        }
        (None, Some(raster)) => {
            for (flag, given) in [
                ("--table-id", args.table_id.is_some()),
                ("--date", args.date.is_some()),
                ("--delimiter", args.delimiter.is_some()),
                ("--encoding", args.encoding.is_some()),
                ("--reference", args.reference.is_some()),
            ] {
                if given {
                    return Err(Failure::Usage(format!(
                        "{flag} goes with --table, not --raster"
                    )));
                }
            }
            if args.indicators.is_none() {
                return Err(usage(
                    "--raster needs --indicators: the statistics to compute (e.g. mean,p90,valid_frac)",
                ));
            }
            IndicatorSource::Raster {
                path: cli::path_text("--raster", &raster)?.to_string(),
                band: args.band.unwrap_or(1),
                roll_ups: args.roll_up,
                options: args.reading.options(),
            }
        }
        (Some(_), Some(_)) => return Err(usage("give --table or --raster, not both")),
        (None, None) => return Err(usage("--table or --raster is required")),
    };
    let zones = args.zones.path()?;
    let poor = args.poor.as_deref().map(|p| cli::path_text("--poor", p));
    let maps = args.map.options();
    let request = PovertyIndexRequest {
        program: PROGRAM.to_string(),
        command_line: cli::command_line(),
        source,
        zones: cli::path_text("--zones", zones)?.to_string(),
        zone_options: args.zones.options(),
        indicators: args.indicators,
        settings,
        poor: poor.transpose()?.map(str::to_string),
        group_field: args.group_field,
        label_field: args.label_field,
        output,
    };
    Ok(Some((request, maps)))
}

fn run() -> Result<(), Failure> {
    let Some((request, maps)) = parse_request()? else {
        return Ok(());
    };
    let run = run_poverty_index_with_maps(&request, &maps, &mut |event| match event {
        PovertyEvent::Repaired(ids) => eprintln!(
            "{PROGRAM}: {} zone(s) with invalid geometry measured as repaired: {}",
            ids.len(),
            terralux::workflow::id_list(ids)
        ),
        PovertyEvent::Warning(note) => eprintln!("{PROGRAM}: warning: {note}"),
        PovertyEvent::Figure(name, value) => eprintln!("{PROGRAM}: {name} = {value:.4}"),
    })
    .map_err(Failure::from)?;
    let gathered = &run.indicators;
    let (zones, rows) = (gathered.zones_without_row, gathered.rows_without_zone);
    if zones > 0 || rows > 0 {
        eprintln!(
            "{PROGRAM}: {zones} counties have no table row (no index); {rows} table rows match no county"
        );
    }
    Ok(())
}
