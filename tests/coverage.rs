//! Coverage fractions: hand-computed tiny grids, invariants on random
//! polygons, and comparison with independent computations (polygon clipping,
//! supersampling, point-in-polygon). No GDAL needed.

mod common;

use common::random::{Rng, random_zone};
use geo::{Contains, Intersects};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect, polygon};
use terralux::coverage::{Coverage, CoverageMode};
use terralux::{GeoTransform, Grid};

/// A grid of unit cells with its top-left corner at (0, rows): cell (r, c)
/// covers x in [c, c+1], y in [rows-r-1, rows-r].
fn unit_grid(rows: usize, cols: usize) -> Grid {
    Grid::new(
        GeoTransform::new(0.0, 1.0, rows as f64, -1.0).unwrap(),
        rows,
        cols,
    )
    .unwrap()
}

fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![p])
}

fn exact(zone: &MultiPolygon<f64>, grid: &Grid) -> Coverage {
    Coverage::compute(zone, grid, CoverageMode::Exact)
}

fn dense(cov: &Coverage, grid: &Grid) -> Vec<Vec<f64>> {
    (0..grid.rows())
        .map(|r| (0..grid.cols()).map(|c| cov.fraction_at(r, c)).collect())
        .collect()
}

#[test]
fn square_offset_by_half_a_cell() {
    let grid = unit_grid(4, 4);
    let square =
        mp(polygon![(x: 0.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 2.5), (x: 0.5, y: 2.5)]);
    let f = dense(&exact(&square, &grid), &grid);
    assert_eq!(f[0], [0.0, 0.0, 0.0, 0.0]);
    assert_eq!(f[1], [0.25, 0.5, 0.25, 0.0]);
    assert_eq!(f[2], [0.5, 1.0, 0.5, 0.0]);
    assert_eq!(f[3], [0.25, 0.5, 0.25, 0.0]);
}

#[test]
fn triangle() {
    let grid = unit_grid(2, 2);
    let triangle = mp(polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0)]);
    let f = dense(&exact(&triangle, &grid), &grid);
    assert_eq!(f, vec![vec![0.5, 0.0], vec![1.0, 0.5]]);
    // A right triangle inside one cell: legs 0.4 and 0.5, area 0.1.
    let grid = unit_grid(3, 3);
    let small = mp(polygon![(x: 1.2, y: 1.1), (x: 1.6, y: 1.1), (x: 1.2, y: 1.6)]);
    let cov = exact(&small, &grid);
    assert_eq!(cov.cell_count(), 1);
    assert!((cov.fraction_at(1, 1) - 0.1).abs() < 1e-15);
    assert!((cov.zone_area_cells() - 0.1).abs() < 1e-15);
}

#[test]
fn ring_with_a_hole() {
    let grid = unit_grid(4, 4);
    let outer: LineString<f64> =
        vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)].into();
    let hole: LineString<f64> =
        vec![(1.5, 1.5), (2.5, 1.5), (2.5, 2.5), (1.5, 2.5), (1.5, 1.5)].into();
    let f = dense(
        &exact(&mp(Polygon::new(outer.clone(), vec![hole])), &grid),
        &grid,
    );
    assert_eq!(f[0], [1.0, 1.0, 1.0, 1.0]);
    assert_eq!(f[1], [1.0, 0.75, 0.75, 1.0]);
    assert_eq!(f[2], [1.0, 0.75, 0.75, 1.0]);
    assert_eq!(f[3], [1.0, 1.0, 1.0, 1.0]);
    // The hole's orientation does not matter.
    let reversed: LineString<f64> =
        vec![(1.5, 1.5), (1.5, 2.5), (2.5, 2.5), (2.5, 1.5), (1.5, 1.5)].into();
    let g = dense(
        &exact(&mp(Polygon::new(outer, vec![reversed])), &grid),
        &grid,
    );
    assert_eq!(f, g);
}

