//! Zone rings in pixel coordinates, oriented for signed-area accumulation.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

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
            let before = rings.len();
            push_ring(&mut rings, polygon.exterior(), grid, 1.0);
            // An exterior of no area (points on a line, or lobes that cancel)
            // encloses nothing its holes could cut. (Lobes that cancel still
            // show in accumulation, which marks the zone for repair.)
            if rings.get(before).is_none_or(|r| r.signed_area == 0.0) {
                continue;
            }
            for hole in polygon.interiors() {
                push_ring(&mut rings, hole, grid, -1.0);
            }
        }
        PixelRings { rings }
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
                let clipped = clip_to_box(&r.points, 0.0, ncols, 0.0, nrows);
                r.role * shoelace(&clipped) * r.signed_area.signum()
            })
            .sum()
    }
}

impl PixelRings {
    /// Add, for a grid of longitudes, the parts of the rings beyond the
    /// grid's west or east edge shifted by one turn (`period` columns), so
    /// that a zone given as 179..181 degrees also covers -180..-179 on a
    /// -180..180 grid, and a zone at -170 degrees covers 190 on a 0..360
    /// grid. Only the part beyond an edge is shifted, so a grid that spans
    /// a little more than one turn (86,401 columns of 15") never counts the
    /// same ground twice.
    pub fn with_wrapped_parts(mut self, period: f64, ncols: f64) -> Self {
        let mut shifted = Vec::new();
        for ring in self.rings.iter().filter(|r| r.signed_area != 0.0) {
            let (min_x, max_x) = ring
                .points
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                    (lo.min(p.0), hi.max(p.0))
                });
            let beyond = [
                (min_x < 0.0, HalfPlane::West(0.0), period),
                (max_x > ncols, HalfPlane::East(ncols), -period),
            ];
            for (_, side, shift) in beyond.into_iter().filter(|b| b.0) {
                let part: Vec<(f64, f64)> = clip_to_half_plane(&ring.points, side)
                    .into_iter()
                    .map(|(x, y)| (x + shift, y))
                    .collect();
                let reaches_grid =
                    part.iter().any(|p| p.0 > 0.0) && part.iter().any(|p| p.0 < ncols);
                let signed_area = shoelace(&part);
                if reaches_grid && signed_area != 0.0 {
                    shifted.push(PixelRing {
                        points: part,
                        role: ring.role,
                        signed_area,
                    });
                }
            }
        }
        self.rings.extend(shifted);
        self
    }
}

