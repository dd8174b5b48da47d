//! `zonal`: exact zonal statistics of raster bands over polygon zones, a
//! thin shell over [`terralux::workflow::zonal`]: the command line becomes a
//! request, the library runs it and writes every output, and the events it
//! reports are printed on stderr. Run with `--help` for every flag. Exit
//! codes: 0 success, 2 usage error, 1 any other error (one line on stderr
//! naming the file, band, layer or field at fault).

#[path = "common/args.rs"]
mod args;
#[path = "common/cli.rs"]
mod cli;
#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cli::Failure;
use progress::Progress;
use terralux::Crs;
use terralux::coverage::CoverageMode;
use terralux::stats::{ModeTies, Stat, Weighting};
use terralux::workflow::zonal::{
    self, DEFAULT_STATS, ZonalEvent, ZonalInputs, ZonalOutput, ZonalRequest,
};
use terralux::write::{CsvOptions, Format};

const PROGRAM: &str = "zonal";

const USAGE: &str = "\
zonal --raster PATH [--band N]... --zones PATH [--layer NAME] [--id-field FIELD]
             [--stats LIST] [--coverage exact|center|all-touched] [--weights PATH]
             [--area-weighted] [--zones-crs CRS] [--raster-crs CRS] [--gcj02] [--threads N] [--quiet]
             [--memory-limit MIB]
             [--roll-up FIELD]... [--keep-bad-geometry] [--csv-safe] [--frac-columns] [--allow-raw-vrt]
             [--snap-grid] [--ignore-mask] [--min-coverage-frac F] [--default-value V]
             [--default-weight W] [--mode-ties exactextract|smallest] [--cells PATH.csv]
             --output PATH";

const AFTER_HELP: &str = "\
Zones in another CRS than the raster are reprojected to it (said on stderr).
Exit codes: 0 success, 2 usage error, 1 any other error.

EXAMPLE
  cargo run --release --example zonal -- --raster testdata/ntl.tif \\
      --zones testdata/counties.gpkg --id-field code --stats count,sum,mean,median,p90 \\
      --output out/counties.csv";

