//! `county_ntl`: night-light indicators per county and date.
//!
//! ```text
//! cargo run --release --example county_ntl -- \
//!     --raster PATH... | --dir FOLDER \
//!     --zones PATH [--layer NAME] [--id-field FIELD] [--gcj02] \
//!     [--threshold T] [--population PATH] [--product auto|vnl|blackmarble|dmsp] \
//!     [--threads N] [--quiet] --output PATH   # .csv or .gpkg
//! ```
//!
//! Run with `--help` for every flag. Exit codes: 0 success, 2 usage error,
//! 1 any other error.

#[path = "common/args.rs"]
mod args;
#[path = "common/cli.rs"]
mod cli;
#[path = "common/progress.rs"]
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;
use cli::Failure;
use progress::Progress;
use terralux::ntl::blackmarble::MaskPolicy;
use terralux::ntl::dmsp::Calibration;
use terralux::ntl::mask::Negatives;
use terralux::ntl::{CountyNtlOptions, ProductChoice, RunEvent};
use terralux::workflow::county_ntl::{self, CountyNtlOutput, CountyNtlRequest};
use terralux::write::Format;
use terralux::zones::PrepareOptions;

const PROGRAM: &str = "county_ntl";

const USAGE: &str = "\
county_ntl --raster PATH... | --dir FOLDER --zones PATH [--layer NAME] [--id-field FIELD]
                  [--gcj02] [--threshold T] [--population PATH] [--product auto|vnl|blackmarble|dmsp]
                  [--threads N] [--quiet] [--allow-raw-vrt] [--snap-grid] [--masked-frac] --output PATH";

const AFTER_HELP: &str = "\
EXAMPLE
  cargo run --release --example county_ntl -- --dir testdata/products/vnl \\
      --zones testdata/counties.gpkg --id-field code \\
      --population testdata/products/population_30s.tif --output out/county_ntl.csv";