/// `zone` on a geographic grid of columns `west..east` (degrees), with the
/// parts beyond either edge moved one turn (360 degrees) into the grid's
/// range: the geometry coverage sees once longitudes wrap (see
/// [`PixelRings::with_wrapped_parts`]). `None` when no part lies beyond an
/// edge. Repair works on this, so that parts that overlap only once
/// wrapped are unioned too.
pub(super) fn into_grid_turn(
    zone: &MultiPolygon<f64>,
    west: f64,
    east: f64,
) -> Option<MultiPolygon<f64>> {
    // As coverage sees the rings: non-finite points dropped, and the holes
    // of an exterior of no area ignored.
    let polygons: Vec<Vec<Vec<(f64, f64)>>> = zone
        .0
        .iter()
        .map(|polygon| {
            let mut rings = vec![finite_points(polygon.exterior())];
            if shoelace(&rings[0]) != 0.0 {
                rings.extend(polygon.interiors().iter().map(finite_points));
            }
            rings
        })
        .collect();
    let beyond = polygons
        .iter()
        .flatten()
        .flatten()
        .any(|&(x, _)| x < west || x > east);
    if !beyond {
        return None;
    }
    let inside = [HalfPlane::East(west), HalfPlane::West(east)];
    let pieces: [(&[HalfPlane], f64); 3] = [
        (&inside, 0.0),
        (&[HalfPlane::West(west)], 360.0),
        (&[HalfPlane::East(east)], -360.0),
    ];
    let mut out = Vec::new();
    for rings in &polygons {
        for (sides, shift) in pieces {
            // Whichever rings have a piece on this side make one polygon:
            // repair fills it by the even-odd rule, so a hole's piece
            // without its exterior's still counts, as coverage counts it.
            let mut clipped = rings.iter().filter_map(|ring| {
                let mut points = ring.clone();
                for &side in sides {
                    points = clip_to_half_plane(&points, side);
                }
                (points.len() >= 3).then(|| {
                    LineString(
                        points
                            .into_iter()
                            .map(|(x, y)| Coord { x: x + shift, y })
                            .collect(),
                    )
                })
            });
            if let Some(first) = clipped.next() {
                out.push(Polygon::new(first, clipped.collect()));
            }
        }
    }
    Some(MultiPolygon(out))
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

/// Sutherland-Hodgman clipping of a ring to the box `[x0, x1] x [y0, y1]`.
/// The result may have degenerate edges along the box, which do not change
/// its area. No shift is applied, so small coordinates keep their bits.
pub(super) fn clip_to_box(
    points: &[(f64, f64)],
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
) -> Vec<(f64, f64)> {
    let mut ring = points.to_vec();
    for side in [
        HalfPlane::East(x0),
        HalfPlane::West(x1),
        HalfPlane::South(y0),
        HalfPlane::North(y1),
    ] {
        ring = clip_to_half_plane(&ring, side);
    }
    ring
}

/// The ring's finite points, as `(x, y)` (coverage ignores the others).
pub(super) fn finite_points(ring: &LineString<f64>) -> Vec<(f64, f64)> {
    ring.0
        .iter()
        .filter(|c| c.x.is_finite() && c.y.is_finite())
        .map(|c| (c.x, c.y))
        .collect()
}

/// The points kept by a clip: `East(v)` keeps `x >= v`, `West(v)` keeps
/// `x <= v`, `South(v)` keeps `y >= v`, `North(v)` keeps `y <= v`.
#[derive(Clone, Copy)]
enum HalfPlane {
    East(f64),
    West(f64),
    South(f64),
    North(f64),
}

impl HalfPlane {
    fn contains(self, p: (f64, f64)) -> bool {
        match self {
            HalfPlane::East(v) => p.0 >= v,
            HalfPlane::West(v) => p.0 <= v,
            HalfPlane::South(v) => p.1 >= v,
            HalfPlane::North(v) => p.1 <= v,
        }
    }

    /// Where segment `a`-`b` meets the half-plane's boundary line.
    fn boundary_crossing(self, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        match self {
            HalfPlane::East(v) | HalfPlane::West(v) => intersect(a, b, v, true),
            HalfPlane::South(v) | HalfPlane::North(v) => intersect(a, b, v, false),
        }
    }
}

/// Sutherland-Hodgman clipping of a ring to one half-plane (degenerate
/// edges along the boundary line may remain; they add no area).
fn clip_to_half_plane(ring: &[(f64, f64)], side: HalfPlane) -> Vec<(f64, f64)> {
    let n = ring.len();
    let mut out = Vec::with_capacity(n + 4);
    for i in 0..n {
        let cur = ring[i];
        let prev = ring[(i + n - 1) % n];
        let (cur_in, prev_in) = (side.contains(cur), side.contains(prev));
        if cur_in != prev_in {
            out.push(side.boundary_crossing(prev, cur));
        }
        if cur_in {
            out.push(cur);
        }
    }
    out
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
        assert_eq!(shoelace(&clip_to_box(&square, 0.0, 1.0, 0.0, 1.0)), 1.0);
        let triangle = [(0.0, 0.0), (4.0, 0.0), (0.0, 4.0)];
        assert_eq!(shoelace(&clip_to_box(&triangle, 0.0, 2.0, 0.0, 10.0)), 6.0);
        let outside = [(5.0, 5.0), (6.0, 5.0), (6.0, 6.0)];
        assert_eq!(shoelace(&clip_to_box(&outside, 0.0, 1.0, 0.0, 1.0)), 0.0);
    }
}