/// The command line as given: every flag of `zonal`, and its `--help`.
#[derive(Parser)]
#[command(
    about = "zonal: exact zonal statistics of raster bands over polygon zones",
    long_about = None,
    override_usage = USAGE,
    after_help = AFTER_HELP
)]
struct Cli {
    /// Raster to summarise: any GDAL path (file, HDF5:"f.h5"://..., /vsi...).
    #[arg(long, value_name = "PATH", help_heading = "INPUTS", verbatim_doc_comment)]
    raster: Option<PathBuf>,
    /// Band to summarise, from 1; repeat for several bands (default 1).
    /// With several bands, columns are named b{N}_{stat}.
    #[arg(long, value_name = "N", value_parser = args::whole(1), allow_negative_numbers = true,
          help_heading = "INPUTS", verbatim_doc_comment)]
    band: Vec<usize>,
    #[command(flatten)]
    zones: args::ZoneArgs,
    /// CRS of the zones, e.g. EPSG:4326; required when the zones file
    /// declares none, and used instead of the declared one when given.
    #[arg(long, value_name = "CRS", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    zones_crs: Option<String>,
    /// CRS of the raster (and weights), for files that declare none; a
    /// declared CRS always wins.
    #[arg(long, value_name = "CRS", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    raster_crs: Option<String>,
    #[command(flatten)]
    reading: args::RasterArgs,
    /// The zones are in GCJ-02 (Chinese web maps); convert them to WGS84.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    gcj02: bool,
    /// A feature without a usable polygon (no geometry, empty, points or
    /// lines, NaN coordinates) is an error naming it; with this switch it
    /// is kept as a zone of no cells (count and sum 0, other statistics
    /// empty) and listed on stderr. Invalid polygons (bow-ties, overlapping parts,
    /// holes outside their shell) are always measured as repaired, as
    /// GEOS's MakeValid would repair them, and listed on stderr and in the
    /// provenance ('repaired').
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    keep_bad_geometry: bool,

    /// Comma-separated statistics (default count,sum,mean,min,max,stdev):
    /// count sum mean min max variance stdev cv median pNN (p10, p90, p99.5...)
    /// majority minority variety unique frac weighted_sum weighted_mean
    /// weighted_variance weighted_stdev weighted_frac valid_frac outside_frac
    /// Exact on Int64/UInt64: min max median pNN majority minority unique frac.
    #[arg(long, value_name = "LIST", value_parser = args::text(),
          help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    stats: Option<String>,
    /// exact (default): the exact share of each cell inside the zone;
    /// center: cells whose centre is inside; all-touched: every cell touched.
    #[arg(
        long,
        value_name = "MODE",
        value_enum,
        default_value = "exact",
        help_heading = "WHAT TO COMPUTE",
        verbatim_doc_comment
    )]
    coverage: Coverage,
    /// A raster on the same grid (band 1) for the weighted_* statistics.
    #[arg(long, value_name = "PATH", help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    weights: Option<PathBuf>,
    /// Leave out cells whose coverage fraction is below F (0..1; default 0).
    #[arg(long, value_name = "F", value_parser = args::fraction(), allow_negative_numbers = true,
          help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    min_coverage_frac: Option<f64>,
    /// Use V for invalid cells (nodata, NaN, masked) instead of skipping them.
    #[arg(long, value_name = "V", value_parser = args::number(), allow_negative_numbers = true,
          help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    default_value: Option<f64>,
    /// Use W where the weights raster is invalid instead of skipping the cell.
    #[arg(long, value_name = "W", value_parser = args::number(), allow_negative_numbers = true,
          help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    default_weight: Option<f64>,
    /// Ties of majority: exactextract (default: the larger value, as
    /// exactextract; minority takes the smaller) or smallest (the smaller
    /// value for both, terralux's earlier rule).
    #[arg(
        long,
        value_name = "RULE",
        value_enum,
        default_value = "exactextract",
        help_heading = "WHAT TO COMPUTE",
        verbatim_doc_comment
    )]
    mode_ties: Ties,
    /// Weight cells by their covered area in km2 (WGS84 ellipsoid) instead of
    /// by their coverage fraction.
    #[arg(long, help_heading = "WHAT TO COMPUTE", verbatim_doc_comment)]
    area_weighted: bool,

    #[command(flatten)]
    running: args::RunArgs,
    /// MiB that the values kept for quantiles (median, pNN) and gini may
    /// take in memory; past it they go to a temporary file (TMPDIR) and are
    /// finished from there, with the same results (default: a quarter of
    /// the machine's memory, at least 1 GiB; 0 spills every such value).
    #[arg(long, value_name = "MIB", value_parser = args::whole(0), help_heading = "RUNNING",
          verbatim_doc_comment)]
    memory_limit: Option<usize>,

    /// .csv, .geojson, .gpkg or .parquet (chosen by extension); '-' writes CSV
    /// to stdout. Parquet: the id as in the source, statistics as Float64
    /// (Int64 for exact integers), missing values null; roll-ups stay CSV.
    /// CSV: the id column, then one column per statistic, one row per zone in
    /// input order; numbers in full, missing values empty. GeoJSON and
    /// GeoPackage also carry the geometry and the attributes. Every output
    /// file gets a <output>.provenance.json beside it (with the size and
    /// SHA-256 of every output). Files are written under temporary names
    /// (NAME.partial-PID-N.EXT), checked, and all renamed together when
    /// complete; an output that is an input is refused (exit 2).
    /// Non-finite statistics are written as inf, -inf or nan (a GeoPackage
    /// stores NaN as null, which is said).
    #[arg(long, value_name = "PATH", help_heading = "OUTPUT", verbatim_doc_comment)]
    output: Option<PathBuf>,
    /// In CSV, prefix text fields (ids, frac) that begin with = + - @ with a
    /// ' so that a spreadsheet does not run them as formulas.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    csv_safe: bool,
    /// In CSV, write frac and weighted_frac as one column per distinct value,
    /// <stat>_<value> (e.g. frac_3), holding its share (0 when absent).
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    frac_columns: bool,
    /// Also write one row per zone and covered cell: the id, cell_id (row *
    /// cols + col, from 0), row, col, center_x, center_y, coverage, value
    /// (of the first --band; empty when invalid) and weight (--weights):
    /// exactly which cells and fractions each zone used. Not with '-'.
    #[arg(long, value_name = "PATH.csv", help_heading = "OUTPUT", verbatim_doc_comment)]
    cells: Option<PathBuf>,
    /// Also roll the zones up by an attribute field (a county's city or
    /// province); repeat for several levels. Each level is written to
    /// <output stem>_by_<FIELD>.csv beside --output (one row per distinct
    /// value, in order of first appearance, the field as id column), from
    /// the same pass: sums add, means and quantiles are those of the union
    /// of the zones. Every zone needs a value in FIELD. Not with '-'.
    /// Characters of FIELD that cannot be in a file name become '_'.
    #[arg(long, value_name = "FIELD", value_parser = args::text(), help_heading = "OUTPUT",
          verbatim_doc_comment)]
    roll_up: Vec<String>,
}

args::choice! {
    /// `--coverage`.
    Coverage => CoverageMode {
        Exact => CoverageMode::Exact,
        #[value(alias = "centre")]
        Center => CoverageMode::Center,
        #[value(alias = "all_touched")]
        AllTouched => CoverageMode::AllTouched,
    }
}

args::choice! {
    /// `--mode-ties`.
    Ties => ModeTies {
        Exactextract => ModeTies::Exactextract,
        Smallest => ModeTies::Smallest,
    }
}

// ---- The shell: the command line to a request, the library's run, its events and errors ----

fn main() -> ExitCode {
    cli::start(PROGRAM);
    cli::exit_with(PROGRAM, run())
}

/// The command line, checked: the request, where it writes (`None`: CSV on stdout) and how,
/// and whether to draw no progress bar.
type Parsed = (ZonalRequest, Option<ZonalOutput>, CsvOptions, bool);

