//! Coverage of random and degenerate polygons on small grids: the
//! invariants of `tests/common/invariants.rs` (no panic, well-formed runs,
//! fractions in (0, 1]; for valid polygons fractions adding up to the area
//! inside the grid and the modes nesting).

#![no_main]

use arbitrary::Arbitrary;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use libfuzzer_sys::fuzz_target;
use terralux::{Crs, GeoTransform, Grid};

#[path = "../../tests/common/invariants.rs"]
mod invariants;

/// One vertex: on a half-cell lattice (collinear and repeated points come
/// easily), on a fine lattice, or any `f64` at all (NaN, infinities, huge, tiny).
#[derive(Arbitrary, Debug)]
enum Vertex {
    Lattice(i8, i8),
    Fine(i16, i16),
    Any(f64, f64),
}

#[derive(Arbitrary, Debug)]
struct PolygonInput {
    exterior: Vec<Vertex>,
    holes: Vec<Vec<Vertex>>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rows: u8,
    cols: u8,
    /// Cell size: 1/8 .. 8 (powers of two), or 15 (24 columns make a whole
    /// turn, so that geographic grids wrap onto themselves).
    cell: u8,
    origin: (i8, i8),
    /// A geographic grid: longitudes wrap.
    geographic: bool,
    polygons: Vec<PolygonInput>,
}

fn point(v: &Vertex, cell: f64) -> Coord<f64> {
    match *v {
        Vertex::Lattice(x, y) => Coord {
            x: x as f64 * cell / 2.0,
            y: y as f64 * cell / 2.0,
        },
        Vertex::Fine(x, y) => Coord {
            x: x as f64 / 997.0,
            y: y as f64 / 997.0,
        },
        Vertex::Any(x, y) => Coord { x, y },
    }
}

fn ring(vertices: &[Vertex], cell: f64) -> LineString<f64> {
    LineString(vertices.iter().take(64).map(|v| point(v, cell)).collect())
}

/// libFuzzer's panic hook aborts on every panic, even one the library
/// catches. The repair's boolean operations (i_overlay, a dependency) panic
/// on some degenerate zones, and terralux catches those and measures the
/// zone as given (tests/fuzz_regressions.rs). This hook lets caught panics
/// unwind; a panic that escapes the library still fails the run, as
/// libfuzzer-sys aborts on it after unwinding.
fn let_caught_panics_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let in_dependency = info
                .location()
                .is_some_and(|l| l.file().contains("i_overlay"));
            if !in_dependency {
                eprintln!("{info}");
            }
        }));
    });
}

fuzz_target!(|input: Input| {
    let_caught_panics_unwind();
    let cell = match input.cell % 8 {
        7 => 15.0,
        k => 2f64.powi(k as i32 - 3),
    };
    let (rows, cols) = (input.rows as usize % 24 + 1, input.cols as usize % 24 + 1);
    let origin_x = input.origin.0 as f64 * cell;
    let origin_y = input.origin.1 as f64 * cell;
    let mut grid = Grid::new(
        GeoTransform::new(origin_x, cell, origin_y, -cell).unwrap(),
        rows,
        cols,
    )
    .unwrap();
    if input.geographic {
        grid = grid.with_crs(Crs::wgs84());
    }
    let zone = MultiPolygon(
        input
            .polygons
            .iter()
            .take(4)
            .map(|p| {
                Polygon::new(
                    ring(&p.exterior, cell),
                    p.holes.iter().take(3).map(|h| ring(h, cell)).collect(),
                )
            })
            .collect(),
    );
    invariants::check_coverage(&zone, &grid);
});
