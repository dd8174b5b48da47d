//! Summarise a raster and a zone layer: what terralux sees when it opens them.
//!
//! ```text
//! cargo run --release --example summary -- --raster testdata/ntl.tif \
//!     --zones testdata/counties.gpkg [--layer NAME] [--id-field FIELD]
//! ```
//!
//! Exit codes: 0 on success, 2 on a usage error, 1 on any other error
//! (with a one-line message naming the file, band, layer or field at fault).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::io::Write;

use clap::Parser;
use terralux::summary::{RasterSummary, ZonesSummary};
use terralux::zones::ZoneSet;
use terralux::{GdalRaster, RasterSource};

#[path = "common/args.rs"]
mod args;

const PROGRAM: &str = "summary";

/// The command line: which raster and zones to summarise.
#[derive(Parser)]
#[command(
    about = "Prints the grid, bands and valid-cell statistics of the raster,\n\
             and the layer, CRS, fields and geometry figures of the zones.",
    long_about = None,
    override_usage = "summary --raster PATH --zones PATH [--layer NAME] [--id-field FIELD]"
)]
struct Args {
    /// The raster (any GDAL path).
    #[arg(long, value_name = "PATH", verbatim_doc_comment)]
    raster: Option<PathBuf>,
    #[command(flatten)]
    zones: args::ZoneArgs,
}

/// The arguments, checked; `Ok(None)` when the help or version was printed.
fn parse_args() -> Result<Option<(Args, PathBuf, PathBuf)>, String> {
    let Some(mut args) = args::parse::<Args>(PROGRAM)? else {
        return Ok(None);
    };
    let raster = args.raster.take().ok_or("--raster is required")?;
    let zones = args.zones.path()?.to_path_buf();
    Ok(Some((args, raster, zones)))
}

fn main() -> ExitCode {
    let (args, raster, zones) = match parse_args() {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{PROGRAM}: {message} (see '{PROGRAM} --help')");
            return ExitCode::from(2);
        }
    };
    // GDAL takes paths as text: one that is not UTF-8 is said, naming its flag.
    for (flag, path) in [("--raster", &raster), ("--zones", &zones)] {
        if let Err(message) = args::path_text(flag, path) {
            eprintln!("{PROGRAM}: {message} (see '{PROGRAM} --help')");
            return ExitCode::from(2);
        }
    }
    match run(&args, &raster, &zones) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("summary: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args, raster: &Path, zones: &Path) -> terralux::Result<()> {
    let raster = GdalRaster::open(raster)?;
    let zones = ZoneSet::read(zones, &args.zones.options())?;
    let text = format!(
        "{}\n{}",
        RasterSummary::of(&raster)?,
        ZonesSummary::of(&zones, raster.grid())?
    );
    // A reader that stops early (`| head`) ends the run quietly.
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(terralux::Error::Io {
            path: "standard output".into(),
            source: e,
        }),
        _ => Ok(()),
    }
}
