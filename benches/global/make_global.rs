//! Data for the global-scale check (`benches/global/run.sh`): a global 15"
//! raster and a few hundred zones of every size, with each zone's exact
//! cell count.
//!
//! ```text
//! cargo run --release --example make_global -- DIR
//! ```
//!
//! - `DIR/global.tif`: 86,401 x 33,601 Float32 cells of 1/240 degree from
//!   -180.0021 E, 75.0021 N (the VIIRS annual grid), 512 x 512 DEFLATE tiles
//!   in a sparse BigTIFF: one tile in 23 is written (a smooth field with
//!   noise), the others read as 0. No nodata, so every cell is valid and a
//!   zone's `count` is its area in cells. 2.9 G cells (11.6 GB as Float32),
//!   about 0.4 GB on disk.
//! - `DIR/zones.gpkg`, layer `zones`, EPSG:4326, fields `id`, `kind`,
//!   `expected_count`: one rectangle spanning most of the globe
//!   (-179.5..179.5 E, -64..74 N, edges densified), six rectangles across
//!   the antimeridian given as continuous longitudes (e.g. 178..182 E),
//!   and 300 star-shaped polygons (8 to 3,000 vertices, radius 0.002 to 15
//!   degrees, so from a fraction of a cell to ~3,600 x 3,600 cells, with
//!   boundaries as wiggly as real regions'). Every
//!   zone lies inside the raster's latitudes, so `expected_count` is its
//!   planar area in cells (shoelace).
//! - `DIR/jagged.gpkg`: the same zones, but the stars' radius is drawn
//!   afresh at every vertex, so their boundaries are far longer than any
//!   real region's (`ZONES=jagged benches/global/run.sh`).
//!
//! Deterministic (seeded); existing files are replaced.

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
use zone_file::ZoneRecord;

/// Cells per degree.
const PER_DEGREE: f64 = 240.0;
const COLS: usize = 86_401;
const ROWS: usize = 33_601;
const WEST: f64 = -180.0 - 0.5 / PER_DEGREE;
const NORTH: f64 = 75.0 + 0.5 / PER_DEGREE;
/// One tile in this many is written.
const WRITTEN_EVERY: usize = 23;
const SEED: u64 = 15;

fn main() -> Result<(), Box<dyn Error>> {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: make_global DIR");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    write_raster(&dir.join("global.tif"))?;
    let zones = zones(Boundary::Smooth);
    write_zones(&dir.join("zones.gpkg"), &zones)?;
    write_zones(&dir.join("jagged.gpkg"), &self::zones(Boundary::Jagged))?;
    println!(
        "wrote {} ({COLS} x {ROWS} cells), {} and jagged.gpkg ({} zones each)",
        dir.join("global.tif").display(),
        dir.join("zones.gpkg").display(),
        zones.len()
    );
    Ok(())
}

fn write_raster(path: &Path) -> Result<(), Box<dyn Error>> {
    let grid = tiled_raster::Grid {
        cols: COLS,
        rows: ROWS,
        west: WEST,
        north: NORTH,
        per_degree: PER_DEGREE,
    };
    let mut rng = Rng(SEED);
    tiled_raster::write_tiled(
        path,
        &grid,
        &["SPARSE_OK=TRUE", "BIGTIFF=YES"],
        |tx, ty, x0, y0, w, h| {
            ((tx + 3 * ty) % WRITTEN_EVERY == 0).then(|| {
                (0..w * h)
                    .map(|i| {
                        let (r, c) = ((y0 + i / w) as f64, (x0 + i % w) as f64);
                        let field = 20.0 * ((r / 900.0).sin() * (c / 1300.0).cos()).abs();
                        (field + 5.0 * rng.uniform()) as f32
                    })
                    .collect()
            })
        },
    )
}

struct GlobalZone {
    kind: &'static str,
    polygon: Polygon<f64>,
}

impl GlobalZone {
    /// The zone's planar area in cells: its exact count on a raster without nodata.
    fn expected_count(&self) -> f64 {
        self.polygon.unsigned_area() * PER_DEGREE * PER_DEGREE
    }
}

