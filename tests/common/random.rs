//! Seeded random zones for property tests: star-shaped polygons, holes,
//! multipart zones, thin slivers, huge and tiny zones.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use terralux::Grid;

#[path = "../../benches/common/splitmix.rs"]
mod splitmix;
pub use splitmix::Rng;

/// A star-shaped (hence simple) ring around `centre`: `n` vertices at increasing angles, radii in [r_min, r_max].
/// Counter-clockwise unless `clockwise`.
pub fn star(
    rng: &mut Rng,
    centre: Coord<f64>,
    r_min: f64,
    r_max: f64,
    n: usize,
    clockwise: bool,
) -> LineString<f64> {
    // Evenly spaced angles, each jittered by up to 40 % of the spacing: sorted, and no gap
    // wider than 1.8 spacings, so that a ring of radii >= r_min contains the disc of
    // radius r_min * cos(0.9 * spacing) (for n >= 8: 0.89 r_min), where holes may go.
    let offset = rng.range(0.0, std::f64::consts::TAU);
    let spacing = std::f64::consts::TAU / n as f64;
    let angles: Vec<f64> = (0..n)
        .map(|i| offset + (i as f64 + rng.range(-0.4, 0.4)) * spacing)
        .collect();
    let mut points: Vec<Coord<f64>> = angles
        .iter()
        .map(|&a| {
            let r = rng.range(r_min, r_max);
            Coord {
                x: centre.x + r * a.cos(),
                y: centre.y + r * a.sin(),
            }
        })
        .collect();
    if clockwise {
        points.reverse();
    }
    let mut ring = LineString(points);
    ring.close();
    ring
}

/// A random valid zone on (and around) `grid`; `case % 6` picks the kind.
pub fn random_zone(rng: &mut Rng, grid: &Grid, case: usize) -> MultiPolygon<f64> {
    let b = grid.bounds();
    let (w, h) = (b.width(), b.height());
    let cell = grid.transform().pixel_width;
    let centre = Coord {
        x: rng.range(b.min().x + 0.2 * w, b.max().x - 0.2 * w),
        y: rng.range(b.min().y + 0.2 * h, b.max().y - 0.2 * h),
    };
    let size = 0.25 * w.min(h);
    let clockwise = rng.uniform() < 0.5;
    match case % 6 {
        // Star-shaped polygon.
        0 => {
            let n = 3 + (rng.next_u64() % 30) as usize;
            MultiPolygon(vec![Polygon::new(
                star(rng, centre, 0.3 * size, size, n, clockwise),
                vec![],
            )])
        }
        // With a hole (inside the exterior's smallest radius, so the polygon stays valid).
        1 => {
            let outer = star(rng, centre, 0.6 * size, size, 12, clockwise);
            let hole_clockwise = rng.uniform() < 0.5;
            let hole = star(rng, centre, 0.1 * size, 0.5 * size, 8, hole_clockwise);
            MultiPolygon(vec![Polygon::new(outer, vec![hole])])
        }
        // Two parts apart.
        2 => {
            let a = Coord {
                x: centre.x - 0.5 * size,
                y: centre.y,
            };
            let c = Coord {
                x: centre.x + 0.5 * size,
                y: centre.y,
            };
            MultiPolygon(vec![
                Polygon::new(star(rng, a, 0.1 * size, 0.45 * size, 7, clockwise), vec![]),
                Polygon::new(star(rng, c, 0.1 * size, 0.45 * size, 9, !clockwise), vec![]),
            ])
        }
        // A thin sliver: a long triangle a hundredth of a cell wide.
        3 => {
            let angle = rng.range(0.0, std::f64::consts::PI);
            let (dx, dy) = (angle.cos() * size * 1.5, angle.sin() * size * 1.5);
            let (nx, ny) = (-angle.sin() * 0.01 * cell, angle.cos() * 0.01 * cell);
            let mut ring = LineString(vec![
                Coord {
                    x: centre.x - dx,
                    y: centre.y - dy,
                },
                Coord {
                    x: centre.x + dx,
                    y: centre.y + dy,
                },
                Coord {
                    x: centre.x + dx + nx,
                    y: centre.y + dy + ny,
                },
            ]);
            ring.close();
            MultiPolygon(vec![Polygon::new(ring, vec![])])
        }
        // Huge: reaching far beyond the grid.
        4 => MultiPolygon(vec![Polygon::new(
            star(rng, centre, 0.8 * w.max(h), 2.0 * w.max(h), 10, clockwise),
            vec![],
        )]),
        // Tiny: well inside one cell.
        _ => {
            let c = grid.cell_center(
                (rng.next_u64() % grid.rows() as u64) as usize,
                (rng.next_u64() % grid.cols() as u64) as usize,
            );
            MultiPolygon(vec![Polygon::new(
                star(rng, c, 0.01 * cell, 0.3 * cell, 5, clockwise),
                vec![],
            )])
        }
    }
}
