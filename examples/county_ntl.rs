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

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, ValueEnum};
use cli::Failure;
use terralux::ntl::Product;
use terralux::ntl::blackmarble;
use terralux::ntl::dmsp::{Calibrated, Calibration};
use terralux::ntl::mask::{Keep, MaskLayer, Masked, Negatives};
use terralux::ntl::population::Population;
use terralux::ntl::series::{Dated, run_series};
use terralux::progress::Progress;
use terralux::raster::{Mosaic, Quantity, RasterOptions, Resampled};
use terralux::results::ZonalTable;
use terralux::stats::Stat;
use terralux::write::{self, InputFile, OutputSet, RunRecord, VectorFormat};
use terralux::zones::{AttrValue, Attributes, Zone, ZoneOptions, ZoneSet};
use terralux::{GdalRaster, RasterSource};

const PROGRAM: &str = "county_ntl";
/// The output columns after the id and the date, in order.
const INDICATORS: [&str; 14] = [
    "tnl",
    "tnl_area",
    "mean",
    "density",
    "lit_area_km2",
    "lit_frac",
    "ali",
    "cnli",
    "per_capita",
    "lit_pop_frac",
    "gini",
    "theil",
    "area_km2",
    "valid_frac",
];

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
    /// Every raster (.tif, .h5) in FOLDER instead, in name order; EOG cf_cvg
    /// companions and population files are not taken as dates.
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
    /// VNL: a '<name>.cf_cvg.<rest>' companion beside a layer masks the cells
    /// with no cloud-free observation (cf_cvg = 0: no data, not dark).
    /// DMSP: 255 is nodata; values are inter-calibrated by satellite-year.
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
    /// Black Marble layer (default DNB_BRDF-Corrected_NTL for A1/A2,
    /// AllAngle_Composite_Snow_Free for A3/A4), e.g.
    /// Gap_Filled_DNB_BRDF-Corrected_NTL. Quality masks by default: the
    /// mandatory flag 0 or 1, no cloud (QF_Cloud_Mask bit 7), no snow (bit 10).
    #[arg(long, value_name = "NAME", value_parser = args::text(), help_heading = "PRODUCTS",
          verbatim_doc_comment)]
    bm_layer: Option<String>,

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
    /// The name on the command line.
    fn name(self) -> &'static str {
        match self {
            ProductChoice::Auto => "auto",
            ProductChoice::Vnl => "vnl",
            ProductChoice::Blackmarble => "blackmarble",
            ProductChoice::Dmsp => "dmsp",
        }
    }
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

/// A Black Marble tile: its date, radiance layer and quality masks.
type BlackMarbleTile = (String, GdalRaster, Vec<(GdalRaster, Keep)>);

/// One input raster with its date and recognised product.
struct Input {
    path: PathBuf,
    date: String,
    product: Option<Product>,
}

fn is_companion(name: &str) -> bool {
    name.contains(".cf_cvg.") || name.contains("cf_cvg") || name.starts_with("population")
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Failure::Run(format!("{}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            [".tif", ".tiff", ".h5"].iter().any(|e| name.ends_with(e)) && !is_companion(&name)
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Failure::Run(format!(
            "{}: no raster (.tif, .h5) to read",
            dir.display()
        )));
    }
    Ok(paths)
}

/// The EOG `cf_cvg` companion of a VNL layer, if it is there.
fn cf_cvg_companion(path: &Path) -> Option<PathBuf> {
    cf_cvg_name(path).filter(|companion| companion.exists())
}

/// Where the `cf_cvg` companion of a VNL layer would be (`None` for the companion itself).
fn cf_cvg_name(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let (stem, rest) = name.split_once('.')?;
    let after_layer = rest.split_once('.').map_or("tif", |(_, r)| r);
    let companion = path.with_file_name(format!("{stem}.cf_cvg.{after_layer}"));
    (companion != path).then_some(companion)
}

