//! Coverage of random and degenerate polygons on small grids: no panic,
//! well-formed runs, fractions in (0, 1], and for valid polygons the
//! fractions add up to the zone's area inside the grid and the modes nest
//! (centre cells and exactly covered cells are all touched).

#![no_main]

use arbitrary::Arbitrary;
use geo::{BoundingRect, Validation};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use libfuzzer_sys::fuzz_target;
use terralux::coverage::{Coverage, CoverageMode};
use terralux::{Crs, GeoTransform, Grid};

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
    /// Cell size 2^(k mod 7 - 3).
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

/// Finite, moderate coordinates, a valid multipolygon, and (on a wrapping
/// grid) no wider than one turn: the cases whose area is well defined.
fn measurable(zone: &MultiPolygon<f64>, grid: &Grid) -> bool {
    let moderate = zone
        .0
        .iter()
        .flat_map(|p| {
            p.exterior()
                .0
                .iter()
                .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
        })
        .all(|c| c.x.is_finite() && c.y.is_finite() && c.x.abs() < 1e4 && c.y.abs() < 1e4);
    if !moderate || zone.0.is_empty() {
        return false;
    }
    if grid.longitude_period_cols().is_some()
        && zone.bounding_rect().is_some_and(|r| r.width() > 360.0)
    {
        return false;
    }
    zone.is_valid()
}

fn check_runs(coverage: &Coverage, grid: &Grid, mode: CoverageMode) {
    let mut last_row = None;
    for (row, runs) in coverage.rows() {
        assert!(row < grid.rows(), "row {row} outside the grid");
        assert!(last_row.is_none_or(|r| r < row), "rows out of order");
        last_row = Some(row);
        let mut col_end = 0;
        for (i, run) in runs.iter().enumerate() {
            assert!(run.len > 0);
            assert!(
                i == 0 || run.col >= col_end,
                "overlapping runs in row {row}"
            );
            col_end = run.col_end();
            assert!(col_end as usize <= grid.cols(), "run past the last column");
            assert!(
                run.fraction > 0.0 && run.fraction <= 1.0,
                "fraction {} outside (0, 1]",
                run.fraction
            );
            if mode != CoverageMode::Exact {
                assert_eq!(run.fraction, 1.0);
            }
        }
    }
    assert!(coverage.total_fraction().is_finite());
    if let Some(outside) = coverage.outside_fraction() {
        assert!((0.0..=1.0).contains(&outside), "outside fraction {outside}");
    }
}

fuzz_target!(|input: Input| {
    let cell = 2f64.powi(input.cell as i32 % 7 - 3);
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

    let exact = Coverage::compute(&zone, &grid, CoverageMode::Exact);
    let center = Coverage::compute(&zone, &grid, CoverageMode::Center);
    let touched = Coverage::compute(&zone, &grid, CoverageMode::AllTouched);
    check_runs(&exact, &grid, CoverageMode::Exact);
    check_runs(&center, &grid, CoverageMode::Center);
    check_runs(&touched, &grid, CoverageMode::AllTouched);

    if !measurable(&zone, &grid) {
        return;
    }
    assert!(
        exact.repaired_geometry().is_none(),
        "a valid zone was repaired: {zone:?}"
    );
    let inside = exact.inside_area_cells();
    let total = exact.total_fraction();
    assert!(
        (total - inside).abs() <= 1e-7 * (1.0 + inside),
        "fractions add up to {total}, the area inside the grid is {inside}"
    );
    for (row, runs) in exact.rows() {
        for run in runs.iter().filter(|r| r.fraction > 1e-7) {
            for col in run.col..run.col_end() {
                assert_eq!(
                    touched.fraction_at(row, col as usize),
                    1.0,
                    "cell ({row}, {col}) is covered by {} but not touched",
                    run.fraction
                );
            }
        }
    }
    for (row, runs) in center.rows() {
        for run in runs {
            for col in run.col..run.col_end() {
                assert_eq!(
                    touched.fraction_at(row, col as usize),
                    1.0,
                    "centre cell ({row}, {col}) not touched"
                );
            }
        }
    }
});
