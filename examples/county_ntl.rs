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

use clap::{Parser, ValueEnum};
use cli::Failure;
use progress::Progress;
use terralux::ntl::blackmarble::MaskPolicy;
use terralux::ntl::dmsp::Calibration;
use terralux::ntl::mask::Negatives;
use terralux::ntl::{Collection, CountyNtlOptions, RunEvent, county_ntl};
use terralux::raster::RasterOptions;
use terralux::write::{self, Format, OutputSet, RunRecord, VectorFormat};
use terralux::zones::{PrepareOptions, ZoneOptions, ZoneSet};

const PROGRAM: &str = "county_ntl";

const USAGE: &str = "\
county_ntl --raster PATH... | --dir FOLDER --zones PATH [--layer NAME] [--id-field FIELD]
                  [--gcj02] [--threshold T] [--population PATH] [--product auto|vnl|blackmarble|dmsp]
                  [--threads N] [--quiet] [--allow-raw-vrt] [--snap-grid] --output PATH";

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
    #[arg(
        long,
        value_name = "FOLDER",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
    dir: Option<PathBuf>,
    /// County polygons (GeoPackage, Shapefile, GeoJSON...).
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
    /// Field with the county ids (default: feature ids, column 'fid').
    #[arg(long, value_name = "FIELD", value_parser = args::text(), help_heading = "INPUTS",
          verbatim_doc_comment)]
    id_field: Option<String>,
    /// The zones are GCJ-02 (Chinese web maps); convert them to WGS84.
    #[arg(long, help_heading = "INPUTS", verbatim_doc_comment)]
    gcj02: bool,
    /// Population raster (people per cell) for per_capita and lit_pop_frac; on
    /// another grid it is split or summed by area, never copied.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "INPUTS",
        verbatim_doc_comment
    )]
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
    product: ProductChoice,
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

    /// .csv or .gpkg. One row per county and date: the id, 'date' (from the
    /// product's name, else the file stem), then
    /// tnl tnl_area mean density lit_area_km2 lit_frac ali cnli per_capita
    /// lit_pop_frac gini theil area_km2 valid_frac
    /// (definitions: crate docs, section Statistics). per_capita and
    /// lit_pop_frac are empty without --population. A <output>.provenance.json
    /// is written beside it; files are written atomically.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "OUTPUT",
        verbatim_doc_comment
    )]
    output: Option<PathBuf>,
    /// Also write per-county trends over the dates (.csv): for every indicator,
    /// the number of dates, OLS slope and Sen's slope per year, the
    /// Mann-Kendall S, Z and two-sided p-value, and the annual growth rate.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "OUTPUT",
        verbatim_doc_comment
    )]
    trends: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = args::threads(), allow_negative_numbers = true,
          help_heading = "OUTPUT", verbatim_doc_comment)]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    quiet: bool,
    /// Read VRT files with VRTRawRasterBand bands (raw bytes of any other
    /// file); refused by default.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    allow_raw_vrt: bool,
    /// Snap geographic grids whose cell size is within 1e-6 of 1/n degree to
    /// exactly 1/n (EOG's 0.0041666667 as 1/240). Default: cells are where
    /// the files declare them. Recorded in the provenance.
    #[arg(long, help_heading = "OUTPUT", verbatim_doc_comment)]
    snap_grid: bool,
}

/// `--product`.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum ProductChoice {
    Auto,
    Vnl,
    Blackmarble,
    Dmsp,
}

impl ProductChoice {
    /// The library's choice.
    fn choice(self) -> terralux::ntl::ProductChoice {
        match self {
            ProductChoice::Auto => terralux::ntl::ProductChoice::Auto,
            ProductChoice::Vnl => terralux::ntl::ProductChoice::Vnl,
            ProductChoice::Blackmarble => terralux::ntl::ProductChoice::BlackMarble,
            ProductChoice::Dmsp => terralux::ntl::ProductChoice::Dmsp,
        }
    }
}

/// `--masks`.
#[derive(Clone, Copy, ValueEnum)]
enum MasksChoice {
    Fill,
    Strict,
    None,
}

/// `--calibration`.
#[derive(Clone, Copy, ValueEnum)]
enum CalibrationChoice {
    Elvidge2014,
    #[value(name = "lizhou2017")]
    LiZhou2017,
    None,
}