/// What a file covers within its date: a tile id, or `None` for a whole product.
fn tile_of(product: &Option<Product>) -> Option<String> {
    match product {
        Some(Product::Vnl(name)) => name.tile.clone(),
        Some(Product::BlackMarble(name)) => Some(format!("h{:02}v{:02}", name.h, name.v)),
        _ => None,
    }
}

fn run() -> Result<(), Failure> {
    let Some(args) = cli::parse::<Cli>(PROGRAM)? else {
        return Ok(());
    };
    let started = SystemTime::now();
    let paths: Vec<PathBuf> = match (&args.raster, &args.dir) {
        (r, None) if !r.is_empty() => r.clone(),
        (r, Some(dir)) if r.is_empty() => list_dir(dir)?,
        (r, Some(_)) if !r.is_empty() => {
            return Err(Failure::Usage("give --raster or --dir, not both".into()));
        }
        _ => {
            return Err(Failure::Usage(
                "--raster PATH... or --dir FOLDER is required".into(),
            ));
        }
    };
    let zones_path = args
        .zones
        .clone()
        .ok_or_else(|| Failure::Usage("--zones is required".into()))?;
    let output = args
        .output
        .clone()
        .ok_or_else(|| Failure::Usage("--output is required".into()))?;
    let format = match output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => None,
        Some("gpkg") => Some(VectorFormat::GeoPackage),
        _ => {
            return Err(Failure::Usage(format!(
                "--output must end in .csv or .gpkg, not '{}'",
                output.display()
            )));
        }
    };
    let product_choice = args.product.name();
    let negatives = match args.negatives {
        NegativesChoice::Zero => Negatives::Zero,
        NegativesChoice::Invalid => Negatives::Invalid,
    };
    let calibration = match args.calibration {
        CalibrationChoice::Elvidge2014 => Some(Calibration::Elvidge2014),
        CalibrationChoice::LiZhou2017 => Some(Calibration::LiZhou2017),
        CalibrationChoice::None => None,
    };
    let threshold = args.threshold;
    let threads = args.threads;
    let trends_path = args.trends.clone();
    if let Some(t) = &trends_path
        && !t.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return Err(Failure::Usage(format!(
            "--trends must end in .csv, not '{}'",
            t.display()
        )));
    }
    // Every input and output resolved before any work: no output may be an input.
    let mut outputs = OutputSet::new();
    if let Some(dir) = &args.dir {
        outputs.input_folder(dir)?;
    }
    for path in &paths {
        // A file found in --dir is also recorded by its own path above.
        match &args.dir {
            Some(_) => outputs.input(&path.to_string_lossy())?,
            None => outputs.input(cli::path_text("--raster", path)?)?,
        }
    }
    if let Some(p) = &args.population {
        outputs.input(cli::path_text("--population", p)?)?;
    }
    outputs.input(cli::path_text("--zones", &zones_path)?)?;
    cli::declare_with_provenance(&mut outputs, &output)?;
    if let Some(t) = &trends_path {
        cli::declare_with_provenance(&mut outputs, t)?;
    }
    outputs.prepare()?;
    if std::env::var_os("GDAL_CACHEMAX").is_none() {
        let _ = gdal::config::set_config_option("GDAL_CACHEMAX", "16");
    }

    // The inputs, their dates and products.
    let inputs: Vec<Input> = paths
        .into_iter()
        .map(|path| {
            let name = path.display().to_string();
            let product = match product_choice {
                "auto" => Product::from_name(&name),
                _ => Product::from_name(&name).filter(|p| {
                    matches!(
                        (p, product_choice),
                        (Product::Vnl(_), "vnl")
                            | (Product::Dmsp(_), "dmsp")
                            | (Product::BlackMarble(_), "blackmarble")
                    )
                }),
            };
            let date = product.as_ref().map(Product::date).unwrap_or_else(|| {
                path.file_name()
                    .map(|n| {
                        n.to_string_lossy()
                            .split('.')
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                    .unwrap_or_default()
            });
            Input {
                path,
                date,
                product,
            }
        })
        .collect();
    // A folder keeps only the chosen product's files; a series is one product.
    let inputs: Vec<Input> = if args.dir.is_some() && product_choice != "auto" {
        inputs.into_iter().filter(|i| i.product.is_some()).collect()
    } else {
        inputs
    };
    let family = |i: &Input| match i.product {
        Some(Product::Vnl(_)) => "vnl",
        Some(Product::Dmsp(_)) => "dmsp",
        Some(Product::BlackMarble(_)) => "blackmarble",
        None => "other",
    };
    if let Some(first) = inputs.first()
        && let Some(other) = inputs.iter().find(|i| family(i) != family(first))
    {
        return Err(Failure::Usage(format!(
            "{} ({}) and {} ({}) are different products; run them separately or choose one with --product",
            first.path.display(),
            family(first),
            other.path.display(),
            family(other)
        )));
    }
    if inputs.is_empty() {
        return Err(Failure::Run(format!(
            "no {product_choice} raster among the inputs"
        )));
    }
    let is_bm = inputs
        .iter()
        .any(|i| matches!(i.product, Some(Product::BlackMarble(_))));
    let is_dmsp = inputs
        .iter()
        .any(|i| matches!(i.product, Some(Product::Dmsp(_))));
    let threshold = threshold.unwrap_or(if is_dmsp { 7.0 } else { 0.5 });

    let raster_options = RasterOptions {
        allow_raw_vrt: args.allow_raw_vrt,
        snap_geographic: args.snap_grid,
        ..RasterOptions::default()
    };
    // Open every raster, its mask or calibration.
    let mut notes = Vec::new();
    let rasters: Vec<GdalRaster> = match is_bm {
        true => Vec::new(),
        false => inputs
            .iter()
            .map(|i| GdalRaster::open_with(&i.path, &raster_options))
            .collect::<Result<_, _>>()?,
    };
    for raster in &rasters {
        notes.extend(cli::snap_note(raster));
    }
    let companions: Vec<Option<GdalRaster>> = inputs
        .iter()
        .filter(|_| !is_bm)
        .map(|i| match i.product {
            Some(Product::Vnl(_)) | None => cf_cvg_companion(&i.path)
                .map(|c| GdalRaster::open_with(c, &raster_options))
                .transpose(),
            _ => Ok(None),
        })
        .collect::<Result<_, _>>()?;
    // Say what would otherwise change silently: a VNL layer without its
    // cf_cvg mask, two files of one date over the same tiles.
    for (input, companion) in inputs.iter().zip(&companions) {
        if matches!(input.product, Some(Product::Vnl(_)))
            && companion.is_none()
            && let Some(expected) = cf_cvg_name(&input.path)
        {
            let note = format!(
                "{}: no cf_cvg companion ({}) beside it; measured without the cloud-free coverage mask (cells never observed count as dark)",
                input.path.display(),
                expected.file_name().unwrap_or_default().to_string_lossy()
            );
            eprintln!("{PROGRAM}: warning: {note}");
            notes.push(note);
        }
    }
    for (i, input) in inputs.iter().enumerate() {
        let tile = tile_of(&input.product);
        if let Some(earlier) = inputs[..i]
            .iter()
            .find(|e| e.date == input.date && tile_of(&e.product) == tile)
        {
            let note = format!(
                "date {}: {} and {} cover the same {}; they are mosaicked and the first file's valid cells win (keep one file per date and tile)",
                input.date,
                earlier.path.display(),
                input.path.display(),
                tile.map_or("area".to_string(), |t| format!("tile {t}"))
            );
            eprintln!("{PROGRAM}: warning: {note}");
            notes.push(note);
        }
    }
    // Black Marble: each tile's radiance layer with its default quality masks;
    // the tiles of one date as one mosaic, so a county across tiles counts once.
    let bm_tiles: Vec<BlackMarbleTile> = inputs
        .iter()
        .filter_map(|i| match &i.product {
            Some(Product::BlackMarble(name)) => Some((
                i,
                args.bm_layer
                    .as_deref()
                    .unwrap_or(blackmarble::default_layer(name)),
            )),
            _ => None,
        })
        .map(|(i, layer)| {
            Ok((
                i.date.clone(),
                blackmarble::open_layer(&i.path, layer)?,
                blackmarble::default_masks(&i.path, layer)?,
            ))
        })
        .collect::<Result<_, terralux::Error>>()?;
    let bm_masked: Vec<Masked<'_>> = bm_tiles
        .iter()
        .map(|(_, tile, masks)| Masked::new(tile, 1, blackmarble::mask_layers(masks), negatives))
        .collect::<Result<_, _>>()?;
    // One raster per input (masked, calibrated), then one source per date:
    // several tiles of one date (Black Marble tiles, VNL monthly tiles) form a mosaic.
    let mut per_input: Vec<Box<dyn RasterSource + Sync + '_>> = Vec::new();
    let mut input_dates: Vec<String> = Vec::new();
    for (masked, (date, _, _)) in bm_masked.iter().zip(&bm_tiles) {
        per_input.push(Box::new(masked));
        input_dates.push(date.clone());
    }
    for ((input, raster), companion) in inputs.iter().zip(&rasters).zip(&companions) {
        let source: Box<dyn RasterSource + Sync> = match &input.product {
            Some(Product::Dmsp(sat_year)) => {
                let coefficients = match calibration {
                    Some(table) => Some(table.coefficients(*sat_year).ok_or_else(|| {
                        Failure::Run(format!(
                            "{}: the {} table has no coefficients for {sat_year}",
                            input.path.display(),
                            table.name()
                        ))
                    })?),
                    None => None,
                };
                Box::new(Calibrated::new(raster, 1, coefficients)?)
            }
            _ => {
                let masks = companion
                    .iter()
                    .map(|m| MaskLayer {
                        raster: m,
                        band: 1,
                        keep: Keep::NonZero,
                    })
                    .collect();
                Box::new(Masked::new(raster, 1, masks, negatives)?)
            }
        };
        per_input.push(source);
        input_dates.push(input.date.clone());
    }
    let mut labels: Vec<String> = input_dates.clone();
    labels.sort();
    labels.dedup();
    let members = |date: &String| -> Vec<usize> {
        (0..input_dates.len())
            .filter(|&i| &input_dates[i] == date)
            .collect()
    };
    let mosaics: Vec<Option<Mosaic<'_>>> = labels
        .iter()
        .map(|date| {
            let tiles = members(date);
            if tiles.len() == 1 {
                return Ok(None);
            }
            let refs = tiles
                .iter()
                .map(|&i| per_input[i].as_ref() as &(dyn RasterSource + Sync))
                .collect();
            Mosaic::new(refs, 1).map(Some)
        })
        .collect::<Result<_, _>>()?;
    let sources: Vec<&(dyn RasterSource + Sync)> = labels
        .iter()
        .zip(&mosaics)
        .map(|(date, mosaic)| match mosaic {
            Some(m) => m as &(dyn RasterSource + Sync),
            None => per_input[members(date)[0]].as_ref(),
        })
        .collect();
    let grid = sources[0].grid().clone();
    let raster_crs = grid
        .crs()
        .cloned()
        .ok_or_else(|| Failure::Run(format!("{}: no CRS", inputs[0].path.display())))?;

    // Population: split by area onto the lights' grid when its grid differs.
    let population_raster = args
        .population
        .as_ref()
        .map(|p| GdalRaster::open_with(p, &raster_options))
        .transpose()?;
    // Negative and infinite cells are not people: invalid, and said.
    let population_checked = population_raster
        .as_ref()
        .map(|p| Population::new(p, 1))
        .transpose()?;
    if let Some(p) = &population_checked {
        let invalid = p.invalid_cells()?;
        if invalid.total() > 0 {
            let note = format!(
                "{}: {} negative and {} infinite cell(s) are not people counts; left out of per_capita and lit_pop_frac as invalid",
                p.name(),
                invalid.negative,
                invalid.infinite
            );
            eprintln!("{PROGRAM}: warning: {note}");
            notes.push(note);
        }
    }
    let population: Option<Box<dyn RasterSource + Sync + '_>> = match &population_checked {
        Some(p) if p.grid().same_as(&grid) => Some(Box::new(p)),
        Some(p) => Some(Box::new(Resampled::new(
            p,
            grid.clone(),
            Quantity::Extensive,
        )?)),
        None => None,
    };

    // Zones in the rasters' CRS.
    let zones = ZoneSet::read(
        &zones_path,
        &ZoneOptions {
            layer: args.layer.clone(),
            id_field: args.id_field.clone(),
            ..ZoneOptions::default()
        },
    )?;
    let zones_crs_as_read = zones.crs().map(|c| c.definition().to_string());
    let mut transformations = Vec::new();
    let mut zones = zones;
    if args.gcj02 {
        zones = zones.gcj02_to_wgs84()?;
        transformations.push("GCJ-02 to WGS84 (iterated inverse)".to_string());
    }
    let original = zones.clone();
    if zones.crs().is_some_and(|c| !c.matches(&raster_crs)) {
        eprintln!(
            "{PROGRAM}: reprojecting the zones to the rasters' {}",
            raster_crs.definition()
        );
        transformations.push(format!("reprojected to {}", raster_crs.definition()));
        zones = zones.into_crs(&raster_crs)?;
    }

    // One pass per date through one coverage index.
    let dn_max = is_dmsp.then_some(63.0);
    let mut stats = vec![
        Stat::Tnl,
        Stat::TnlArea,
        Stat::AreaMean,
        Stat::Density,
        Stat::LitAreaKm2(threshold),
        Stat::LitFrac(threshold),
        Stat::Ali { threshold, dn_max },
        Stat::Cnli(threshold),
    ];
    if population.is_some() {
        stats.extend([Stat::PerCapita, Stat::LitPopFrac(threshold)]);
    }
    stats.extend([Stat::Gini, Stat::Theil, Stat::AreaKm2, Stat::ValidFrac]);
    let dates: Vec<Dated<'_>> = labels
        .iter()
        .zip(&sources)
        .map(|(date, source)| Dated {
            date: date.clone(),
            raster: *source,
            band: 1,
            weights: population
                .as_ref()
                .map(|p| (p.as_ref() as &(dyn RasterSource + Sync), 1)),
        })
        .collect();
    // DMSP saturates at DN 63 in city cores: say how much, on stderr and in the provenance.
    for (input, raster) in inputs.iter().zip(&rasters) {
        if matches!(input.product, Some(Product::Dmsp(_))) {
            let (saturated, valid) = terralux::ntl::dmsp::saturation(raster, 1)?;
            let share = if valid > 0 {
                100.0 * saturated as f64 / valid as f64
            } else {
                0.0
            };
            notes.push(format!(
                "{}: {saturated} of {valid} valid cells saturated at DN 63 ({share:.2}%)",
                input.path.display()
            ));
        }
    }
    if !args.quiet {
        for note in &notes {
            eprintln!("{PROGRAM}: {note}");
        }
    }
    let progress = Progress::new(PROGRAM, !args.quiet);
    let mut series = run_series(&zones, &dates, &stats, threads, &|done, total| {
        progress.update(done, total)
    })?;
    progress.finish();
    if let Some(first) = series.tables.first() {
        cli::report_repaired(PROGRAM, first);
    }
    if population.is_none() {
        // Keep the column layout fixed: per_capita and lit_pop_frac are empty.
        for table in &mut series.tables {
            for zone in &mut table.zones {
                for _ in 0..2 {
                    zone.values.insert(8, terralux::stats::StatValue::Missing);
                }
            }
        }
    }
    let names: Vec<String> = INDICATORS.iter().map(|s| s.to_string()).collect();
    let id_column = zones.id_field().unwrap_or("fid").to_string();
    match format {
        None => outputs.write(&output, |w| {
            series.write_long_csv(&id_column, Some(&names), w)
        })?,
        Some(kind) => {
            let (long_table, long_zones) = long_form(&series, &original, &names);
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
    if let Some(path) = &trends_path {
        outputs.write(path, |w| write_trends(&series, &id_column, &names, w))?;
    }
    let mut files: Vec<InputFile> = inputs
        .iter()
        .map(|i| InputFile::describe(&format!("raster {}", i.date), &i.path.display().to_string()))
        .collect();
    for (input, companion) in inputs.iter().zip(&companions) {
        if companion.is_some()
            && let Some(c) = cf_cvg_companion(&input.path)
        {
            files.push(InputFile::describe(
                &format!("cf_cvg mask {}", input.date),
                &c.display().to_string(),
            ));
        }
    }
    if let Some(p) = &args.population {
        files.push(InputFile::describe(
            "population",
            cli::path_text("--population", p)?,
        ));
    }
    files.push(InputFile::describe(
        "zones",
        cli::path_text("--zones", &zones_path)?,
    ));
    let record = RunRecord {
        command_line: cli::command_line(),
        inputs: files,
        zones_crs: zones_crs_as_read,
        zone_transformations: transformations,
        started,
        finished: SystemTime::now(),
        table: &series.tables[0],
        notes,
        outputs: outputs.written(),
    };
    cli::stage_provenance(&mut outputs, &output, &record)?;
    if let Some(path) = &trends_path {
        cli::stage_provenance(&mut outputs, path, &record)?;
    }
    // Every file complete and checked: all into place together.
    outputs.commit()?;
    Ok(())
}

/// Per county and indicator: the trend over the dates.
fn write_trends(
    series: &terralux::ntl::series::Series,
    id_column: &str,
    names: &[String],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    writeln!(
        out,
        "{},indicator,n,ols_slope,sen_slope,mann_kendall_s,mann_kendall_z,p_value,annual_growth",
        write::csv_field(id_column)
    )?;
    let per_indicator: Vec<Vec<terralux::ntl::trend::Trend>> =
        (0..names.len()).map(|c| series.trends(c)).collect();
    let Some(table) = series.tables.first() else {
        return Ok(());
    };
    for (z, zone) in table.zones.iter().enumerate() {
        let id = write::csv_field(&zone.id.to_string()).into_owned();
        for (name, trends) in names.iter().zip(&per_indicator) {
            let t = &trends[z];
            writeln!(
                out,
                "{id},{},{},{},{},{},{},{},{}",
                write::csv_field(name),
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

/// The long table as one table of zone x date rows, with the zones repeated
/// and a `date` attribute, for the vector writer.
fn long_form(
    series: &terralux::ntl::series::Series,
    zones: &ZoneSet,
    names: &[String],
) -> (ZonalTable, ZoneSet) {
    let mut table = series.tables[0].clone();
    table.columns = names
        .iter()
        .enumerate()
        .map(|(i, n)| terralux::results::Column {
            layer: 0,
            stat: table.columns.get(i).map_or(Stat::Tnl, |c| c.stat),
            name: n.clone(),
        })
        .collect();
    table.zones.clear();
    let mut field_names: Vec<String> = zones.field_names().to_vec();
    field_names.push("date".to_string());
    let mut long = Vec::new();
    for (date, dated) in series.dates.iter().zip(&series.tables) {
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
    let mut long_zones = ZoneSet::new(long, zones.crs().cloned());
    if let Some(crs) = zones.crs() {
        long_zones = long_zones.with_crs(crs.clone());
    }
    (table, long_zones)
}