fn parse_request() -> Result<Option<Parsed>, Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(None);
    };
    let bands = Some(args.band).filter(|b| !b.is_empty()).unwrap_or(vec![1]);
    cli::given_once("--band", &bands)?;
    cli::given_once("--roll-up", &args.roll_up)?;
    let stats = cli::stat_list("--stats", args.stats.as_deref().unwrap_or(DEFAULT_STATS))?;
    let crs = |flag: &str, text: Option<String>| {
        text.map(|c| Crs::from_user_input(&c).map_err(|e| Failure::Usage(format!("{flag}: {e}"))))
            .transpose()
    };
    let output = match args.output {
        None => return usage("--output is required"),
        Some(path) if path.as_os_str() == "-" => None,
        Some(path) if Format::from_path(&path).is_none() => {
            let path = path.display();
            return usage(format!(
                "--output must end in .csv, .geojson, .gpkg or .parquet (or be '-'), not '{path}'"
            ));
        }
        Some(path) => Some(path),
    };
    if output.is_none() && (!args.roll_up.is_empty() || args.cells.is_some()) {
        return usage("--roll-up and --cells write files beside --output, which cannot be '-'");
    }
    if let Some(path) = args
        .cells
        .as_ref()
        .filter(|p| Format::from_path(p) != Some(Format::Csv))
    {
        return usage(format!(
            "--cells must end in .csv, not '{}'",
            path.display()
        ));
    }
    if args.weights.is_none() && args.default_weight.is_some() {
        return usage(
            "--default-weight is the weight where --weights is invalid; give --weights PATH",
        );
    }
    if args.weights.is_none() && stats.iter().any(Stat::needs_weights_raster) {
        return usage(WEIGHTED_NEED_WEIGHTS);
    }
    let raster = args
        .raster
        .ok_or_else(|| Failure::Usage("--raster is required".into()))?;
    let reading = &args.reading;
    let request = ZonalRequest {
        bands,
        layer: args.zones.layer.clone(),
        id_field: args.zones.id_field.clone(),
        stats,
        coverage: args.coverage.into(),
        weights: args.weights,
        weighting: if args.area_weighted {
            Weighting::AreaKm2
        } else {
            Weighting::Fraction
        },
        zones_crs: crs("--zones-crs", args.zones_crs)?,
        raster_crs: crs("--raster-crs", args.raster_crs)?,
        gcj02: args.gcj02,
        keep_bad_geometry: args.keep_bad_geometry,
        snap_grid: reading.snap_grid,
        ignore_mask: reading.ignore_mask,
        allow_raw_vrt: reading.allow_raw_vrt,
        threads: args.running.threads,
        memory_limit: args.memory_limit.map(|mib| mib.saturating_mul(1 << 20)),
        min_coverage_frac: args.min_coverage_frac,
        default_value: args.default_value,
        default_weight: args.default_weight,
        mode_ties: args.mode_ties.into(),
        roll_ups: args.roll_up,
        ..ZonalRequest::new(raster, args.zones.path()?)
    };
    let csv = CsvOptions {
        formula_safe: args.csv_safe,
        frac_columns: args.frac_columns,
    };
    let (cells, command_line) = (args.cells, cli::command_line());
    let output = output.map(|path| ZonalOutput {
        path,
        cells,
        csv,
        command_line,
    });
    let request = match &output {
        Some(output) => request.for_output(output)?,
        None => request,
    };
    Ok(Some((request, output, csv, args.running.quiet)))
}

const WEIGHTED_NEED_WEIGHTS: &str = "the weighted_* statistics (weighted_sum, weighted_mean, \
    weighted_variance, weighted_stdev, weighted_frac) need --weights PATH";

fn usage<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(message.into()))
}

fn run() -> Result<(), Failure> {
    let Some((request, output, csv, quiet)) = parse_request()? else {
        return Ok(());
    };
    let (request, output) = (&request, output.as_ref());
    cli::path_text("--raster", &request.raster)?;
    cli::path_text("--zones", &request.zones)?;
    if let Some(w) = &request.weights {
        cli::path_text("--weights", w)?;
    }
    // Every input and output resolved before any work: no output may be an input.
    let outputs = zonal::plan_outputs(request, output)?;
    cli::small_gdal_cache();
    let inputs = ZonalInputs::open(request).map_err(cli::crs_hint("--raster-crs"))?;
    let zones = zonal::read_zones(request).map_err(cli::crs_hint("--zones-crs"))?;
    let progress = Progress::new(PROGRAM, !quiet);
    let on_event = |event: &ZonalEvent| match event {
        ZonalEvent::Progress { done, total } => progress.update(*done, *total),
        ZonalEvent::Measured => progress.finish(),
        other => {
            if let Some(message) = other.message() {
                progress.say(&format!("{PROGRAM}: {message}"));
            }
        }
    };
    let run = zonal::run_on(request, inputs, zones, &on_event)?;
    match output {
        None => cli::write_stdout(|w| run.write_csv(&csv, w)),
        Some(output) => Ok(zonal::write_outputs(outputs, &run, output, &on_event).map(drop)?),
    }
}