#[test]
fn orientation_repeats_and_collinear_points_do_not_matter() {
    let grid = unit_grid(4, 4);
    let plain =
        mp(polygon![(x: 0.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 2.5), (x: 0.5, y: 2.5)]);
    let clockwise =
        mp(polygon![(x: 0.5, y: 0.5), (x: 0.5, y: 2.5), (x: 2.5, y: 2.5), (x: 2.5, y: 0.5)]);
    let noisy = mp(polygon![
        (x: 0.5, y: 0.5), (x: 0.5, y: 0.5), (x: 1.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 0.5),
        (x: 2.5, y: 1.7), (x: 2.5, y: 2.5), (x: 1.0, y: 2.5), (x: 0.5, y: 2.5), (x: 0.5, y: 1.0)
    ]);
    let expected = dense(&exact(&plain, &grid), &grid);
    assert_eq!(dense(&exact(&clockwise, &grid), &grid), expected);
    assert_eq!(dense(&exact(&noisy, &grid), &grid), expected);
}

#[test]
fn zones_partly_and_wholly_outside() {
    let grid = unit_grid(3, 3);
    // Half of this square lies west of the grid, a quarter north of it.
    let square =
        mp(polygon![(x: -1.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 4.0), (x: -1.0, y: 4.0)]);
    let cov = exact(&square, &grid);
    assert_eq!(
        dense(&cov, &grid),
        vec![
            vec![1.0, 0.0, 0.0],
            vec![1.0, 0.0, 0.0],
            vec![0.0, 0.0, 0.0]
        ]
    );
    assert_eq!(cov.zone_area_cells(), 6.0);
    assert_eq!(cov.inside_area_cells(), 2.0);
    assert!((cov.outside_fraction().unwrap() - 2.0 / 3.0).abs() < 1e-15);
    let away = mp(polygon![(x: 10.0, y: 10.0), (x: 11.0, y: 10.0), (x: 11.0, y: 11.0)]);
    let cov = exact(&away, &grid);
    assert!(cov.is_empty());
    assert_eq!(cov.outside_fraction(), Some(1.0));
    // Covering everything.
    let all =
        mp(polygon![(x: -5.0, y: -5.0), (x: 8.0, y: -5.0), (x: 8.0, y: 8.0), (x: -5.0, y: 8.0)]);
    let cov = exact(&all, &grid);
    assert_eq!(cov.runs().len(), 3, "one full run per row");
    assert_eq!(cov.total_fraction(), 9.0);
    // An empty zone.
    let cov = exact(&MultiPolygon(vec![]), &grid);
    assert!(cov.is_empty());
    assert_eq!(cov.outside_fraction(), None);
}

#[test]
fn geographic_grids_use_planar_degree_coordinates() {
    // 15" cells: a zone of exactly one cell offset by half a cell in x.
    let c = 1.0 / 240.0;
    let grid = Grid::new(GeoTransform::new(106.0, c, 30.0, -c).unwrap(), 2, 3).unwrap();
    let zone = mp(
        polygon![(x: 106.0 + 0.5 * c, y: 30.0 - c), (x: 106.0 + 1.5 * c, y: 30.0 - c), (x: 106.0 + 1.5 * c, y: 30.0), (x: 106.0 + 0.5 * c, y: 30.0)],
    );
    let f = dense(&exact(&zone, &grid), &grid);
    assert!(
        (f[0][0] - 0.5).abs() < 1e-9 && (f[0][1] - 0.5).abs() < 1e-9 && f[1] == [0.0, 0.0, 0.0]
    );
}