/// The command line as given: every flag of `county_ntl`, and its `--help`.
#[derive(Parser)]
#[command(
    about = "county_ntl: night-light indicators per county and date",
    long_about = None,
    override_usage = USAGE,
    after_help = AFTER_HELP
)]
struct Cli {
    /// Night-light rasters, one per date or tile (several paths after one flag, or the
    /// flag repeated). Tiles of one date (Black Marble tiles, VNL monthly
    /// tiles) are joined into one mosaic; every date must then cover the same
    /// grid: the coverage of every county is computed once and reused.
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = "INPUTS",
          verbatim_doc_comment)]
    raster: Vec<PathBuf>,
    /// Every raster (.tif, .tif.gz, .h5) in FOLDER instead, in name order; EOG
    /// cf_cvg companions and population files are not taken as dates.
    #[arg(long, value_name = "FOLDER", help_heading = "INPUTS", verbatim_doc_comment)]
    dir: Option<PathBuf>,
    #[command(flatten)]
    zones: args::ZoneArgs,
    /// The zones are GCJ-02 (Chinese web maps); convert them to WGS84.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    gcj02: bool,
    /// Population raster (people per cell) for per_capita and lit_pop_frac; on
    /// another grid it is split or summed by area, never copied.
    #[arg(long, value_name = "PATH", help_heading = "INPUTS", verbatim_doc_comment)]
    population: Option<PathBuf>,

    /// auto (default: from the file names), vnl, dmsp or blackmarble.
    /// VNL (every release's name form; .tif.gz read as is): the layer's cf_cvg
    /// companion beside it masks the cells with no cloud-free observation
    /// (cf_cvg = 0: no data, not dark).
    /// DMSP: 255 is nodata; values are inter-calibrated by satellite-year; the
    /// two satellites of one year are averaged after calibration.
    #[arg(
        long,
        value_name = "P",
        value_enum,
        default_value = "auto",
        help_heading = "PRODUCTS",
        verbatim_doc_comment
    )]
    product: Product,
    /// DMSP inter-calibration: elvidge2014 (default), lizhou2017 or none.
    #[arg(
        long,
        value_name = "C",
        value_enum,
        default_value = "elvidge2014",
        help_heading = "PRODUCTS",
        verbatim_doc_comment
    )]
    calibration: CalibrationChoice,
    /// Negative radiance: zero (default) or invalid.
    #[arg(
        long,
        value_name = "N",
        value_enum,
        default_value = "zero",
        help_heading = "PRODUCTS",
        verbatim_doc_comment
    )]
    negatives: NegativesChoice,
    /// Lit threshold (default 0.5 nW/cm2/sr for VIIRS, 7 DN for DMSP).
    #[arg(long, value_name = "T", value_parser = args::number(), allow_negative_numbers = true,
          help_heading = "PRODUCTS", verbatim_doc_comment)]
    threshold: Option<f64>,
    /// Black Marble layer (default, as blackmarblepy and blackmarbler:
    /// DNB_At_Sensor_Radiance_500m for A1, Gap_Filled_DNB_BRDF-Corrected_NTL
    /// for A2, NearNadir_Composite_Snow_Free for A3/A4), e.g. DNB_BRDF-Corrected_NTL.
    #[arg(long, value_name = "NAME", value_parser = args::text(), help_heading = "PRODUCTS",
          verbatim_doc_comment)]
    bm_layer: Option<String>,
    /// Black Marble quality masks: fill (default, as blackmarblepy and
    /// blackmarbler: fill values only), strict (quality flag 0 or 1, no cloud,
    /// no snow; composites' _Quality 0; never on a gap-filled layer) or none
    /// (the layer's own fill value only).
    #[arg(
        long,
        value_name = "M",
        value_enum,
        default_value = "fill",
        help_heading = "PRODUCTS",
        verbatim_doc_comment
    )]
    masks: MasksChoice,
    /// What ali and cnli divide by (default: 63 for DMSP, else the largest
    /// value of any county on any date of the run, recorded in the
    /// provenance); give it to compare runs.
    #[arg(long, value_name = "L", value_parser = args::number(), help_heading = "PRODUCTS",
          verbatim_doc_comment)]
    light_max: Option<f64>,

    /// .csv, .gpkg or .parquet. One row per county and date: the id, 'date' (from the
    /// product's name, else the file stem), then
    /// tnl tnl_area mean density lit_area_km2 lit_frac ali cnli per_capita
    /// lit_pop_frac gini theil area_km2 valid_frac
    /// (definitions: crate docs, section Statistics). per_capita and
    /// lit_pop_frac are empty without --population. A <output>.provenance.json
    /// is written beside it; files are written atomically.
    #[arg(long, value_name = "PATH", help_heading = "OUTPUT", verbatim_doc_comment)]
    output: Option<PathBuf>,
    /// Also a last column masked_frac: the share of each county's valid
    /// radiance cells (coverage-weighted) that the product's masks (VNL
    /// cf_cvg, Black Marble quality layers under --masks) removed on that
    /// date. Not for DMSP, which has no masks.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    masked_frac: bool,
    /// Also write per-county trends over the dates (.csv): for every indicator,
    /// the number of dates, OLS slope and Sen's slope per year, the
    /// Mann-Kendall S, Z and two-sided p-value, and the annual growth rate.
    #[arg(long, value_name = "PATH", help_heading = "OUTPUT", verbatim_doc_comment)]
    trends: Option<PathBuf>,
    #[command(flatten)]
    running: args::RunArgs,
    #[command(flatten)]
    reading: args::RasterArgs,
}

args::choice! {
    /// `--product`.
    Product => ProductChoice {
        Auto => ProductChoice::Auto,
        Vnl => ProductChoice::Vnl,
        Blackmarble => ProductChoice::BlackMarble,
        Dmsp => ProductChoice::Dmsp,
    }
}

