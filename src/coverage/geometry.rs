//! Zone rings in pixel coordinates, oriented for signed-area accumulation.

use geo_types::{Coord, LineString, MultiPolygon};

use crate::grid::Grid;

/// One ring in pixel coordinates (`x` = column, `y` = row, both fractional).
pub(super) struct PixelRing {
    pub points: Vec<(f64, f64)>,
    /// +1 for exterior rings, -1 for holes.
    pub role: f64,
    /// The ring's shoelace area (signed by its orientation).
    pub signed_area: f64,
}

impl PixelRing {
    /// The multiplier that makes this ring's accumulated coverage positive
    /// for an exterior and negative for a hole. Accumulation adds each
    /// edge's height to the cells on its right, which sums to minus the
    /// shoelace area of the ring.
    pub fn accumulation_factor(&self) -> f64 {
        -self.role * self.signed_area.signum()
    }

    /// The ring's edges, closing edge included.
    pub fn edges(&self) -> impl Iterator<Item = ((f64, f64), (f64, f64))> + '_ {
        let n = self.points.len();
        (0..n).map(move |i| (self.points[i], self.points[(i + 1) % n]))
    }
}

/// All rings of a zone, in pixel coordinates of one grid.
pub(super) struct PixelRings {
    pub rings: Vec<PixelRing>,
}

impl PixelRings {
    pub fn new(zone: &MultiPolygon<f64>, grid: &Grid) -> Self {
        let mut rings = Vec::new();
        for polygon in &zone.0 {
            push_ring(&mut rings, polygon.exterior(), grid, 1.0);
            for hole in polygon.interiors() {
                push_ring(&mut rings, hole, grid, -1.0);
            }
        }
        PixelRings { rings }
    }

    /// Every edge with its ring's accumulation factor, skipping degenerate rings.
    pub fn edges(&self) -> impl Iterator<Item = ((f64, f64), (f64, f64), f64)> + '_ {
        self.rings
            .iter()
            .filter(|r| r.signed_area != 0.0)
            .flat_map(|r| {
                let factor = r.accumulation_factor();
                r.edges().map(move |(a, b)| (a, b, factor))
            })
    }

    /// The zone's area in cells: exteriors minus holes.
    pub fn area(&self) -> f64 {
        self.rings
            .iter()
            .map(|r| r.role * r.signed_area.abs())
            .sum()
    }

    /// The area in cells of the zone's part inside `[0, ncols] x [0, nrows]`.
    pub fn clipped_area(&self, nrows: f64, ncols: f64) -> f64 {
        self.rings
            .iter()
            .filter(|r| r.signed_area != 0.0)
            .map(|r| {
                let inside = r
                    .points
                    .iter()
                    .all(|&(x, y)| (0.0..=ncols).contains(&x) && (0.0..=nrows).contains(&y));
                if inside {
                    return r.role * r.signed_area.abs();
                }
                let clipped = clip_to_rectangle(&r.points, ncols, nrows);
                r.role * shoelace(&clipped) * r.signed_area.signum()
            })
            .sum()
    }
}

fn push_ring(rings: &mut Vec<PixelRing>, ring: &LineString<f64>, grid: &Grid, role: f64) {
    let mut points: Vec<(f64, f64)> = ring
        .0
        .iter()
        .filter(|c| c.x.is_finite() && c.y.is_finite())
        .map(|&c: &Coord<f64>| {
            let p = grid.pixel_of(c);
            (p.col, p.row)
        })
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    // Drop the closing point (edges() closes the ring) and consecutive repeats.
    points.dedup();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return;
    }
    let signed_area = shoelace(&points);
    rings.push(PixelRing {
        points,
        role,
        signed_area,
    });
}

/// Signed shoelace area of a ring given without its closing point.
pub(super) fn shoelace(points: &[(f64, f64)]) -> f64 {
    let n = points.len();
    if n < 3 {
        return 0.0;
    }
    // Relative to the first point, for precision far from the origin.
    let (ox, oy) = points[0];
    let mut twice = 0.0;
    for i in 0..n {
        let (x0, y0) = (points[i].0 - ox, points[i].1 - oy);
        let (x1, y1) = (points[(i + 1) % n].0 - ox, points[(i + 1) % n].1 - oy);
        twice += x0 * y1 - x1 * y0;
    }
    twice / 2.0
}

/// Sutherland-Hodgman clipping of a ring to `[0, width] x [0, height]`.
/// The result may have degenerate edges along the rectangle, which do not
/// change its area.
fn clip_to_rectangle(points: &[(f64, f64)], width: f64, height: f64) -> Vec<(f64, f64)> {
    let mut ring = points.to_vec();
    // Each boundary as (inside test, intersection with the boundary line).
    type Inside = fn(&(f64, f64), f64) -> bool;
    let boundaries: [(Inside, f64, bool); 4] = [
        (|p, v| p.0 >= v, 0.0, true),
        (|p, v| p.0 <= v, width, true),
        (|p, v| p.1 >= v, 0.0, false),
        (|p, v| p.1 <= v, height, false),
    ];
    for (inside, value, vertical) in boundaries {
        if ring.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(ring.len() + 4);
        let n = ring.len();
        for i in 0..n {
            let cur = ring[i];
            let prev = ring[(i + n - 1) % n];
            let (cur_in, prev_in) = (inside(&cur, value), inside(&prev, value));
            if cur_in != prev_in {
                out.push(intersect(prev, cur, value, vertical));
            }
            if cur_in {
                out.push(cur);
            }
        }
        ring = out;
    }
    ring
}

/// Where segment `a`-`b` meets the line `x = value` (vertical) or `y = value`.
fn intersect(a: (f64, f64), b: (f64, f64), value: f64, vertical: bool) -> (f64, f64) {
    if vertical {
        let t = (value - a.0) / (b.0 - a.0);
        (value, a.1 + t * (b.1 - a.1))
    } else {
        let t = (value - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_inside_area() {
        let square = [(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        assert_eq!(shoelace(&clip_to_rectangle(&square, 1.0, 1.0)), 1.0);
        let triangle = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)];
        assert_eq!(shoelace(&clip_to_rectangle(&triangle, 2.0, 10.0)), 6.0);
        let outside = [(5.0, 5.0), (6.0, 5.0), (6.0, 6.0)];
        assert_eq!(shoelace(&clip_to_rectangle(&outside, 1.0, 1.0)), 0.0);
    }
}