#[test]
fn center_and_all_touched_on_hand_examples() {
    let grid = unit_grid(4, 4);
    let square =
        mp(polygon![(x: 0.5, y: 0.5), (x: 2.5, y: 0.5), (x: 2.5, y: 2.5), (x: 0.5, y: 2.5)]);
    let center = dense(
        &Coverage::compute(&square, &grid, CoverageMode::Center),
        &grid,
    );
    // Centres at 0.5 and 2.5 lie on the square's edges: (west, east] and (south, north] rules.
    let inside: Vec<Vec<f64>> = center.clone();
    assert_eq!(inside.iter().flatten().sum::<f64>(), 4.0, "{center:?}");
    let touched = dense(
        &Coverage::compute(&square, &grid, CoverageMode::AllTouched),
        &grid,
    );
    assert_eq!(touched[0], [0.0; 4]);
    for row in &touched[1..] {
        assert_eq!(row, &[1.0, 1.0, 1.0, 0.0]);
    }
    // A small triangle inside one cell: no centre inside, one cell touched.
    let small = mp(polygon![(x: 1.1, y: 1.1), (x: 1.3, y: 1.1), (x: 1.1, y: 1.3)]);
    assert!(Coverage::compute(&small, &grid, CoverageMode::Center).is_empty());
    let t = Coverage::compute(&small, &grid, CoverageMode::AllTouched);
    assert_eq!((t.cell_count(), t.fraction_at(2, 1)), (1, 1.0));
    // A thin horizontal sliver inside row 1 touches every cell it crosses.
    let sliver =
        mp(polygon![(x: 0.2, y: 2.4), (x: 3.7, y: 2.4), (x: 3.7, y: 2.41), (x: 0.2, y: 2.41)]);
    let t = dense(
        &Coverage::compute(&sliver, &grid, CoverageMode::AllTouched),
        &grid,
    );
    assert_eq!(t[1], [1.0, 1.0, 1.0, 1.0]);
}

/// The exact share of cell (row, col) inside `zone`, by clipping every ring to
/// the cell (Sutherland-Hodgman; exact for areas because the cell is convex)
/// and adding signed areas: exteriors minus holes.
fn clipped_cell_area(zone: &MultiPolygon<f64>, grid: &Grid, row: usize, col: usize) -> f64 {
    let cell = grid.cell_bounds(row, col);
    let area = |ring: &LineString<f64>| {
        let mut pts: Vec<(f64, f64)> = ring.0.iter().map(|c| (c.x, c.y)).collect();
        pts.pop();
        let sign = signed_area(&pts).signum();
        for (axis, bound, keep_above) in [
            (0, cell.min().x, true),
            (0, cell.max().x, false),
            (1, cell.min().y, true),
            (1, cell.max().y, false),
        ] {
            let get = |p: &(f64, f64)| if axis == 0 { p.0 } else { p.1 };
            let inside = |p: &(f64, f64)| {
                if keep_above {
                    get(p) >= bound
                } else {
                    get(p) <= bound
                }
            };
            let mut out = Vec::new();
            for i in 0..pts.len() {
                let (prev, cur) = (pts[(i + pts.len() - 1) % pts.len()], pts[i]);
                if inside(&cur) != inside(&prev) {
                    let t = (bound - get(&prev)) / (get(&cur) - get(&prev));
                    out.push((prev.0 + t * (cur.0 - prev.0), prev.1 + t * (cur.1 - prev.1)));
                }
                if inside(&cur) {
                    out.push(cur);
                }
            }
            pts = out;
            if pts.is_empty() {
                return 0.0;
            }
        }
        signed_area(&pts) * sign
    };
    let total: f64 = zone
        .0
        .iter()
        .map(|p| area(p.exterior()) - p.interiors().iter().map(area).sum::<f64>())
        .sum();
    total / (cell.width() * cell.height())
}

fn signed_area(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len();
    (0..n)
        .map(|i| pts[i].0 * pts[(i + 1) % n].1 - pts[(i + 1) % n].0 * pts[i].1)
        .sum::<f64>()
        / 2.0
}

