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

use clap::Parser;
use geo::{Area, BoundingRect, Intersects};
use terralux::zones::{ZoneOptions, ZoneSet};
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
    /// The zones (any OGR data source).
    #[arg(long, value_name = "PATH", verbatim_doc_comment)]
    zones: Option<PathBuf>,
    /// Layer of the zones file.
    #[arg(long, value_name = "NAME", value_parser = args::text(), verbatim_doc_comment)]
    layer: Option<String>,
    /// Field holding the zone ids (default: feature ids).
    #[arg(long, value_name = "FIELD", value_parser = args::text(), verbatim_doc_comment)]
    id_field: Option<String>,
}

/// The arguments, checked; `Ok(None)` when the help or version was printed.
fn parse_args() -> Result<Option<(Args, PathBuf, PathBuf)>, String> {
    let Some(mut args) = args::parse::<Args>(PROGRAM)? else {
        return Ok(None);
    };
    let raster = args.raster.take().ok_or("--raster is required")?;
    let zones = args.zones.take().ok_or("--zones is required")?;
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
    summarise_raster(&raster)?;
    println!();
    let options = ZoneOptions {
        layer: args.layer.clone(),
        id_field: args.id_field.clone(),
        ..ZoneOptions::default()
    };
    let zones = ZoneSet::read(zones, &options)?;
    summarise_zones(&zones, &raster)?;
    Ok(())
}

fn summarise_raster(raster: &GdalRaster) -> terralux::Result<()> {
    let grid = raster.grid();
    let gt = grid.transform();
    let b = grid.bounds();
    println!("raster   {}", raster.name());
    println!(
        "  size   {} cols x {} rows = {} cells",
        grid.cols(),
        grid.rows(),
        grid.cols() * grid.rows()
    );
    if let Some(crs) = grid.crs() {
        println!("  crs    {} ({:?})", crs.definition(), crs.kind());
    }
    println!(
        "  grid   origin ({}, {}), cell {} x {} (snapped)",
        gt.origin_x, gt.origin_y, gt.pixel_width, gt.pixel_height
    );
    println!(
        "  bounds x {:.6} .. {:.6}, y {:.6} .. {:.6}",
        b.min().x,
        b.max().x,
        b.min().y,
        b.max().y
    );
    let first = grid.cell_area_km2(0)?;
    let last = grid.cell_area_km2(grid.rows() - 1)?;
    println!(
        "  cell area {first:.6} km2 (row 0) .. {last:.6} km2 (row {})",
        grid.rows() - 1
    );
    for band in 1..=raster.band_count() {
        let info = raster.band_info(band)?;
        let enc = info.encoding;
        println!(
            "  band {band}: {}, nodata {}, scale {}, offset {}, blocks {} x {} (rows x cols)",
            info.data_type,
            enc.nodata.map_or("none".to_string(), |v| v.to_string()),
            enc.scale,
            enc.offset,
            info.block_shape.0,
            info.block_shape.1
        );
        let (mut valid, mut total, mut sum) = (0usize, 0usize, 0.0f64);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for row_band in raster.read_row_bands_f64(band, 1)? {
            let (_, values) = row_band?;
            total += values.len();
            for &v in values.iter().filter(|v| !v.is_nan()) {
                valid += 1;
                sum += v;
                min = min.min(v);
                max = max.max(v);
            }
        }
        if valid == 0 {
            println!("          no valid cells ({total} cells)");
        } else {
            println!(
                "          valid {valid} of {total} cells ({:.2}%), min {min}, max {max}, mean {:.4}",
                100.0 * valid as f64 / total as f64,
                sum / valid as f64
            );
        }
    }
    Ok(())
}

fn summarise_zones(zones: &ZoneSet, raster: &GdalRaster) -> terralux::Result<()> {
    println!(
        "zones    {} (layer '{}')",
        zones.source_name(),
        zones.layer()
    );
    if let Some(crs) = zones.crs() {
        println!("  crs    {} ({:?})", crs.definition(), crs.kind());
    }
    println!(
        "  count  {} zones, ids from {}",
        zones.len(),
        zones
            .id_field()
            .map_or("feature ids".to_string(), |f| format!("field '{f}'"))
    );
    println!("  fields {}", zones.field_names().join(", "));
    if let Some(b) = zones.bounds() {
        println!(
            "  bounds x {:.6} .. {:.6}, y {:.6} .. {:.6}",
            b.min().x,
            b.max().x,
            b.min().y,
            b.max().y
        );
    }
    let grid_crs = raster
        .grid()
        .crs()
        .expect("GdalRaster::open requires a CRS");
    let zones = zones.reprojected(grid_crs)?;
    let raster_bounds = raster.grid().bounds();
    let parts: usize = zones.iter().map(|z| z.geometry.0.len()).sum();
    let vertices: usize = zones
        .iter()
        .flat_map(|z| z.geometry.0.iter())
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let multipart = zones.iter().filter(|z| z.geometry.0.len() > 1).count();
    let with_holes = zones
        .iter()
        .filter(|z| z.geometry.0.iter().any(|p| !p.interiors().is_empty()))
        .count();
    let empty = zones.iter().filter(|z| z.geometry.0.is_empty()).count();
    let cell = raster.grid().transform();
    let cell_area = (cell.pixel_width * cell.pixel_height).abs();
    let smaller_than_a_cell = zones
        .iter()
        .filter(|z| !z.geometry.0.is_empty() && z.geometry.unsigned_area() < cell_area)
        .count();
    let mut outside = Vec::new();
    let mut partly = Vec::new();
    for zone in &zones {
        match zone.geometry.bounding_rect() {
            Some(zb) if !zb.intersects(&raster_bounds) => outside.push(zone.id.to_string()),
            Some(zb)
                if zb.min().x < raster_bounds.min().x
                    || zb.max().x > raster_bounds.max().x
                    || zb.min().y < raster_bounds.min().y
                    || zb.max().y > raster_bounds.max().y =>
            {
                partly.push(zone.id.to_string())
            }
            _ => {}
        }
    }
    println!(
        "  parts  {parts} polygons, {vertices} vertices; {multipart} multipart, {with_holes} with holes, {empty} empty"
    );
    println!("  {smaller_than_a_cell} zone(s) smaller than one cell");
    println!(
        "  outside the raster: {}",
        if outside.is_empty() {
            "none".into()
        } else {
            outside.join(", ")
        }
    );
    println!(
        "  partly outside:     {}",
        if partly.is_empty() {
            "none".into()
        } else {
            partly.join(", ")
        }
    );
    println!("  first zones:");
    for zone in zones.iter().take(5) {
        let attrs: Vec<String> = zone
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("    {}: {}", zone.id, attrs.join(", "));
    }
    Ok(())
}
