//! `zonal`: exact zonal statistics of raster bands over polygon zones.
//!
//! ```text
//! cargo run --release --example zonal -- \
//!     --raster PATH [--band N]... \
//!     --zones PATH [--layer NAME] [--id-field FIELD] \
//!     [--stats LIST] [--coverage exact|center|all-touched] \
//!     [--weights PATH] [--area-weighted] \
//!     [--zones-crs CRS] [--raster-crs CRS] [--gcj02] \
//!     [--threads N] [--quiet] [--roll-up FIELD]... [--keep-bad-geometry] \
//!     [--csv-safe] [--allow-raw-vrt] [--snap-grid] [--ignore-mask] \
//!     --output PATH
//! ```
//!
//! Run with `--help` for every flag. Exit codes: 0 success, 2 usage error,
//! 1 any other error (one line on stderr naming the file, band, layer or
//! field at fault).

#[path = "common/args.rs"]
mod args;
#[path = "common/cli.rs"]
mod cli;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, ValueEnum};
use cli::Failure;
use terralux::coverage::{CoverageIndex, CoverageMode};
use terralux::progress::Progress;
use terralux::raster::RasterOptions;
use terralux::stats::{ModeTies, Stat, Weighting};
use terralux::write::{self, CsvOptions, InputFile, OutputSet, RunRecord, VectorFormat};
use terralux::zones::{BadGeometry, ZoneOptions, ZoneSet};
use terralux::{Crs, GdalRaster, RasterSource, ZonalStats};

const PROGRAM: &str = "zonal";
const DEFAULT_STATS: &str = "count,sum,mean,min,max,stdev";

const USAGE: &str = "\
zonal --raster PATH [--band N]... --zones PATH [--layer NAME] [--id-field FIELD]
             [--stats LIST] [--coverage exact|center|all-touched] [--weights PATH]
             [--area-weighted] [--zones-crs CRS] [--raster-crs CRS] [--gcj02] [--threads N] [--quiet]
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
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    raster: Option<PathBuf>,
    /// Band to summarise, from 1; repeat for several bands (default 1).
    /// With several bands, columns are named b{N}_{stat}.
    #[arg(long, value_name = "N", value_parser = args::whole(1), allow_negative_numbers = true,
          help_heading = "INPUTS", verbatim_doc_comment)]
    band: Vec<usize>,
    /// Polygon zones: GeoPackage, Shapefile, GeoJSON, FlatGeobuf...
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    zones: Option<PathBuf>,
    /// Layer of the zones file (needed when it has several).
    #[arg(long, value_name = "NAME", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    layer: Option<String>,
    /// Field holding the zone ids (default: feature ids, column 'fid').
    #[arg(long, value_name = "FIELD", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    id_field: Option<String>,
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
    /// Snap a geographic grid whose cell size is within 1e-6 of 1/n degree to
    /// exactly 1/n (and its origin to half cells), as EOG's 0.0041666667 is
    /// meant as 1/240. Default: cells are where the file declares them, as
    /// GDAL and exactextract take them. Recorded in the provenance.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    snap_grid: bool,
    /// Count cells that the band's GDAL mask marks invalid (an internal or
    /// .msk mask, a per-dataset mask, an alpha band). By default a cell is
    /// valid when it is not nodata, not NaN and not masked.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    ignore_mask: bool,
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
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "WHAT TO COMPUTE",
        verbatim_doc_comment
    )]
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

    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = args::threads(), allow_negative_numbers = true,
          help_heading = "RUNNING", verbatim_doc_comment)]
    threads: Option<usize>,
    /// No progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long, help_heading = "RUNNING", verbatim_doc_comment)]
    quiet: bool,
    /// Read VRT files with VRTRawRasterBand bands, which read the raw bytes of
    /// any other file; refused by default, since a VRT from elsewhere could
    /// make the statistics reveal a local file.
    #[arg(long, help_heading = "RUNNING", verbatim_doc_comment)]
    allow_raw_vrt: bool,

    /// .csv, .geojson or .gpkg (chosen by extension); '-' writes CSV to stdout.
    /// CSV: the id column, then one column per statistic, one row per zone in
    /// input order; numbers in full, missing values empty. GeoJSON and
    /// GeoPackage also carry the geometry and the attributes. Every output
    /// file gets a <output>.provenance.json beside it (with the size and
    /// SHA-256 of every output). Files are written under temporary names
    /// (NAME.partial-PID-N.EXT), checked, and all renamed together when
    /// complete; an output that is an input is refused (exit 2).
    /// Non-finite statistics are written as inf, -inf or nan (a GeoPackage
    /// stores NaN as null, which is said).
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "OUTPUT",
        verbatim_doc_comment
    )]
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
    #[arg(
        long,
        value_name = "PATH.csv",
        help_heading = "OUTPUT",
        verbatim_doc_comment
    )]
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