#[test]
fn random_zones_fractions_are_bounded_sum_to_area_and_match_clipping() {
    let mut rng = Rng::new(42);
    let grid = Grid::new(GeoTransform::new(10.0, 0.5, 20.0, -0.5).unwrap(), 30, 40).unwrap();
    for case in 0..120 {
        let zone = random_zone(&mut rng, &grid, case);
        let cov = exact(&zone, &grid);
        for run in cov.runs() {
            assert!(
                run.fraction > 0.0 && run.fraction <= 1.0,
                "case {case}: {run:?}"
            );
        }
        let total = cov.total_fraction();
        let inside = cov.inside_area_cells();
        assert!(
            (total - inside).abs() <= 1e-9 * inside.max(1e-3),
            "case {case}: sum {total} vs area inside {inside}"
        );
        use geo::Area;
        let planar = zone.unsigned_area() / 0.25;
        assert!(
            (cov.zone_area_cells() - planar).abs() <= 1e-9 * planar.max(1e-6),
            "case {case}"
        );
        // Every cell of the zone's window against clipping the zone to the cell.
        {
            let w = grid.window_from_bounds(&geo::BoundingRect::bounding_rect(&zone).unwrap());
            for r in w.row_off..w.row_end() {
                for c in w.col_off..w.col_end() {
                    let truth = clipped_cell_area(&zone, &grid, r, c);
                    let got = cov.fraction_at(r, c);
                    assert!(
                        (got - truth).abs() < 1e-11,
                        "case {case}, cell ({r}, {c}): {got} vs {truth}"
                    );
                }
            }
        }
    }
}

#[test]
fn exact_fractions_agree_with_supersampling() {
    let mut rng = Rng::new(7);
    let grid = unit_grid(12, 12);
    let n = 100; // 100 x 100 samples per cell
    for case in 0..6 {
        let zone = random_zone(&mut rng, &grid, case * 3); // star-shaped, with holes, multipart
        let cov = exact(&zone, &grid);
        let w = grid.window_from_bounds(&geo::BoundingRect::bounding_rect(&zone).unwrap());
        let mut total_error = 0.0;
        for r in w.row_off..w.row_end() {
            for c in w.col_off..w.col_end() {
                let b = grid.cell_bounds(r, c);
                let mut hits = 0;
                for i in 0..n {
                    for j in 0..n {
                        let p = Point::new(
                            b.min().x + (i as f64 + 0.5) / n as f64,
                            b.min().y + (j as f64 + 0.5) / n as f64,
                        );
                        if zone.contains(&p) {
                            hits += 1;
                        }
                    }
                }
                let sampled = hits as f64 / (n * n) as f64;
                let got = cov.fraction_at(r, c);
                assert!(
                    (got - sampled).abs() < 0.02,
                    "case {case}, cell ({r}, {c}): {got} vs sampled {sampled}"
                );
                total_error += (got - sampled).abs();
            }
        }
        assert!(
            total_error / w.cell_count() as f64 <= 2e-3,
            "case {case}: mean error {total_error}"
        );
    }
}

#[test]
fn center_agrees_with_point_in_polygon_and_all_touched_with_intersection() {
    let mut rng = Rng::new(99);
    let grid = Grid::new(GeoTransform::new(10.0, 0.5, 20.0, -0.5).unwrap(), 30, 40).unwrap();
    for case in 0..60 {
        let zone = random_zone(&mut rng, &grid, case);
        let center = Coverage::compute(&zone, &grid, CoverageMode::Center);
        let touched = Coverage::compute(&zone, &grid, CoverageMode::AllTouched);
        for r in 0..grid.rows() {
            for c in 0..grid.cols() {
                let centre = grid.cell_center(r, c);
                let inside = zone.contains(&Point::from(centre));
                assert_eq!(
                    center.fraction_at(r, c) == 1.0,
                    inside,
                    "case {case}, cell ({r}, {c})"
                );
                let b = grid.cell_bounds(r, c);
                let shrunk = Rect::new(
                    Coord {
                        x: b.min().x + 1e-9,
                        y: b.min().y + 1e-9,
                    },
                    Coord {
                        x: b.max().x - 1e-9,
                        y: b.max().y - 1e-9,
                    },
                );
                let touches = zone.intersects(&shrunk.to_polygon());
                assert_eq!(
                    touched.fraction_at(r, c) == 1.0,
                    touches,
                    "case {case}, cell ({r}, {c}) all-touched"
                );
            }
        }
    }
}