/// How the stars' radius varies along their boundary.
#[derive(Clone, Copy)]
enum Boundary {
    /// Smoothly, like a real region's boundary (`zones.gpkg`).
    Smooth,
    /// Independently at every vertex (`jagged.gpkg`): boundaries far longer
    /// than any real one (a 15-degree zone crosses millions of cells), for
    /// seeing how memory grows with boundary length.
    Jagged,
}

fn zones(boundary: Boundary) -> Vec<GlobalZone> {
    let mut zones = vec![GlobalZone {
        kind: "globe",
        polygon: densified_rectangle(-179.5, -64.0, 179.5, 74.0, 2_000),
    }];
    // Across the antimeridian, as continuous longitudes past 180.
    for (i, &(west, width)) in [
        (178.0, 4.0),
        (179.9, 0.3),
        (170.0, 25.0),
        (179.999, 0.002),
        (175.0, 10.0),
        (180.0, 3.0),
    ]
    .iter()
    .enumerate()
    {
        let south = -50.0 + 15.0 * i as f64;
        zones.push(GlobalZone {
            kind: "antimeridian",
            polygon: densified_rectangle(west, south, west + width, south + width.min(8.0), 50),
        });
    }
    let mut rng = Rng(SEED + 1);
    for _ in 0..300 {
        // Log-uniform radius from 0.002 to 15 degrees.
        let radius = 0.002 * (15.0f64 / 0.002).powf(rng.uniform());
        let margin = radius + 0.01;
        let lon = -179.99 + margin + (359.98 - 2.0 * margin).max(0.0) * rng.uniform();
        let lat = -64.9 + margin + (139.8 - 2.0 * margin).max(0.0) * rng.uniform();
        let vertices = 8 + (rng.uniform() * rng.uniform() * 3_000.0) as usize;
        zones.push(GlobalZone {
            kind: "star",
            polygon: star(&mut rng, lon, lat, radius, vertices, boundary),
        });
    }
    zones
}

/// A rectangle whose edges carry `per_edge` points each.
fn densified_rectangle(
    west: f64,
    south: f64,
    east: f64,
    north: f64,
    per_edge: usize,
) -> Polygon<f64> {
    let corners = [(west, south), (east, south), (east, north), (west, north)];
    let mut points = Vec::with_capacity(4 * per_edge + 1);
    for k in 0..4 {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        for i in 0..per_edge {
            let t = i as f64 / per_edge as f64;
            points.push(Coord {
                x: a.0 + t * (b.0 - a.0),
                y: a.1 + t * (b.1 - a.1),
            });
        }
    }
    points.push(points[0]);
    Polygon::new(LineString(points), vec![])
}

/// A star-shaped polygon around `(lon, lat)`. Smooth: the radius wanders
/// between about 0.45 and 1 times `radius` (three harmonics of random
/// phase) with a 2 % jitter per vertex. Jagged: the radius is drawn
/// between 0.4 and 1 times `radius` at every vertex.
fn star(
    rng: &mut Rng,
    lon: f64,
    lat: f64,
    radius: f64,
    vertices: usize,
    boundary: Boundary,
) -> Polygon<f64> {
    let phases = [rng.uniform(), rng.uniform(), rng.uniform()].map(|p| 2.0 * PI * p);
    let mut points: Vec<Coord<f64>> = (0..vertices)
        .map(|i| {
            let angle = 2.0 * PI * i as f64 / vertices as f64;
            let wave = (0..3)
                .map(|k| ((k + 2) as f64 * angle + phases[k]).sin() / (k + 1) as f64)
                .sum::<f64>();
            let r = match boundary {
                Boundary::Smooth => radius * (0.75 + 0.15 * wave + 0.02 * (rng.uniform() - 0.5)),
                Boundary::Jagged => radius * (0.4 + 0.6 * rng.uniform()),
            };
            Coord {
                x: lon + r * angle.cos(),
                y: lat + r * angle.sin(),
            }
        })
        .collect();
    points.push(points[0]);
    Polygon::new(LineString(points), vec![])
}

fn write_zones(path: &Path, zones: &[GlobalZone]) -> Result<(), Box<dyn Error>> {
    let records: Vec<ZoneRecord<'_>> = zones
        .iter()
        .map(|zone| ZoneRecord {
            kind: zone.kind,
            polygon: &zone.polygon,
            expected_count: zone.expected_count(),
        })
        .collect();
    zone_file::write_zones(path, "GPKG", &records)
}