/// `--coverage`.
#[derive(Clone, Copy, ValueEnum)]
enum Coverage {
    Exact,
    #[value(alias = "centre")]
    Center,
    #[value(alias = "all_touched")]
    AllTouched,
}

/// `--mode-ties`.
#[derive(Clone, Copy, ValueEnum)]
enum Ties {
    Exactextract,
    Smallest,
}

fn main() -> ExitCode {
    cli::start(PROGRAM);
    cli::exit_with(PROGRAM, run())
}

/// Everything the command line asks for, checked.
struct Request {
    raster: PathBuf,
    bands: Vec<usize>,
    zones: PathBuf,
    layer: Option<String>,
    id_field: Option<String>,
    stats: Vec<Stat>,
    coverage: CoverageMode,
    weights: Option<PathBuf>,
    weighting: Weighting,
    zones_crs: Option<Crs>,
    raster_crs: Option<Crs>,
    gcj02: bool,
    keep_bad_geometry: bool,
    threads: Option<usize>,
    quiet: bool,
    csv_safe: bool,
    frac_columns: bool,
    allow_raw_vrt: bool,
    snap_grid: bool,
    ignore_mask: bool,
    min_coverage_frac: Option<f64>,
    default_value: Option<f64>,
    default_weight: Option<f64>,
    mode_ties: ModeTies,
    roll_ups: Vec<String>,
    cells: Option<PathBuf>,
    output: Output,
}

enum Output {
    Stdout,
    File(PathBuf, Format),
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Vector(VectorFormat),
}

