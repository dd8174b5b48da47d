//! The I/O floor: read every cell of a raster band through GDAL and do
//! nothing else (`cargo run --release --example read_floor -- RASTER [--threads N]`).
//!
//! Reads the same block-aligned chunks as the zonal engine, each worker
//! through its own GDAL handle, as raw cells of the band's type.

use std::error::Error;

use rayon::prelude::*;
use terralux::raster::DataType;
use terralux::{GdalRaster, RasterSource, Window};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: read_floor RASTER [--threads N]")?;
    let threads: usize = match args.iter().position(|a| a == "--threads") {
        Some(i) => args.get(i + 1).ok_or("--threads needs a value")?.parse()?,
        None => 1,
    };
    let _ = gdal::config::set_config_option("GDAL_CACHEMAX", "64");
    let raster = GdalRaster::open(path)?;
    let info = raster.band_info(1)?;
    let grid = raster.grid();
    let (block_rows, block_cols) = info.block_shape;
    // Chunks of one block row by up to 4 blocks across, in file order.
    let mut chunks = Vec::new();
    for row in (0..grid.rows()).step_by(block_rows) {
        for col in (0..grid.cols()).step_by(block_cols * 4) {
            chunks.push(Window::new(
                row,
                col,
                block_rows.min(grid.rows() - row),
                (block_cols * 4).min(grid.cols() - col),
            ));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let cells: usize = pool.install(|| {
        chunks
            .par_iter()
            .map(|w| match info.data_type {
                DataType::F32 => raster.read_window::<f32>(1, *w).map(|a| a.len()),
                _ => raster.read_window::<f64>(1, *w).map(|a| a.len()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.iter().sum())
    })?;
    println!(
        "read {cells} cells in {} chunks with {threads} thread(s)",
        chunks.len()
    );
    Ok(())
}
