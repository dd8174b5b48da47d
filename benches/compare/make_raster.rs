//! Deterministic synthetic VIIRS-like raster over mainland China, for the
//! comparison harness (`cargo run --release --example make_bench_raster -- OUT.tif [--coarsen K]`).
//!
//! 73..135 E, 18..54 N at 1/240 degree: 14,880 x 8,640 Float32 cells in
//! 512 x 512 DEFLATE tiles, nodata -999 with row and column stripes of
//! nodata, a dark background (faint noise, a quarter exact zeros) and
//! bright clustered "cities" (gaussian blobs around a few hundred centres).
//! `--coarsen K` writes the same picture at K times coarser cells (K = 8:
//! 1,860 x 1,080 cells), for quick runs.

use std::error::Error;
use std::f64::consts::PI;

use gdal::DriverManager;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;

const WEST: f64 = 73.0;
const NORTH: f64 = 54.0;
const WIDTH_DEG: f64 = 62.0;
const HEIGHT_DEG: f64 = 36.0;
const NODATA: f32 = -999.0;
/// The seed: the picture never changes by accident.
const SEED: u64 = 20_261_123;

#[path = "../common/splitmix.rs"]
mod splitmix;
use splitmix::Rng;

/// Cheap per-cell noise in [0, 1) from a hash of the cell's position.
fn cell_noise(row: usize, col: usize) -> f64 {
    let mut z = (row as u64) << 32 | col as u64;
    z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^= z >> 33;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = args
        .first()
        .ok_or("usage: make_bench_raster OUT.tif [--coarsen K]")?;
    let coarsen: usize = match args.iter().position(|a| a == "--coarsen") {
        Some(i) => args.get(i + 1).ok_or("--coarsen needs a value")?.parse()?,
        None => 1,
    };
    let cell = 1.0 / 240.0 * coarsen as f64;
    let cols = (WIDTH_DEG / cell).round() as usize;
    let rows = (HEIGHT_DEG / cell).round() as usize;
    let mut data = vec![0f32; rows * cols];

    // Dark background: faint noise everywhere (as in unmasked VIIRS averages),
    // a quarter of it exact zeros.
    for row in 0..rows {
        for col in 0..cols {
            let n = cell_noise(row, col);
            data[row * cols + col] = if n < 0.25 {
                0.0
            } else {
                (0.02 + 0.5 * (n - 0.25)) as f32
            };
        }
    }
    // Cities: clusters of gaussian blobs, denser in the east.
    let mut rng = Rng(SEED);
    for _ in 0..400 {
        let lon = WEST + WIDTH_DEG * (0.3 + 0.7 * rng.uniform().sqrt());
        let lat = NORTH - HEIGHT_DEG * (0.15 + 0.8 * rng.uniform());
        let members = 1 + (rng.next_u64() % 12) as usize;
        for _ in 0..members {
            let angle = 2.0 * PI * rng.uniform();
            let distance = 0.4 * rng.uniform();
            let (x, y) = (lon + distance * angle.cos(), lat + distance * angle.sin());
            let peak = 5.0 + 195.0 * rng.uniform().powi(3);
            let sigma = 0.01 + 0.06 * rng.uniform();
            stamp(&mut data, rows, cols, cell, x, y, peak, sigma);
        }
    }
    // Nodata stripes: a few rows and columns, as in swath gaps.
    let stride_rows = (1000 / coarsen).max(10);
    for band in (stride_rows / 2..rows).step_by(stride_rows) {
        for row in band..(band + (3 / coarsen).max(1)).min(rows) {
            data[row * cols..(row + 1) * cols].fill(NODATA);
        }
    }
    let stride_cols = (3000 / coarsen).max(10);
    for col in (stride_cols / 3..cols).step_by(stride_cols) {
        for row in 0..rows / 2 {
            data[row * cols + col] = NODATA;
        }
    }

    let driver = DriverManager::get_driver_by_name("GTiff")?;
    let mut options = RasterCreationOptions::new();
    for option in [
        "TILED=YES",
        "BLOCKXSIZE=512",
        "BLOCKYSIZE=512",
        "COMPRESS=DEFLATE",
        "NUM_THREADS=ALL_CPUS",
        "BIGTIFF=IF_SAFER",
    ] {
        options.add_string(option)?;
    }
    let mut ds =
        driver.create_with_band_type_with_options::<f32, _>(out, cols, rows, 1, &options)?;
    ds.set_geo_transform(&[WEST, cell, 0.0, NORTH, 0.0, -cell])?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(4326)?)?;
    let mut band = ds.rasterband(1)?;
    band.set_no_data_value(Some(NODATA as f64))?;
    // Write in strips of 512 rows (one row of tiles) to keep GDAL's cache small.
    for row0 in (0..rows).step_by(512) {
        let n = 512.min(rows - row0);
        let mut buffer = Buffer::new((cols, n), data[row0 * cols..(row0 + n) * cols].to_vec());
        band.write((0, row0 as isize), (cols, n), &mut buffer)?;
    }
    println!("wrote {out}: {cols} x {rows} cells of {cell} degree");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn stamp(
    data: &mut [f32],
    rows: usize,
    cols: usize,
    cell: f64,
    x: f64,
    y: f64,
    peak: f64,
    sigma: f64,
) {
    let reach = 4.0 * sigma;
    let col0 = (((x - reach - WEST) / cell).floor().max(0.0)) as usize;
    let col1 = (((x + reach - WEST) / cell).ceil().max(0.0) as usize).min(cols);
    let row0 = (((NORTH - (y + reach)) / cell).floor().max(0.0)) as usize;
    let row1 = (((NORTH - (y - reach)) / cell).ceil().max(0.0) as usize).min(rows);
    for row in row0..row1 {
        let cy = NORTH - (row as f64 + 0.5) * cell;
        for col in col0..col1 {
            let cx = WEST + (col as f64 + 0.5) * cell;
            let d2 = (cx - x).powi(2) + (cy - y).powi(2);
            let v = peak * (-d2 / (2.0 * sigma * sigma)).exp();
            if v > 0.05 {
                data[row * cols + col] += v as f32;
            }
        }
    }
}
