//! Property tests of the fuzz targets' invariants (`tests/common/invariants.rs`),
//! run in CI on seeded inputs of the same kinds: degenerate polygons
//! (collinear, repeated, spiky, bow-ties, huge, tiny and subnormal
//! coordinates, NaN and infinities) on small grids, geographic or not; and
//! runs of cells gathered in random pieces.

mod common;

use common::invariants::{CellRun, check_coverage, check_merge};
use common::random::{Rng, random_zone};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::{Crs, GeoTransform, Grid};

/// A vertex of one of the fuzz target's kinds.
fn vertex(rng: &mut Rng, cell: f64) -> Coord<f64> {
    let lattice = |rng: &mut Rng| (rng.next_u64() % 64) as f64 - 24.0;
    match rng.next_u64() % 10 {
        0..=5 => Coord {
            x: lattice(rng) * cell / 2.0,
            y: lattice(rng) * cell / 2.0,
        },
        6 | 7 => Coord {
            x: rng.range(-30.0, 30.0),
            y: rng.range(-30.0, 30.0),
        },
        _ => {
            let special = [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                1e300,
                -1e300,
                4e-323,
                1e-12,
                0.0,
            ];
            Coord {
                x: special[(rng.next_u64() % 8) as usize],
                y: rng.range(-10.0, 10.0),
            }
        }
    }
}

fn ring(rng: &mut Rng, cell: f64) -> LineString<f64> {
    let n = (rng.next_u64() % 9) as usize;
    let mut points: Vec<Coord<f64>> = (0..n).map(|_| vertex(rng, cell)).collect();
    // Repeat a point now and then, and close the ring most of the time.
    if n > 1 && rng.uniform() < 0.3 {
        let i = (rng.next_u64() as usize) % n;
        points.insert(i, points[i]);
    }
    if n > 0 && rng.uniform() < 0.8 {
        points.push(points[0]);
    }
    LineString(points)
}

fn rectangle(west: f64, south: f64, east: f64, north: f64) -> LineString<f64> {
    LineString::from(vec![
        (west, south),
        (east, south),
        (east, north),
        (west, north),
        (west, south),
    ])
}

#[test]
fn coverage_invariants_hold_for_degenerate_polygons() {
    let mut rng = Rng::new(8);
    let (mut measurable, mut wrapped) = (0, 0);
    for case in 0..6_000 {
        let cell = 2f64.powi((rng.next_u64() % 7) as i32 - 3);
        let (rows, cols) = (
            1 + rng.next_u64() as usize % 24,
            1 + rng.next_u64() as usize % 24,
        );
        let origin = |rng: &mut Rng| ((rng.next_u64() % 32) as f64 - 16.0) * cell;
        let (x0, y0) = (origin(&mut rng), origin(&mut rng));
        let mut grid =
            Grid::new(GeoTransform::new(x0, cell, y0, -cell).unwrap(), rows, cols).unwrap();
        if rng.uniform() < 0.5 {
            grid = grid.with_crs(Crs::wgs84());
        }
        if case % 10 == 3 {
            // A whole turn of 15-degree cells (or one cell more), from -180
            // or 0 E, and a rectangle (with a hole, now and then) that often
            // crosses its edges and wraps.
            let west = [-180.0, 0.0, -187.5][(rng.next_u64() % 3) as usize];
            let cols = if west == -187.5 { 25 } else { 24 };
            let grid = Grid::new(
                GeoTransform::new(west, 15.0, 90.0, -15.0).unwrap(),
                12,
                cols,
            )
            .unwrap()
            .with_crs(Crs::wgs84());
            let (x0, w) = (rng.range(-220.0, 380.0), rng.range(0.1, 200.0));
            let (y0, h) = (rng.range(-85.0, 60.0), rng.range(0.1, 25.0));
            let shell = rectangle(x0, y0, x0 + w, y0 + h);
            let holes = if rng.uniform() < 0.3 {
                vec![rectangle(
                    x0 + 0.25 * w,
                    y0 + 0.25 * h,
                    x0 + 0.75 * w,
                    y0 + 0.75 * h,
                )]
            } else {
                vec![]
            };
            let zone = MultiPolygon(vec![Polygon::new(shell, holes)]);
            assert!(common::invariants::measurable(&zone, &grid));
            wrapped += 1;
            check_coverage(&zone, &grid);
            continue;
        }
        // Half degenerate zones, half well-formed ones (stars, holes,
        // multipart, slivers, huge, tiny), where the strong invariants bite.
        let zone = if case % 2 == 0 {
            let parts = 1 + rng.next_u64() as usize % 3;
            MultiPolygon(
                (0..parts)
                    .map(|_| {
                        let holes = (0..rng.next_u64() % 2)
                            .map(|_| ring(&mut rng, cell))
                            .collect();
                        Polygon::new(ring(&mut rng, cell), holes)
                    })
                    .collect(),
            )
        } else {
            random_zone(&mut rng, &grid, case / 2)
        };
        if common::invariants::measurable(&zone, &grid) {
            measurable += 1;
        }
        check_coverage(&zone, &grid);
    }
    assert!(wrapped == 600, "{wrapped} zones on whole-turn grids");
    assert!(measurable > 1_500, "only {measurable} measurable zones");
}

#[test]
fn accumulators_merged_in_any_pieces_equal_one_pass() {
    let mut rng = Rng::new(9);
    for case in 0..400 {
        let runs: Vec<CellRun> = (0..rng.next_u64() % 12)
            .map(|_| {
                let n = (rng.next_u64() % 40) as usize;
                let values = (0..n)
                    .map(|_| {
                        if rng.uniform() < 0.1 {
                            f64::NAN
                        } else {
                            ((rng.next_u64() % 2_000) as f64 - 1_000.0) / 8.0
                        }
                    })
                    .collect();
                let weights = (0..n)
                    .map(|_| {
                        if rng.uniform() < 0.1 {
                            f64::NAN
                        } else {
                            (rng.next_u64() % 64) as f64 / 4.0
                        }
                    })
                    .collect();
                CellRun {
                    values,
                    weights,
                    fraction: (1 + rng.next_u64() % 64) as f64 / 64.0,
                    area: (rng.next_u64() % 64) as f64 / 16.0,
                    area_weighted: rng.uniform() < 0.3,
                }
            })
            .collect();
        let cuts: Vec<usize> = (0..rng.next_u64() % 5)
            .map(|_| (rng.next_u64() as usize) % (runs.len() + 1))
            .collect();
        check_merge(&runs, &cuts, case % 2 == 1);
    }
}