/// `--negatives`.
#[derive(Clone, Copy, ValueEnum)]
enum NegativesChoice {
    Zero,
    Invalid,
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
    let (zones_path, output) = match (&args.zones, &args.output) {
        (None, _) => return Err(Failure::Usage("--zones is required".into())),
        (_, None) => return Err(Failure::Usage("--output is required".into())),
        (Some(z), Some(o)) => (z.clone(), o.clone()),
    };
    let format = match Format::from_path(&output) {
        Some(Format::Csv) => None,
        Some(Format::Vector(VectorFormat::GeoPackage)) => Some(VectorFormat::GeoPackage),
        _ => {
            return Err(Failure::Usage(format!(
                "--output must end in .csv or .gpkg, not '{}'",
                output.display()
            )));
        }
    };
    if let Some(t) = &args.trends
        && Format::from_path(t) != Some(Format::Csv)
    {
        return Err(Failure::Usage(format!(
            "--trends must end in .csv, not '{}'",
            t.display()
        )));
    }
    let choice = args.product.choice();
    let collection = match (&args.raster, &args.dir) {
        (r, None) if !r.is_empty() => {
            for path in r {
                cli::path_text("--raster", path)?;
            }
            Collection::from_paths(r.clone(), choice)?
        }
        (r, Some(dir)) if r.is_empty() => Collection::from_folder(dir, choice)?,
        (r, Some(_)) if !r.is_empty() => {
            return Err(Failure::Usage("give --raster or --dir, not both".into()));
        }
        _ => {
            return Err(Failure::Usage(
                "--raster PATH... or --dir FOLDER is required".into(),
            ));
        }
    };
    // Every input and output resolved before any work: no output may be an input.
    let mut outputs = OutputSet::new();
    if let Some(dir) = &args.dir {
        outputs.input_folder(dir)?;
    }
    for file in &collection.files {
        outputs.input(&file.path.to_string_lossy())?;
        if let Some(companion) = &file.companion {
            outputs.input(&companion.to_string_lossy())?;
        }
    }
    if let Some(p) = &args.population {
        outputs.input(cli::path_text("--population", p)?)?;
    }
    outputs.input(cli::path_text("--zones", &zones_path)?)?;
    cli::declare_with_provenance(&mut outputs, &output)?;
    if let Some(t) = &args.trends {
        cli::declare_with_provenance(&mut outputs, t)?;
    }
    outputs.prepare()?;
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        let _ = gdal::config::set_config_option("GDAL_CACHEMAX", "16");
    }

    let zones = ZoneSet::read(
        &zones_path,
        &ZoneOptions {
            layer: args.layer.clone(),
            id_field: args.id_field.clone(),
            ..ZoneOptions::default()
        },
    )?;
    let options = CountyNtlOptions {
        threshold: args.threshold,
        population: args.population.clone(),
        negatives: match args.negatives {
            NegativesChoice::Zero => Negatives::Zero,
            NegativesChoice::Invalid => Negatives::Invalid,
        },
        calibration: match args.calibration {
            CalibrationChoice::Elvidge2014 => Some(Calibration::Elvidge2014),
            CalibrationChoice::LiZhou2017 => Some(Calibration::LiZhou2017),
            CalibrationChoice::None => None,
        },
        bm_layer: args.bm_layer.clone(),
        bm_masks: match args.masks {
            MasksChoice::Fill => MaskPolicy::Fill,
            MasksChoice::Strict => MaskPolicy::Strict,
            MasksChoice::None => MaskPolicy::None,
        },
        light_max: args.light_max,
        zones: PrepareOptions {
            gcj02: args.gcj02,
            ..PrepareOptions::default()
        },
        threads: args.threads,
        raster_options: RasterOptions {
            allow_raw_vrt: args.allow_raw_vrt,
            snap_geographic: args.snap_grid,
            ..RasterOptions::default()
        },
    };
    let progress = Progress::new(PROGRAM, !args.quiet);
    let on_event = |event: RunEvent<'_>| match event {
        RunEvent::Warning(text) => progress.say(&format!("{PROGRAM}: warning: {text}")),
        RunEvent::Note(text) if !args.quiet => progress.say(&format!("{PROGRAM}: {text}")),
        RunEvent::Note(_) => {}
        RunEvent::Step(text) => progress.say(&format!("{PROGRAM}: {text}")),
        RunEvent::Progress { done, total } => progress.update(done, total),
    };
    let run = county_ntl(&collection, zones, &options, &on_event)?;
    progress.finish();
    let series = &run.series;
    cli::report_repaired(PROGRAM, &series.tables[0]);

    let id_column = run.zones.id_field().unwrap_or("fid").to_string();
    let mut notes = run.notes.clone();
    match format {
        None => outputs.write(&output, |w| series.write_long_csv(&id_column, None, w))?,
        Some(kind) => {
            let (long_table, long_zones) = series
                .long_form(&run.zones)
                .ok_or_else(|| Failure::Run("no date to write".into()))?;
            cli::note_nan_in_geopackage(PROGRAM, &output, &long_table, kind, &mut notes);
            outputs.write_with_path(
                &output,
                |file| {
                    write::write_vector_file(
                        &long_table,
                        &long_zones,
                        &id_column,
                        &output,
                        file,
                        kind,
                    )
                },
                |file| {
                    write::check_vector(file, &output, kind, &long_table, &long_zones, &id_column)
                },
            )?;
        }
    }
    if let Some(path) = &args.trends {
        outputs.write(path, |w| series.write_trends_csv(&id_column, None, w))?;
    }
    let record = RunRecord {
        command_line: cli::command_line(),
        inputs: run.inputs.clone(),
        zones_crs: run.zones_crs_as_read.clone(),
        zone_transformations: run.zone_transformations.clone(),
        started,
        finished: SystemTime::now(),
        table: &series.tables[0],
        notes,
        outputs: outputs.written(),
    };
    cli::stage_provenance(&mut outputs, &output, &record)?;
    if let Some(path) = &args.trends {
        cli::stage_provenance(&mut outputs, path, &record)?;
    }
    // Every file complete and checked: all into place together.
    outputs.commit()?;
    Ok(())
}
