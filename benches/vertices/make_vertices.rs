//! Data for the many-vertices check (`benches/vertices/run.sh`): one
//! 7,000 x 7,000 raster and two zones of 5 million vertices each, with
//! each zone's exact cell count.
//!
//! ```text
//! cargo run --release --example make_vertices -- DIR
//! ```
//!
//! - `DIR/raster.tif`: 7,000 x 7,000 Float32 cells of 1/240 degree from
//!   70 E, 50 N (EPSG:4326), 512 x 512 DEFLATE tiles, a blocky pattern of
//!   small integers; no nodata, so a zone's `count` is its area in cells.
//! - `DIR/circle.gpkg` and `DIR/circle.geojson`, layer `zones`: a smooth
//!   circle of 5,000,000 vertices, radius 2,100 cells, around the raster's
//!   centre; its boundary crosses about 17,000 cells (a coastline-like
//!   vertex density: about 300 vertices a boundary cell).
//! - `DIR/star.gpkg`: a jagged star of 5,000,000 vertices around the same
//!   centre whose radius is drawn afresh at every vertex between 2,100 and
//!   3,000 cells, so that each edge crosses hundreds of cells (about 2 G
//!   boundary crossings in all).
//!
//! Fields `id`, `kind`, `expected_count` (the polygon's planar area in
//! cells, shoelace), as `benches/global/check.py` reads them. Deterministic
//! (seeded); existing files are replaced.

use std::error::Error;
use std::f64::consts::PI;
use std::path::Path;

use geo::Area;
use geo_types::{Coord, LineString, Polygon};

#[path = "../common/splitmix.rs"]
mod splitmix;
use splitmix::Rng;
#[path = "../common/tiled_raster.rs"]
mod tiled_raster;
#[path = "../common/zone_file.rs"]
mod zone_file;
use zone_file::{ZoneRecord, write_zones};

/// Cells per degree.
const PER_DEGREE: f64 = 240.0;
const SIZE: usize = 7_000;
const WEST: f64 = 70.0;
const NORTH: f64 = 50.0;
const VERTICES: usize = 5_000_000;
const SEED: u64 = 5_000_000;

fn main() -> Result<(), Box<dyn Error>> {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: make_vertices DIR");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    write_raster(&dir.join("raster.tif"))?;
    let circle = around_centre(|_| 2_100.0);
    let mut rng = Rng(SEED);
    let star = around_centre(|_| rng.range(2_100.0, 3_000.0));
    let record = |kind, polygon| ZoneRecord {
        kind,
        polygon,
        expected_count: area_in_cells(polygon),
    };
    write_zones(
        &dir.join("circle.gpkg"),
        "GPKG",
        &[record("circle", &circle)],
    )?;
    write_zones(
        &dir.join("circle.geojson"),
        "GeoJSON",
        &[record("circle", &circle)],
    )?;
    write_zones(&dir.join("star.gpkg"), "GPKG", &[record("star", &star)])?;
    println!(
        "wrote {} ({SIZE} x {SIZE} cells), circle.gpkg, circle.geojson and star.gpkg \
         ({VERTICES} vertices each)",
        dir.join("raster.tif").display()
    );
    Ok(())
}

fn write_raster(path: &Path) -> Result<(), Box<dyn Error>> {
    let grid = tiled_raster::Grid {
        cols: SIZE,
        rows: SIZE,
        west: WEST,
        north: NORTH,
        per_degree: PER_DEGREE,
    };
    tiled_raster::write_tiled(path, &grid, &[], |_, _, x0, y0, w, h| {
        Some(
            (0..w * h)
                .map(|i| (((y0 + i / w) / 97 + (x0 + i % w) / 89) % 5) as f32)
                .collect(),
        )
    })
}

/// A closed ring of `VERTICES` vertices around the raster's centre, the
/// radius (in cells) of vertex `i` given by `radius(i)`.
fn around_centre(mut radius: impl FnMut(usize) -> f64) -> Polygon<f64> {
    let centre = SIZE as f64 / 2.0;
    let mut points: Vec<Coord<f64>> = (0..VERTICES)
        .map(|i| {
            let angle = 2.0 * PI * i as f64 / VERTICES as f64;
            let r = radius(i);
            Coord {
                x: WEST + (centre + r * angle.cos()) / PER_DEGREE,
                y: NORTH - (centre + r * angle.sin()) / PER_DEGREE,
            }
        })
        .collect();
    points.push(points[0]);
    Polygon::new(LineString(points), vec![])
}

/// The polygon's planar area in cells: its exact count on a raster
/// without nodata.
fn area_in_cells(polygon: &Polygon<f64>) -> f64 {
    polygon.unsigned_area() * PER_DEGREE * PER_DEGREE
}