fn parse_request() -> Result<Option<Request>, Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(None);
    };
    let bands = match args.band {
        v if v.is_empty() => vec![1],
        v => v,
    };
    if let Some(band) = bands
        .iter()
        .enumerate()
        .find_map(|(i, b)| bands[..i].contains(b).then_some(b))
    {
        return Err(Failure::Usage(format!("--band {band} is given twice")));
    }
    let stats = Stat::parse_list(args.stats.as_deref().unwrap_or(DEFAULT_STATS)).map_err(|e| {
        Failure::Usage(match e {
            terralux::Error::UnknownStatistic { name, valid } => {
                format!("unknown statistic '{name}' in --stats (valid: {valid})")
            }
            other => format!("--stats: {other}"),
        })
    })?;
    cli::check_unique_stats(&stats, "--stats")?;
    let coverage = match args.coverage {
        Coverage::Exact => CoverageMode::Exact,
        Coverage::Center => CoverageMode::Center,
        Coverage::AllTouched => CoverageMode::AllTouched,
    };
    let zones_crs = args
        .zones_crs
        .as_deref()
        .map(|c| Crs::from_user_input(c).map_err(|e| Failure::Usage(format!("--zones-crs: {e}"))))
        .transpose()?;
    let raster_crs = args
        .raster_crs
        .as_deref()
        .map(|c| Crs::from_user_input(c).map_err(|e| Failure::Usage(format!("--raster-crs: {e}"))))
        .transpose()?;
    let output = match args.output {
        None => return Err(Failure::Usage("--output is required".into())),
        Some(path) if path.as_os_str() == "-" => Output::Stdout,
        Some(path) => {
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            let format = match extension.as_deref() {
                Some("csv") => Format::Csv,
                Some("geojson") | Some("json") => Format::Vector(VectorFormat::GeoJson),
                Some("gpkg") => Format::Vector(VectorFormat::GeoPackage),
                _ => {
                    return Err(Failure::Usage(format!(
                        "--output must end in .csv, .geojson or .gpkg (or be '-'), not '{}'",
                        path.display()
                    )));
                }
            };
            Output::File(path, format)
        }
    };
    let roll_ups = args.roll_up;
    if !roll_ups.is_empty() && matches!(output, Output::Stdout) {
        return Err(Failure::Usage(
            "--roll-up writes files beside --output, which cannot be '-'".into(),
        ));
    }
    let cells = args.cells;
    if let Some(path) = &cells {
        if matches!(output, Output::Stdout) {
            return Err(Failure::Usage(
                "--cells writes a file beside the run's outputs; --output cannot be '-' then"
                    .into(),
            ));
        }
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            return Err(Failure::Usage(format!(
                "--cells must end in .csv, not '{}'",
                path.display()
            )));
        }
    }
    for (i, field) in roll_ups.iter().enumerate() {
        if roll_ups[..i].contains(field) {
            return Err(Failure::Usage(format!("--roll-up {field} is given twice")));
        }
    }
    if args.default_weight.is_some() && args.weights.is_none() {
        return Err(Failure::Usage(
            "--default-weight is the weight where --weights is invalid; give --weights PATH".into(),
        ));
    }
    if stats.iter().any(Stat::needs_weights_raster) && args.weights.is_none() {
        return Err(Failure::Usage(
            "the weighted_* statistics (weighted_sum, weighted_mean, weighted_variance, weighted_stdev, weighted_frac) need --weights PATH".into(),
        ));
    }
    Ok(Some(Request {
        raster: args
            .raster
            .ok_or_else(|| Failure::Usage("--raster is required".into()))?,
        bands,
        zones: args
            .zones
            .ok_or_else(|| Failure::Usage("--zones is required".into()))?,
        layer: args.layer,
        id_field: args.id_field,
        stats,
        coverage,
        weights: args.weights,
        weighting: if args.area_weighted {
            Weighting::AreaKm2
        } else {
            Weighting::Fraction
        },
        zones_crs,
        raster_crs,
        gcj02: args.gcj02,
        keep_bad_geometry: args.keep_bad_geometry,
        threads: args.threads,
        quiet: args.quiet,
        csv_safe: args.csv_safe,
        frac_columns: args.frac_columns,
        allow_raw_vrt: args.allow_raw_vrt,
        snap_grid: args.snap_grid,
        ignore_mask: args.ignore_mask,
        min_coverage_frac: args.min_coverage_frac,
        default_value: args.default_value,
        default_weight: args.default_weight,
        mode_ties: match args.mode_ties {
            Ties::Exactextract => ModeTies::Exactextract,
            Ties::Smallest => ModeTies::Smallest,
        },
        roll_ups,
        cells,
        output,
    }))
}

/// A missing-CRS error with the flag that states one.
fn crs_hint(flag: &'static str) -> impl Fn(terralux::Error) -> Failure {
    move |e| match e {
        terralux::Error::MissingCrs { .. } => Failure::Run(format!("{e}; use {flag}")),
        other => other.into(),
    }
}