args::choice! {
    /// `--masks`.
    MasksChoice => MaskPolicy {
        Fill => MaskPolicy::Fill,
        Strict => MaskPolicy::Strict,
        None => MaskPolicy::None,
    }
}

args::choice! {
    /// `--calibration`.
    CalibrationChoice => Option<Calibration> {
        Elvidge2014 => Some(Calibration::Elvidge2014),
        #[value(name = "lizhou2017")]
        LiZhou2017 => Some(Calibration::LiZhou2017),
        None => None,
    }
}

args::choice! {
    /// `--negatives`.
    NegativesChoice => Negatives {
        Zero => Negatives::Zero,
        Invalid => Negatives::Invalid,
    }
}

fn main() -> ExitCode {
    cli::start(PROGRAM);
    cli::exit_with(PROGRAM, run())
}

fn run() -> Result<(), Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(());
    };
    let started = SystemTime::now();
    let zones = args.zones.path()?;
    let mut output = match &args.output {
        None => return Err(Failure::Usage("--output is required".into())),
        Some(path) => CountyNtlOutput::new(path),
    };
    if output.format().is_err() {
        let path = output.path.display();
        return Err(Failure::Usage(format!(
            "--output must end in .csv, .gpkg or .parquet, not '{path}'"
        )));
    }
    if let Some(t) = args
        .trends
        .as_ref()
        .filter(|t| Format::from_path(t) != Some(Format::Csv))
    {
        return Err(Failure::Usage(format!(
            "--trends must end in .csv, not '{}'",
            t.display()
        )));
    }
    (output.trends, output.command_line) = (args.trends.clone(), cli::command_line());
    let choice = args.product.into();
    let mut request = match (&args.raster, &args.dir) {
        (r, None) if !r.is_empty() => {
            for path in r {
                cli::path_text("--raster", path)?;
            }
            CountyNtlRequest::from_paths(r.clone(), choice, zones)?
        }
        (r, Some(dir)) if r.is_empty() => CountyNtlRequest::from_folder(dir, choice, zones)?,
        (r, Some(_)) if !r.is_empty() => {
            return Err(Failure::Usage("give --raster or --dir, not both".into()));
        }
        _ => {
            return Err(Failure::Usage(
                "--raster PATH... or --dir FOLDER is required".into(),
            ));
        }
    };
    if let Some(p) = &args.population {
        cli::path_text("--population", p)?;
    }
    cli::path_text("--zones", zones)?;
    request.zone_options = args.zones.options();
    request.options = CountyNtlOptions {
        threshold: args.threshold,
        population: args.population.clone(),
        negatives: args.negatives.into(),
        calibration: args.calibration.into(),
        bm_layer: args.bm_layer.clone(),
        bm_masks: args.masks.into(),
        light_max: args.light_max,
        zones: PrepareOptions {
            gcj02: args.gcj02,
            ..PrepareOptions::default()
        },
        threads: args.running.threads,
        raster_options: args.reading.options(),
        masked_frac: args.masked_frac,
    };
    // Every input and output resolved before any work: no output may be an input.
    let outputs = county_ntl::plan_outputs(&request, &output)?;
    cli::small_gdal_cache();
    let (quiet, progress) = (
        args.running.quiet,
        Progress::new(PROGRAM, !args.running.quiet),
    );
    let on_event = |event: RunEvent<'_>| match event {
        RunEvent::Warning(text) => progress.say(&format!("{PROGRAM}: warning: {text}")),
        RunEvent::Note(text) if !quiet => progress.say(&format!("{PROGRAM}: {text}")),
        RunEvent::Note(_) => {}
        RunEvent::Step(text) => progress.say(&format!("{PROGRAM}: {text}")),
        RunEvent::Progress { done, total } => progress.update(done, total),
    };
    let run = county_ntl::run(&request, &on_event)?;
    progress.finish();
    cli::report_repaired(PROGRAM, &run.series.tables[0]);
    county_ntl::write_outputs(outputs, &run, &output, started, &on_event)?;
    Ok(())
}