fn run() -> Result<(), Failure> {
    let Some(request) = parse_request()? else {
        return Ok(());
    };
    let started = SystemTime::now();
    // Every input and output resolved before any work: no output may be an input.
    let mut outputs = OutputSet::new();
    outputs.input(cli::path_text("--raster", &request.raster)?)?;
    outputs.input(cli::path_text("--zones", &request.zones)?)?;
    if let Some(w) = &request.weights {
        outputs.input(cli::path_text("--weights", w)?)?;
    }
    if let Output::File(path, _) = &request.output {
        cli::declare_with_provenance(&mut outputs, path)?;
        for field in &request.roll_ups {
            cli::declare_with_provenance(&mut outputs, &cli::roll_up_path(path, field))?;
        }
        if let Some(cells) = &request.cells {
            cli::declare_with_provenance(&mut outputs, cells)?;
        }
        outputs.prepare()?;
    }
    // Chunks are read once each, aligned to blocks: GDAL's block cache would only hold memory.
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        let _ = gdal::config::set_config_option("GDAL_CACHEMAX", "16");
    }

    let raster_options = RasterOptions {
        assume_crs: request.raster_crs.clone(),
        allow_raw_vrt: request.allow_raw_vrt,
        snap_geographic: request.snap_grid,
        ignore_mask: request.ignore_mask,
        ..RasterOptions::default()
    };
    let raster = GdalRaster::open_with(&request.raster, &raster_options)
        .map_err(crs_hint("--raster-crs"))?;
    for &band in &request.bands {
        raster.band_info(band)?;
    }
    let weights = request
        .weights
        .as_deref()
        .map(|path| GdalRaster::open_with(path, &raster_options))
        .transpose()
        .map_err(crs_hint("--raster-crs"))?;

    let options = ZoneOptions {
        layer: request.layer.clone(),
        id_field: request.id_field.clone(),
        assume_crs: request.zones_crs.clone(),
        bad_geometry: if request.keep_bad_geometry {
            BadGeometry::KeepEmpty
        } else {
            BadGeometry::Error
        },
    };
    let mut zones = ZoneSet::read(&request.zones, &options).map_err(crs_hint("--zones-crs"))?;
    let empty: Vec<String> = zones
        .iter()
        .filter(|z| z.geometry.0.is_empty())
        .map(|z| z.id.to_string())
        .collect();
    if !empty.is_empty() {
        eprintln!(
            "{PROGRAM}: {} zone(s) without a usable polygon kept with no cells (--keep-bad-geometry): {}",
            empty.len(),
            cli::id_list(&empty)
        );
    }
    let zones_crs_as_read = zones.crs().map(|c| c.definition().to_string());
    let mut transformations = Vec::new();
    if let Some(crs) = &request.zones_crs
        && zones.crs().is_some_and(|declared| !declared.matches(crs))
    {
        eprintln!(
            "{PROGRAM}: using --zones-crs {} instead of the CRS declared by {}",
            crs.definition(),
            request.zones.display()
        );
        zones = zones.with_crs(crs.clone());
        transformations.push(format!("CRS set to {} (--zones-crs)", crs.definition()));
    }
    if request.gcj02 {
        zones = zones.gcj02_to_wgs84()?;
        transformations.push("GCJ-02 to WGS84 (iterated inverse)".to_string());
    }
    let raster_crs = raster
        .grid()
        .crs()
        .cloned()
        .ok_or_else(|| Failure::Run(format!("{}: no CRS", request.raster.display())))?;
    let reproject = zones.crs().is_some_and(|c| !c.matches(&raster_crs));
    // Vector outputs carry the zones as given (after any GCJ-02 conversion), not as reprojected;
    // keep a copy only when both happen.
    let wants_geometry = matches!(request.output, Output::File(_, Format::Vector(_)));
    let zones_for_output = (reproject && wants_geometry).then(|| zones.clone());
    if reproject && let Some(zones_crs) = zones.crs() {
        eprintln!(
            "{PROGRAM}: reprojecting the zones from {} to the raster's {}",
            zones_crs.definition(),
            raster_crs.definition()
        );
        transformations.push(format!(
            "reprojected from {} to {}",
            zones_crs.definition(),
            raster_crs.definition()
        ));
        zones = zones.into_crs(&raster_crs)?;
    }

    let progress = Progress::new(PROGRAM, !request.quiet);
    let report = |done: usize, total: usize| progress.update(done, total);
    // The per-cell table and the statistics share one coverage of the zones.
    let index = request
        .cells
        .as_ref()
        .map(|_| CoverageIndex::build(&zones, raster.grid(), request.coverage));
    let mut engine = ZonalStats::new(&zones)
        .bands(&raster, &request.bands)
        .stats(&request.stats)
        .coverage_mode(request.coverage)
        .weighting(request.weighting)
        .on_progress(&report);
    if let Some(w) = &weights {
        engine = engine.weights(w, 1);
    }
    if let Some(index) = &index {
        engine = engine.coverage_index(index);
    }
    if let Some(n) = request.threads {
        engine = engine.threads(n);
    }
    if let Some(fraction) = request.min_coverage_frac {
        engine = engine.min_coverage_frac(fraction);
    }
    if let Some(value) = request.default_value {
        engine = engine.default_value(value);
    }
    if let Some(weight) = request.default_weight {
        engine = engine.default_weight(weight);
    }
    engine = engine.mode_ties(request.mode_ties);
    let roll_up_fields: Vec<&str> = request.roll_ups.iter().map(String::as_str).collect();
    let (table, levels) = engine.run_with_roll_ups(&roll_up_fields)?;
    progress.finish();
    cli::report_repaired(PROGRAM, &table);

    let id_column = zones.id_field().unwrap_or("fid").to_string();
    let csv_options = CsvOptions {
        formula_safe: request.csv_safe,
        frac_columns: request.frac_columns,
    };
    match &request.output {
        Output::Stdout => {
            cli::write_stdout(|w| write::write_csv_with(&table, &id_column, &csv_options, w))?
        }
        Output::File(path, format) => {
            match format {
                Format::Csv => outputs.write(path, |w| {
                    write::write_csv_with(&table, &id_column, &csv_options, w)
                })?,
                Format::Vector(kind) => {
                    let original = zones_for_output.as_ref().unwrap_or(&zones);
                    outputs.write_with_path(
                        path,
                        |file| {
                            write::write_vector_file(
                                &table, original, &id_column, path, file, *kind,
                            )
                        },
                        |file| write::check_vector(file, path, *kind, &table, original, &id_column),
                    )?
                }
            }
            if let (Some(cells), Some(index)) = (&request.cells, &index) {
                let weights = weights
                    .as_ref()
                    .map(|w| (w as &(dyn RasterSource + Sync), 1));
                let mut failure = None;
                outputs
                    .write(cells, |w| {
                        terralux::cells::write_cells_csv(
                            &zones,
                            index,
                            &terralux::cells::CellLayers {
                                raster: &raster,
                                band: request.bands[0],
                                weights,
                            },
                            &terralux::cells::CellOptions {
                                min_coverage_frac: request.min_coverage_frac.unwrap_or(0.0),
                                default_value: request.default_value,
                                default_weight: request.default_weight,
                                formula_safe: request.csv_safe,
                            },
                            &id_column,
                            w,
                        )
                        .map_err(|e| {
                            let message = e.to_string();
                            failure = Some(e);
                            std::io::Error::other(message)
                        })
                    })
                    .map_err(|e| failure.take().map_or(e, |f| f))?;
            }
            for (field, level) in request.roll_ups.iter().zip(&levels) {
                outputs.write(&cli::roll_up_path(path, field), |w| {
                    write::write_csv_with(level, field, &csv_options, w)
                })?;
            }
            let mut inputs = vec![
                InputFile::describe("raster", cli::path_text("--raster", &request.raster)?),
                InputFile::describe("zones", cli::path_text("--zones", &request.zones)?),
            ];
            if let Some(w) = &request.weights {
                inputs.push(InputFile::describe(
                    "weights",
                    cli::path_text("--weights", w)?,
                ));
            }
            let mut notes: Vec<String> = std::iter::once(&raster)
                .chain(weights.as_ref())
                .filter_map(cli::snap_note)
                .collect();
            if let Format::Vector(kind) = format {
                cli::note_nan_in_geopackage(PROGRAM, path, &table, *kind, &mut notes);
            }
            let finished = SystemTime::now();
            let written = outputs.written();
            let record = |table| RunRecord {
                command_line: cli::command_line(),
                inputs: inputs.clone(),
                zones_crs: zones_crs_as_read.clone(),
                zone_transformations: transformations.clone(),
                started,
                finished,
                table,
                notes: notes.clone(),
                outputs: written.clone(),
            };
            cli::stage_provenance(&mut outputs, path, &record(&table))?;
            if let Some(cells) = &request.cells {
                let mut cells_record = record(&table);
                cells_record.notes.push(format!(
                    "one row per zone and covered cell of band {} (columns: {}), beside {}",
                    request.bands[0],
                    terralux::cells::CELL_COLUMNS.join(", "),
                    path.display()
                ));
                cli::stage_provenance(&mut outputs, cells, &cells_record)?;
            }
            for (field, level) in request.roll_ups.iter().zip(&levels) {
                let level_path = cli::roll_up_path(path, field);
                let mut level_record = record(level);
                level_record.notes.push(format!(
                    "zones rolled up by '{field}' from {}",
                    path.display()
                ));
                cli::stage_provenance(&mut outputs, &level_path, &level_record)?;
            }
            // Every file complete and checked: all into place together.
            outputs.commit()?;
        }
    }
    Ok(())
}
